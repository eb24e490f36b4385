// Per-user upload limits across nodes (server/files/redis-admissions.ts): two nodes' quotas over one
// database and a redis-server of the test's own. Admissions of one user on two nodes at once take the
// last room once, however long the database takes; a form received on one node counts on the other
// until it ends, or, its node dead, until its lease does; with Redis away nothing is admitted and
// nothing recorded.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { startRedis, type OwnRedis } from '../../bench/support/cluster.js';
import { ParleyError } from '../../protocol/index.js';
import { connectRedis, type ClusterRedis } from '../../server/cluster/redis.js';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from '../../server/files/limits.js';
import { createUploadQuota } from '../../server/files/quota.js';
import { createRedisAdmissions, type RedisAdmissions, type RedisAdmissionsOptions } from '../../server/files/redis-admissions.js';
import { openSqliteStorage } from '../../server/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../../server/storage/storage.js';
import { cleanup, tempDir } from '../support/harness.js';

const OWNER = 'ada';

let redis: OwnRedis | null = null;
let storage: Storage | null = null;
const links: ClusterRedis[] = [];
const admissions: RedisAdmissions[] = [];
afterEach(async () => {
  for (const a of admissions.splice(0)) a.close();
  for (const link of links.splice(0)) await link.close();
  await redis?.stop();
  redis = null;
  await storage?.close();
  storage = null;
  await cleanup();
});

async function setUp() {
  const dir = tempDir('parley-upload-admissions-');
  redis = await startRedis(join(dir, 'redis'));
  storage = openSqliteStorage(join(dir, 'data'));
  await storage.createUser({ address: OWNER, name: 'Ada' });
}

/** A node's quota: its own Redis link and admissions, the shared database. */
async function node(limits: Partial<UploadLimits>, options: RedisAdmissionsOptions = {}) {
  const link = await connectRedis({ url: redis!.url, prefix: 'adm:' }, pino({ level: 'silent' }));
  links.push(link);
  const shared = createRedisAdmissions(link, () => {}, options);
  admissions.push(shared);
  return { quota: createUploadQuota(storage!, { ...DEFAULT_UPLOAD_LIMITS, ...limits }, shared), admissions: shared };
}

let files = 0;
/** Records a tus upload in progress. */
const record = (size: number) => async () => {
  await storage!.createFile({ id: `f${++files}`, owner: OWNER, name: 'a.bin', size, mime: 'application/octet-stream', sha256: null, createdAt: Date.now(), complete: false });
};
/**
 * Until a lease has been renewed `times` times, seen as `remaining` going up between two readings
 * (a lease only counts down otherwise): a holder that outlived its lease by renewing it.
 */
async function renewed(times: number, remaining: () => Promise<number>): Promise<void> {
  let last = await remaining();
  let seen = 0;
  await vi.waitUntil(
    async () => {
      const now = await remaining();
      if (now > last) seen++;
      last = now;
      return seen >= times;
    },
    { timeout: 10_000, interval: 10 },
  );
}
const codeOf = (outcome: PromiseSettledResult<unknown>) => (outcome.status === 'rejected' ? (outcome.reason as ParleyError).code : 'admitted');

it("admits one user's uploads on two nodes at once no further than the limit", async () => {
  await setUp();
  const a = await node({ maxUploadsInFlight: 3 });
  const b = await node({ maxUploadsInFlight: 3 });
  const outcomes = await Promise.allSettled([a, b, a, b, a, b].map((n) => n.quota.admit(OWNER, 100, record(100))));
  expect(outcomes.map(codeOf).sort()).toEqual(['admitted', 'admitted', 'admitted', 'rate_limited', 'rate_limited', 'rate_limited']);
  expect((await storage!.fileUsage(OWNER)).uploads).toBe(3);
});

it('counts a form being received on one node against the limits on the other, until it ends', async () => {
  await setUp();
  const a = await node({ maxUploadsInFlight: 2, maxUploadBytesInFlight: 1000 });
  const b = await node({ maxUploadsInFlight: 2, maxUploadBytesInFlight: 1000 });
  const release = await a.quota.reserve(OWNER, 700);
  await expect(b.quota.reserve(OWNER, 400)).rejects.toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/hold 700 bytes/) });
  await expect(b.quota.admit(OWNER, 400, record(400))).rejects.toMatchObject({ code: 'rate_limited' });
  const small = await b.quota.reserve(OWNER, 300);
  // Two forms in progress, one on each node: the count is full too.
  await expect(a.quota.reserve(OWNER, 1)).rejects.toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/2 uploads in progress/) });
  release();
  small();
  // Removed by the nodes that held them, seen from the other.
  await vi.waitUntil(async () => (await a.admissions.receiving(OWNER)).uploads === 0, { timeout: 5000, interval: 20 });
  expect(await b.admissions.receiving(OWNER)).toEqual({ uploads: 0, bytes: 0 });
  await b.quota.admit(OWNER, 1000, record(1000));
});

it('keeps the admission lock while a slow database answers, past the lease', async () => {
  await setUp();
  const lease = { lockLeaseMs: 600 };
  const a = await node({ maxUploadsInFlight: 1 }, lease);
  const b = await node({ maxUploadsInFlight: 1 }, lease);
  // b asks once a holds the lock and is recording; a records once it has renewed the lock four times
  // (a lease and more), b waiting meanwhile.
  let recording!: () => void;
  const aRecording = new Promise<void>((resolve) => (recording = resolve));
  const slow = async () => {
    recording();
    await renewed(4, () => links[0]!.client.pttl('adm:uploads:admitting:ada'));
    await record(10)();
  };
  const outcomes = await Promise.allSettled([a.quota.admit(OWNER, 10, slow), aRecording.then(() => b.quota.admit(OWNER, 10, record(10)))]);
  expect(outcomes.map(codeOf)).toEqual(['admitted', 'rate_limited']);
});

it("keeps counting a live node's form past its lease, and a dead node's no longer than its lease", async () => {
  await setUp();
  const lease = { formLeaseMs: 300 };
  const a = await node({ maxUploadsInFlight: 1 }, lease);
  const b = await node({ maxUploadsInFlight: 1 }, lease);
  await a.quota.reserve(OWNER, 10);
  // Renewed four times: past its first lease, still counted.
  await renewed(4, async () => Number((await links[0]!.client.zrange('adm:uploads:forms:ada', 0, -1, 'WITHSCORES'))[1] ?? 0));
  await expect(b.quota.reserve(OWNER, 10)).rejects.toMatchObject({ code: 'rate_limited' });
  // Node a stops renewing, as a killed node does: its form goes once the lease ends.
  a.admissions.close();
  const stopped = Date.now();
  await vi.waitUntil(async () => (await b.admissions.receiving(OWNER)).uploads === 0, { timeout: 5000, interval: 20 });
  expect(Date.now() - stopped).toBeLessThan(2000);
  await b.quota.reserve(OWNER, 10);
});

it('admits nothing and records nothing while Redis is away, and admits again once it is back', async () => {
  await setUp();
  const a = await node({});
  await redis!.stop();
  const recorded = vi.fn(record(10));
  await expect(a.quota.admit(OWNER, 10, recorded)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/Redis is unreachable/) });
  await expect(a.quota.reserve(OWNER, 10)).rejects.toMatchObject({ code: 'unavailable' });
  expect(recorded).not.toHaveBeenCalled();
  await redis!.start();
  await vi.waitUntil(() => links[0]!.client.status === 'ready', { timeout: 5000, interval: 20 });
  await a.quota.admit(OWNER, 10, recorded);
  expect(recorded).toHaveBeenCalledTimes(1);
});
