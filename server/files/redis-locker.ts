// tus's upload lock across nodes (issue 17): two nodes never write one upload. A lock is a Redis key
// set only if absent, with a short lease its holder renews; a request that finds it taken asks the
// holder, wherever it runs, to let go (a release channel every node listens to: tus then ends the
// holder's request, as with its in-memory locker), and retries until it gets the lock or gives up.
// A node killed mid-upload holds the lock until its lease runs out (LEASE_MS): then another takes it.
// While Redis is away no lock can be had: the upload waits and the client retries, nothing is written twice.
import { randomUUID } from 'node:crypto';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import { RELEASE_LEASE, RENEW_LEASE } from '../cluster/lease.js';
import type { ClusterRedis } from '../cluster/redis.js';

const LEASE_MS = 10_000;
const RETRY_MS = 100;
/** How long a request waits for a lock before tus answers 500 (the client retries). */
const ACQUIRE_TIMEOUT_MS = 20_000;

export type RedisLocker = Locker & { close(): Promise<void> };

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

export async function createRedisLocker(redis: ClusterRedis, log: (message: string, error: unknown) => void): Promise<RedisLocker> {
  const { client, prefix } = redis;
  const channel = `${prefix}tus:release`;
  const keyOf = (id: string) => `${prefix}tus:lock:${id}`;
  /** Locks held by requests on this node: upload id → how to ask each holder to let go. */
  const held = new Map<string, Set<RequestRelease>>();
  const subscriber = client.duplicate();
  try {
    await subscriber.connect();
    await subscriber.subscribe(channel);
  } catch (error) {
    // Redis away: tus retries with a new locker later; this copy would retry for ever meanwhile.
    subscriber.disconnect();
    throw error;
  }
  subscriber.on('message', (_channel: string, id: string) => {
    for (const release of held.get(id) ?? []) {
      Promise.resolve(release()).catch((error: unknown) => log('could not release an upload lock', error));
    }
  });

  class RedisLock implements Lock {
    private readonly token = randomUUID();
    private renewal: NodeJS.Timeout | null = null;
    private release: RequestRelease | null = null;

    constructor(private readonly id: string) {}

    async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
      const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
      let asked = 0;
      while (!signal.aborted && Date.now() < deadline) {
        const taken = await client.set(keyOf(this.id), this.token, 'PX', LEASE_MS, 'NX').catch(() => null);
        if (taken === 'OK') return this.hold(requestRelease);
        // Asked again every second: a holder that was mid-answer may only now be listening.
        if (Date.now() - asked >= 1000) {
          asked = Date.now();
          await client.publish(channel, this.id).catch(() => 0);
        }
        await wait(RETRY_MS, signal);
      }
      throw ERRORS.ERR_LOCK_TIMEOUT;
    }

    private hold(requestRelease: RequestRelease): void {
      this.release = requestRelease;
      let holders = held.get(this.id);
      if (!holders) held.set(this.id, (holders = new Set()));
      holders.add(requestRelease);
      this.renewal = setInterval(() => {
        client.eval(RENEW_LEASE, 1, keyOf(this.id), this.token, LEASE_MS).then(
          // The lease ran out (Redis restarted, or this node stalled): another may write now, so this stops.
          (renewed) => renewed === 0 && this.letGo(),
          () => {},
        );
      }, LEASE_MS / 3);
      this.renewal.unref();
    }

    private letGo(): void {
      Promise.resolve(this.release?.()).catch((error: unknown) => log('could not stop an upload that lost its lock', error));
    }

    async unlock(): Promise<void> {
      if (this.renewal) clearInterval(this.renewal);
      this.renewal = null;
      const holders = held.get(this.id);
      if (this.release) holders?.delete(this.release);
      if (holders?.size === 0) held.delete(this.id);
      // Not ours any more, or Redis away: the lease runs out on its own.
      await client.eval(RELEASE_LEASE, 1, keyOf(this.id), this.token).catch(() => 0);
    }
  }

  return {
    newLock: (id) => new RedisLock(id),
    async close() {
      subscriber.disconnect();
    },
  };
}
