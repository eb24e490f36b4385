// A node's link to Redis (server/cluster/redis.ts) when Redis goes away as the node starts: the
// adapter's stream reader connects once Redis is back and reads the stream, and a link closed while
// Redis is away closes quietly (both had ended the process with an unhandled rejection: the adapter
// awaits its copies' connect(), which rejects when the link drops before it is up).
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { startRedis, type OwnRedis } from '../../bench/support/cluster.js';
import { connectRedis, type ClusterRedis } from '../../server/cluster/redis.js';
import { cleanup, tempDir } from '../support/harness.js';

let redis: OwnRedis | null = null;
const links: ClusterRedis[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.close();
  await redis?.stop();
  redis = null;
  await cleanup();
});

async function link() {
  const made = await connectRedis({ url: redis!.url, prefix: 'link:' }, pino({ level: 'silent' }));
  links.push(made);
  return made;
}

/** The connections of Parley's links, as Redis lists them. */
const connections = async (via: ClusterRedis) =>
  ((await via.client.client('LIST')) as string).split('\n').filter((line) => line.includes(' name=parley '));

it("starts its stream reader once Redis is back, when Redis went away as the node started", async () => {
  redis = await startRedis(join(tempDir('parley-redis-link-'), 'redis'));
  const node = await link();
  await redis.stop();
  await redis.start();
  await vi.waitUntil(() => node.client.status === 'ready', { timeout: 5000, interval: 20 });
  // The main client, the stream reader (blocked in XREAD) and the subscriber.
  await vi.waitUntil(async () => (await connections(node)).length === 3, { timeout: 5000, interval: 20 });
  await vi.waitUntil(async () => (await connections(node)).some((line) => line.includes(' cmd=xread ')), { timeout: 5000, interval: 20 });
  expect(node.up()).toBe(true);
});

it('closes quietly while Redis is away, before its reader was ever up', async () => {
  redis = await startRedis(join(tempDir('parley-redis-link-'), 'redis'));
  const node = await link();
  await redis.stop();
  links.splice(0);
  await node.close();
  // Redis back: nothing of the closed link reconnects.
  await redis.start();
  const probe = await link();
  await vi.waitUntil(async () => (await connections(probe)).length === 3, { timeout: 5000, interval: 20 });
  expect(await connections(probe)).toHaveLength(3);
});
