// bench:latency's presence workload: 1,000 devices (1,000 users in 100 groups of 10) reconnect at
// once, each doing what the engine does on connect (the handshake, then `sync`), against a Parley
// server with presence and the same server without it (ServerOptions.presence false, for this
// baseline only). Figures: the server's CPU over each reconnect (process.cpuUsage() from before the
// first connect to a fixed time after the last device is done, so coalesced pushes that leave a
// second later are counted), the ratio, and the most presence updates any device received about
// one peer within one second (target ≤ 1). A round is done when every device has synced and, with
// presence, sees all nine peers online.
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { ACK_TIMEOUT_MS, address, pool, seedGroups, sleep, waitUntil } from './load.js';
import type { ServerProcess } from './server-process.js';

export const PRESENCE_USERS = 1000;
const GROUP = 10;
const ROUNDS = 3;
/** After the last device is done: the presence interval (1 s) and a margin, so trailing pushes are counted. */
const TAIL_MS = 1500;
const SETTLE_TIMEOUT_MS = 60_000;

export const PRESENCE_TARGET = { cpuRatio: 2, perPeerPerSecond: 1 };

type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };
type PresenceEntry = { address: string; state: string; lastSeen: number | null };

interface Device {
  user: number;
  socket: Socket | null;
  synced: boolean;
  online: Set<string>;
  /** Arrival times (ms) of updates about each peer, this round. */
  heard: Map<string, number[]>;
}

export interface PresenceSide {
  /** Server CPU per reconnect round, µs. */
  cpuMicros: number[];
  /** Seconds from the first connect to the last device done, per round. */
  settleSeconds: number[];
  pushes: number;
  entries: number;
  maxPerPeerPerSecond: number;
}

export interface PresenceResult {
  withPresence: PresenceSide;
  without: PresenceSide;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The most entries within any one-second window of these arrival times. */
function maxInSecond(times: number[]): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * Seeds the population once on each server, connects every device (a warm-up), then reconnects
 * them all at once ROUNDS times. `start(presence)` starts a server with or without presence.
 */
export async function runPresenceLoad(start: (presence: boolean) => Promise<ServerProcess>, stop: (server: ServerProcess) => Promise<void>): Promise<PresenceResult> {
  console.log(`\npresence: ${PRESENCE_USERS} devices (${PRESENCE_USERS / GROUP} groups of ${GROUP}) reconnecting at once, ${ROUNDS} rounds`);
  const withPresence = await side(await start(true), true, stop);
  const without = await side(await start(false), false, stop);
  return { withPresence, without };
}

async function side(server: ServerProcess, presence: boolean, stop: (server: ServerProcess) => Promise<void>): Promise<PresenceSide> {
  const { tokens } = await seedGroups(server, { users: PRESENCE_USERS, groupSize: GROUP }, { concurrency: 16 });
  const devices: Device[] = tokens.map((_, user) => ({ user, socket: null, synced: false, online: new Set(), heard: new Map() }));
  const peersOf = (user: number) => Array.from({ length: GROUP }, (_, k) => Math.floor(user / GROUP) * GROUP + k).filter((u) => u !== user).map(address);
  const result: PresenceSide = { cpuMicros: [], settleSeconds: [], pushes: 0, entries: 0, maxPerPeerPerSecond: 0 };

  const connect = (device: Device, measured: boolean) =>
    new Promise<void>((resolve, reject) => {
      const socket = io(server.url, { auth: { token: tokens[device.user]!, deviceId: `bench-${device.user}` }, transports: ['websocket'], reconnection: false, forceNew: true });
      device.socket = socket;
      socket.on('presence', ({ presence: list }: { presence: PresenceEntry[] }) => {
        const now = performance.now();
        if (measured) {
          result.pushes++;
          result.entries += list.length;
        }
        for (const entry of list) {
          if (entry.state === 'online') device.online.add(entry.address);
          else device.online.delete(entry.address);
          if (!measured) continue;
          const times = device.heard.get(entry.address);
          if (times) times.push(now);
          else device.heard.set(entry.address, [now]);
        }
      });
      socket.once('connect_error', reject);
      socket.once('connect', () => {
        socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck('sync', {})
          .then((reply: Reply) => {
            if (!reply.ok) throw new Error(`sync refused: ${reply.error.code}: ${reply.error.message}`);
            const answer = reply.data as { presence?: PresenceEntry[] };
            for (const entry of answer.presence ?? []) if (entry.state === 'online') device.online.add(entry.address);
            device.synced = true;
            resolve();
          })
          .catch(reject);
      });
    });

  const done = (device: Device) => device.synced && (!presence || peersOf(device.user).every((peer) => device.online.has(peer)));
  const disconnectAll = async () => {
    for (const device of devices) {
      device.socket?.disconnect();
      device.socket = null;
      device.synced = false;
      device.online.clear();
      device.heard.clear();
    }
    // Let the server take every disconnect (and send the offline presence nobody is left to hear).
    await sleep(TAIL_MS);
  };

  // Warm-up: connect in batches, as devices first come.
  await pool(devices, 50, (device) => connect(device, false));
  await waitUntil(() => devices.every(done), SETTLE_TIMEOUT_MS, 'warm-up', () => `${devices.filter(done).length} done`);
  for (let round = 0; round < ROUNDS; round++) {
    await disconnectAll();
    const before = await server.call<{ user: number; system: number }>('cpu');
    const started = performance.now();
    await Promise.all(devices.map((device) => connect(device, true)));
    await waitUntil(() => devices.every(done), SETTLE_TIMEOUT_MS, 'reconnect', () => `${devices.filter(done).length} done`);
    result.settleSeconds.push((performance.now() - started) / 1000);
    await sleep(TAIL_MS);
    const after = await server.call<{ user: number; system: number }>('cpu');
    result.cpuMicros.push(after.user - before.user + (after.system - before.system));
    for (const device of devices) for (const times of device.heard.values()) result.maxPerPeerPerSecond = Math.max(result.maxPerPeerPerSecond, maxInSecond(times));
  }
  for (const device of devices) device.socket?.disconnect();
  await stop(server);
  return result;
}

export function reportPresence(r: PresenceResult, row: (cells: string[], widths: number[]) => string): Array<[string, string, boolean]> {
  const widths = [44, 16, 16, 8];
  const cpu = (s: PresenceSide) => median(s.cpuMicros) / 1000;
  const ratio = cpu(r.withPresence) / cpu(r.without);
  console.log(`\npresence: ${PRESENCE_USERS} devices reconnecting at once (groups of ${GROUP}; median of ${ROUNDS} rounds)`);
  console.log(row(['', 'with presence', 'without', 'ratio'], widths));
  console.log(row(['server CPU per reconnect', `${cpu(r.withPresence).toFixed(0)} ms`, `${cpu(r.without).toFixed(0)} ms`, `${ratio.toFixed(2)}×`], widths));
  console.log(row(['server CPU per device', `${((cpu(r.withPresence) * 1000) / PRESENCE_USERS).toFixed(0)} µs`, `${((cpu(r.without) * 1000) / PRESENCE_USERS).toFixed(0)} µs`], widths));
  console.log(row(['connect → all done (s)', median(r.withPresence.settleSeconds).toFixed(2), median(r.without.settleSeconds).toFixed(2)], widths));
  const rounds = ROUNDS * PRESENCE_USERS;
  console.log(row(['presence pushes / entries per device per round', `${(r.withPresence.pushes / rounds).toFixed(1)} / ${(r.withPresence.entries / rounds).toFixed(1)}`, '—'], widths));
  console.log(row(['most updates about one peer in 1 s', String(r.withPresence.maxPerPeerPerSecond), '—'], widths));
  return [
    [`presence: reconnect CPU ≤ ${PRESENCE_TARGET.cpuRatio}× without presence`, `${ratio.toFixed(2)}×`, ratio <= PRESENCE_TARGET.cpuRatio],
    [`presence: ≤ ${PRESENCE_TARGET.perPeerPerSecond} update per peer per second at any device`, String(r.withPresence.maxPerPeerPerSecond), r.withPresence.maxPerPeerPerSecond <= PRESENCE_TARGET.perPeerPerSecond],
  ];
}
