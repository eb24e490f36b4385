// bench:latency: delivery latency and server CPU per delivered message, with 1,000 devices in
// 100 groups of 10, against a Parley server in a child process and, in the same run, against a
// plain socket.io relay (bench/support/relay-baseline-child.ts) as the yardstick.
//
//   light load  one message every 5 ms from a random device to its group; latency is the time
//               from the send to its arrival at each of the 9 other members (one clock: every
//               device lives in this process).
//   load        messages as fast as a bounded window of in-flight sends allows; the server's
//               process.cpuUsage() before and after, divided by the deliveries.
//
// Each Parley device answers every message from someone else with a cumulative "delivered"
// receipt, coalesced per conversation the way the engine does (main/core/sync/receipts.ts), so the
// server does storage, fan-out and receipts as in real use. The devices, the seeding and the helpers
// are bench/support/load.ts (bench:soak runs the same load for minutes).
//
// A benchmark, not a test: it prints its figures and exits 0; non-zero only on a real error
// (a refused send, a lost delivery, a timeout). Everything stays on 127.0.0.1.
//
// BENCH_CPU_PROF=<dir> also writes V8 CPU profiles of both server processes into
// <dir>/server-child and <dir>/relay-baseline-child, and the load windows (monotonic µs, the profiles' clock) into <dir>/windows.json.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  address,
  createFleet,
  percentiles,
  prng,
  seedGroups,
  sleep,
  waitUntil,
  type CpuUsage,
  type Device,
  type Percentiles,
  type Target,
} from './support/load.js';
import { forkServer, startServerProcess, type ChildServer, type ServerProcess } from './support/server-process.js';

const USERS = 1000;
const GROUP_SIZE = 10;
const GROUPS = USERS / GROUP_SIZE;
const RECEIVERS = GROUP_SIZE - 1;
const SETUP_CONCURRENCY = 16;
const LIGHT_MESSAGES = 1000;
const LIGHT_INTERVAL_MS = 5;
const LOAD_MESSAGES = 20_000;
const LOAD_WINDOW = 200;
const SETTLE_TIMEOUT_MS = 60_000;
const TARGET_P99_MS = 15;
const TARGET_US_PER_DELIVERY = 40;

const profileDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;

/** What one phase records; deliveries are matched to sends by clientId. */
interface Phase {
  sendTimes: Map<string, number>;
  latencies: Float64Array;
  deliveries: number;
  unknown: number;
  lastDeliveryAt: number;
}

let phase: Phase | null = null;
const groupOf = (user: number) => Math.floor(user / GROUP_SIZE);

function startPhase(expectedDeliveries: number): Phase {
  phase = {
    sendTimes: new Map(),
    latencies: new Float64Array(expectedDeliveries),
    deliveries: 0,
    unknown: 0,
    lastDeliveryAt: 0,
  };
  return phase;
}

function recordDelivery(clientId: string) {
  const now = performance.now();
  const p = phase;
  if (!p) return;
  const sent = p.sendTimes.get(clientId);
  if (sent === undefined || p.deliveries >= p.latencies.length) {
    p.unknown++;
    return;
  }
  p.latencies[p.deliveries++] = now - sent;
  p.lastDeliveryAt = now;
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

// Every device of both targets, one at a time; each message from someone else is a delivery.
const fleet = createFleet({ users: USERS, groupSize: GROUP_SIZE }, recordDelivery);
const receiptState = fleet.receipts;
const connectAll = fleet.connectAll;
const send = fleet.send;
const receiptsSettled = fleet.receiptsSettled;
const disconnectAll = fleet.disconnectAll;

// ---------------------------------------------------------------------------------------------
// Phases

async function lightLoad(target: Target, devices: Device[]): Promise<Percentiles> {
  const expected = LIGHT_MESSAGES * RECEIVERS;
  const p = startPhase(expected);
  const random = prng(42);
  const failures: Error[] = [];
  const acks: Promise<void>[] = [];
  const ackTimes = new Float64Array(LIGHT_MESSAGES);
  const start = performance.now();
  for (let i = 0; i < LIGHT_MESSAGES; i++) {
    const wait = start + i * LIGHT_INTERVAL_MS - performance.now();
    if (wait >= 1) await sleep(wait);
    const device = devices[Math.floor(random() * devices.length)]!;
    const clientId = `light-${i}`;
    const sentAt = performance.now();
    p.sendTimes.set(clientId, sentAt);
    acks.push(
      send(target, device, clientId).then(
        () => void (ackTimes[i] = performance.now() - sentAt),
        (error: Error) => void failures.push(error),
      ),
    );
  }
  const sendSeconds = (performance.now() - start) / 1000;
  await Promise.all(acks);
  if (failures.length > 0) throw failures[0];
  await waitUntil(
    () => p.deliveries >= expected && receiptsSettled(),
    SETTLE_TIMEOUT_MS,
    `${target.name} light-load deliveries`,
    () => `${p.deliveries}/${expected} delivered, ${receiptState.inFlight} receipts in flight`,
  );
  phase = null;
  const latency = percentiles(p.latencies.subarray(0, p.deliveries));
  const ack = percentiles(ackTimes);
  console.log(
    `  ${target.name} light load: ${LIGHT_MESSAGES} messages in ${sendSeconds.toFixed(1)} s → ${latency.n} deliveries; ` +
      `latency p50 ${latency.p50.toFixed(1)} ms  p99 ${latency.p99.toFixed(1)} ms  max ${latency.max.toFixed(1)} ms; ` +
      `ack p50 ${ack.p50.toFixed(1)} ms  p99 ${ack.p99.toFixed(1)} ms`,
  );
  if (p.unknown > 0) console.log(`  ${target.name} light load: ${p.unknown} unexpected or duplicate deliveries`);
  return latency;
}

interface LoadResult {
  messages: number;
  deliveries: number;
  seconds: number;
  serverCpuMicros: number;
  serverSystemMicros: number;
  clientCpuMicros: number;
  usPerDelivery: number;
  receipts: number;
  receiptPushes: number;
  latency: Percentiles;
  window: { start: number; end: number };
}

async function load(target: Target, devices: Device[]): Promise<LoadResult> {
  const expected = LOAD_MESSAGES * RECEIVERS;
  const p = startPhase(expected);
  const random = prng(7);
  // Senders in a shuffled order, so the in-flight window spans many groups.
  const order = devices.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const receipts0 = receiptState.sent;
  const pushes0 = receiptState.pushes;
  const cpu0 = await target.cpu();
  const client0 = process.cpuUsage();
  const window = { start: monotonicMicros(), end: 0 };
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: LOAD_WINDOW }, async () => {
      while (next < LOAD_MESSAGES) {
        const i = next++;
        const clientId = `load-${i}`;
        p.sendTimes.set(clientId, performance.now());
        await send(target, devices[order[i % order.length]!]!, clientId);
      }
    }),
  );
  await waitUntil(
    () => p.deliveries >= expected,
    SETTLE_TIMEOUT_MS,
    `${target.name} load deliveries`,
    () => `${p.deliveries}/${expected} delivered`,
  );
  const seconds = (p.lastDeliveryAt - start) / 1000;
  await waitUntil(
    receiptsSettled,
    SETTLE_TIMEOUT_MS,
    `${target.name} receipts`,
    () => `${receiptState.inFlight} in flight, ${receiptState.timers} pending`,
  );
  const cpu1 = await target.cpu();
  window.end = monotonicMicros();
  const client1 = process.cpuUsage(client0);
  phase = null;
  if (p.unknown > 0) console.log(`  ${target.name} load: ${p.unknown} unexpected or duplicate deliveries`);
  const serverCpuMicros = cpu1.user - cpu0.user + (cpu1.system - cpu0.system);
  const result: LoadResult = {
    messages: LOAD_MESSAGES,
    deliveries: p.deliveries,
    seconds,
    serverCpuMicros,
    serverSystemMicros: cpu1.system - cpu0.system,
    clientCpuMicros: client1.user + client1.system,
    usPerDelivery: serverCpuMicros / p.deliveries,
    receipts: receiptState.sent - receipts0,
    receiptPushes: receiptState.pushes - pushes0,
    latency: percentiles(p.latencies),
    window,
  };
  console.log(
    `  ${target.name} load: ${result.messages} messages, ${result.deliveries} deliveries in ${seconds.toFixed(2)} s ` +
      `(${Math.round(result.messages / seconds)} messages/s, ${Math.round(result.deliveries / seconds)} deliveries/s, ` +
      `window ${LOAD_WINDOW}); latency p50 ${result.latency.p50.toFixed(1)} ms  p99 ${result.latency.p99.toFixed(1)} ms`,
  );
  console.log(
    `  ${target.name} load: server CPU ${(serverCpuMicros / 1e6).toFixed(2)} s ` +
      `(${((100 * result.serverSystemMicros) / serverCpuMicros).toFixed(0)}% system) = ${result.usPerDelivery.toFixed(1)} µs per delivered message` +
      ` (${(serverCpuMicros / result.messages).toFixed(0)} µs per message); ` +
      (target.receipts ? `${result.receipts} delivered receipts sent, ${result.receiptPushes} receipt pushes received; ` : '') +
      `client process CPU ${(result.clientCpuMicros / 1e6).toFixed(2)} s`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// Servers

const startRelay = () => forkServer('./relay-baseline-child.ts');

/** 1,000 users with a token each, and 100 groups of 10; answers the group ids and the tokens. */
const seed = (server: ServerProcess) => seedGroups(server, { users: USERS, groupSize: GROUP_SIZE }, { concurrency: SETUP_CONCURRENCY });

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-latency-'));
  let server: ServerProcess | null = null;
  let relay: ChildServer | null = null;
  let devices: Device[] = [];
  const started = performance.now();
  try {
    console.log(`bench:latency: ${USERS} devices, ${GROUPS} groups of ${GROUP_SIZE}, 127.0.0.1`);

    // Parley: storage, validation, fan-out and delivered receipts.
    server = await startServerProcess(dataDir);
    const parleyServer = server;
    const { conversationIds, tokens } = await seed(parleyServer);
    const parley: Target = {
      name: 'parley',
      url: parleyServer.url,
      cpu: () => parleyServer.call<CpuUsage>('cpu'),
      auth: (user) => ({ token: tokens[user]!, deviceId: `bench-${user}` }),
      sendEvent: 'message:send',
      receipts: true,
    };
    devices = await connectAll(parley, conversationIds);
    const light = await lightLoad(parley, devices);
    const parleyLoad = await load(parley, devices);
    await disconnectAll(devices);
    devices = [];
    await parleyServer.stop();
    server = null;

    // The baseline: the same devices, groups and load on a plain socket.io relay.
    relay = await startRelay();
    const relayProcess = relay;
    const baseline: Target = {
      name: 'baseline',
      url: relayProcess.url,
      cpu: () => relayProcess.call<CpuUsage>('cpu'),
      auth: (user) => ({ room: `group-${groupOf(user)}`, address: address(user) }),
      sendEvent: 'send',
      receipts: false,
    };
    devices = await connectAll(baseline, Array.from({ length: GROUPS }, (_, g) => `group-${g}`));
    const baselineLight = await lightLoad(baseline, devices); // also warms it up, as the light load did Parley
    const baselineLoad = await load(baseline, devices);
    await disconnectAll(devices);
    devices = [];
    await relayProcess.stop();
    relay = null;

    if (profileDir) {
      writeFileSync(
        join(profileDir, 'windows.json'),
        JSON.stringify({ parley: parleyLoad.window, baseline: baselineLoad.window }, null, 2),
      );
    }
    if (fleet.unexpectedDisconnects > 0) console.log(`  ${fleet.unexpectedDisconnects} devices disconnected unexpectedly`);
    if (receiptState.errors > 0) console.log(`  ${receiptState.errors} receipts refused or unanswered`);

    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
    console.log('');
    console.log(`bench:latency  (${USERS} devices, ${GROUPS} groups of ${GROUP_SIZE}, 127.0.0.1)`);
    console.log(
      `light load     p50 ${ms(light.p50)}  p99 ${ms(light.p99)}  max ${ms(light.max)}  (${light.n} deliveries)` +
        `        target p99 ≤ ${TARGET_P99_MS} ms: ${mark(light.p99 <= TARGET_P99_MS)}`,
    );
    console.log(
      `throughput     ${Math.round(parleyLoad.messages / parleyLoad.seconds)} messages/s, ` +
        `${Math.round(parleyLoad.deliveries / parleyLoad.seconds)} deliveries/s (Parley, ${LOAD_WINDOW} in flight); ` +
        `baseline ${Math.round(baselineLoad.messages / baselineLoad.seconds)} messages/s, ` +
        `${Math.round(baselineLoad.deliveries / baselineLoad.seconds)} deliveries/s`,
    );
    console.log(
      `server cost    ${parleyLoad.usPerDelivery.toFixed(1)} µs CPU per delivered message (Parley, storage + receipts)` +
        `   target ≤ ${TARGET_US_PER_DELIVERY} µs: ${mark(parleyLoad.usPerDelivery <= TARGET_US_PER_DELIVERY)}`,
    );
    console.log(
      `baseline       ${baselineLoad.usPerDelivery.toFixed(1)} µs per delivered message (plain socket.io relay, same run)` +
        `  ratio ${(parleyLoad.usPerDelivery / baselineLoad.usPerDelivery).toFixed(2)}`,
    );
    console.log(
      `baseline light p50 ${ms(baselineLight.p50)}  p99 ${ms(baselineLight.p99)}  max ${ms(baselineLight.max)}  (${baselineLight.n} deliveries)`,
    );
    console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
  } finally {
    fleet.close(devices);
    await Promise.all([server?.stop(), relay?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench:latency failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
