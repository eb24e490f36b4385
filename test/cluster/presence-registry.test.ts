// The presence registry shared through Redis (server/presence/redis-registry.ts), two nodes on a
// redis-server of the test's own: a node that stops saying it is alive is cleared by another; one
// that wrote since is left alone; one that comes back after being cleared writes its devices again.
// (What the steps guard against, a node writing in the middle of a clearing, is not staged here: each
// step is one script, which checks the node's liveness key before it touches anything.)
// A node that is never started sends no heartbeat: its liveness key runs out 3 heartbeats after its
// last write, as a killed node's does.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { startRedis, type OwnRedis } from '../../bench/support/cluster.js';
import { connectRedis, type ClusterRedis } from '../../server/cluster/redis.js';
import { createRedisRegistry, type RedisRegistry } from '../../server/presence/redis-registry.js';
import type { Transition } from '../../server/presence/registry.js';
import { cleanup, tempDir } from '../support/harness.js';

const HEARTBEAT_MS = 100;
const PREFIX = 'reg:';

let redis: OwnRedis | null = null;
const links: ClusterRedis[] = [];
const registries: RedisRegistry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) await registry.close();
  for (const link of links.splice(0)) await link.close();
  await redis?.stop();
  redis = null;
  await cleanup();
});

async function node(nodeId: string) {
  const link = await connectRedis({ url: redis!.url, prefix: PREFIX }, pino({ level: 'silent' }));
  links.push(link);
  const told: Array<[string, Transition]> = [];
  const registry = createRedisRegistry({ redis: link, nodeId, heartbeatMs: HEARTBEAT_MS, log: () => {} });
  registry.watch((address, transition) => told.push([address, transition]));
  registries.push(registry);
  return { registry, told, link };
}

async function setUp() {
  redis = await startRedis(join(tempDir('parley-presence-registry-'), 'redis'));
  const a = await node('a');
  const b = await node('b');
  /** Resolves once b's liveness key has run out. */
  const bLapsed = () => vi.waitUntil(async () => (await a.link.client.pttl(`${PREFIX}node:b`)) < 0, { timeout: 5000, interval: 20 });
  return { a, b, bLapsed, states: (...users: string[]) => a.registry.states(users) };
}

it('clears the devices of a node that stopped saying it is alive, and tells their circles', async () => {
  const { a, b, states } = await setUp();
  await b.registry.connect('bob', 'phone', true);
  await b.registry.connect('cat', 'laptop', false);
  expect(await states('bob', 'cat')).toEqual(new Map([['bob', 'online'], ['cat', 'away']]));
  await a.registry.start();
  await vi.waitUntil(() => a.told.length === 2, { timeout: 5000, interval: 20 });
  expect(new Map(a.told)).toEqual(
    new Map([
      ['bob', { before: 'online', after: 'offline' }],
      ['cat', { before: 'away', after: 'offline' }],
    ]),
  );
  expect(await states('bob', 'cat')).toEqual(new Map([['bob', 'offline'], ['cat', 'offline']]));
  expect(await a.link.client.smembers(`${PREFIX}nodes`)).toEqual(['a']);
});

it('clears a node of more users than one step takes (200), every one of them', async () => {
  const { a, b, states } = await setUp();
  const users = Array.from({ length: 450 }, (_v, i) => `u${i}`);
  for (const user of users) await b.registry.connect(user, 'phone', true);
  await a.registry.start();
  await vi.waitUntil(() => a.told.length === users.length, { timeout: 10_000, interval: 20 });
  expect(new Set(a.told.map(([user]) => user))).toEqual(new Set(users));
  expect([...(await states(...users)).values()].every((state) => state === 'offline')).toBe(true);
  expect(await a.link.client.smembers(`${PREFIX}nodes`)).toEqual(['a']);
});

it('leaves alone a node whose key ran out but that wrote since', async () => {
  const { a, b, bLapsed, states } = await setUp();
  await b.registry.connect('bob', 'phone', true);
  await bLapsed();
  await b.registry.connect('dan', 'phone', true);
  // start() runs a first heartbeat, which looks at every node, before it resolves.
  await a.registry.start();
  expect(await states('bob', 'dan')).toEqual(new Map([['bob', 'online'], ['dan', 'online']]));
  expect(await a.link.client.exists(`${PREFIX}cleared:b`)).toBe(0);
  expect(a.told).toEqual([]);
});

it('writes its devices again when it comes back after being cleared (a pause, not a death)', async () => {
  const { a, b, states } = await setUp();
  await b.registry.connect('bob', 'phone', true);
  await b.registry.connect('cat', 'phone', true);
  await a.registry.start();
  await vi.waitUntil(() => a.told.length === 2, { timeout: 5000, interval: 20 });
  expect(await states('bob', 'cat')).toEqual(new Map([['bob', 'offline'], ['cat', 'offline']]));
  // b was only paused: its first heartbeat finds the mark the clearing left, and b writes its devices whole.
  await b.registry.start();
  expect(await states('bob', 'cat')).toEqual(new Map([['bob', 'online'], ['cat', 'online']]));
  expect(new Map(b.told)).toEqual(
    new Map([
      ['bob', { before: 'offline', after: 'online' }],
      ['cat', { before: 'offline', after: 'online' }],
    ]),
  );
  expect((await a.link.client.smembers(`${PREFIX}nodes`)).sort()).toEqual(['a', 'b']);
});
