// One node with Redis gone (issue 17): it keeps serving what needs no other node, says it is not ready,
// answers the backend API (the server-side events to other nodes fail quietly), closes cleanly, and
// leaves no promise rejected unheard (vitest fails a file on one). Then Redis comes back and the node with it.
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { startRedis, type OwnRedis } from '../../bench/support/cluster.js';
import { APP_TOKEN, cleanup, rawDevice, tempDir, until } from '../support/harness.js';

let redis: OwnRedis | null = null;
let server: RunningServer | null = null;
afterAll(async () => {
  await cleanup();
  await server?.close();
  await redis?.stop();
});

it('answers without Redis, reports it on /readyz, recovers when it returns, and closes cleanly', async () => {
  const dir = tempDir('parley-redis-down-');
  redis = await startRedis(join(dir, 'redis'));
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir: dir, appToken: APP_TOKEN, logger: false, redis: { url: redis.url, prefix: 'down:' } });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${server!.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${APP_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  await api('POST', '/users', { address: 'ann', name: 'Ann' });
  const { token } = (await (await api('POST', '/users/ann/tokens', {})).json()) as { token: string };
  const device = await rawDevice(server.url, token, 'd1');
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  await redis.kill();
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { error: { message: string } }).error.message).toMatch(/redis/);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  // Limits and stats tell the other nodes through Redis: here they answer for this node alone.
  expect((await api('PUT', '/users/ann/limits', { rateLimit: { burst: 5, perSecond: 5 } })).status).toBe(200);
  expect(await (await api('GET', '/stats')).json()).toMatchObject({ users: 1, connectedDevices: 1 });
  // This node's own devices are served: the sync reads storage, presence fails quietly.
  expect(await device.request('sync', {})).toMatchObject({ ok: true });

  await redis.start();
  await until(async () => (await fetch(`${server!.url}/readyz`)).status === 200, 'ready again', 15_000);
  await server.close();
  server = null;
});
