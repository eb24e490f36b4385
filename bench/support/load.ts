// The load of bench:latency, in pieces bench:soak reuses: users and groups seeded over the backend
// API, raw socket.io devices (one per user, all in this process) that send to their group and
// answer every message from someone else with a cumulative "delivered" receipt, coalesced per
// conversation the way the engine does (main/core/sync/receipts.ts), and the small helpers around
// them (seeded randomness, a bounded pool, waiting, percentiles).
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ServerProcess } from './server-process.js';

/** As the engine's delivered-receipt flush (main/core/sync/receipts.ts). */
export const DELIVERED_FLUSH_MS = 30;
export const ACK_TIMEOUT_MS = 20_000;
export const BODY = 'the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs';
const CONNECT_BATCH = 50;

export type CpuUsage = { user: number; system: number };
type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const address = (user: number) => `u${String(user).padStart(4, '0')}`;

/** mulberry32: the same random senders on every run. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function waitUntil(done: () => boolean, timeoutMs: number, what: string, detail: () => string) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail()})`);
    await sleep(5);
  }
}

/** Runs tasks with at most `limit` at once; resolves in order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(values: Float64Array): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

// ---------------------------------------------------------------------------------------------
// Seeding

export interface Population {
  users: number;
  groupSize: number;
}

/** `users` users (u0000, u0001, …) with an access token each, over the backend API; answers the tokens. */
export async function seedUsers(server: ServerProcess, users: number, options: { concurrency: number }): Promise<string[]> {
  const everyone = Array.from({ length: users }, (_, i) => i);
  await pool(everyone, options.concurrency, (i) => server.api('POST', '/users', { address: address(i), name: `User ${i}` }));
  return pool(everyone, options.concurrency, async (i) => {
    const { token } = await server.api<{ token: string }>('POST', `/users/${address(i)}/tokens`, {});
    return token;
  });
}

/**
 * `users` users with a token each, in groups of `groupSize` (users g·size … g·size+size−1), plus
 * `extraMembers(g)` in group g; answers the group ids and the tokens.
 */
export async function seedGroups(
  server: ServerProcess,
  { users, groupSize }: Population,
  options: { concurrency: number; extraMembers?: (group: number) => string[] },
): Promise<{ conversationIds: string[]; tokens: string[] }> {
  const started = performance.now();
  const tokens = await seedUsers(server, users, options);
  const groups = Array.from({ length: users / groupSize }, (_, g) => g);
  const conversationIds = await pool(groups, options.concurrency, async (g) => {
    const members = [...Array.from({ length: groupSize }, (_, k) => address(g * groupSize + k)), ...(options.extraMembers?.(g) ?? [])];
    const { group } = await server.api<{ group: { id: string } }>('POST', '/groups', { name: `Group ${g}`, members });
    return group.id;
  });
  console.log(`  parley: ${users} users, ${users} tokens, ${groups.length} groups created in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { conversationIds, tokens };
}

/**
 * `users` users with a token each, in pairs (users 2k and 2k+1), each pair in its direct
 * conversation; answers the conversation ids (one per pair) and the tokens. The backend API makes
 * groups and channels only, so each pair's first user opens the conversation over the real-time
 * API as the app does (`conversation:create`), from a short-lived device of its own.
 */
export async function seedDirect(
  server: ServerProcess,
  users: number,
  options: { concurrency: number },
): Promise<{ conversationIds: string[]; tokens: string[] }> {
  const started = performance.now();
  const tokens = await seedUsers(server, users, options);
  const pairs = Array.from({ length: users / 2 }, (_, k) => k);
  const conversationIds = await pool(pairs, options.concurrency, async (k) => {
    const socket = io(server.url, {
      auth: { token: tokens[2 * k]!, deviceId: 'bench-seed' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      const reply = (await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck('conversation:create', { participants: [address(2 * k + 1)], type: 'direct' })) as Reply;
      if (!reply.ok) throw new Error(`direct conversation ${address(2 * k)}–${address(2 * k + 1)} refused: ${reply.error.code}: ${reply.error.message}`);
      return (reply.data as { id: string }).id;
    } finally {
      socket.disconnect();
    }
  });
  console.log(
    `  parley: ${users} users, ${users} tokens, ${pairs.length} direct conversations created in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { conversationIds, tokens };
}

// ---------------------------------------------------------------------------------------------
// Devices

/** A server under test, as the devices see it. */
export interface Target {
  name: string;
  url: string;
  cpu(): Promise<CpuUsage>;
  /** Handshake auth of the device of user i. */
  auth(user: number): Record<string, unknown>;
  sendEvent: string;
  receipts: boolean;
}

export interface Device {
  user: number;
  address: string;
  conversationId: string;
  socket: Socket;
  /** Highest seq seen and not yet acknowledged with a delivered receipt; 0 when none. */
  pendingSeq: number;
  /** Whether the sender of pendingSeq's message is one of the fleet, who will see the receipt. */
  pendingFromFleet: boolean;
  sentSeq: number;
  /** Seq of this device's newest acknowledged message: the server counts everything up to it as delivered here. */
  ownSeq: number;
  timer: NodeJS.Timeout | null;
}

export interface Fleet {
  /**
   * Delivered receipts: sent and not yet seen at their message's sender (in flight), waiting for their
   * flush, sent, refused; receipts pushes received and the receipts in them.
   */
  receipts: { readonly inFlight: number; timers: number; sent: number; errors: number; pushes: number; entries: number };
  readonly unexpectedDisconnects: number;
  /** One device per user, in batches; user i in conversation conversationIds[group of i]. */
  connectAll(target: Target, conversationIds: readonly string[]): Promise<Device[]>;
  send(target: Target, device: Device, clientId: string): Promise<void>;
  receiptsSettled(): boolean;
  /** Disconnects them all; a disconnect later is a surprise again (counted, logged). */
  disconnectAll(devices: Device[]): void;
  /** Disconnects at once: for a finally after a failure. */
  close(devices: Device[]): void;
}

/** Devices of `population`; `onMessage` hears every message from someone else, by its clientId. */
export function createFleet(population: Population, onMessage: (clientId: string) => void): Fleet {
  // Receipts go without asking for an answer, as the engine sends them: one is done when its mark
  // reaches the sender of the message it names (that sender is always among those the server tells).
  // A receipt for someone else's message (bench:soak's engine) is sent and not followed, nor one that
  // the device's own newer message made moot (sending marks the sender delivered up to it).
  const unconfirmed = new Map<string, number>();
  const receiptKey = (address: string, conversationId: string) => `${address}\n${conversationId}`;
  const receipts = {
    get inFlight() {
      return unconfirmed.size;
    },
    timers: 0,
    sent: 0,
    errors: 0,
    pushes: 0,
    entries: 0,
  };
  let unexpectedDisconnects = 0;
  let closing = false;
  const groupOf = (user: number) => Math.floor(user / population.groupSize);

  /** "Delivered" up to the highest seq seen, once per conversation per DELIVERED_FLUSH_MS. */
  const fleetAddresses = new Set(Array.from({ length: population.users }, (_, user) => address(user)));

  function scheduleDelivered(device: Device, seq: number, sender: string) {
    if (seq <= device.pendingSeq || seq <= device.sentSeq) return;
    device.pendingSeq = seq;
    device.pendingFromFleet = fleetAddresses.has(sender);
    if (device.timer) return;
    receipts.timers++;
    device.timer = setTimeout(() => {
      device.timer = null;
      receipts.timers--;
      const upTo = device.pendingSeq;
      device.pendingSeq = 0;
      device.sentSeq = upTo;
      receipts.sent++;
      if (device.pendingFromFleet && upTo > device.ownSeq) unconfirmed.set(receiptKey(device.address, device.conversationId), upTo);
      device.socket.emit('receipt', { conversationId: device.conversationId, type: 'delivered', seq: upTo });
    }, DELIVERED_FLUSH_MS);
  }

  function connectDevice(target: Target, user: number, conversationId: string): Promise<Device> {
    return new Promise((resolvePromise, reject) => {
      const socket = io(target.url, {
        auth: target.auth(user),
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 20_000,
      });
      const device: Device = { user, address: address(user), conversationId, socket, pendingSeq: 0, pendingFromFleet: false, sentSeq: 0, ownSeq: 0, timer: null };
      socket.on('event', (event: { type: string; sender: string | null; clientId?: string; seq: number }) => {
        if (event.type !== 'message' || event.sender === device.address) return;
        onMessage(event.clientId!);
        if (target.receipts) scheduleDelivered(device, event.seq, event.sender!);
      });
      socket.on('receipts', ({ receipts: list }: { receipts: Array<{ conversationId: string; address: string; seq: number }> }) => {
        receipts.pushes++;
        receipts.entries += list.length;
        for (const receipt of list) {
          const key = receiptKey(receipt.address, receipt.conversationId);
          if ((unconfirmed.get(key) ?? Infinity) <= receipt.seq) unconfirmed.delete(key);
        }
      });
      socket.on('protocol:error', (error: { code: string; message: string }) => {
        receipts.errors++;
        console.error(`${target.name} device ${device.address}: protocol error ${error.code}: ${error.message}`);
      });
      socket.once('connect', () => {
        socket.on('disconnect', (reason) => {
          if (closing) return;
          unexpectedDisconnects++;
          console.error(`${target.name} device ${device.address} disconnected: ${reason}`);
        });
        resolvePromise(device);
      });
      socket.once('connect_error', (error) => {
        socket.close();
        reject(new Error(`${target.name} device ${device.address} could not connect: ${error.message}`));
      });
    });
  }

  function close(devices: Device[]) {
    closing = true;
    for (const device of devices) {
      if (device.timer) {
        clearTimeout(device.timer);
        device.timer = null;
        receipts.timers--;
      }
      device.socket.disconnect();
    }
  }

  return {
    receipts,
    get unexpectedDisconnects() {
      return unexpectedDisconnects;
    },
    async connectAll(target, conversationIds) {
      const devices: Device[] = [];
      const started = performance.now();
      for (let from = 0; from < population.users; from += CONNECT_BATCH) {
        const batch = Array.from({ length: Math.min(CONNECT_BATCH, population.users - from) }, (_, k) => from + k);
        devices.push(...(await Promise.all(batch.map((user) => connectDevice(target, user, conversationIds[groupOf(user)]!)))));
      }
      console.log(`  ${target.name}: ${devices.length} devices connected in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return devices;
    },
    send(target, device, clientId) {
      return new Promise((resolvePromise, reject) => {
        device.socket
          .timeout(ACK_TIMEOUT_MS)
          .emit(
            target.sendEvent,
            { conversationId: device.conversationId, clientId, body: `${clientId}: ${BODY}` },
            (error: Error | null, reply: Reply) => {
              if (error) return reject(new Error(`${target.name}: no answer to ${clientId} within ${ACK_TIMEOUT_MS} ms`));
              if (!reply.ok) return reject(new Error(`${target.name}: ${clientId} refused: ${reply.error.code}: ${reply.error.message}`));
              const { seq } = reply.data as { seq: number };
              device.ownSeq = Math.max(device.ownSeq, seq);
              const key = receiptKey(device.address, device.conversationId);
              if ((unconfirmed.get(key) ?? Infinity) <= seq) unconfirmed.delete(key);
              resolvePromise();
            },
          );
      });
    },
    receiptsSettled: () => receipts.inFlight === 0 && receipts.timers === 0,
    disconnectAll(devices) {
      // socket.io-client emits 'disconnect' from within disconnect(): none of these comes later as a surprise.
      close(devices);
      closing = false;
    },
    close,
  };
}
