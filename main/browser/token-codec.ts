// The browser host's secrets at rest (the session's access token, the account's file settings with
// an upload token) sealed with a key the OS protects, where the OS offers one to a plain Node process:
// on Linux, the Secret Service (GNOME Keyring, KWallet) through `secret-tool` on the session bus. The
// key is 32 random bytes kept in the keyring, made at the first launch; values are sealed with
// AES-256-GCM. Where there is no such store (a headless machine, no secret-tool, macOS and Windows,
// whose keychains this host does not reach), the secrets stay as they were, in files only this user
// can read (0600 in a 0700 folder), and the host says so once at launch: a key in a file beside them
// would protect nothing the file mode does not, so there is none.
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TokenCodec, TokenStorage } from '../bridge/index.js';

/** Where the sealing key is kept. */
export interface KeyStore {
  /** What the user is told the key is kept in. */
  name: string;
  /** The key, or null when the store holds none yet; throws when the store cannot be read. */
  read(): Buffer | null;
  write(key: Buffer): void;
}

const KEY_BYTES = 32;
const PREFIX = 'parley-sealed:v1:';
/** The keyring may ask to be unlocked; a launch never waits longer than this for it. */
const KEYRING_TIMEOUT_MS = 15_000;
const ATTRIBUTES = ['application', 'parley', 'purpose', 'token-seal'];

/** AES-256-GCM under `key`: `parley-sealed:v1:<base64url(iv ‖ tag ‖ ciphertext)>`. */
export function keyCodec(key: Buffer, keptIn: string): TokenCodec {
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(stored) {
      // Written before there was a key (or by an older version): read as it is, sealed at the next save.
      if (!stored.startsWith(PREFIX)) return stored;
      const bytes = Buffer.from(stored.slice(PREFIX.length), 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(12, 28));
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(`the key in ${keptIn} does not open it (the key was replaced, or this data comes from another user or machine)`);
      }
    },
  };
}

/** Stored as it is; a value sealed while the keyring was reachable is refused with the reason, not taken for a token. */
const plainCodec: TokenCodec = {
  seal: (plain) => plain,
  open(stored) {
    if (stored.startsWith(PREFIX)) throw new Error('it was sealed with a key kept in the OS keyring, which cannot be reached now');
    return stored;
  },
};

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** The Secret Service through secret-tool (libsecret), when both it and a session bus are there. */
export function secretServiceKeyStore(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): KeyStore | null {
  if (platform !== 'linux' || !env.DBUS_SESSION_BUS_ADDRESS || !onPath('secret-tool', env)) return null;
  const run = (args: string[], input?: string) => spawnSync('secret-tool', args, { env, input, encoding: 'utf8', timeout: KEYRING_TIMEOUT_MS });
  return {
    name: 'the Secret Service keyring',
    read() {
      const found = run(['lookup', ...ATTRIBUTES]);
      if (found.error) throw found.error;
      // lookup exits 1 with no output when nothing matches.
      if (found.status !== 0 || !found.stdout.trim()) return null;
      const key = Buffer.from(found.stdout.trim(), 'base64');
      if (key.length !== KEY_BYTES) throw new Error('the keyring holds a Parley key of the wrong length');
      return key;
    },
    write(key) {
      const stored = run(['store', '--label=Parley (browser host): the key that seals the saved sign-in', ...ATTRIBUTES], key.toString('base64'));
      if (stored.error) throw stored.error;
      if (stored.status !== 0) throw new Error(`secret-tool store failed: ${stored.stderr.trim() || `exit ${stored.status}`}`);
    },
  };
}

/** The codec the OS allows, or none with the notice to give; `keyStore` is the seam (secretServiceKeyStore by default). */
export function browserTokenStorage(keyStore: KeyStore | null = secretServiceKeyStore(), log: (message: string, detail?: unknown) => void = () => {}): TokenStorage {
  const unencrypted = (why: string): TokenStorage => ({
    codec: plainCodec,
    notice: `${why}: Parley stores your access token and upload settings unencrypted, readable only by your user account (file mode 0600).`,
  });
  if (!keyStore) {
    return unencrypted(
      process.platform === 'linux'
        ? 'No OS keyring is reachable (the Secret Service needs a desktop session bus and secret-tool)'
        : 'The browser host cannot use this system’s keychain',
    );
  }
  try {
    let key = keyStore.read();
    if (!key) {
      key = randomBytes(KEY_BYTES);
      keyStore.write(key);
      // Read back: a keyring that accepts and forgets would leave the next launch unable to open anything.
      if (!keyStore.read()?.equals(key)) throw new Error('the key did not read back the same');
    }
    return { codec: keyCodec(key, keyStore.name), notice: null };
  } catch (error) {
    log(`could not use ${keyStore.name}`, error);
    return unencrypted(`${keyStore.name} could not be used (${(error as Error).message})`);
  }
}
