// Capability URLs: a download link that needs no token until it expires, for people and services
// outside Parley. The cap is an HMAC over the file id, the expiry and the user who asked for it,
// with a random server key kept in the data dir (the shared files dir with several nodes), so links survive restarts and cannot be forged,
// stretched or passed to another user's name. The link works while that user may still download the
// file (the download checks it each time): leaving the conversation ends the links one made.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Address, ParleyError } from '../../protocol/index.js';

export interface Capabilities {
  /** The cap for a link to file `id` until `expiresAt`, on behalf of `by`. */
  sign(id: string, expiresAt: number, by: Address): string;
  /** The user the link was made for; throws forbidden when the cap is wrong or expired. */
  verify(id: string, cap: string, exp: string, by: string): Address;
}

export function loadCapabilities(dir: string, name = 'file-capability-key.json'): Capabilities {
  const file = join(dir, name);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written whole under another name, then linked: nodes starting together on a shared dir all
    // read the one key that won, never a half-written file.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    const key = randomBytes(32).toString('base64url');
    writeFileSync(draft, JSON.stringify({ key, createdAt: new Date().toISOString() }), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(draft, { force: true });
    }
  }
  const key = Buffer.from((JSON.parse(readFileSync(file, 'utf8')) as { key: string }).key, 'base64url');
  // Unambiguous: the id is hex and the expiry digits, so only the address may hold a dot.
  const sign = (id: string, expiresAt: number, by: string) =>
    createHmac('sha256', key).update(`${id}.${expiresAt}.${by}`).digest('base64url');

  return {
    sign,
    verify(id, cap, exp, by) {
      const expiresAt = /^\d{1,16}$/.test(exp) ? Number(exp) : NaN;
      const address = Address.safeParse(by);
      // Compared as text: base64url decoding would accept several spellings of one MAC.
      const given = Buffer.from(cap);
      const expected = Number.isSafeInteger(expiresAt) && address.success ? Buffer.from(sign(id, expiresAt, address.data)) : null;
      if (!address.success || !expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ParleyError('forbidden', 'this download link is not valid; ask for a new one');
      }
      if (expiresAt <= Date.now()) throw new ParleyError('forbidden', 'this download link has expired; ask for a new one');
      return address.data;
    },
  };
}

/**
 * A request target with the value of every `cap` in its query replaced, for logs: a link is as good
 * as a token. Keys are compared decoded, as the query parser reads them (`%63ap` is a cap too).
 */
export function redactCapabilities(target: string): string {
  const start = target.indexOf('?');
  if (start === -1) return target;
  const query = target
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const key = equals === -1 ? pair : pair.slice(0, equals);
      let name: string;
      try {
        name = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        name = key;
      }
      return name.trim().toLowerCase() === 'cap' ? `${key}=[redacted]` : pair;
    });
  return `${target.slice(0, start)}?${query.join('&')}`;
}
