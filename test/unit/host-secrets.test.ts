// Secrets at rest in the hosts: the browser host's codec chosen by what the OS offers (the Secret
// Service through secret-tool, here a stand-in script on PATH; else plain, said once), the session's
// data dir and files (0700, 0600), and a token that cannot be unsealed signing the user out with the
// reason instead of starting as on a first launch. Electron's safeStorage backends are in electron-host.test.ts.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { browserTokenStorage, keyCodec, secretServiceKeyStore } from '../../main/browser/token-codec.js';
import type { TokenCodec } from '../../main/bridge/index.js';
import { call, openBridge } from '../support/bridge.js';
import { cleanup, tempDir } from '../support/temp.js';

afterEach(cleanup);

const posix = process.platform !== 'win32';

/** A secret-tool that keeps what `store` is given in a file, and `lookup` prints it (as libsecret's does). */
function fakeSecretTool(): NodeJS.ProcessEnv {
  const bin = tempDir('parley-bin-');
  const store = join(bin, 'secret');
  writeFileSync(
    join(bin, 'secret-tool'),
    `#!/bin/sh\ncase "$1" in\n  lookup) [ -f "${store}" ] && cat "${store}" || exit 1 ;;\n  store) cat > "${store}" ;;\n  *) exit 2 ;;\nesac\n`,
  );
  chmodSync(join(bin, 'secret-tool'), 0o755);
  return { PATH: `${bin}:/usr/bin:/bin`, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
}

describe('browser host: the codec the OS offers', () => {
  it.runIf(process.platform === 'linux')('seals with a key kept in the Secret Service, made at the first launch and found at the next', () => {
    const env = fakeSecretTool();
    const first = browserTokenStorage(secretServiceKeyStore(env, 'linux'));
    expect(first.notice).toBeNull();
    const sealed = first.codec!.seal('plu_secret-token');
    expect(sealed).toMatch(/^parley-sealed:v1:/);
    expect(sealed).not.toContain('secret-token');
    expect(first.codec!.seal('plu_secret-token')).not.toBe(sealed); // a fresh IV each time

    const next = browserTokenStorage(secretServiceKeyStore(env, 'linux'));
    expect(next.codec!.open(sealed)).toBe('plu_secret-token');
    // Kept before there was a key: read as it is (and sealed at the next save).
    expect(next.codec!.open('plu_plain')).toBe('plu_plain');
  });

  it('without a keyring: stored as it is, said once, and a value sealed while there was one is refused with the reason', () => {
    expect(secretServiceKeyStore({ PATH: '/nonexistent' }, 'linux')).toBeNull();
    expect(secretServiceKeyStore({ ...fakeSecretTool(), DBUS_SESSION_BUS_ADDRESS: '' }, 'linux')).toBeNull();
    expect(secretServiceKeyStore(fakeSecretTool(), 'darwin')).toBeNull();
    const plain = browserTokenStorage(null);
    expect(plain.notice).toMatch(/unencrypted, readable only by your user account \(file mode 0600\)/);
    expect(plain.codec!.seal('plu_t')).toBe('plu_t');
    expect(plain.codec!.open('plu_t')).toBe('plu_t');
    const sealed = keyCodec(Buffer.alloc(32, 1), 'the keyring').seal('plu_t');
    expect(() => plain.codec!.open(sealed)).toThrow(/sealed with a key kept in the OS keyring, which cannot be reached now/);
    expect(() => keyCodec(Buffer.alloc(32, 2), 'the keyring').open(sealed)).toThrow(/the key in the keyring does not open it/);
  });

  it('a keyring that fails is not used, and says why', () => {
    const failing = { name: 'the test keyring', read: () => null, write: () => { throw new Error('locked'); } };
    const storage = browserTokenStorage(failing);
    expect(storage.notice).toMatch(/^the test keyring could not be used \(locked\): .*unencrypted/);
    const forgetful = { name: 'the test keyring', read: () => null, write: () => {} };
    expect(browserTokenStorage(forgetful).notice).toMatch(/did not read back the same/);
  });
});

describe('session secrets at rest', () => {
  const demo = { serverUrl: 'http://127.0.0.1:1', users: [{ address: 'alice', name: 'Alice', token: 'plu_alice-token' }] };

  it.runIf(posix)('makes the data dir 0700 (also one an older version made 0755) and session.json 0600, with the token sealed', () => {
    const dataDir = join(tempDir(), 'client');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const codec = keyCodec(Buffer.alloc(32, 7), 'the keyring');
    const bridge = openBridge({ dataDir, demo, tokenCodec: codec });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const file = join(dataDir, 'session.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { token: string };
    expect(saved.token).toMatch(/^parley-sealed:v1:/);
    expect(codec.open(saved.token)).toBe('plu_alice-token');
    bridge.close();
  });

  it('a token that cannot be unsealed signs the user out with the reason, not as a first launch', async () => {
    const dataDir = tempDir();
    openBridge({ dataDir, demo, tokenCodec: keyCodec(Buffer.alloc(32, 7), 'the keyring') }).close();
    const otherKey: TokenCodec = keyCodec(Buffer.alloc(32, 8), 'the keyring');
    const again = openBridge({ dataDir, demo, tokenCodec: otherKey });
    // A first launch would sign the first demo user in; this one keeps the user signed out and says why.
    const session = await call(again, 'getSession');
    expect(session).toMatchObject({ state: 'signedOut', serverUrl: demo.serverUrl });
    expect(session.state === 'signedOut' && session.reason).toMatch(/^Parley could not unlock your saved session: the key in the keyring does not open it .*Sign in again/);
    // The file is left as it was: with the right key back, the session resumes.
    again.close();
    const restored = openBridge({ dataDir, demo, tokenCodec: keyCodec(Buffer.alloc(32, 7), 'the keyring') });
    expect(await call(restored, 'getSession')).toMatchObject({ state: 'signedIn', me: 'alice' });
  });
});
