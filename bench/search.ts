// npm run bench:search — local search over a long history. A store as the previous version left it
// (no search tables) with 1,000,000 messages of realistic text (bench/support/corpus.ts) in 100
// conversations is opened by the engine, offline: the migration numbers the history and the index
// is built in slices. Prints the build rate, the index's share of the store, the engine's RSS and
// event-loop delay while building, then query latency p50/p95/max for the first 50 hits with
// snippets over 500 queries of each class.
// Targets: p95 ≤ 30 ms for every class, max ≤ 150 ms, engine RSS ≤ 200 MB.
// Options (env): SEARCH_MESSAGES (default 1,000,000), SEARCH_QUERIES (default 500), SEARCH_KEEP=1 keeps the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openDatabase } from '../common/node/sqlite.js';
import { createClient } from '../main/core/index.js';
import { migrations } from '../main/core/store/migrations/index.js';
import { CJK, corpus } from './support/corpus.js';

const TOTAL = Number(process.env.SEARCH_MESSAGES ?? 1_000_000);
const QUERIES = Number(process.env.SEARCH_QUERIES ?? 500);
const CONVERSATIONS = 100;
const SENDERS = ['me', 'ana', 'ben', 'chen', 'dora', 'emil', 'fay', 'gus', 'hana', 'ivo'];
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const root = mkdtempSync(join(tmpdir(), 'parley-bench-search-'));
const text = corpus(42);
try {
  // The store before search (user_version 7), written directly: one transaction per 50,000 rows.
  process.stdout.write(`writing ${TOTAL.toLocaleString()} messages into a store made by the previous version… `);
  const file = join(root, 'parley-client.db');
  const old = openDatabase(file, migrations.slice(0, 7));
  const now = Date.now();
  const insertConversation = old.prepare(
    `INSERT INTO conversations (id, type, title, participants, last_seq, have_seq, read_seq, last_activity, created_at) VALUES (?, 'group', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const perConversation = Math.ceil(TOTAL / CONVERSATIONS);
  const participants = JSON.stringify(SENDERS.map((address) => ({ address, name: address.toUpperCase(), role: 'member', deliveredSeq: 0, readSeq: 0 })));
  for (let c = 0; c < CONVERSATIONS; c++) insertConversation.run(`conv-${c}`, `Room ${c}`, participants, perConversation, perConversation, perConversation, now, now);
  const insert = old.prepare(`INSERT INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time) VALUES (?, ?, 'text', ?, ?, ?, ?)`);
  const phrases: string[] = [];
  const writeStart = performance.now();
  for (let from = 0; from < TOTAL; from += 50_000) {
    old.transaction(() => {
      for (let n = from; n < Math.min(TOTAL, from + 50_000); n++) {
        const body = text.text();
        if (n % 2000 === 0) phrases.push(body.split(' ').slice(1, 3).join(' '));
        // A year of history, conversation-major like a catch-up stores it.
        insert.run(`conv-${n % CONVERSATIONS}`, Math.floor(n / CONVERSATIONS) + 1, SENDERS[n % SENDERS.length], `m${n}`, body, now - (TOTAL - n) * 30_000);
      }
    })();
  }
  old.pragma('wal_checkpoint(TRUNCATE)');
  const bytesBefore = (old.pragma('page_count', { simple: true }) as number) * (old.pragma('page_size', { simple: true }) as number);
  old.close();
  process.stdout.write(`${((performance.now() - writeStart) / 1000).toFixed(1)} s, ${mb(bytesBefore)}\n`);

  // The engine opens it offline and builds the index.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const buildStart = performance.now();
  loop.enable();
  const client = createClient({ dataDir: root, serverUrl: 'http://127.0.0.1:9', token: 'offline', log: () => {} });
  let slices = 0;
  client.on('searchProgress', () => slices++);
  await client.searchSettled();
  loop.disable();
  const buildSeconds = (performance.now() - buildStart) / 1000;
  global.gc?.();
  const rss = process.memoryUsage().rss;

  const db = openDatabase(file, migrations);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const storeBytes = (db.pragma('page_count', { simple: true }) as number) * pageSize;
  const indexBytes = (db.prepare(`SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search%'`).pluck().get() as number) ?? 0;
  db.close();

  // Queries of each class, from the same corpus.
  const common = text.words.slice(0, 50);
  const rare = text.words.slice(5_000, 30_000);
  const classes: Record<string, () => string> = {
    'one common word': () => text.pick(common),
    'one rare word': () => text.pick(rare),
    '3-letter prefix': () => text.pick(rare).slice(0, 3),
    phrase: () => `"${text.pick(phrases)}"`,
    'word + from: + in:': () => `${text.pick(text.words.slice(50, 2_000))} from:${text.pick(SENDERS)} in:"Room ${Math.floor(text.random() * CONVERSATIONS)}"`,
    'CJK term': () => text.pick(CJK),
  };
  console.log(`\nbench:search  (${TOTAL.toLocaleString()} messages, ${CONVERSATIONS} conversations; ${QUERIES} queries a class, first 50 hits with snippets)`);
  const line = (label: string, value: string, target: string, ok: boolean) => `${label.padEnd(28)}${value.padEnd(30)}${target.padEnd(22)}${ok ? 'ok' : 'MISSED'}`;
  console.log(line('index build (existing store)', `${Math.round(TOTAL / buildSeconds).toLocaleString()} msgs/s (${buildSeconds.toFixed(1)} s, ${slices} slices)`, '', true));
  console.log(line('event-loop delay p99, build', `${(loop.percentile(99) / 1e6).toFixed(1)} ms`, '≤ 50 ms', loop.percentile(99) / 1e6 <= 50));
  console.log(line('index size', `${mb(indexBytes)} of ${mb(storeBytes)} (${((100 * indexBytes) / storeBytes).toFixed(0)}%)`, '', true));
  console.log(line('engine RSS after build', mb(rss), '≤ 200 MB', rss <= 200 * 2 ** 20));
  let worstRss = rss;
  for (const [label, make] of Object.entries(classes)) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < QUERIES; i++) {
      const query = make();
      const start = performance.now();
      hits += client.search(query, { limit: 50 }).hits.length;
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
    const [p50, p95, max] = [at(0.5), at(0.95), times.at(-1)!];
    worstRss = Math.max(worstRss, process.memoryUsage().rss);
    console.log(
      line(label, `p50 ${p50.toFixed(1)} · p95 ${p95.toFixed(1)} · max ${max.toFixed(0)} ms`, '≤ 30 / ≤ 150 ms', p95 <= 30 && max <= 150) +
        `   (${(hits / QUERIES).toFixed(1)} hits a query)`,
    );
  }
  console.log(line('engine RSS, queries', mb(worstRss), '≤ 200 MB', worstRss <= 200 * 2 ** 20));
  client.stop();
} finally {
  if (process.env.SEARCH_KEEP === '1') console.log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
