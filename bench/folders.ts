// npm run bench:folders — watched drop folders on 127.0.0.1 against a Parley server in a child
// process. (1) Latency: 200 files written one by one (every 25 ms) into a watched folder; for each,
// the time from its last write to its message acknowledged by the server (p50/p99). This includes
// the stability window a file must stay unchanged for (FOLDERS_STABILITY_MS, default 1000).
// (2) A burst of 1,000 small files written at once: the wall time until all 1,000 are acknowledged
// (and moved into Sent), and the main event-loop delay p99 during it (monitorEventLoopDelay).
// Options (env): FOLDERS_STABILITY_MS, FOLDERS_CONCURRENCY (default 4).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createClient, type Client } from '../main/core/index.js';
import { startServerProcess } from './support/server-process.js';

const STABILITY_MS = Number(process.env.FOLDERS_STABILITY_MS ?? 1000);
const CONCURRENCY = Number(process.env.FOLDERS_CONCURRENCY ?? 4);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-folders-'));
  const server = await startServerProcess(join(root, 'server'));
  const engines: Client[] = [];
  try {
    for (const address of ['alice', 'bob']) await server.api('POST', '/users', { address, name: address });
    const [alice] = (await Promise.all(
      ['alice', 'bob'].map(async (address) => {
        const { token } = await server.api<{ token: string }>('POST', `/users/${address}/tokens`, {});
        const client = createClient({
          dataDir: join(root, address),
          serverUrl: server.url,
          token,
          log: () => {},
          folders: { stabilityMs: STABILITY_MS, concurrency: CONCURRENCY, recoverMs: 1000 },
        });
        engines.push(client);
        client.start();
        await new Promise<void>((resolve) => client.on('connectionStatus', (s) => s.state === 'online' && resolve()));
        return client;
      }),
    )) as [Client, Client];
    const { id: conversationId } = await alice.createConversation({ participants: ['bob'], type: 'direct' });

    // (1) last write → server ack, one file at a time.
    const single = join(root, 'drop-latency');
    mkdirSync(single);
    const written = new Map<string, number>();
    const latencies: number[] = [];
    const ackAt = new Map<string, number>();
    alice.on('messageStatus', (s) => s.status === 'sent' && ackAt.set(s.id, performance.now()));
    let doneLatency!: () => void;
    const allLatency = new Promise<void>((resolve) => (doneLatency = resolve));
    const offLatency = alice.on('folderFileSent', (e) => {
      latencies.push((ackAt.get(e.messageId) ?? performance.now()) - written.get(e.path)!);
      if (latencies.length === 200) doneLatency();
    });
    await alice.watchFolder(single, conversationId, { afterSend: 'keep' });
    await alice.whenFoldersIdle(); // watching, its folder scanned
    for (let i = 0; i < 200; i++) {
      const name = `l${i}.txt`;
      writeFileSync(join(single, name), `latency ${i} `.repeat(100));
      written.set(name, performance.now());
      await sleep(25);
    }
    await allLatency;
    offLatency();
    latencies.sort((a, b) => a - b);

    // (2) the burst.
    const burst = join(root, 'drop-burst');
    mkdirSync(burst);
    await alice.watchFolder(burst, conversationId);
    await alice.whenFoldersIdle();
    let sent = 0;
    let doneBurst!: () => void;
    const allBurst = new Promise<void>((resolve) => (doneBurst = resolve));
    alice.on('folderFileSent', (e) => e.path.startsWith('b') && ++sent === 1000 && doneBurst());
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const start = performance.now();
    for (let i = 0; i < 1000; i++) writeFileSync(join(burst, `b${i}.txt`), `burst ${i}`);
    await allBurst;
    const wall = performance.now() - start;
    delay.disable();

    console.log(`stability window ${STABILITY_MS} ms, ${CONCURRENCY} files in flight`);
    console.log(`last write → server ack over 200 files: p50 ${latencies[99]!.toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms (minus the window: p50 ${(latencies[99]! - STABILITY_MS).toFixed(0)} ms)`);
    console.log(`1,000-file burst: ${(wall / 1000).toFixed(2)} s wall (${((1000 * 1000) / wall).toFixed(0)} files/s), ` +
      `event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
  } finally {
    for (const engine of engines) engine.stop();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
