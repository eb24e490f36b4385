// The backend API for the operator's own servers (never for the apps): users, their access
// tokens, groups and stats, behind the secret app token. An encapsulated Fastify plugin under /api/v1.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Address, ParleyError, Title, describeIssues } from '../../protocol/index.js';
import type { AppToken } from '../auth/app-token.js';
import { hashSecret, newSecret } from '../auth/secrets.js';
import { UserLimits } from '../realtime/rate-limit.js';
import type { Messaging } from '../services/messaging.js';
import type { Storage } from '../storage/storage.js';

const DAY = 24 * 3600;

const schemas = {
  newUser: z.object({ address: Address, name: z.string().trim().min(1).max(200) }),
  userQuery: z.object({
    query: z.string().max(64).default(''),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  }),
  addressParam: z.object({ address: Address }),
  newToken: z.object({ ttlSeconds: z.number().int().min(60).max(365 * DAY).default(30 * DAY) }).default({ ttlSeconds: 30 * DAY }),
  newGroup: z.object({
    name: Title,
    members: z.array(Address).min(1).max(1000),
    admins: z.array(Address).max(1000).optional(),
    type: z.enum(['group', 'channel']).default('group'),
  }),
  groupParam: z.object({ id: z.string().min(1).max(64) }),
  members: z.object({ members: z.array(Address).min(1).max(1000) }),
};

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ParleyError('bad_request', `${where}: ${describeIssues(result.error)}`);
  return result.data;
}

export interface BackendApiOptions {
  storage: Storage;
  messaging: Messaging;
  appToken: AppToken;
}

export const backendApi: FastifyPluginAsync<BackendApiOptions> = async (app, { storage, messaging, appToken }) => {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const [scheme, token] = header.split(' ');
    if (scheme !== 'Bearer' || !token || !appToken.verify(token)) {
      throw new ParleyError('unauthorized', 'send the app token as "Authorization: Bearer <app token>"');
    }
  });

  app.post('/users', async (request, reply) => {
    const user = parse(schemas.newUser, request.body, 'body');
    reply.code(201);
    return { user: await storage.createUser(user) };
  });

  app.get('/users', async (request) => {
    const { query, limit } = parse(schemas.userQuery, request.query, 'query');
    return { users: await storage.searchUsers(query, limit) };
  });

  app.get('/users/:address/limits', async (request) => {
    const { address } = parse(schemas.addressParam, request.params, 'path');
    return { limits: await messaging.getUserLimits(address) };
  });

  app.put('/users/:address/limits', async (request) => {
    const { address } = parse(schemas.addressParam, request.params, 'path');
    const limits = parse(UserLimits, request.body, 'body');
    return { limits: await messaging.setUserLimits(address, limits) };
  });

  app.post('/users/:address/tokens', async (request, reply) => {
    const { address } = parse(schemas.addressParam, request.params, 'path');
    const { ttlSeconds } = parse(schemas.newToken, request.body ?? undefined, 'body');
    if ((await storage.missingUsers([address])).length > 0) {
      throw new ParleyError('not_found', `no such user: ${address}`);
    }
    const token = newSecret('plu');
    const expiresAt = Date.now() + ttlSeconds * 1000;
    await storage.createToken(address, hashSecret(token), expiresAt);
    reply.code(201);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  });

  app.delete('/users/:address/tokens', async (request) => {
    const { address } = parse(schemas.addressParam, request.params, 'path');
    return { revoked: await messaging.revokeTokens(address) };
  });

  app.post('/groups', async (request, reply) => {
    const group = parse(schemas.newGroup, request.body, 'body');
    const conversation = await messaging.createConversation(null, {
      participants: group.members,
      type: group.type,
      title: group.name,
      admins: group.admins,
    });
    reply.code(201);
    return { group: conversation };
  });

  for (const method of ['POST', 'DELETE'] as const) {
    app.route({
      method,
      url: '/groups/:id/members',
      handler: async (request) => {
        const { id } = parse(schemas.groupParam, request.params, 'path');
        const { members } = parse(schemas.members, request.body, 'body');
        const change = method === 'POST' ? { add: members, remove: [] } : { add: [], remove: members };
        return { group: await messaging.changeMembers(id, change) };
      },
    });
  }

  app.get('/stats', async () => messaging.stats());
};
