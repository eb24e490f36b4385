// The presence registry shared by every node (issue 17): a Redis hash per user, device → "<node>|<1 if
// active, else 0>". Each node is the authority for its own devices: it keeps them in memory, and every
// change writes that user's devices of this node whole (one Lua script: drop the node's fields, set
// the current ones, answer the state before and after), so a lost write is repaired by the next one
// and, when Redis comes back after an outage, by writing every user of this node again.
//
// A node that dies without saying so (kill -9) leaves its devices behind: every node renews a
// liveness key every few seconds, and the first to find another's expired takes a short lock and
// clears that node's devices, which tells those users' circles they went offline. Each step of the
// clearing is one script that does nothing once the node's key is back: a node taken for dead while
// it was only cut off (its key lapsed in a Redis restart) writes again, and what it writes stands.
import type { Address, PresenceState } from '../../protocol/index.js';
import type { ClusterRedis } from '../cluster/redis.js';
import type { PresenceRegistry, Transition } from './registry.js';

/**
 * KEYS: the user's hash, the node's set of users, the set of nodes, the node's liveness key. ARGV:
 * node id, address, liveness in ms, then device key, active (1/0) pairs. A node that writes devices
 * is alive and among the nodes whatever became of its heartbeats: the others clear its devices once
 * it has stopped writing and saying it is alive.
 */
const STATE = `
local function state(values)
  if #values == 0 then return 'offline' end
  for _, v in ipairs(values) do if string.sub(v, -1) == '1' then return 'online' end end
  return 'away'
end
`;
const REPLACE = `${STATE}
local all = redis.call('HGETALL', KEYS[1])
local values = {}
local mine = ARGV[1] .. '|'
for i = 2, #all, 2 do
  values[#values + 1] = all[i]
  if string.sub(all[i], 1, #mine) == mine then redis.call('HDEL', KEYS[1], all[i - 1]) end
end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], mine .. ARGV[i + 1]) end
if #ARGV > 3 then
  redis.call('SADD', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[1])
end
return {state(values), state(redis.call('HVALS', KEYS[1]))}
`;

/**
 * One step of clearing a node taken for dead, unless its liveness key exists (it wrote since, or
 * renewed it). KEYS: the node's liveness key, its set of users, the set of nodes, its "cleared" mark,
 * then the step's users' hashes. ARGV: node id, the mark's life in ms, then those users' addresses.
 * Answers 0 when the node is alive, else address, state before, state after of each user; the node
 * leaves the set of nodes with its last user. The mark tells a node that comes back that it was
 * cleared (in part, if it came back midway): it writes its devices again.
 */
const REAP = `${STATE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[4], '1', 'PX', ARGV[2])
local mine = ARGV[1] .. '|'
local out = {}
for k = 5, #KEYS do
  local all = redis.call('HGETALL', KEYS[k])
  local before, after = {}, {}
  for i = 2, #all, 2 do
    before[#before + 1] = all[i]
    if string.sub(all[i], 1, #mine) == mine then redis.call('HDEL', KEYS[k], all[i - 1]) else after[#after + 1] = all[i] end
  end
  redis.call('SREM', KEYS[2], ARGV[k - 2])
  out[#out + 1] = ARGV[k - 2]
  out[#out + 1] = state(before)
  out[#out + 1] = state(after)
end
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
return out
`;
/** A "cleared" mark outlives any pause of a node that still runs; a node gone for good leaves none for long. */
const CLEARED_MARK_MS = 24 * 3600 * 1000;
/** Users a step of REAP clears: Redis runs nothing else meanwhile. */
const REAP_STEP = 200;

export interface RedisRegistryOptions {
  redis: ClusterRedis;
  nodeId: string;
  /** How often this node says it is alive, in ms (default 5 s); it counts as dead after 3 of them. */
  heartbeatMs?: number;
  log(message: string, error: unknown): void;
}

export type RedisRegistry = Required<PresenceRegistry> & {
  /** Starts the heartbeat; refuses a node id another live node uses. */
  start(): Promise<void>;
};

function stateOf(values: readonly string[]): PresenceState {
  if (values.length === 0) return 'offline';
  return values.some((v) => v.endsWith('|1')) ? 'online' : 'away';
}

export function createRedisRegistry(o: RedisRegistryOptions): RedisRegistry {
  const { client, prefix } = o.redis;
  const heartbeatMs = o.heartbeatMs ?? 5000;
  const userKey = (address: Address) => `${prefix}presence:user:${address}`;
  const nodeUsersKey = (node: string) => `${prefix}presence:node:${node}`;
  const aliveKey = (node: string) => `${prefix}node:${node}`;
  const clearedKey = (node: string) => `${prefix}cleared:${node}`;
  const nodesKey = `${prefix}nodes`;
  /** This node's devices: address → device key → active. */
  const local = new Map<Address, Map<string, boolean>>();
  const listeners: Array<(address: Address, transition: Transition) => void> = [];
  let timer: NodeJS.Timeout | null = null;

  const replace = async (node: string, address: Address, devices: ReadonlyMap<string, boolean>): Promise<Transition> => {
    const pairs: string[] = [];
    for (const [key, active] of devices) pairs.push(key, active ? '1' : '0');
    const [before, after] = (await client.eval(REPLACE, 4, userKey(address), nodeUsersKey(node), nodesKey, aliveKey(node), node, address, heartbeatMs * 3, ...pairs)) as [
      PresenceState,
      PresenceState,
    ];
    return { before, after };
  };

  const write = (address: Address) => replace(o.nodeId, address, local.get(address) ?? new Map());

  const change = (address: Address, update: (devices: Map<string, boolean>) => void): Promise<Transition> => {
    let devices = local.get(address);
    if (!devices) local.set(address, (devices = new Map()));
    update(devices);
    if (devices.size === 0) local.delete(address);
    return write(address);
  };

  const tell = (address: Address, transition: Transition) => {
    for (const listener of listeners) listener(address, transition);
  };

  /** Writes as none this node's devices that a previous run, or a time cut off, left behind. */
  async function clearLeftovers(): Promise<void> {
    for (const address of await client.smembers(nodeUsersKey(o.nodeId))) {
      if (!local.has(address)) tell(address, await replace(o.nodeId, address, new Map()));
    }
  }

  /** Clears a node taken for dead, step by step, until it is cleared or found alive. */
  async function reap(node: string): Promise<void> {
    for (;;) {
      const users = await client.srandmember(nodeUsersKey(node), REAP_STEP);
      const keys = [aliveKey(node), nodeUsersKey(node), nodesKey, clearedKey(node), ...users.map(userKey)];
      const reply = (await client.eval(REAP, keys.length, ...keys, node, CLEARED_MARK_MS, ...users)) as 0 | string[];
      if (reply === 0) return;
      for (let i = 0; i < reply.length; i += 3) tell(reply[i]!, { before: reply[i + 1] as PresenceState, after: reply[i + 2] as PresenceState });
      if (users.length === 0) return;
    }
  }

  /** Every user of this node written again, whole, and what is left of its earlier devices cleared. */
  async function rewrite(): Promise<void> {
    for (const address of [...local.keys()]) tell(address, await write(address));
    await clearLeftovers();
  }

  async function heartbeat(): Promise<void> {
    await client.set(aliveKey(o.nodeId), '1', 'PX', heartbeatMs * 3);
    await client.sadd(nodesKey, o.nodeId);
    // Taken for dead meanwhile (a pause longer than three heartbeats): the others cleared this node's
    // devices. The mark goes once they are written again (a rewrite cut short is tried at the next beat);
    // no clearing marks it meanwhile, as this node's liveness key is set.
    if ((await client.exists(clearedKey(o.nodeId))) === 1) {
      await rewrite();
      await client.del(clearedKey(o.nodeId));
    }
    for (const node of await client.smembers(nodesKey)) {
      if (node === o.nodeId || (await client.exists(aliveKey(node)))) continue;
      // One node clears a dead one; the lock outlives the clearing of a big node's users.
      if ((await client.set(`${prefix}reap:${node}`, o.nodeId, 'PX', 60_000, 'NX')) !== 'OK') continue;
      try {
        await reap(node);
      } finally {
        // Let go at once, done or cut short: a node taken for dead while it was only cut off (its key
        // lapsed in a Redis restart) comes back, and its real death must not wait out the lock's minute.
        await client.del(`${prefix}reap:${node}`).catch(() => {});
      }
    }
  }

  // Back after an outage: what changed meanwhile was not written; this node's devices are written whole.
  o.redis.onReconnect(() => {
    rewrite().catch((error: unknown) => o.log('could not re-register presence after the Redis outage', error));
  });

  return {
    async start() {
      // The id's liveness key left by a run killed just now runs out within 3 heartbeats; one that a
      // running node keeps renewing means two nodes were given one id.
      let left = await client.pttl(aliveKey(o.nodeId));
      while (left > 0) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, 500)));
        const now = await client.pttl(aliveKey(o.nodeId));
        if (now > left) throw new Error(`node id ${o.nodeId} is in use by a running node; give each node its own --node-id`);
        left = now;
      }
      // A node restarted with the same id clears what its previous run left.
      await clearLeftovers();
      await heartbeat();
      timer = setInterval(() => {
        heartbeat().catch((error: unknown) => o.log('presence heartbeat failed', error));
      }, heartbeatMs);
      timer.unref();
    },
    connect: (address, deviceKey, active) => change(address, (devices) => devices.set(deviceKey, active)),
    // A device that already left stays gone: its late activity signal adds nothing.
    setActive: (address, deviceKey, active) => change(address, (devices) => devices.has(deviceKey) && devices.set(deviceKey, active)),
    disconnect: (address, deviceKey) => change(address, (devices) => devices.delete(deviceKey)),
    async states(addresses) {
      const pipeline = client.pipeline();
      for (const address of addresses) pipeline.hvals(userKey(address));
      const results = (await pipeline.exec()) ?? [];
      return new Map(
        addresses.map((address, i) => {
          const [error, values] = results[i] ?? [new Error('no answer'), null];
          if (error) throw error;
          return [address, stateOf(values as string[])];
        }),
      );
    },
    watch(listener) {
      listeners.push(listener);
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      // This node's devices have all left by now (their disconnects were written); it is no longer alive.
      // With Redis away the others clear this node once its liveness key runs out, as after a kill.
      try {
        await client.del(aliveKey(o.nodeId));
        await client.srem(nodesKey, o.nodeId);
        await client.del(nodeUsersKey(o.nodeId));
      } catch (error) {
        o.log('could not take this node out of the shared presence; the other nodes will', error);
      }
    },
  };
}
