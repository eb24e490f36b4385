// npm run bench:catchup — a device offline while 1,000,000 messages arrive in 100 conversations
// comes back and catches up. Prints the engine's msgs/s beside the raw better-sqlite3 insert rate
// of the same rows into the same schema (the search index included), measured in this run, and
// their ratio; the engine's RSS afterwards; and the event-loop delay p99 during catch-up. The
// search index follows catch-up (main/core/search/indexer.ts): the time until every message is
// searchable is printed too, with its rate and ratio.
//
// npm run bench:catchup -- --mix — the same with message actions (issue 14): 1,000,000 events of
// which 20% are reactions (some taken back), edits and deletes for everyone, the rest messages, some
// of them replies and mentions (bench/support/mix.ts), from three people. The device's store is then
// checked against what the history must leave (edited, deleted, reactions standing, replies), and
// the raw baseline inserts the rows the device ended with (each event's row, reactions, the search
// index of what is not deleted) plainly: what applying the actions costs is the engine's share.
// Options (env): CATCHUP_MESSAGES (default 1,000,000; events with --mix), CATCHUP_CONVERSATIONS (default 100).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openDatabase } from '../common/node/sqlite.js';
import { createClient } from '../main/core/index.js';
import { scope, scopeOf } from '../main/core/search/scope.js';
import { indexText } from '../main/core/search/text.js';
import { migrations } from '../main/core/store/migrations/index.js';
import { addSummaries, type MixSummary } from './support/mix.js';
import { startServerProcess } from './support/server-process.js';

const MIX = process.argv.includes('--mix');
const TOTAL = Number(process.env.CATCHUP_MESSAGES ?? 1_000_000);
const CONVERSATIONS = Number(process.env.CATCHUP_CONVERSATIONS ?? 100);
const perConversation = Math.ceil(TOTAL / CONVERSATIONS);
const total = perConversation * CONVERSATIONS;
const body = (n: number) => `Message number ${n}: the quick brown fox jumps over the lazy dog.`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const unit = MIX ? 'events' : 'msgs';
// With the mix, the reader writes too (from another device), and "sender" most.
const members = MIX ? ['sender', 'other', 'reader'] : ['sender', 'reader'];

const root = mkdtempSync(join(tmpdir(), 'parley-bench-catchup-'));
const server = await startServerProcess(join(root, 'server'));
try {
  for (const address of members) await server.api('POST', '/users', { address, name: address });
  const { token } = await server.api<{ token: string }>('POST', '/users/reader/tokens', {});
  const ids: string[] = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const { group } = await server.api<{ group: { id: string } }>('POST', '/groups', { name: `Room ${i}`, members });
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

  process.stdout.write(`seeding ${total.toLocaleString()} ${MIX ? 'events (the mix)' : 'messages'} in ${CONVERSATIONS} conversations on the server… `);
  const seedStart = performance.now();
  let mix: MixSummary | null = null;
  if (MIX) {
    const summaries = await Promise.all(
      ids.map((conversationId, i) => server.call<MixSummary>('seedMix', { conversationId, count: perConversation, seed: i + 1, senders: members })),
    );
    mix = summaries.reduce(addSummaries);
  } else {
    await Promise.all(ids.map((conversationId, i) => server.call('seed', { conversationId, sender: 'sender', count: perConversation, from: i * perConversation })));
  }
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
  loop.disable();
  // The index build after catch-up, measured apart: a long turn there is the indexer's slices.
  const indexLoop = monitorEventLoopDelay({ resolution: 10 });
  indexLoop.enable();
  await client.searchSettled();
  const searchableSeconds = (performance.now() - start) / 1000;
  indexLoop.disable();
  const stored = client.readConversations().reduce((n, c) => n + c.lastSeq, 0);
  if (stored < total) throw new Error(`caught up only ${stored} of ${total}`);
  const rate = total / seconds;
  global.gc?.();
  const rss = process.memoryUsage().rss;
  client.stop();

  const rawRate = mix ? rawCopy(join(dataDir, 'parley-client.db'), join(root, 'raw', 'raw.db'), mix) : rawMessages(join(root, 'raw', 'raw.db'), ids);

  const p99 = loop.percentile(99) / 1e6;
  const indexP99 = indexLoop.percentile(99) / 1e6;
  const line = (label: string, value: string, target: string, ok: boolean) =>
    `${label.padEnd(26)}${value.padEnd(22)}${target.padEnd(22)}${ok ? 'ok' : 'MISSED'}`;
  console.log(`\nbench:catchup${MIX ? ' --mix' : ''}  (${total.toLocaleString()} ${MIX ? 'events' : 'messages'}, ${CONVERSATIONS} conversations, 127.0.0.1)`);
  if (mix) {
    const pct = (n: number) => `${((100 * n) / mix!.events).toFixed(1)}%`;
    console.log(
      `mix: ${mix.messages.toLocaleString()} messages (${mix.replies.toLocaleString()} replies), ${mix.reacts.toLocaleString()} reactions ${pct(mix.reacts)} ` +
        `(${mix.reactionsOn.toLocaleString()} standing at the end), ${mix.revises.toLocaleString()} edits ${pct(mix.revises)}, ${mix.deletes.toLocaleString()} deletes ${pct(mix.deletes)}; ` +
        `the device's store checked against it`,
    );
  }
  console.log(line('catch-up rate', `${Math.round(rate).toLocaleString()} ${unit}/s`, `≥ 100,000 ${unit}/s`, rate >= 100_000));
  console.log(line('raw SQLite insert rate', `${Math.round(rawRate).toLocaleString()} rows/s`, '(baseline)', true));
  console.log(line('ratio', (rate / rawRate).toFixed(2), '≥ 0.30', rate / rawRate >= 0.3));
  console.log(line('catch-up time', `${seconds.toFixed(1)} s`, '', true));
  const searchable = total / searchableSeconds;
  console.log(line('all searchable after', `${searchableSeconds.toFixed(1)} s (${Math.round(searchable).toLocaleString()} ${unit}/s)`, '', true));
  console.log(line('ratio, searchable', (searchable / rawRate).toFixed(2), '≥ 0.30', searchable / rawRate >= 0.3));
  console.log(line('engine RSS afterwards', mb(rss), '≤ 200 MB', rss <= 200 * 2 ** 20));
  console.log(line('event-loop p99, catch-up', `${p99.toFixed(1)} ms`, '≤ 50 ms', p99 <= 50));
  console.log(line('event-loop p99, indexing', `${indexP99.toFixed(1)} ms`, '≤ 50 ms', indexP99 <= 50));
  console.log('(RSS covers the index build after catch-up too)');
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}

/**
 * The raw baseline: the same rows, the same schema and indexes (the search index too, its text and
 * scope made as the engine makes them), one transaction, no network.
 */
function rawMessages(file: string, ids: readonly string[]): number {
  const raw = openDatabase(file, migrations);
  const insert = raw.prepare(
    'INSERT INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertDoc = raw.prepare('INSERT INTO search_docs (conversation_id, seq, sent_at) VALUES (?, ?, ?)');
  const insertText = raw.prepare('INSERT INTO search_text (rowid, text, scope) VALUES (-?, ?, ?)');
  const now = Date.now();
  const rawStart = performance.now();
  raw.transaction(() => {
    for (let c = 0; c < CONVERSATIONS; c++) {
      const conversationToken = scope.conversation(ids[c]!);
      const docs: [number | bigint, number][] = [];
      for (let s = 1; s <= perConversation; s++) {
        const n = c * perConversation + s - 1;
        insert.run(ids[c], s, 'text', 'sender', `seed-${n}`, body(n), now);
        docs.push([insertDoc.run(ids[c], s, now).lastInsertRowid, n]);
      }
      // Newest first into the index, as the engine's indexer writes it (rowids ascending).
      for (const [doc, n] of docs.reverse()) insertText.run(doc, indexText(body(n)), scopeOf(conversationToken, 'sender', body(n), false));
    }
  })();
  const rawRate = total / ((performance.now() - rawStart) / 1000);
  raw.close();
  return rawRate;
}

/**
 * The mix's raw baseline: checks the device's store against the history (`mix`), then inserts the rows
 * it holds plainly into a fresh store of the same schema, one transaction, a conversation at a time:
 * every event's row as the device ended with it (an action's own row, its target as the actions left
 * it), the reactions standing, and the search index of what is not deleted (newest first, as the
 * indexer writes). Only the inserts are timed, not reading the rows from the device's store.
 */
function rawCopy(deviceFile: string, file: string, mix: MixSummary): number {
  const device = openDatabase(deviceFile, migrations);
  const count = (sql: string) => device.prepare(sql).pluck().get() as number;
  const found: Record<string, [number, number]> = {
    messages: [count(`SELECT count(*) FROM messages WHERE kind = 'text'`), mix.messages],
    replies: [count(`SELECT count(*) FROM messages WHERE kind = 'text' AND target IS NOT NULL AND reply_to IS NOT NULL`), mix.replies],
    'edit events': [count(`SELECT count(*) FROM messages WHERE kind = 'revise'`), mix.revises],
    'delete events': [count(`SELECT count(*) FROM messages WHERE kind = 'delete'`), mix.deletes],
    'react events': [count(`SELECT count(*) FROM messages WHERE kind = 'react'`), mix.reacts],
    'messages deleted': [count(`SELECT count(*) FROM messages WHERE kind = 'text' AND deleted = 1 AND body = ''`), mix.deletes],
    'messages edited': [count(`SELECT count(*) FROM messages WHERE kind = 'text' AND edit_seq IS NOT NULL AND deleted IS NULL`), mix.edited],
    'reactions standing': [
      count(`SELECT count(*) FROM reactions r JOIN messages m ON m.conversation_id = r.conversation_id AND m.seq = r.target WHERE r.on_ = 1 AND m.deleted IS NULL`),
      mix.reactionsOn,
    ],
    'indexed docs': [count('SELECT count(*) FROM search_docs'), mix.messages],
  };
  const wrong = Object.entries(found).filter(([, [have, want]]) => have !== want);
  if (wrong.length > 0) throw new Error(`the device's store is not what the history leaves: ${wrong.map(([k, [have, want]]) => `${k} ${have}, expected ${want}`).join('; ')}`);

  const raw = openDatabase(file, migrations);
  const columns = (device.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('messages') as string[]).join(', ');
  const readRows = device.prepare(`SELECT ${columns} FROM messages WHERE conversation_id = ? ORDER BY seq`).raw();
  const readReactions = device.prepare('SELECT * FROM reactions WHERE conversation_id = ?').raw();
  const insert = raw.prepare(`INSERT INTO messages (${columns}) VALUES (${columns.split(', ').map(() => '?').join(', ')})`);
  const insertReaction = raw.prepare('INSERT INTO reactions (conversation_id, target, sender, emoji, seq, on_) VALUES (?, ?, ?, ?, ?, ?)');
  const insertDoc = raw.prepare('INSERT INTO search_docs (conversation_id, seq, sent_at) VALUES (?, ?, ?)');
  const insertText = raw.prepare('INSERT INTO search_text (rowid, text, scope) VALUES (-?, ?, ?)');
  const at = Object.fromEntries(columns.split(', ').map((name, i) => [name, i]));
  const conversationIds = device.prepare('SELECT DISTINCT conversation_id FROM messages').pluck().all() as string[];
  let rows = 0;
  let ms = 0;
  // One transaction, its COMMIT timed too (the reads between the timed inserts are not).
  raw.exec('BEGIN');
  for (const id of conversationIds) {
    const messages = readRows.all(id) as unknown[][];
    const reactions = readReactions.all(id) as unknown[][];
    const started = performance.now();
    const conversationToken = scope.conversation(id);
    const docs: [number | bigint, unknown[]][] = [];
    for (const row of messages) {
      insert.run(row);
      if (row[at.kind!] === 'text') docs.push([insertDoc.run(id, row[at.seq!], row[at.server_time!]).lastInsertRowid, row]);
    }
    for (const row of reactions) insertReaction.run(row);
    for (const [doc, row] of docs.reverse()) {
      if (row[at.deleted!] !== null || row[at.hidden!] !== null) continue;
      const text = row[at.body!] as string;
      insertText.run(doc, indexText(text), scopeOf(conversationToken, row[at.sender!] as string, text, false));
    }
    ms += performance.now() - started;
    rows += messages.length;
  }
  const commit = performance.now();
  raw.exec('COMMIT');
  ms += performance.now() - commit;
  raw.close();
  device.close();
  return rows / (ms / 1000);
}
