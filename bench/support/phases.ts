// The two phases bench:latency runs against each server (and bench:cluster against each deployment),
// over a fleet of devices (load.ts): a light load for latency, and a load at saturation for
// throughput and the server's CPU per message. Deliveries are matched to their sends by clientId.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { newClientId } from '../../main/core/messages/id.js';
import { percentiles, prng, sleep, waitUntil, type Device, type Fleet, type Percentiles, type Target } from './load.js';

const LIGHT_MESSAGES = 1000;
const LIGHT_INTERVAL_MS = 5;
const SETTLE_TIMEOUT_MS = 60_000;

export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** What a load sends: messages in all, devices per conversation, sends in flight. */
export interface LoadShape {
  size: number;
  loadMessages: number;
  loadWindow: number;
  /** How the printed lines name the phase (default "load"). */
  label?: string;
}

// ---------------------------------------------------------------------------------------------
// /proc (Linux)

/** Bytes of pages the process dirtied for storage (/proc/<pid>/io write_bytes); null where there is no /proc. */
export function writeBytes(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/io`, 'utf8').split('\n').find((l) => l.startsWith('write_bytes:'));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Deliveries: each is matched to its send by clientId

interface Phase {
  sendTimes: Map<string, number>;
  latencies: Float64Array;
  deliveries: number;
  unknown: number;
  lastDeliveryAt: number;
}

let phase: Phase | null = null;

function startPhase(expectedDeliveries: number): Phase {
  phase = { sendTimes: new Map(), latencies: new Float64Array(expectedDeliveries), deliveries: 0, unknown: 0, lastDeliveryAt: 0 };
  return phase;
}

export function recordDelivery(clientId: string) {
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

export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// Light load and load

export async function lightLoad(fleet: Fleet, target: Target, devices: Device[], receivers: number): Promise<Percentiles> {
  const expected = LIGHT_MESSAGES * receivers;
  const p = startPhase(expected);
  const random = prng(42);
  const failures: Error[] = [];
  const acks: Promise<void>[] = [];
  const ackTimes = new Float64Array(LIGHT_MESSAGES);
  const start = performance.now();
  for (let i = 0; i < LIGHT_MESSAGES; i++) {
    const wait = start + i * LIGHT_INTERVAL_MS - performance.now();
    if (wait >= 1) await sleep(wait); // the pace of the light load, not a wait for something to happen
    const device = devices[Math.floor(random() * devices.length)]!;
    const clientId = newClientId(); // as the engine makes them (time-ordered: see the server's idempotency index)
    const sentAt = performance.now();
    p.sendTimes.set(clientId, sentAt);
    acks.push(
      fleet.send(target, device, clientId).then(
        () => void (ackTimes[i] = performance.now() - sentAt),
        (error: Error) => void failures.push(error),
      ),
    );
  }
  const sendSeconds = (performance.now() - start) / 1000;
  await Promise.all(acks);
  if (failures.length > 0) throw failures[0];
  await waitUntil(
    () => p.deliveries >= expected && fleet.receiptsSettled(),
    SETTLE_TIMEOUT_MS,
    `${target.name} light-load deliveries`,
    () => `${p.deliveries}/${expected} delivered, ${fleet.receipts.inFlight} receipts in flight`,
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

export interface LoadResult {
  messages: number;
  deliveries: number;
  seconds: number;
  serverCpuMicros: number;
  serverSystemMicros: number;
  clientCpuMicros: number;
  receipts: number;
  receiptPushes: number;
  receiptEntries: number;
  latency: Percentiles;
  /** Bytes the server wrote to disk during the load; null where there is no /proc. */
  writtenBytes: number | null;
  window: { start: number; end: number };
}

export async function load(fleet: Fleet, target: Target, pid: number, devices: Device[], workload: LoadShape): Promise<LoadResult> {
  const messages = workload.loadMessages;
  const label = `${target.name} ${workload.label ?? 'load'}`;
  const expected = messages * (workload.size - 1);
  const p = startPhase(expected);
  const random = prng(7);
  // Senders in a shuffled order, so the in-flight window spans many conversations.
  const order = devices.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const receipts0 = fleet.receipts.sent;
  const pushes0 = fleet.receipts.pushes;
  const entries0 = fleet.receipts.entries;
  const written0 = writeBytes(pid);
  const cpu0 = await target.cpu();
  const client0 = process.cpuUsage();
  const window = { start: monotonicMicros(), end: 0 };
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: workload.loadWindow }, async () => {
      while (next < messages) {
        const i = next++;
        const clientId = newClientId();
        p.sendTimes.set(clientId, performance.now());
        await fleet.send(target, devices[order[i % order.length]!]!, clientId);
      }
    }),
  );
  await waitUntil(
    () => p.deliveries >= expected,
    SETTLE_TIMEOUT_MS,
    `${label} deliveries`,
    () => `${p.deliveries}/${expected} delivered`,
  );
  const seconds = (p.lastDeliveryAt - start) / 1000;
  await waitUntil(
    fleet.receiptsSettled,
    SETTLE_TIMEOUT_MS,
    `${target.name} receipts`,
    () => `${fleet.receipts.inFlight} in flight, ${fleet.receipts.timers} pending`,
  );
  const cpu1 = await target.cpu();
  window.end = monotonicMicros();
  const written1 = writeBytes(pid);
  const client1 = process.cpuUsage(client0);
  phase = null;
  if (p.unknown > 0) console.log(`  ${label}: ${p.unknown} unexpected or duplicate deliveries`);
  const serverCpuMicros = cpu1.user - cpu0.user + (cpu1.system - cpu0.system);
  const result: LoadResult = {
    messages,
    deliveries: p.deliveries,
    seconds,
    serverCpuMicros,
    serverSystemMicros: cpu1.system - cpu0.system,
    clientCpuMicros: client1.user + client1.system,
    receipts: fleet.receipts.sent - receipts0,
    receiptPushes: fleet.receipts.pushes - pushes0,
    receiptEntries: fleet.receipts.entries - entries0,
    latency: percentiles(p.latencies),
    writtenBytes: written0 === null || written1 === null ? null : written1 - written0,
    window,
  };
  console.log(
    `  ${label}: ${messages} messages, ${result.deliveries} deliveries in ${seconds.toFixed(2)} s ` +
      `(${Math.round(messages / seconds)} messages/s, ${Math.round(result.deliveries / seconds)} deliveries/s, ` +
      `${workload.loadWindow} in flight); latency p50 ${result.latency.p50.toFixed(1)} ms  p99 ${result.latency.p99.toFixed(1)} ms`,
  );
  console.log(
    `  ${label}: server CPU ${(serverCpuMicros / 1e6).toFixed(2)} s ` +
      `(${((100 * result.serverSystemMicros) / serverCpuMicros).toFixed(0)}% system) = ${(serverCpuMicros / messages).toFixed(1)} µs per message sent, ` +
      `${(serverCpuMicros / result.deliveries).toFixed(1)} µs per delivery; ` +
      (target.receipts
        ? `${result.receipts} delivered receipts sent, ${result.receiptEntries} received in ${result.receiptPushes} receipts pushes; `
        : '') +
      `${result.writtenBytes === null ? 'disk n/a' : `${kib(result.writtenBytes)} written to disk`}; ` +
      `client process CPU ${(result.clientCpuMicros / 1e6).toFixed(2)} s`,
  );
  return result;
}
