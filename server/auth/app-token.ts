// The operator's secret app token for the backend API. PARLEY_APP_TOKEN wins when set; otherwise
// one is created on first start, its hash kept in the data dir and the token itself shown once.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSecret, newSecret, sameHash } from './secrets.js';

export interface AppToken {
  verify(candidate: string): boolean;
  /** Set only on the start that created the token: the one chance to show it. */
  created: string | null;
}

export function loadAppToken(dataDir: string, fromEnv: string | undefined): AppToken {
  if (fromEnv) {
    const hash = hashSecret(fromEnv);
    return { verify: (candidate) => sameHash(hashSecret(candidate), hash), created: null };
  }
  const file = join(dataDir, 'app-token.json');
  let created: string | null = null;
  if (!existsSync(file)) {
    created = newSecret('pla');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ sha256: hashSecret(created), createdAt: new Date().toISOString() }), {
      mode: 0o600,
      flag: 'wx',
    });
  }
  const { sha256 } = JSON.parse(readFileSync(file, 'utf8')) as { sha256: string };
  return { verify: (candidate) => sameHash(hashSecret(candidate), sha256), created };
}
