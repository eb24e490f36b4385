// npm run bench:transfer — a 1 GiB file sent and fetched through the engine on 127.0.0.1: alice's
// sendFile (sniff, sha256, tus upload, file message) to a Parley server in a child process, then
// bob's verified download of it. As the yardstick, in the same run, the same bytes copied with plain
// node:http streams (a request piped from the file, a response piped to a file) between two more
// child processes, a bare client and a bare server. Prints MB/s each way, their ratio (target
// ≥ 0.6), and how much the engine's and the Parley server's RSS grew while they moved the files
// (target ≤ 64 MB each).
//
// Each round times the engine and the yardstick back to back, one direction at a time, alternating
// which goes first, after writing back all dirty pages; the median round counts. This machine's
// speed drifts by 2× between minutes, so only figures taken side by side compare.
// Options (env): TRANSFER_MB (default 1024), TRANSFER_ROUNDS (default 3).
//
// `transfer.ts --raw-server <dir> <file>` and `transfer.ts --raw-client` are the yardstick's two
// processes (they speak server-process.ts's protocol).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createClient, type Client, type FileInfo } from '../main/core/index.js';
import { forkServer, startServerProcess } from './support/server-process.js';

const MiB = 2 ** 20;
const SIZE = Number(process.env.TRANSFER_MB ?? 1024) * MiB;
const ROUNDS = Number(process.env.TRANSFER_ROUNDS ?? 3);
const TARGET_RATIO = 0.6;
const TARGET_RSS = 64 * MiB;
const execFileAsync = promisify(execFile);

type Message = { type: string; id: number; [key: string]: unknown };
/** Answers each request from the parent; after answering "close" the process exits. */
const answer = (handle: (m: Message) => Promise<unknown>) =>
  process.on('message', (m: Message) => {
    handle(m).then(
      (data) => process.send!({ id: m.id, data }, () => m.type === 'close' && process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });

/** The yardstick's server: POST streams the body to a file, GET streams the file back. */
async function rawServer(dir: string, file: string): Promise<void> {
  const server = createServer((req, res) => {
    const done = (error?: unknown) => (error ? res.destroy() : res.writeHead(204).end());
    if (req.method === 'POST') pipeline(req, createWriteStream(join(dir, 'raw-upload.bin'))).then(() => done(), done);
    else pipeline(createReadStream(file), res).catch(() => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  answer((m) => (m.type === 'close' ? new Promise((resolve) => server.close(resolve)) : Promise.resolve(null)));
  process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
}

/** The yardstick's client: copies a file up or down when asked, and says how long it took. */
function rawClient(): void {
  answer(async (m) => {
    if (m.type === 'close') return null;
    const { url, file } = m as unknown as { url: string; file: string };
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      if (m.type === 'upload') {
        const req = request(url, { method: 'POST', headers: { 'content-length': statSync(file).size } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`raw upload: ${res.statusCode}`))));
        });
        req.on('error', reject);
        pipeline(createReadStream(file), req).catch(reject);
      } else {
        request(url, (res) => {
          pipeline(res, createWriteStream(file)).then(resolve, reject);
        })
          .on('error', reject)
          .end();
      }
    });
    return (performance.now() - started) / 1000;
  });
  process.send!({ type: 'ready', url: '' });
}

async function bench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-transfer-'));
  const source = join(root, 'source.bin');
  await writeRandom(source, SIZE);
  const rawServerProcess = await forkServer('../transfer.ts', ['--raw-server', root, source]);
  const rawClientProcess = await forkServer('../transfer.ts', ['--raw-client']);
  const server = await startServerProcess(join(root, 'server'));
  const engines: Client[] = [];
  try {
    for (const address of ['alice', 'bob']) await server.api('POST', '/users', { address, name: address });
    const [alice, bob] = await Promise.all(
      ['alice', 'bob'].map(async (address) => {
        const { token } = await server.api<{ token: string }>('POST', `/users/${address}/tokens`, {});
        const client = createClient({ dataDir: join(root, address), serverUrl: server.url, token, log: () => {} });
        engines.push(client);
        client.start();
        await new Promise<void>((resolve) => client.on('connectionStatus', (s) => s.state === 'online' && resolve()));
        return client;
      }),
    ) as [Client, Client];
    const { id: conversationId } = await alice.createConversation({ participants: ['bob'], type: 'direct' });
    while (bob.readConversations().length === 0) await sleep(20);

    let file: FileInfo | null = null;
    const engine = {
      async up() {
        const arrived = new Promise<FileInfo>((resolve) => {
          const off = bob.on('file', (m) => (off(), resolve(m.file as FileInfo)));
        });
        const sent = new Promise<void>((resolve) => {
          const off = alice.on('messageStatus', (s) => s.status === 'sent' && (off(), resolve()));
        });
        const seconds = await timed(async () => {
          await alice.sendFile({ conversationId }, source);
          await sent;
        });
        file = await arrived;
        return seconds;
      },
      async down() {
        let saved = '';
        const seconds = await timed(async () => {
          const done = await bob.startFileTransfer(await bob.getFileInstance('download', file!.url));
          if (done.state !== 'done') throw new Error(`the download ${done.state}: ${done.error}`);
          saved = done.path!;
        });
        rmSync(saved);
        return seconds;
      },
    };
    const raw = {
      async up() {
        const seconds = await rawClientProcess.call<number>('upload', { url: rawServerProcess.url, file: source });
        rmSync(join(root, 'raw-upload.bin'));
        return seconds;
      },
      async down() {
        const seconds = await rawClientProcess.call<number>('download', { url: rawServerProcess.url, file: join(root, 'raw-download.bin') });
        rmSync(join(root, 'raw-download.bin'));
        return seconds;
      },
    };

    // The bench process runs the engine alone (the yardstick has its own processes), so its RSS
    // growth over every round is the engine's.
    const rss = { engine: peak(async () => process.memoryUsage.rss()), server: peak(() => rssOf(server.child.pid!)) };
    await rss.engine.start();
    await rss.server.start();
    const rounds: Array<Record<'up' | 'down', { engine: number; raw: number }>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const pair = async (way: 'up' | 'down') => {
        if (round % 2) {
          const r = await raw[way]();
          return { engine: await engine[way](), raw: r };
        }
        const e = await engine[way]();
        return { engine: e, raw: await raw[way]() };
      };
      rounds.push({ up: await pair('up'), down: await pair('down') });
    }
    const growth = { engine: await rss.engine.stop(), server: await rss.server.stop() };

    const rate = (seconds: number) => `${(SIZE / MiB / seconds).toFixed(0)} MB/s`;
    const row = (label: string, engineFigure: string, baseline: string, ratio: string, target: string, ok: boolean) =>
      `${label.padEnd(20)}${engineFigure.padEnd(14)}${baseline.padEnd(14)}${ratio.padEnd(8)}${target.padEnd(10)}${ok ? 'PASS' : 'FAIL'}`;
    console.log(`\nbench:transfer  (${SIZE / MiB} MiB, 127.0.0.1, median of ${ROUNDS} paired rounds; MB = 2^20 bytes)`);
    console.log(`${''.padEnd(20)}${'engine'.padEnd(14)}${'raw HTTP'.padEnd(14)}${'ratio'.padEnd(8)}target`);
    for (const way of ['up', 'down'] as const) {
      const pairs = rounds.map((r) => r[way]).sort((a, b) => a.raw / a.engine - b.raw / b.engine);
      const median = pairs[Math.floor(pairs.length / 2)]!;
      const ratio = median.raw / median.engine;
      const all = pairs.map((p) => (p.raw / p.engine).toFixed(2)).join(' ');
      console.log(row(way === 'up' ? 'upload' : 'download', rate(median.engine), rate(median.raw), ratio.toFixed(2), `≥ ${TARGET_RATIO}`, ratio >= TARGET_RATIO) + `  (rounds: ${all})`);
    }
    for (const [label, bytes] of [
      ['engine RSS growth', growth.engine],
      ['server RSS growth', growth.server],
    ] as const) {
      console.log(row(label, `${(bytes / MiB).toFixed(0)} MB`, '', '', '≤ 64 MB', bytes <= TARGET_RSS));
    }
  } finally {
    for (const client of engines) client.stop();
    await server.stop();
    await rawClientProcess.stop();
    await rawServerProcess.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function writeRandom(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(4 * MiB);
  // Each block differs, so nothing along the way can shortcut repeated bytes.
  for (let written = 0; written < size; written += block.length) {
    block.writeUInt32LE(written / block.length);
    if (!out.write(Buffer.from(block.subarray(0, Math.min(block.length, size - written))))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Times one phase, after writing back every dirty page: what the last phase wrote must not slow this one. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  await execFileAsync('sync');
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** The highest of a sampled value above where it started, sampled every 50 ms. */
function peak(sample: () => Promise<number>) {
  let base = 0;
  let top = 0;
  let timer: NodeJS.Timeout | null = null;
  let pending: Promise<void> = Promise.resolve();
  const take = () => {
    pending = sample().then((v) => void (top = Math.max(top, v)));
  };
  return {
    async start() {
      base = top = await sample();
      timer = setInterval(take, 50);
    },
    async stop() {
      clearInterval(timer!);
      await pending;
      take();
      await pending;
      return Math.max(0, top - base);
    },
  };
}

/** Another process's RSS in bytes (ps reports KiB). */
async function rssOf(pid: number): Promise<number> {
  const { stdout } = await execFileAsync('ps', ['-o', 'rss=', '-p', String(pid)]);
  return Number(stdout.trim()) * 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (process.argv[2] === '--raw-server') await rawServer(process.argv[3]!, process.argv[4]!);
else if (process.argv[2] === '--raw-client') rawClient();
else await bench();
