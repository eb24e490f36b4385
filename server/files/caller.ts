// Who calls a file route: the Bearer user access token, the same token the socket handshake takes.
import type { FastifyRequest } from 'fastify';
import { ParleyError, type Address } from '../../protocol/index.js';
import { verifyAccessToken } from '../auth/access-token.js';
import type { Storage } from '../storage/storage.js';

// Keyed by the raw request, which is all that reaches the tus hooks.
const callers = new WeakMap<object, Address>();

export async function bearerUser(storage: Storage, request: FastifyRequest): Promise<Address> {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  if (scheme !== 'Bearer' || !token) {
    throw new ParleyError('unauthorized', 'send your access token as "Authorization: Bearer <token>"');
  }
  return (await verifyAccessToken(storage, token)).address;
}

/** An onRequest hook: refuses a request without a valid token before any of its body is read. */
export function authenticate(storage: Storage) {
  return async (request: FastifyRequest) => {
    callers.set(request.raw, await bearerUser(storage, request));
  };
}

export function callerOf(raw: object | undefined): Address {
  const address = raw && callers.get(raw);
  if (!address) throw new Error('a file route ran without the authenticate hook');
  return address;
}
