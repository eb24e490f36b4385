// Local full-text search (issue 16) on real engines, real stores and a real server: what a person
// types finds what they expect (diacritics, prefixes, phrases, CJK, every filter), nothing typed
// throws, pages are stable, and the index never misses a message: not after a crash mid-catch-up,
// not for a store made before search existed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../common/node/sqlite.js';
import { migrations } from '../../main/core/store/migrations/index.js';
import { createClient, type Client } from '../../main/core/index.js';
import { startChildHost } from '../support/child-host.js';
import { cleanup, nextEvent, online, pair, startClient, startTestServer, tempDir, until, type TestClient } from '../support/harness.js';

afterEach(cleanup);

/** Sends the texts from `from` in order and waits until `to` has them all indexed. */
async function deliver(from: Client, to: Client, conversationId: string, texts: readonly string[]): Promise<void> {
  for (const text of texts) from.sendMessage({ conversationId }, text);
  await until(() => (to.readConversation(conversationId)?.lastSeq ?? 0) >= texts.length && to.readMessages(conversationId).length >= texts.length, 'delivered');
  await to.searchSettled();
}

const found = (client: Client, query: string) => client.search(query).hits.map((h) => h.snippet.text.replace(/…/g, ''));

describe('search (issue 16)', () => {
  it('folds case and diacritics, matches the word being typed as a prefix, and keeps phrases exact', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    await deliver(bob, alice, conversationId, ['Meet me at the Café at noon', 'the quick brown fox', 'brown quick foxes', 'Résumé attached, naïve question']);

    expect(found(alice, 'cafe')).toEqual(['Meet me at the Café at noon']);
    expect(found(alice, 'CAFÉ')).toEqual(['Meet me at the Café at noon']);
    expect(found(alice, 'resume naive')).toEqual(['Résumé attached, naïve question']);
    // The last word as typed is a prefix; a finished word (a space after it) is not.
    expect(found(alice, 'fox').sort()).toEqual(['brown quick foxes', 'the quick brown fox']);
    expect(found(alice, 'fox ')).toEqual(['the quick brown fox']);
    // From three letters on: two are a whole word (a prefix of two would merge half the vocabulary).
    expect(found(alice, 'qui').sort()).toEqual(['brown quick foxes', 'the quick brown fox']);
    expect(found(alice, 'qu')).toEqual([]);
    expect(found(alice, '"quick brown"')).toEqual(['the quick brown fox']);
    expect(found(alice, 'nothing-like-this')).toEqual([]);

    const [hit] = alice.search('café').hits;
    expect(hit).toMatchObject({ conversationId, seq: 1, sender: 'bob', kind: 'text' });
    expect(hit!.messageId).toBe(alice.readMessages(conversationId)[0]!.id);
    // Highlights are offsets into the snippet, never markup.
    expect(hit!.snippet.highlights.map(([a, b]) => hit!.snippet.text.slice(a, b))).toEqual(['Café']);
  });

  it('finds CJK words inside unspaced text, two-character words included', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    await deliver(bob, alice, conversationId, ['明天的会议很重要', '東京で検索エンジンを作る', '한국어 메시지입니다', 'plain latin text']);

    expect(found(alice, '会议')).toEqual(['明天的会议很重要']);
    expect(found(alice, '明天的会')).toEqual(['明天的会议很重要']);
    expect(found(alice, '検索')).toEqual(['東京で検索エンジンを作る']);
    expect(found(alice, '한국어')).toEqual(['한국어 메시지입니다']);
    expect(found(alice, '议明')).toEqual([]);
    const [hit] = alice.search('会议').hits;
    expect(hit!.snippet.highlights.map(([a, b]) => hit!.snippet.text.slice(a, b))).toEqual(['会议']);
  });

  it('narrows by in:, from:, has:file, has:link, is:mention and dates', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    await t.user('carol', 'Carol Jones');
    const group = await alice.createConversation({ type: 'group', participants: ['bob', 'carol'], title: 'Design team' });
    await deliver(bob, alice, conversationId, ['budget report for you', 'see https://example.org/budget', 'hey @alice the budget is done']);
    alice.sendMessage({ conversationId: group.id }, 'budget for design');
    const path = join(tempDir('parley-search-file-'), 'budget-2026.pdf');
    writeFileSync(path, '%PDF-1.4 budget');
    await alice.sendFile({ conversationId: group.id }, path, { message: 'the numbers' });
    await until(() => alice.readMessages(group.id).every((m) => m.status !== 'sending'), 'file sent');
    await alice.searchSettled();

    expect(found(alice, 'budget in:design').sort()).toEqual(['budget for design', 'budget-2026.pdf the numbers']);
    expect(found(alice, 'budget in:"Design team" has:file')).toEqual(['budget-2026.pdf the numbers']);
    expect(found(alice, 'budget from:bob')).toHaveLength(3);
    expect(found(alice, 'budget from:me')).toHaveLength(2);
    expect(found(alice, 'has:link')).toEqual(['see https://example.org/budget']);
    expect(found(alice, 'budget is:mention')).toEqual(['hey @alice the budget is done']);
    expect(found(alice, 'budget after:2000-01-01')).toHaveLength(5);
    expect(found(alice, 'budget before:2000-01-01')).toEqual([]);
    // A filter that names nothing on this device says so, and finds nothing rather than everything.
    expect(alice.search('budget from:nobody')).toMatchObject({ hits: [], unknown: ['from:nobody'] });
    expect(alice.search('budget in:nowhere')).toMatchObject({ hits: [], unknown: ['in:nowhere'] });
  });

  it('reads anything typed as plain words: FTS syntax, unbalanced quotes and huge input never throw', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    await deliver(bob, alice, conversationId, ['NEAR the AND gate', 'a "quoted" word', 'col:value here']);
    for (const query of ['foo AND (', '"unbalanced', 'NEAR(a b)', '*', '^start', 'col:value', 'text:gate', 'scope:x', '"', '""', '()', '-', 'a OR', '\u0000', 'x'.repeat(100_000), '"'.repeat(999), 'in:', 'from:"', 'before:2026-99-99']) {
      expect(() => alice.search(query), query.slice(0, 40)).not.toThrow();
    }
    expect(found(alice, 'NEAR')).toEqual(['NEAR the AND gate']);
    expect(found(alice, 'AND gate')).toEqual(['NEAR the AND gate']);
    expect(found(alice, 'col:value')).toEqual(['col:value here']);
    expect(found(alice, '"quoted')).toEqual(['a "quoted" word']);
  });

  it('ranks by relevance, newer first among equals, and pages by cursor without repeats', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    const texts = Array.from({ length: 45 }, (_, i) => `report number ${i}`);
    texts.push('report report report: the weekly report');
    await deliver(bob, alice, conversationId, texts);
    const first = alice.search('report', { limit: 20 });
    expect(first.hits[0]!.snippet.text).toBe('report report report: the weekly report');
    // Among equals, the newest first.
    expect(first.hits[1]!.snippet.text).toBe('report number 44');
    const seen = first.hits.map((h) => h.seq);
    let cursor = first.cursor;
    while (cursor) {
      const page = alice.search('report', { limit: 20, cursor });
      seen.push(...page.hits.map((h) => h.seq));
      cursor = page.cursor;
    }
    expect(new Set(seen).size).toBe(46);
    expect(seen).toHaveLength(46);
    expect(() => alice.search('report', { cursor: 'not-a-cursor' })).toThrow(/cursor/);
  });

  it('loses no message from the index when the engine is killed mid-catch-up', async () => {
    const t = await startTestServer();
    const token = await t.user('reader');
    await t.user('sender');
    const { body } = await t.api<{ group: { id: string } }>('POST', '/groups', { name: 'Busy', members: ['sender', 'reader'] });
    const conversationId = body.group.id;
    const total = 8_000;
    // In concurrent runs of 500, which the server's group commit writes together.
    for (let from = 1; from <= total; from += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => from + k).map((i) =>
        t.server.storage.appendMessage({ conversationId, sender: 'sender', deviceId: 'seed', clientId: `seed-${i}`, body: `needle ${i} in the haystack`, serverTime: Date.now() }),
      ));
    }
    const dataDir = tempDir('parley-search-crash-');
    const host = startChildHost(dataDir, t.url, token);
    // Killed as soon as its first page is stored: catch-up is under way and nothing is indexed yet.
    const db = await until(() => host.lines.some((l) => l.sync === 'running'), 'catch-up started').then(() => new Database(join(dataDir, 'parley-client.db'), { readonly: true, fileMustExist: true }));
    const stored = () => db.prepare("SELECT count(*) FROM messages WHERE kind = 'text'").pluck().get() as number;
    await until(() => stored() > 0, 'a first page stored', 30_000);
    host.child.kill('SIGKILL');
    await until(() => host.state.exited !== null, 'the host gone');
    const indexedAtKill = Number(db.prepare("SELECT value FROM meta WHERE key = 'search_indexed'").pluck().get() ?? 0);
    db.close();
    expect(indexedAtKill).toBeLessThan(total);

    const reader = startClient(t.url, token, { dataDir });
    await online(reader);
    await reader.searchSettled();
    let count = 0;
    for (let page = reader.search('needle', { limit: 100 }); ; page = reader.search('needle', { limit: 100, cursor: page.cursor! })) {
      count += page.hits.length;
      if (!page.cursor) break;
    }
    expect(count).toBe(total);
    expect(reader.search('haystack').indexed).toBe(total);
  }, 120_000);

  it('indexes a store made before search, in slices, reporting progress, and finds its history', async () => {
    const dataDir = tempDir('parley-search-old-');
    // A store as the previous version left it: user_version 7, 3,000 messages, no search tables.
    const old = openDatabase(join(dataDir, 'parley-client.db'), migrations.slice(0, 7));
    old.prepare(`INSERT INTO conversations (id, type, title, participants, last_seq, have_seq, read_seq, last_activity, created_at) VALUES ('c1', 'group', 'Old times', '[]', 3000, 3000, 3000, 1, 1)`).run();
    const insert = old.prepare(`INSERT INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time) VALUES ('c1', ?, 'text', 'bob', ?, ?, ?)`);
    old.transaction(() => {
      for (let i = 1; i <= 3000; i++) insert.run(i, `old-${i}`, i === 1234 ? 'the lost café key' : `history line ${i}`, i);
    })();
    old.close();

    // Offline: the index is built from the store alone.
    const client = createClient({ dataDir, serverUrl: 'http://127.0.0.1:9', token: 'x', log: () => {} });
    try {
      const progress: { indexed: number; total: number }[] = [];
      client.on('searchProgress', (p) => progress.push(p));
      const first = nextEvent(client as TestClient, 'searchProgress');
      await client.searchSettled();
      await first;
      expect(progress.at(-1)).toEqual({ indexed: 3000, total: 3000 });
      // Built in more than one slice, the event loop free between them.
      expect(progress.length).toBeGreaterThan(1);
      expect(client.search('cafe in:old').hits.map((h) => h.seq)).toEqual([1234]);
      expect(client.search('history').hits).toHaveLength(20);
    } finally {
      client.stop();
    }
  });
});
