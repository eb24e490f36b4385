// Upload admissions across nodes (issue 17): one user's check-and-record runs on one node at a time,
// whichever nodes their uploads reach, and the upload-URL forms being received on every node count
// against their limits. The lock is a key with a lease its holder renews while it admits
// (server/cluster/lease.ts), so a node that dies holding it holds it no longer than that. A form in
// progress is a member of its user's sorted set, scored by the end of its lease, which its node
// renews while the form arrives (and writes again, should Redis have lost it): a killed node's forms
// stop counting within a lease. Redis's clock sets and reads the leases, so the nodes' clocks need
// not agree. While Redis is away no upload is admitted (503, which clients retry), as no tus upload
// can be locked then either.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError, type Address } from '../../protocol/index.js';
import { RELEASE_LEASE, RENEW_LEASE } from '../cluster/lease.js';
import type { ClusterRedis } from '../cluster/redis.js';
import { localAdmissions, type Admissions, type Held } from './quota.js';

export interface RedisAdmissionsOptions {
  /** How long a form counts without its node renewing it (default 30 s). */
  formLeaseMs?: number;
  /** How long the user's lock outlives a node that died admitting (default 5 s; renewed while it admits). */
  lockLeaseMs?: number;
}

const LOCK_RETRY_MS = 20;
/**
 * How long an admission waits, from its request, for the same user's admissions (this node's queue,
 * then the other nodes' lock) before refusing: one wait, not one per admission queued before it.
 */
const LOCK_WAIT_MS = 10_000;

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
/** Sets the forms ARGV[2..] to end their lease ARGV[1] ms from now. */
const LEASE = `${NOW}
  for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1`;
/** The forms whose lease has not ended, dropping the others. */
const LIVE = `${NOW}
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  return redis.call('ZRANGE', KEYS[1], 0, -1)`;

const AWAY = "upload limits cannot be checked while the cluster's Redis is unreachable; retry shortly";

export type RedisAdmissions = Admissions & { close(): void };

export function createRedisAdmissions(redis: ClusterRedis, log: (message: string, error: unknown) => void, options: RedisAdmissionsOptions = {}): RedisAdmissions {
  const { client, prefix } = redis;
  const formLeaseMs = options.formLeaseMs ?? 30_000;
  const lockLeaseMs = options.lockLeaseMs ?? 5_000;
  const lockKey = (owner: Address) => `${prefix}uploads:admitting:${owner}`;
  const formsKey = (owner: Address) => `${prefix}uploads:forms:${owner}`;
  /** A command that needs Redis: while it is away, a retryable refusal (its reason goes to the log). */
  const needed = <T>(command: Promise<T>) =>
    command.catch((error: unknown) => {
      log('upload limits could not be checked: redis is unreachable', error);
      return Promise.reject(new ParleyError('unavailable', AWAY));
    });
  // This node's own admissions of a user queue here first: only one of them asks Redis at a time.
  const local = localAdmissions();
  /** This node's forms in progress: owner → members (`<id>:<bytes>`), renewed together. */
  const mine = new Map<Address, Set<string>>();

  const renewal = setInterval(() => {
    const renewed = [...mine].map(([owner, members]) => client.eval(LEASE, 1, formsKey(owner), formLeaseMs, ...members));
    Promise.all(renewed).catch((error: unknown) => log('could not renew the leases of forms being received', error));
  }, formLeaseMs / 3);
  renewal.unref();

  async function locked<T>(owner: Address, run: () => Promise<T>, deadline: number): Promise<T> {
    const key = lockKey(owner);
    const token = randomUUID();
    while ((await needed(client.set(key, token, 'PX', lockLeaseMs, 'NX'))) !== 'OK') {
      if (Date.now() >= deadline) throw new ParleyError('rate_limited', 'your other uploads are still being admitted; retry shortly');
      await sleep(LOCK_RETRY_MS);
    }
    // Held while the database answers, however slowly: another node admits only after this one.
    const renew = setInterval(() => {
      client.eval(RENEW_LEASE, 1, key, token, lockLeaseMs).then(
        // The lease ran out (this node stalled, Redis restarted): another node may admit meanwhile.
        (renewed) => renewed === 0 && log('an upload admission outlived its lock', new Error(`lock ${key} lost`)),
        (error: unknown) => log('could not renew an upload admission lock', error),
      );
    }, lockLeaseMs / 3);
    try {
      return await run();
    } finally {
      clearInterval(renew);
      // Not released (Redis gone meanwhile): the lease ends it.
      await client.eval(RELEASE_LEASE, 1, key, token).catch((error: unknown) => log('could not release an upload admission lock', error));
    }
  }

  return {
    exclusive(owner, run) {
      const deadline = Date.now() + LOCK_WAIT_MS;
      return local.exclusive(owner, () => locked(owner, run, deadline));
    },
    async receiving(owner) {
      const members = (await needed(client.eval(LIVE, 1, formsKey(owner)))) as string[];
      const held: Held = { uploads: 0, bytes: 0 };
      for (const member of members) {
        held.uploads++;
        held.bytes += Number(member.slice(member.lastIndexOf(':') + 1)) || 0;
      }
      return held;
    },
    async hold(owner, bytes) {
      const member = `${randomUUID()}:${bytes}`;
      await needed(client.eval(LEASE, 1, formsKey(owner), formLeaseMs, member));
      let members = mine.get(owner);
      if (!members) mine.set(owner, (members = new Set()));
      members.add(member);
      return () => {
        const held = mine.get(owner);
        if (!held?.delete(member)) return;
        if (held.size === 0) mine.delete(owner);
        // Not removed (Redis gone meanwhile): its lease, no longer renewed, ends it.
        client.zrem(formsKey(owner), member).catch((error: unknown) => log('could not remove a form that was received', error));
      };
    },
    close() {
      clearInterval(renewal);
    },
  };
}
