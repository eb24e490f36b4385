// npm run bench:catchup — a device offline while 1,000,000 messages arrive in 100 conversations
// comes back and catches up. Prints the engine's msgs/s beside the raw better-sqlite3 insert rate
// of the same rows into the same schema (the search index included), measured in this run, and
// their ratio; the engine's RSS afterwards; and the event-loop delay p99 during catch-up. The
// search index follows catch-up (main/core/search/indexer.ts): the time until every message is
// searchable is printed too, with its rate and ratio.
// With CATCHUP_ACTIONS (a share, default 0.2) of the events message actions (edits, reactions, deletes
// on the message before them: bench/support/action-mix.ts), which the engine applies to their target
// as it stores them and the raw baseline only inserts.
// Options (env): CATCHUP_MESSAGES (events, default 1,000,000), CATCHUP_CONVERSATIONS (default 100),
// CATCHUP_ACTIONS (default 0.2; 0 for messages only).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openDatabase } from '../common/node/sqlite.js';
import { createClient } from '../main/core/index.js';
import { scope, scopeOf } from '../main/core/search/scope.js';
import { indexText } from '../main/core/search/text.js';
import { migrations } from '../main/core/store/migrations/index.js';
import { isAction, seedAction } from './support/action-mix.js';
import { startServerProcess } from './support/server-process.js';

const TOTAL = Number(process.env.CATCHUP_MESSAGES ?? 1_000_000);
const CONVERSATIONS = Number(process.env.CATCHUP_CONVERSATIONS ?? 100);
const ACTIONS = Number(process.env.CATCHUP_ACTIONS ?? 0.2);
/** One event in this many is an action (0: none). */
const actionEvery = ACTIONS > 0 ? Math.round(1 / ACTIONS) : 0;
const perConversation = Math.ceil(TOTAL / CONVERSATIONS);
const total = perConversation * CONVERSATIONS;
const body = (n: number) => `Message number ${n}: the quick brown fox jumps over the lazy dog.`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const root = mkdtempSync(join(tmpdir(), 'parley-bench-catchup-'));
const server = await startServerProcess(join(root, 'server'));
try {
  for (const address of ['sender', 'reader']) await server.api('POST', '/users', { address, name: address });
  const { token } = await server.api<{ token: string }>('POST', '/users/reader/tokens', {});
  const ids: string[] = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const { group } = await server.api<{ group: { id: string } }>('POST', '/groups', { name: `Room ${i}`, members: ['sender', 'reader'] });
    ids.push(group.id);
  }

  // The reader's device knows its conversations, then goes away while the messages arrive.
  const dataDir = join(root, 'client');
  const first = createClient({ dataDir, serverUrl: server.url, token, log: () => {} });
  await new Promise<void>((resolve) => {
    first.on('sync', (s) => s.state === 'done' && resolve());
    first.on('connectionStatus', (s) => s.state === 'online' && setTimeout(resolve, 500));
    first.start();
  });
  first.stop();

  process.stdout.write(`seeding ${total.toLocaleString()} events (${Math.round(ACTIONS * 100)}% actions) in ${CONVERSATIONS} conversations on the server… `);
  const seedStart = performance.now();
  await Promise.all(ids.map((conversationId, i) => server.call('seed', { conversationId, sender: 'sender', count: perConversation, from: i * perConversation, actionEvery })));
  process.stdout.write(`${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);

  // Catch-up, measured.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const client = createClient({ dataDir, serverUrl: server.url, token, log: () => {} });
  const start = performance.now();
  loop.enable();
  await new Promise<void>((resolve) => {
    client.on('sync', (s) => s.state === 'done' && s.behind === 0 && resolve());
    client.start();
  });
  const seconds = (performance.now() - start) / 1000;
  await client.searchSettled();
  const searchableSeconds = (performance.now() - start) / 1000;
  loop.disable();
  const stored = client.readConversations().reduce((n, c) => n + c.lastSeq, 0);
  if (stored < total) throw new Error(`caught up only ${stored} of ${total}`);
  const rate = total / seconds;
  global.gc?.();
  const rss = process.memoryUsage().rss;
  client.stop();

  // Raw baseline: the same rows, the same schema and indexes (the search index too, its text and
  // scope made as the engine makes them), one transaction, no network.
  const raw = openDatabase(join(root, 'raw', 'raw.db'), migrations);
  const insert = raw.prepare(
    'INSERT INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertDoc = raw.prepare('INSERT INTO search_docs (conversation_id, seq, sent_at) VALUES (?, ?, ?)');
  const insertText = raw.prepare('INSERT INTO search_text (rowid, text, scope) VALUES (-?, ?, ?)');
  const now = Date.now();
  const rawStart = performance.now();
  raw.transaction(() => {
    for (let c = 0; c < CONVERSATIONS; c++) {
      const conversationToken = scope.conversation(ids[c]!);
      const docs: [number | bigint, number][] = [];
      for (let s = 1, last = 0; s <= perConversation; s++) {
        const n = c * perConversation + s - 1;
        if (isAction(s - 1, actionEvery) && last > 0) {
          const change = seedAction(Math.floor((s - 1) / actionEvery), n);
          insert.run(ids[c], s, change.type, 'sender', `seed-${n}`, change.type === 'revise' ? change.body : change.type === 'react' ? change.emoji : '', now, last);
          continue;
        }
        insert.run(ids[c], s, 'text', 'sender', `seed-${n}`, body(n), now, null);
        docs.push([insertDoc.run(ids[c], s, now).lastInsertRowid, n]);
        last = s;
      }
      // Newest first into the index, as the engine's indexer writes it (rowids ascending).
      for (const [doc, n] of docs.reverse()) insertText.run(doc, indexText(body(n)), scopeOf(conversationToken, 'sender', body(n), false));
    }
  })();
  const rawRate = total / ((performance.now() - rawStart) / 1000);
  raw.close();

  const p99 = loop.percentile(99) / 1e6;
  const line = (label: string, value: string, target: string, ok: boolean) =>
    `${label.padEnd(26)}${value.padEnd(22)}${target.padEnd(22)}${ok ? 'ok' : 'MISSED'}`;
  console.log(`\nbench:catchup  (${total.toLocaleString()} events, ${Math.round(ACTIONS * 100)}% of them actions, ${CONVERSATIONS} conversations, 127.0.0.1)`);
  console.log(line('catch-up rate', `${Math.round(rate).toLocaleString()} msgs/s`, '≥ 100,000 msgs/s', rate >= 100_000));
  console.log(line('raw SQLite insert rate', `${Math.round(rawRate).toLocaleString()} rows/s`, '(baseline)', true));
  console.log(line('ratio', (rate / rawRate).toFixed(2), '≥ 0.30', rate / rawRate >= 0.3));
  console.log(line('catch-up time', `${seconds.toFixed(1)} s`, '', true));
  const searchable = total / searchableSeconds;
  console.log(line('all searchable after', `${searchableSeconds.toFixed(1)} s (${Math.round(searchable).toLocaleString()} msgs/s)`, '', true));
  console.log(line('ratio, searchable', (searchable / rawRate).toFixed(2), '≥ 0.30', searchable / rawRate >= 0.3));
  console.log(line('engine RSS afterwards', mb(rss), '≤ 200 MB', rss <= 200 * 2 ** 20));
  console.log(line('event-loop delay p99', `${p99.toFixed(1)} ms`, '≤ 50 ms', p99 <= 50));
  console.log('(the event-loop delay and RSS cover the index build after catch-up too)');
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
