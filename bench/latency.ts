// bench:latency: what a message costs the server, against a plain socket.io relay
// (bench/support/relay-baseline-child.ts) as the yardstick, both in child processes and run built
// with plain node, as production runs the server (bench/support/server-process.ts, builtChild).
//
// Workloads (BENCH_WORKLOAD=direct|groups|memory|startup, comma-separated, default all):
//   direct   1,000 devices in 500 pairs, each pair in its direct conversation; load: 2 sends in flight per pair
//   groups   1,000 devices in 100 groups of 10; load: 200 sends in flight
//   memory   server RSS idle and with 5,000 devices connected (1,000 users, 5 devices each; no traffic)
//   startup  spawn → listening and idle RSS of `npm run server`'s process: tsx against the built bundle
//   presence 1,000 devices (100 groups of 10) reconnecting at once: server CPU with presence over the
//            same reconnect without it, and the most presence updates about one peer any device got
//            in one second (bench/support/presence-load.ts)
//
// Each of direct and groups runs, against Parley and then the relay:
//   light load  one message every 5 ms from a random device to its conversation; latency is the
//               time from the send to its arrival at each other member (one clock: every device
//               lives in this process).
//   load        messages as fast as a bounded window of in-flight sends allows (saturation: the
//               server's rate limits are raised for the run); the server's process.cpuUsage()
//               before and after, per message sent and per delivery, and the bytes it wrote to disk
//               (/proc/<pid>/io write_bytes: pages dirtied, so SQLite's WAL frames and checkpoints).
// Each Parley device answers every message from someone else with a cumulative "delivered"
// receipt, coalesced per conversation the way the engine does (main/core/sync/receipts.ts), so the
// server does storage, fan-out and receipts as in real use. The devices, the seeding and the helpers
// are bench/support/load.ts (bench:soak runs the same load for minutes).
//
// A benchmark, not a test: it prints its figures and the targets (met or MISSED) and exits
// 0; non-zero only on a real error (a refused send, a lost delivery, a timeout). Everything stays
// on 127.0.0.1. Disk and startup RSS figures read /proc (Linux); elsewhere they print n/a.
//
// BENCH_CPU_PROF=<dir> also writes V8 CPU profiles of every server process into
// <dir>/<workload>/server-child and <dir>/<workload>/relay-baseline-child, and the load windows
// (monotonic µs, the profiles' clock) into <dir>/windows.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SERVER_BUNDLE, buildServerIfStale } from '../scripts/build-server.js';
import {
  address,
  createFleet,
  seedDirect,
  seedGroups,
  seedUsers,
  type CpuUsage,
  type Device,
  type Fleet,
  type Percentiles,
  type Target,
} from './support/load.js';
import { kib, lightLoad, load, recordDelivery, type LoadResult } from './support/phases.js';
import { reportPresence, runPresenceLoad, type PresenceResult } from './support/presence-load.js';
import { builtChild, forkServer, startServerProcess, type ChildServer, type ServerProcess } from './support/server-process.js';

const USERS = 1000;
const SETUP_CONCURRENCY = 16;
const MEMORY_DEVICES = 5000;
const STARTUP_ROUNDS = 3;
/** The share of one core the client process used during a load past which the clients, not the server, set its pace. */
const CLIENT_BOUND = 0.9;

/** Issue 13's targets. */
const TARGET = {
  directRatio: 2.5,
  groupsRatio: 1.5,
  throughputRatio: 0.4,
  bytesPerMessage: 4096,
  lightP99Ms: 5,
  idleRssMiB: 90,
};

const root = resolve(import.meta.dirname, '..');
const profileDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;

interface Workload {
  name: 'direct' | 'groups';
  title: string;
  /** Devices per conversation: the users g·size … g·size+size−1 share conversation g. */
  size: number;
  loadMessages: number;
  /** Sends in flight during the load. */
  loadWindow: number;
  /** Parley's µs per delivery over the relay's, at most. */
  ratioTarget: number;
  seed(server: ServerProcess): Promise<{ conversationIds: string[]; tokens: string[] }>;
}

const WORKLOADS: Workload[] = [
  {
    name: 'direct',
    title: `${USERS / 2} pairs, each in its direct conversation`,
    size: 2,
    loadMessages: 40_000,
    loadWindow: USERS,
    ratioTarget: TARGET.directRatio,
    seed: (server) => seedDirect(server, USERS, { concurrency: SETUP_CONCURRENCY }),
  },
  {
    name: 'groups',
    title: `${USERS / 10} groups of 10`,
    size: 10,
    loadMessages: 20_000,
    loadWindow: 200,
    ratioTarget: TARGET.groupsRatio,
    seed: (server) => seedGroups(server, { users: USERS, groupSize: 10 }, { concurrency: SETUP_CONCURRENCY }),
  },
];

const PHASES = ['startup', 'direct', 'groups', 'memory', 'presence'] as const;
type PhaseName = (typeof PHASES)[number];

function selectedPhases(): Set<PhaseName> {
  const asked = (process.env.BENCH_WORKLOAD ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  if (asked.includes('all')) return new Set(PHASES);
  const unknown = asked.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0 || asked.length === 0) {
    throw new Error(`BENCH_WORKLOAD takes ${PHASES.join(', ')} or all, comma-separated (got ${process.env.BENCH_WORKLOAD})`);
  }
  return new Set(asked as PhaseName[]);
}

// ---------------------------------------------------------------------------------------------
// /proc (Linux): what a process wrote to disk, its RSS

/** Resident set size in bytes (/proc/<pid>/status VmRSS); null where there is no /proc. */
function residentBytes(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);


// ---------------------------------------------------------------------------------------------
// The servers

type MemoryUsage = NodeJS.MemoryUsage;

const parleyTarget = (server: ServerProcess, tokens: readonly string[], deviceOf: (user: number) => { user: number; device: number }): Target => ({
  name: 'parley',
  url: server.url,
  cpu: () => server.call<CpuUsage>('cpu'),
  auth: (i) => {
    const { user, device } = deviceOf(i);
    return { token: tokens[user]!, deviceId: `bench-${device}` };
  },
  sendEvent: 'message:send',
  receipts: true,
});

const relayTarget = (relay: ChildServer, roomOf: (user: number) => string): Target => ({
  name: 'relay',
  url: relay.url,
  cpu: () => relay.call<CpuUsage>('cpu'),
  auth: (i) => ({ room: roomOf(i), address: address(i) }),
  sendEvent: 'send',
  receipts: false,
});

/** Everything started, for the finally after a failure. */
const running = { servers: new Set<ChildServer>(), fleets: new Map<Fleet, Device[]>(), dirs: new Set<string>() };

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `parley-bench-latency-${name}-`));
  running.dirs.add(dir);
  return dir;
}

async function startParley(dataDir: string, profileTag: string): Promise<{ server: ServerProcess; idleRss: number }> {
  const server = await startServerProcess(dataDir, { built: true, profileTag });
  running.servers.add(server);
  return { server, idleRss: (await server.call<MemoryUsage>('memory')).rss };
}

async function startRelay(profileTag: string): Promise<{ relay: ChildServer; idleRss: number }> {
  const relay = await forkServer(builtChild('relay-baseline-child'), [], process.env, { profileTag });
  running.servers.add(relay);
  return { relay, idleRss: (await relay.call<MemoryUsage>('memory')).rss };
}

async function stop(server: ChildServer) {
  await server.stop();
  running.servers.delete(server);
}

async function connect(fleet: Fleet, target: Target, conversationIds: readonly string[]): Promise<Device[]> {
  const devices = await fleet.connectAll(target, conversationIds);
  running.fleets.set(fleet, devices);
  return devices;
}

function disconnect(fleet: Fleet, devices: Device[]) {
  fleet.disconnectAll(devices);
  running.fleets.delete(fleet);
}

// ---------------------------------------------------------------------------------------------
// Workloads

interface Side {
  light: Percentiles;
  load: LoadResult;
  idleRss: number;
}

interface WorkloadResult {
  workload: Workload;
  parley: Side & { walBytes: number };
  relay: Side;
}

async function runWorkload(workload: Workload): Promise<WorkloadResult> {
  console.log(`\n${workload.name}: ${USERS} devices, ${workload.title}`);
  const fleet = createFleet({ users: USERS, groupSize: workload.size }, recordDelivery);
  const receivers = workload.size - 1;

  // Parley: validation, storage, fan-out and delivered receipts.
  const dataDir = tempDir(workload.name);
  const { server, idleRss: parleyIdle } = await startParley(dataDir, workload.name);
  const { conversationIds, tokens } = await workload.seed(server);
  const parley = parleyTarget(server, tokens, (i) => ({ user: i, device: i }));
  let devices = await connect(fleet, parley, conversationIds);
  const parleyLight = await lightLoad(fleet, parley, devices, receivers);
  const parleyLoad = await load(fleet, parley, server.child.pid!, devices, workload);
  const walBytes = fileSize(join(dataDir, 'parley.db-wal'));
  disconnect(fleet, devices);
  await stop(server);

  // The yardstick: the same devices, conversations and load on a plain socket.io relay.
  const { relay, idleRss: relayIdle } = await startRelay(workload.name);
  const roomOf = (i: number) => `${workload.name}-${Math.floor(i / workload.size)}`;
  const target = relayTarget(relay, roomOf);
  devices = await connect(fleet, target, Array.from({ length: USERS / workload.size }, (_, k) => roomOf(k * workload.size)));
  const relayLight = await lightLoad(fleet, target, devices, receivers); // also warms it up, as the light load did Parley
  const relayLoad = await load(fleet, target, relay.child.pid!, devices, workload);
  disconnect(fleet, devices);
  await stop(relay);

  if (fleet.unexpectedDisconnects > 0) console.log(`  ${fleet.unexpectedDisconnects} devices disconnected unexpectedly`);
  if (fleet.receipts.errors > 0) console.log(`  ${fleet.receipts.errors} protocol errors (refused receipts)`);
  return {
    workload,
    parley: { light: parleyLight, load: parleyLoad, idleRss: parleyIdle, walBytes },
    relay: { light: relayLight, load: relayLoad, idleRss: relayIdle },
  };
}

interface MemoryResult {
  parley: { idle: number; before: MemoryUsage; connected: MemoryUsage };
  relay: { idle: number; before: MemoryUsage; connected: MemoryUsage };
}

/** RSS and heap with MEMORY_DEVICES devices connected and nothing sent: what connections cost. */
async function runMemory(): Promise<MemoryResult> {
  const perUser = MEMORY_DEVICES / USERS;
  console.log(`\nmemory: ${MEMORY_DEVICES} devices (${USERS} users, ${perUser} devices each), connected and idle`);
  // One "conversation" for all: the devices send nothing, so what they are in does not matter.
  const fleet = createFleet({ users: MEMORY_DEVICES, groupSize: MEMORY_DEVICES }, recordDelivery);

  const { server, idleRss: parleyIdle } = await startParley(tempDir('memory'), 'memory');
  const started = performance.now();
  const tokens = await seedUsers(server, USERS, { concurrency: SETUP_CONCURRENCY });
  console.log(`  parley: ${USERS} users, ${USERS} tokens created in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const parleyBefore = await server.call<MemoryUsage>('memory');
  let devices = await connect(fleet, parleyTarget(server, tokens, (i) => ({ user: i % USERS, device: i })), ['none']);
  const parleyConnected = await server.call<MemoryUsage>('memory');
  disconnect(fleet, devices);
  await stop(server);

  const { relay, idleRss: relayIdle } = await startRelay('memory');
  const relayBefore = await relay.call<MemoryUsage>('memory');
  devices = await connect(fleet, relayTarget(relay, (i) => `user-${i % USERS}`), ['none']);
  const relayConnected = await relay.call<MemoryUsage>('memory');
  disconnect(fleet, devices);
  await stop(relay);

  for (const [name, before, connected] of [
    ['parley', parleyBefore, parleyConnected],
    ['relay', relayBefore, relayConnected],
  ] as const) {
    console.log(
      `  ${name}: RSS ${mib(before.rss)} → ${mib(connected.rss)} with ${MEMORY_DEVICES} devices ` +
        `(${kib((connected.rss - before.rss) / MEMORY_DEVICES)} a device), heap used ${mib(before.heapUsed)} → ${mib(connected.heapUsed)} ` +
        `(${kib((connected.heapUsed - before.heapUsed) / MEMORY_DEVICES)} a device)`,
    );
  }
  return {
    parley: { idle: parleyIdle, before: parleyBefore, connected: parleyConnected },
    relay: { idle: relayIdle, before: relayBefore, connected: relayConnected },
  };
}

interface StartupVariant {
  name: string;
  args: string[];
  startupMs: number[];
  rss: number[];
}

/**
 * `npm run server`'s process, spawned until it prints that it listens: under tsx (as `npm run
 * server` ran before) against the built bundle with plain node, with and without source maps;
 * rounds interleaved, after one round that warms the file cache, medians reported.
 */
async function runStartup(): Promise<StartupVariant[]> {
  console.log(`\nstartup: the server's CLI, spawn → "listening", ${STARTUP_ROUNDS} rounds after a warm-up round`);
  const bundle = buildServerIfStale(SERVER_BUNDLE, (line) => console.log(`  ${line}`));
  const variants: StartupVariant[] = [
    { name: 'tsx (node --import tsx server/cli.ts)', args: ['--import', 'tsx', join(root, SERVER_BUNDLE.entry)], startupMs: [], rss: [] },
    { name: 'built (node out/server/cli.js)', args: [bundle], startupMs: [], rss: [] },
    { name: 'built, --enable-source-maps', args: ['--enable-source-maps', bundle], startupMs: [], rss: [] },
  ];
  const dataDir = tempDir('startup');
  for (let round = 0; round <= STARTUP_ROUNDS; round++) {
    for (const variant of variants) {
      const { ms, rss } = await startOnce(variant.args, dataDir);
      if (round === 0) continue;
      variant.startupMs.push(ms);
      if (rss !== null) variant.rss.push(rss);
    }
  }
  for (const v of variants) {
    console.log(`  ${v.name}: ${median(v.startupMs).toFixed(0)} ms to listening, idle RSS ${v.rss.length ? mib(median(v.rss)) : 'n/a'}`);
  }
  return variants;
}

/** One start of the CLI on port 0: the time from spawn to its "listening" line, and its RSS then. */
async function startOnce(args: string[], dataDir: string): Promise<{ ms: number; rss: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...args, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: root,
    env: { ...process.env, PARLEY_APP_TOKEN: 'bench-app-token-0123456789' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  try {
    const ms = await new Promise<number>((resolveListening, reject) => {
      let output = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('listening on')) resolveListening(performance.now() - started);
      });
      child.once('error', reject);
      exited.then(
        (code) => reject(new Error(`the server exited with ${code} before listening: ${output}`)),
        () => {},
      );
    });
    return { ms, rss: residentBytes(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The report

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();

function report(workloads: WorkloadResult[], memory: MemoryResult | null, startup: StartupVariant[] | null, presence: PresenceResult | null) {
  const widths = [34, 22, 22, 8];
  const targets: Array<[string, string, boolean | null]> = [];
  if (presence) targets.push(...reportPresence(presence, row));
  for (const { workload, parley, relay } of workloads) {
    const [p, r] = [parley.load, relay.load];
    const perSent = (l: LoadResult) => l.serverCpuMicros / l.messages;
    const perDelivery = (l: LoadResult) => l.serverCpuMicros / l.deliveries;
    const rate = (l: LoadResult) => l.messages / l.seconds;
    const perMessage = (l: LoadResult) => (l.writtenBytes === null ? null : l.writtenBytes / l.messages);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const pm = perMessage(p);
    console.log(`\n${workload.name}: ${USERS} devices, ${workload.title} (load: ${workload.loadMessages} messages, ${workload.loadWindow} in flight)`);
    console.log(row(['', 'parley', 'relay', 'ratio'], widths));
    console.log(row(['server CPU µs per message sent', perSent(p).toFixed(1), perSent(r).toFixed(1), ratio(perSent(p), perSent(r))], widths));
    console.log(row(['server CPU µs per delivery', perDelivery(p).toFixed(1), perDelivery(r).toFixed(1), ratio(perDelivery(p), perDelivery(r))], widths));
    console.log(row(['messages/s at saturation', rate(p).toFixed(0), rate(r).toFixed(0), ratio(rate(p), rate(r))], widths));
    console.log(row(['light load p50 / p99', `${ms(parley.light.p50)} / ${ms(parley.light.p99)}`, `${ms(relay.light.p50)} / ${ms(relay.light.p99)}`], widths));
    console.log(row(['under load p50 / p99', `${ms(p.latency.p50)} / ${ms(p.latency.p99)}`, `${ms(r.latency.p50)} / ${ms(r.latency.p99)}`], widths));
    console.log(row(['disk written per message', pm === null ? 'n/a' : `${(pm / 1024).toFixed(2)} KiB`, perMessage(r) === null ? 'n/a' : `${(perMessage(r)! / 1024).toFixed(2)} KiB`], widths));
    console.log(row(['WAL file after the load', mib(parley.walBytes)], widths));
    console.log(row(['server idle RSS (bench child)', mib(parley.idleRss), mib(relay.idleRss)], widths));
    // One core's worth of client CPU: the devices, not the server, set the pace (the relay's rate is then a floor).
    const busy = (l: LoadResult) => l.clientCpuMicros / 1e6 / l.seconds;
    const clientBound = (l: LoadResult) => busy(l) >= CLIENT_BOUND;
    const clientCell = (l: LoadResult) => `${(l.clientCpuMicros / 1e6).toFixed(2)} s, ${(100 * busy(l)).toFixed(0)}%${clientBound(l) ? ' (bound)' : ''}`;
    console.log(row(['client process CPU in the load', clientCell(p), clientCell(r)], widths));
    const name = workload.name === 'direct' ? '1:1 with receipts' : 'groups of 10';
    targets.push(
      [`${name}: µs per delivery ≤ ${workload.ratioTarget}× relay`, ratio(perDelivery(p), perDelivery(r)), perDelivery(p) / perDelivery(r) <= workload.ratioTarget],
      [
        `${name}: saturation ≥ ${TARGET.throughputRatio}× relay's msgs/s${clientBound(r) ? ' (relay client-bound)' : ''}`,
        ratio(rate(p), rate(r)),
        rate(p) / rate(r) >= TARGET.throughputRatio,
      ],
      [`${name}: ≤ ${TARGET.bytesPerMessage / 1024} KiB written per message`, pm === null ? 'n/a' : `${(pm / 1024).toFixed(2)} KiB`, pm === null ? null : pm <= TARGET.bytesPerMessage],
      [`${name}: light-load p99 ≤ ${TARGET.lightP99Ms} ms`, ms(parley.light.p99), parley.light.p99 <= TARGET.lightP99Ms],
    );
  }
  if (memory) {
    console.log(`\nmemory: ${MEMORY_DEVICES} devices connected (${USERS} users × ${MEMORY_DEVICES / USERS})`);
    console.log(row(['', 'parley', 'relay'], widths));
    console.log(row(['idle RSS (bench child)', mib(memory.parley.idle), mib(memory.relay.idle)], widths));
    console.log(row([`RSS with ${MEMORY_DEVICES} devices`, mib(memory.parley.connected.rss), mib(memory.relay.connected.rss)], widths));
    const perDevice = (m: MemoryResult['parley'], key: 'rss' | 'heapUsed') => kib((m.connected[key] - m.before[key]) / MEMORY_DEVICES);
    console.log(row(['RSS per device', perDevice(memory.parley, 'rss'), perDevice(memory.relay, 'rss')], widths));
    console.log(row(['heap used per device', perDevice(memory.parley, 'heapUsed'), perDevice(memory.relay, 'heapUsed')], widths));
  }
  if (startup) {
    console.log(`\nstartup of the server's CLI (median of ${STARTUP_ROUNDS}; spawn → "listening", RSS then)`);
    for (const v of startup) {
      console.log(row([v.name, `${median(v.startupMs).toFixed(0)} ms`, v.rss.length ? mib(median(v.rss)) : 'n/a'], [40, 10, 10]));
    }
  }
  // Idle RSS: the built CLI's where it was measured (what `npm run server` runs), else the bench child's.
  const builtCli = startup?.find((v) => v.name.startsWith('built ('));
  const idle = builtCli?.rss.length ? { what: 'built CLI', bytes: median(builtCli.rss) } : memory ? { what: 'bench child', bytes: memory.parley.idle } : null;
  if (idle) targets.push([`idle RSS ≤ ${TARGET.idleRssMiB} MiB (${idle.what})`, mib(idle.bytes), idle.bytes <= TARGET.idleRssMiB * 2 ** 20]);

  console.log(`\ntargets (issues 13 and 15)`);
  for (const [what, value, ok] of targets) console.log(row([what, value, ok === null ? 'n/a' : mark(ok)], [72, 12, 6]));
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const phases = selectedPhases();
  const started = performance.now();
  console.log(`bench:latency: ${[...phases].join(', ')}; 127.0.0.1`);
  const startup = phases.has('startup') ? await runStartup() : null;
  const workloads: WorkloadResult[] = [];
  for (const workload of WORKLOADS) if (phases.has(workload.name)) workloads.push(await runWorkload(workload));
  const memory = phases.has('memory') ? await runMemory() : null;
  const presence = phases.has('presence')
    ? await runPresenceLoad(
        async (on) => {
          const server = await startServerProcess(tempDir(`presence-${on ? 'on' : 'off'}`), { built: true, profileTag: `presence-${on ? 'on' : 'off'}`, presence: on });
          running.servers.add(server);
          return server;
        },
        stop,
      )
    : null;
  if (profileDir) {
    const windows = Object.fromEntries(workloads.map((w) => [w.workload.name, { parley: w.parley.load.window, relay: w.relay.load.window }]));
    writeFileSync(join(profileDir, 'windows.json'), JSON.stringify(windows, null, 2));
  }
  report(workloads, memory, startup, presence);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
}

async function cleanUp() {
  for (const [fleet, devices] of running.fleets) fleet.close(devices);
  await Promise.all([...running.servers].map((server) => server.stop()));
  for (const dir of running.dirs) rmSync(dir, { recursive: true, force: true });
}

main()
  .finally(cleanUp)
  .then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('bench:latency failed:', error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
