// The message-action mix of bench:catchup --mix and bench:startup (bench/support/mix.ts): its
// shares, and only events the server would take (an edit or delete by the message's sender, nothing
// on a deleted message or on an action); and the startup store built from it through the engine's ingest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../common/node/sqlite.js';
import { migrations } from '../../main/core/store/migrations/index.js';
import { mixEvents, tally } from '../../bench/support/mix.js';
import { accountDirOf, seedStore } from '../../bench/support/seed-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the message-action mix', () => {
  it('has the shares asked for, and only actions the server takes', () => {
    const N = 50_000;
    const senders = ['a', 'b', 'c'];
    const messages = new Map<number, string>();
    const deleted = new Set<number>();
    const standing = new Set<string>();
    const kinds = { message: 0, revise: 0, delete: 0, react: 0, unreact: 0, reply: 0, mention: 0 };
    const problems: string[] = [];
    let seq = 0;
    for (const e of mixEvents({ seed: 7, senders, body: (s, edits) => `${s}/${edits}` })) {
      if (++seq > N) break;
      if (e.type === 'message') {
        kinds.message++;
        messages.set(seq, e.sender);
        if (e.replyTo && (kinds.reply++, messages.get(e.replyTo.seq) !== e.replyTo.sender)) problems.push(`${seq} replies to ${e.replyTo.seq}, not that message`);
        if (e.mentions && (kinds.mention++, e.mentions.includes(e.sender))) problems.push(`${seq} mentions its sender`);
        continue;
      }
      if (!messages.has(e.target)) problems.push(`${seq} acts on ${e.target}, not a message`);
      if (deleted.has(e.target)) problems.push(`${seq} acts on ${e.target}, deleted`);
      if (e.type === 'react') {
        const key = `${e.target} ${e.sender} ${e.emoji}`;
        if (standing.has(key) === e.on) problems.push(`${seq} reacts ${e.on ? 'again' : 'back'}: ${key}`);
        if (e.on) (kinds.react++, standing.add(key));
        else (kinds.unreact++, standing.delete(key));
        continue;
      }
      if (e.sender !== messages.get(e.target)) problems.push(`${seq}: a ${e.type} of someone else's message`);
      kinds[e.type]++;
      if (e.type === 'delete') deleted.add(e.target);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    const share = (n: number, of = N) => n / of;
    expect(Math.abs(share(kinds.message) - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(share(kinds.react + kinds.unreact) - 0.12)).toBeLessThan(0.01);
    expect(share(kinds.unreact)).toBeGreaterThan(0.01);
    expect(Math.abs(share(kinds.revise) - 0.06)).toBeLessThan(0.005);
    expect(Math.abs(share(kinds.delete) - 0.02)).toBeLessThan(0.003);
    expect(Math.abs(share(kinds.reply, kinds.message) - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(share(kinds.mention, kinds.message) - 0.05)).toBeLessThan(0.01);
  });

  it('counts what a history leaves', () => {
    const counted = tally();
    counted.add({ type: 'message', sender: 'a', body: 'one' });
    counted.add({ type: 'message', sender: 'b', body: 'two', replyTo: { seq: 1, sender: 'a', quote: 'one' } });
    counted.add({ type: 'revise', sender: 'a', target: 1, body: 'one!' });
    counted.add({ type: 'react', sender: 'b', target: 1, emoji: '👍', on: true });
    counted.add({ type: 'react', sender: 'a', target: 2, emoji: '👍', on: true });
    counted.add({ type: 'delete', sender: 'b', target: 2 });
    expect(counted.summary()).toEqual({ events: 6, messages: 2, replies: 0, revises: 1, deletes: 1, reacts: 2, edited: 1, reactionsOn: 1 });
  });

  it('seeds the startup store through the engine: actions applied, the newest message on top as the bench looks for it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-mix-'));
    dirs.push(dataDir);
    const serverUrl = 'http://127.0.0.1:9';
    const seed = seedStore({ dataDir, serverUrl, messages: 3000, conversations: 5, batch: 500 });
    const db = openDatabase(join(accountDirOf(dataDir, serverUrl, seed.me), 'parley-client.db'), migrations);
    try {
      const count = (sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number;
      expect(count(`SELECT count(*) FROM messages WHERE kind = 'text'`)).toBe(3000);
      expect(count('SELECT count(*) FROM messages')).toBe(seed.events);
      expect(seed.events / 3000).toBeCloseTo(1.25, 1);
      expect(count(`SELECT count(*) FROM messages WHERE kind = 'text' AND deleted = 1 AND body = ''`)).toBe(count(`SELECT count(*) FROM messages WHERE kind = 'delete'`));
      expect(count(`SELECT count(*) FROM messages WHERE kind = 'text' AND edit_seq IS NOT NULL AND body LIKE '%(edit %'`)).toBeGreaterThan(0);
      expect(count('SELECT count(*) FROM reactions WHERE on_ = 1')).toBeGreaterThan(0);
      expect(count(`SELECT count(*) FROM messages WHERE kind = 'text' AND reply_to IS NOT NULL`)).toBeGreaterThan(0);
      // Every message numbered for search, and the index built.
      expect(count('SELECT count(*) FROM search_docs')).toBe(3000);
      expect(count('SELECT count(*) FROM search_redo')).toBe(0);
      const newest = db.prepare('SELECT kind, body, deleted FROM messages WHERE conversation_id = ? AND seq = ?').get(seed.topConversationId, seed.topLastSeq);
      expect(newest).toMatchObject({ kind: 'text', deleted: null });
      expect((newest as { body: string }).body.startsWith(`#${seed.topLastSeq} `)).toBe(true);
      expect(count('SELECT last_seq FROM conversations WHERE id = ?', seed.topConversationId)).toBe(seed.topLastSeq);
    } finally {
      db.close();
    }
  });
});
