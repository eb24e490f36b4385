// Capability URLs: a download link that needs no token until it expires, for people and services
// outside Parley. The cap is an HMAC over the file id and the expiry with a random server key kept
// in the data dir, so links survive restarts and cannot be forged or stretched.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ParleyError } from '../../protocol/index.js';

export interface Capabilities {
  sign(id: string, expiresAt: number): string;
  /** Throws forbidden when the cap is wrong or expired. */
  verify(id: string, cap: string, exp: string): void;
}

export function loadCapabilities(dataDir: string): Capabilities {
  const file = join(dataDir, 'file-capability-key.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const key = randomBytes(32).toString('base64url');
    writeFileSync(file, JSON.stringify({ key, createdAt: new Date().toISOString() }), { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from((JSON.parse(readFileSync(file, 'utf8')) as { key: string }).key, 'base64url');
  const sign = (id: string, expiresAt: number) => createHmac('sha256', key).update(`${id}.${expiresAt}`).digest('base64url');

  return {
    sign,
    verify(id, cap, exp) {
      const expiresAt = /^\d{1,16}$/.test(exp) ? Number(exp) : NaN;
      // Compared as text: base64url decoding would accept several spellings of one MAC.
      const given = Buffer.from(cap);
      const expected = Number.isSafeInteger(expiresAt) ? Buffer.from(sign(id, expiresAt)) : null;
      if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ParleyError('forbidden', 'this download link is not valid');
      }
      if (expiresAt <= Date.now()) throw new ParleyError('forbidden', 'this download link has expired; ask for a new one');
    },
  };
}
