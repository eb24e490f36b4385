// A node's link to Redis (server/cluster/redis.ts). When Redis goes away as the node starts, the
// adapter's stream reader connects once Redis is back and reads the stream, and a link closed while
// Redis is away closes quietly (both had ended the process with an unhandled rejection: the adapter
// awaits its copies' connect(), which rejects when the link drops before it is up). The reader reads
// from a position, never from '$', so nothing published between two of its reads is lost. A link
// that drops without an error and comes straight back is a recovery like any other.
import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { startRedis, type OwnRedis } from '../../bench/support/cluster.js';
import { connectRedis, type ClusterRedis } from '../../server/cluster/redis.js';
import { cleanup, onCleanup, tempDir } from '../support/harness.js';

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

it('is down from the moment its connection closes, and tells its listeners when it is back, though no error came between', async () => {
  redis = await startRedis(join(tempDir('parley-redis-link-'), 'redis'));
  const node = await link();
  let recoveries = 0;
  node.onReconnect(() => recoveries++);
  // A cut with no error: Redis shut down and back before the first retry, or a proxy's.
  const closed = once(node.client, 'close');
  node.client.disconnect(true);
  await closed;
  expect(node.up()).toBe(false);
  await vi.waitUntil(() => recoveries === 1, { timeout: 5000, interval: 20 });
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

it("reads from the stream's last entry, never from '$': an entry published between two reads is not lost", async () => {
  redis = await startRedis(join(tempDir('parley-redis-link-'), 'redis'));
  const monitor = await new Redis(redis.url).monitor();
  onCleanup(() => void monitor.disconnect());
  const reads: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => args[0]?.toLowerCase() === 'xread' && reads.push(args));
  const before = new Redis(redis.url);
  onCleanup(() => void before.disconnect());
  const first = await before.xadd('link:socket.io', '*', 'seed', '1');
  await link();
  // Two reads: the first, and the next after the first one's block of a second ran out.
  await vi.waitUntil(() => reads.length >= 2, { timeout: 5000, interval: 20 });
  expect(reads.map((args) => args.at(-1))).toEqual(reads.map(() => first));
});
