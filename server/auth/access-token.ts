// User access tokens, checked the same way wherever a device presents one: the socket handshake
// and the Authorization header of the file routes.
import { ParleyError } from '../../protocol/index.js';
import type { Storage, TokenRecord } from '../storage/storage.js';
import { hashSecret, sameHash } from './secrets.js';

/** The token's record when it is known, not revoked and not expired; else auth_failed saying which. */
export async function verifyAccessToken(storage: Storage, token: string): Promise<TokenRecord> {
  const hash = hashSecret(token);
  const record = await storage.findToken(hash);
  if (!record || !sameHash(record.hash, hash)) throw new ParleyError('auth_failed', 'the access token is not valid');
  if (record.revoked) throw new ParleyError('auth_failed', 'the access token was revoked');
  if (record.expiresAt <= Date.now()) throw new ParleyError('auth_failed', 'the access token has expired');
  return record;
}
