// The Storage interface's contract (server/storage/storage.ts), run against both backends: SQLite
// in a temp dir and PostgreSQL in a database of its own per test. Then what only several nodes on
// one PostgreSQL database can show: seqs and idempotency under concurrent writers on two nodes,
// membership checked inside the write whatever a node holds in memory, receipts from two nodes,
// connections to the database lost and back, and the migrations.
import { afterEach, describe, expect, it } from 'vitest';
import { ParleyError, type ConversationEvent } from '../../protocol/index.js';
import { isUnavailable, openDatabase } from '../../server/storage/postgres/database.js';
import { migrations } from '../../server/storage/postgres/migrations/index.js';
import { openPostgresStorage } from '../../server/storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../../server/storage/sqlite/sqlite-storage.js';
import type { Authorize, NewAction, NewMessage, Storage } from '../../server/storage/storage.js';
import { startProxy } from '../faults/proxy.js';
import { cleanup, onCleanup, tempDir, until } from '../support/harness.js';
import { adminQuery, terminateConnections, testDatabase } from '../support/postgres.js';

afterEach(cleanup);

interface Backend {
  name: string;
  /** A new, empty store: open() is a node on it (with PostgreSQL, each call another node on one database). */
  fresh(): Promise<{ open(): Promise<Storage> }>;
  /** Text holding U+0000: SQLite keeps it, PostgreSQL cannot and refuses it. */
  nul: 'kept' | 'refused';
}

const closedAtCleanup = (storage: Storage) => {
  onCleanup(() => storage.close());
  return storage;
};

const sqlite: Backend = {
  name: 'SQLite',
  nul: 'kept',
  async fresh() {
    const dir = tempDir('parley-storage-');
    return { open: async () => closedAtCleanup(openSqliteStorage(dir)) };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  nul: 'refused',
  async fresh() {
    const url = await testDatabase();
    return { open: async () => closedAtCleanup(await openPostgresStorage(url)) };
  },
};

const code = (error: unknown) => (error instanceof ParleyError ? error.code : `not a ParleyError: ${String(error)}`);
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => code(error),
  );

async function withUsers(storage: Storage, ...addresses: string[]) {
  for (const address of addresses) await storage.createUser({ address, name: `Name of ${address}` });
}

/** A group g: ann admin, bob and cat members (joined together: bob is the longest-standing by address). */
async function group(storage: Storage, id = 'g', type: 'group' | 'channel' = 'group') {
  await storage.createConversation({
    id,
    type,
    title: 'G',
    distinctKey: null,
    members: [
      { address: 'ann', role: 'admin' },
      { address: 'bob', role: 'member' },
      { address: 'cat', role: 'member' },
    ],
    createdAt: 1,
  });
}

const message = (sender: string, clientId: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  conversationId: 'g',
  sender,
  deviceId: `${sender}-device`,
  clientId,
  body: `body of ${clientId}`,
  serverTime: 10,
  ...extra,
});

const seqsOf = (events: ConversationEvent[]) => events.map((e) => e.seq);

for (const backend of [sqlite, postgres]) {
  describe(`Storage contract on ${backend.name}`, () => {
    const open = async () => (await backend.fresh()).open();

    it('keeps users: created once, found, searched by address or name (case-insensitive, % and _ literal), missing ones named in order', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'a_b');
      await s.createUser({ address: 'pct', name: '100% sure' });
      expect(await failure(s.createUser({ address: 'ann', name: 'again' }))).toBe('conflict');
      expect(await s.getUser('ann')).toEqual({ address: 'ann', name: 'Name of ann' });
      expect(await s.getUser('nobody')).toBeNull();
      expect((await s.searchUsers('ANN', 10)).map((u) => u.address)).toEqual(['ann']);
      expect((await s.searchUsers('name of', 2)).map((u) => u.address)).toEqual(['a_b', 'ann']);
      expect((await s.searchUsers('_', 10)).map((u) => u.address)).toEqual(['a_b']);
      expect((await s.searchUsers('%', 10)).map((u) => u.address)).toEqual(['pct']);
      expect(await s.missingUsers(['zed', 'ann', 'yan', 'bob'])).toEqual(['zed', 'yan']);
      expect(await s.missingUsers([])).toEqual([]);
    });

    it('keeps a user’s limits, profile and last-seen time (which never moves back)', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob');
      expect(await s.getUserLimits('nobody')).toBeNull();
      expect(await s.getUserLimits('ann')).toEqual({});
      const limits = { rateLimit: { burst: 5, perSecond: 2 } };
      expect(await s.setUserLimits('ann', limits)).toBe(true);
      expect(await s.getUserLimits('ann')).toEqual(limits);
      expect(await s.setUserLimits('ann', {})).toBe(true);
      expect(await s.getUserLimits('ann')).toEqual({});
      expect(await s.setUserLimits('nobody', limits)).toBe(false);

      expect(await s.getProfile('ann')).toEqual({ user: { address: 'ann', name: 'Name of ann' }, hideLastSeen: false, lastSeen: null, hiddenVersion: 0 });
      expect(await s.setProfile('ann', { name: 'Ann', avatar: 'file-1', hideLastSeen: true })).toEqual({
        user: { address: 'ann', name: 'Ann', avatar: 'file-1' },
        hideLastSeen: true,
        lastSeen: null,
        hiddenVersion: 0,
      });
      // Only the fields given change; a null avatar removes it.
      expect((await s.setProfile('ann', { avatar: null }))?.user).toEqual({ address: 'ann', name: 'Ann' });
      expect((await s.setProfile('ann', { hideLastSeen: false }))?.hideLastSeen).toBe(false);
      expect(await s.setProfile('nobody', { name: 'x' })).toBeNull();

      await s.setLastSeen([
        ['ann', 500],
        ['bob', 300],
        ['ann', 400],
      ]);
      await s.setLastSeen([['ann', 200]]);
      await s.setLastSeen([]);
      expect((await s.getProfile('ann'))?.lastSeen).toBe(500);
      expect((await s.getProfile('bob'))?.lastSeen).toBe(300);
    });

    it('keeps tokens by hash and revokes all of a user’s, counting them; tells which of many are live', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob');
      await s.createToken('ann', 'hash-1', 1000);
      await s.createToken('ann', 'hash-2', 2000);
      await s.createToken('bob', 'hash-3', 2000);
      expect(await s.findToken('hash-1')).toEqual({ hash: 'hash-1', address: 'ann', expiresAt: 1000, revoked: false });
      expect(await s.findToken('hash-x')).toBeNull();
      expect(await s.liveTokens(['hash-1', 'hash-3', 'hash-x', "'); DROP TABLE tokens; --"])).toEqual(new Set(['hash-1', 'hash-3']));
      expect(await s.liveTokens([])).toEqual(new Set());
      expect(await s.revokeTokens('ann')).toBe(2);
      expect(await s.liveTokens(['hash-1', 'hash-2', 'hash-3'])).toEqual(new Set(['hash-3']));
      expect(await s.revokeTokens('ann')).toBe(0);
      expect((await s.findToken('hash-2'))?.revoked).toBe(true);
    });

    it('creates conversations, finds a distinct one again by its key, and lists them with their participants', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      const direct = { id: 'd1', type: 'direct' as const, title: null, distinctKey: 'direct:ann,bob', createdAt: 5 };
      const both = [
        { address: 'ann', role: 'admin' as const },
        { address: 'bob', role: 'admin' as const },
      ];
      expect(await s.createConversation({ ...direct, members: both })).toEqual({ id: 'd1', created: true });
      expect(await s.createConversation({ ...direct, id: 'd2', members: both })).toEqual({ id: 'd1', created: false });
      await group(s);
      expect(await s.getConversation('d1')).toEqual({ id: 'd1', type: 'direct', title: null, description: null, lastSeq: 0, lastActivity: 5, createdAt: 5 });
      expect(await s.getConversation('d2')).toBeNull();
      expect(await s.getParticipants('g')).toEqual([
        { address: 'ann', role: 'admin', deliveredSeq: 0, readSeq: 0, name: 'Name of ann' },
        { address: 'bob', role: 'member', deliveredSeq: 0, readSeq: 0, name: 'Name of bob' },
        { address: 'cat', role: 'member', deliveredSeq: 0, readSeq: 0, name: 'Name of cat' },
      ]);
      const members = await s.getMembers('g');
      expect(members?.type).toBe('group');
      expect(members?.addresses).toEqual(['ann', 'bob', 'cat']);
      expect(members?.roles.get('ann')).toBe('admin');
      expect(await s.getMembers('nothing')).toBeNull();
      const listed = await s.listConversations('bob');
      expect(listed.map((c) => c.id).sort()).toEqual(['d1', 'g']);
      expect(listed.find((c) => c.id === 'd1')?.participants.map((p) => p.address)).toEqual(['ann', 'bob']);
      expect(await s.listConversations('nobody')).toEqual([]);
      expect(await s.stats()).toEqual({ users: 3, conversations: 2, messages: 0 });
    });

    it('numbers messages 1, 2, 3…, answers a retried send with the stored one, and moves the sender’s marks past it', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s);
      const first = await s.appendMessage(message('ann', 'c1'));
      expect(first).toEqual({
        event: { type: 'message', conversationId: 'g', seq: 1, sender: 'ann', clientId: 'c1', body: 'body of c1', serverTime: 10 },
        duplicate: false,
        members: ['ann', 'bob', 'cat'],
      });
      expect((await s.appendMessage(message('bob', 'c1'))).event.seq).toBe(2); // another sender's clientId is theirs
      expect((await s.appendMessage(message('ann', 'c1', { deviceId: 'other' }))).event.seq).toBe(3); // and another device's
      const retry = await s.appendMessage(message('ann', 'c1', { body: 'changed', serverTime: 99 }));
      expect(retry).toEqual({ ...first, duplicate: true });
      const file = { url: 'https://elsewhere.example/f', name: 'f.txt', size: 3, mime: 'text/plain', sha256: 'a'.repeat(64) };
      const withFile = await s.appendMessage(message('cat', 'c4', { file }));
      expect(withFile.event).toMatchObject({ seq: 4, file });
      expect((await s.appendMessage(message('cat', 'c4'))).event).toEqual(withFile.event);

      const conversation = await s.getConversation('g');
      expect(conversation).toMatchObject({ lastSeq: 4, lastActivity: 10 });
      const marks = Object.fromEntries((await s.getParticipants('g')).map((p) => [p.address, [p.deliveredSeq, p.readSeq]]));
      expect(marks).toEqual({ ann: [3, 3], bob: [2, 2], cat: [4, 4] });
      expect(seqsOf(await s.getEvents('g', 1, 10, 100))).toEqual([1, 2, 3, 4]);
      expect((await s.stats()).messages).toBe(4);
    });

    it('keeps a clientId reused in another conversation as a new message there', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s, 'g');
      await group(s, 'h');
      await s.appendMessage(message('ann', 'same'));
      const there = await s.appendMessage(message('ann', 'same', { conversationId: 'h' }));
      expect(there.duplicate).toBe(false);
      expect(there.event).toMatchObject({ conversationId: 'h', seq: 1 });
    });

    it('refuses a sender who is not a member and what the caller’s rule refuses, storing nothing; a stored send retried after a removal still gets its answer', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      expect(await failure(s.appendMessage(message('dan', 'x')))).toBe('not_member');
      expect(await failure(s.appendMessage(message('ann', 'x', { conversationId: 'nothing' })))).toBe('not_member');
      const forbid: Authorize = () => {
        throw new ParleyError('forbidden', 'not here');
      };
      expect(await failure(s.appendMessage(message('ann', 'x', { authorize: forbid })))).toBe('forbidden');
      const stored = await s.appendMessage(message('cat', 'kept'));
      await s.changeMembers('g', { add: [], remove: ['cat'] }, null, 11);
      expect(await s.appendMessage(message('cat', 'kept'))).toMatchObject({ event: stored.event, duplicate: true });
      expect(await failure(s.appendMessage(message('cat', 'new')))).toBe('not_member');
      expect((await s.getConversation('g'))?.lastSeq).toBe(2); // the message and the removal, nothing else
    });

    it('gives the caller’s rule the members, types and roles as the write sees them', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s, 'c', 'channel');
      const adminsPost = (sender: string): Authorize => (m) => {
        if (m.type === 'channel' && m.roles.get(sender) !== 'admin') throw new ParleyError('forbidden', 'only admins post in a channel');
      };
      expect(await failure(s.appendMessage(message('bob', 'b1', { conversationId: 'c', authorize: adminsPost('bob') })))).toBe('forbidden');
      await s.changeMembers('c', { add: [], remove: [], roles: [{ address: 'bob', role: 'admin' }] }, 'ann', 12);
      expect((await s.appendMessage(message('bob', 'b1', { conversationId: 'c', authorize: adminsPost('bob') }))).event.seq).toBe(2);
    });

    it('numbers concurrent sends gap-free and unique', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s);
      await group(s, 'h');
      const results = await Promise.all(
        Array.from({ length: 240 }, (_, i) => s.appendMessage(message(['ann', 'bob', 'cat'][i % 3]!, `c${i}`, { conversationId: i % 2 ? 'g' : 'h' }))),
      );
      for (const id of ['g', 'h']) {
        const seqs = results.filter((r) => r.event.conversationId === id).map((r) => r.event.seq);
        expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
        expect((await s.getConversation(id))?.lastSeq).toBe(120);
      }
    });

    it('answers sends arriving together each on its own: the same send twice is one message, a refused one leaves the others, each conversation numbers its own', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s, 'g');
      await group(s, 'h');
      const [first, again, refused, other, there] = await Promise.allSettled([
        s.appendMessage(message('ann', 'twice')),
        s.appendMessage(message('ann', 'twice')),
        s.appendMessage(message('dan', 'stranger')),
        s.appendMessage(message('bob', 'other')),
        s.appendMessage(message('bob', 'there', { conversationId: 'h' })),
      ]);
      if (first.status !== 'fulfilled' || again.status !== 'fulfilled' || other.status !== 'fulfilled' || there.status !== 'fulfilled') {
        throw new Error('a send failed');
      }
      expect(again.value.event).toEqual(first.value.event);
      expect([first.value.duplicate, again.value.duplicate]).toEqual([false, true]);
      expect(refused.status === 'rejected' && code(refused.reason)).toBe('not_member');
      expect([first.value.event.seq, other.value.event.seq]).toEqual([1, 2]);
      expect(there.value.event.seq).toBe(1);
      expect(seqsOf(await s.getEvents('g', 1, 10, 10))).toEqual([1, 2]);
    });

    it('keeps message actions: a reply quotes its target’s current text, mentions keep members, revise, react, delete erases, hide for one person', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      const anyone = () => {};
      const action = (sender: string, clientId: string, target: number, change: NewAction['change']) =>
        s.appendAction({ conversationId: 'g', sender, deviceId: `${sender}-device`, clientId, target, change, serverTime: 20, authorize: anyone });
      await s.appendMessage(message('ann', 'm1', { body: 'first words' }));
      const revise = await action('ann', 'r1', 1, { type: 'revise', body: 'better words', mentions: ['bob', 'dan'] });
      expect(revise.event).toMatchObject({ type: 'revise', seq: 2, target: 1, body: 'better words', mentions: ['bob'] });
      const reply = await s.appendMessage(message('bob', 'm3', { replyTo: 1, mentions: ['ann', 'dan', 'ann'] }));
      expect(reply.event).toMatchObject({ seq: 3, replyTo: { seq: 1, sender: 'ann', quote: 'better words' }, mentions: ['ann'] });
      expect(await failure(s.appendMessage(message('bob', 'm4', { replyTo: 2 })))).toBe('bad_request');
      expect(await failure(s.appendMessage(message('bob', 'm4', { replyTo: 99 })))).toBe('not_found');
      const react = await action('cat', 'x1', 1, { type: 'react', emoji: '👍', on: true });
      expect(react.event).toMatchObject({ type: 'react', seq: 4, target: 1, emoji: '👍', on: true });
      expect((await action('cat', 'x1', 1, { type: 'react', emoji: '👍', on: true })).duplicate).toBe(true);
      expect(await failure(action('cat', 'x1', 1, { type: 'delete' }))).toBe('conflict');
      expect(await failure(action('dan', 'x2', 1, { type: 'delete' }))).toBe('not_member');
      const seen: string[][] = [];
      await action('bob', 'x3', 1, { type: 'react', emoji: '🎉', on: true });
      await s.appendAction({
        conversationId: 'g', sender: 'ann', deviceId: 'd', clientId: 'x4', target: 1, change: { type: 'react', emoji: '👍', on: true }, serverTime: 21,
        authorize: (_, target) => void seen.push([...target.emoji].sort()),
      });
      expect(seen).toEqual([['🎉', '👍']]);
      const removal = await action('ann', 'd1', 1, { type: 'delete' });
      expect(removal.event).toMatchObject({ type: 'delete', seq: 7, target: 1 });
      const events = await s.getEvents('g', 1, 10, 10);
      expect(events[0]).toMatchObject({ seq: 1, body: '', deleted: true });
      expect(events[1]).toMatchObject({ type: 'revise', body: '' });
      expect(events[2]).toMatchObject({ replyTo: { seq: 1, sender: 'ann', quote: '', deleted: true } });
      expect(await failure(action('ann', 'd2', 1, { type: 'delete' }))).toBe('bad_request');
      expect((await s.appendMessage(message('cat', 'm8', { replyTo: 1 }))).event).toMatchObject({ replyTo: { seq: 1, quote: '', deleted: true } });

      expect(await s.hideMessages('cat', 'g', [3, 1, 3])).toEqual({ version: 1, conversationId: 'g', seqs: [1, 3] });
      expect(await failure(s.hideMessages('cat', 'g', [2]))).toBe('bad_request');
      expect(await failure(s.hideMessages('dan', 'g', [1]))).toBe('not_member');
      await s.hideMessages('cat', 'g', [8]);
      expect(await s.hiddenAfter('cat', 0, 10)).toEqual([
        { version: 1, conversationId: 'g', seqs: [1, 3] },
        { version: 2, conversationId: 'g', seqs: [8] },
      ]);
      expect(await s.hiddenAfter('cat', 1, 10)).toHaveLength(1);
      expect((await s.getProfile('cat'))?.hiddenVersion).toBe(2);
    });

    it('changes members in one event: added, removed, roles; nothing changed is no event; the last admin leaving hands admin on', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      const added = await s.changeMembers('g', { add: [{ address: 'dan', role: 'member' }, { address: 'bob', role: 'member' }], remove: ['nobody'] }, 'ann', 20);
      expect(added).toEqual({
        event: { type: 'members', conversationId: 'g', seq: 1, sender: 'ann', added: ['dan'], removed: [], serverTime: 20 },
        before: ['ann', 'bob', 'cat'],
      });
      expect((await s.getMembers('g'))?.addresses).toEqual(['ann', 'bob', 'cat', 'dan']);
      expect(await s.changeMembers('g', { add: [], remove: [], roles: [{ address: 'ann', role: 'admin' }] }, 'ann', 21)).toEqual({
        event: null,
        before: ['ann', 'bob', 'cat', 'dan'],
      });
      const left = await s.changeMembers('g', { add: [], remove: ['ann'] }, 'ann', 22);
      expect(left.event).toEqual({ type: 'members', conversationId: 'g', seq: 2, sender: 'ann', added: [], removed: ['ann'], promoted: ['bob'], serverTime: 22 });
      const roles = await s.changeMembers('g', { add: [], remove: [], roles: [{ address: 'cat', role: 'admin' }, { address: 'bob', role: 'member' }] }, 'bob', 23);
      expect(roles.event).toMatchObject({ seq: 3, added: [], removed: [], promoted: ['cat'], demoted: ['bob'] });
      const members = await s.getMembers('g');
      expect([...members!.roles]).toEqual([
        ['bob', 'member'],
        ['cat', 'admin'],
        ['dan', 'member'],
      ]);
      expect(await s.changeMembers('nothing', { add: [], remove: ['ann'] }, null, 24)).toEqual({ event: null, before: [] });
    });

    it('checks a member’s change inside the write: a non-member is refused, and so is what the rule refuses, with nothing written', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      const anyone: Authorize = () => {};
      expect(await failure(s.changeMembers('g', { add: [{ address: 'dan', role: 'member' }], remove: [] }, 'dan', 30, anyone))).toBe('not_member');
      const refuse: Authorize = (m) => {
        if (m.roles.get('bob') !== 'admin') throw new ParleyError('forbidden', 'only admins');
      };
      expect(await failure(s.changeMembers('g', { add: [{ address: 'dan', role: 'member' }], remove: [] }, 'bob', 30, refuse))).toBe('forbidden');
      expect((await s.getMembers('g'))?.addresses).toEqual(['ann', 'bob', 'cat']);
      expect((await s.getConversation('g'))?.lastSeq).toBe(0);
    });

    it('keeps where a removed member’s history ends, until they are added again; a distinct group whose people changed is found no more', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await s.createConversation({
        id: 'dg',
        type: 'group',
        title: null,
        distinctKey: 'group:ann,bob,cat',
        members: ['ann', 'bob', 'cat'].map((address) => ({ address, role: address === 'ann' ? ('admin' as const) : ('member' as const) })),
        createdAt: 1,
      });
      await s.appendMessage(message('ann', 'm1', { conversationId: 'dg' }));
      const removal = await s.changeMembers('dg', { add: [], remove: ['cat'] }, 'ann', 40);
      expect(await s.departure('dg', 'cat')).toBe(removal.event!.seq);
      expect(await s.departure('dg', 'bob')).toBeNull();
      expect(await s.departures('cat', 10)).toEqual([{ conversationId: 'dg', seq: 2 }]);
      const again = await s.createConversation({ id: 'dg2', type: 'group', title: null, distinctKey: 'group:ann,bob,cat', members: [], createdAt: 2 });
      expect(again).toEqual({ id: 'dg2', created: true });
      await s.changeMembers('dg', { add: [{ address: 'cat', role: 'member' }], remove: [] }, 'ann', 41);
      expect(await s.departure('dg', 'cat')).toBeNull();
      expect(await s.departures('cat', 10)).toEqual([]);
    });

    it('edits a title and description in an event (an empty description clears it), checked inside the write', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      const edit = await s.editConversation('g', { title: 'New', description: 'About' }, 'ann', 50, () => {});
      expect(edit).toEqual({ type: 'edit', conversationId: 'g', seq: 1, sender: 'ann', title: 'New', description: 'About', serverTime: 50 });
      expect(await s.getConversation('g')).toMatchObject({ title: 'New', description: 'About', lastSeq: 1 });
      await s.editConversation('g', { description: '' }, null, 51);
      expect(await s.getConversation('g')).toMatchObject({ title: 'New', description: null, lastSeq: 2 });
      expect(await failure(s.editConversation('g', { title: 'x' }, 'dan', 52))).toBe('not_member');
      const refuse: Authorize = () => {
        throw new ParleyError('forbidden', 'no');
      };
      expect(await failure(s.editConversation('g', { title: 'x' }, 'bob', 52, refuse))).toBe('forbidden');
      expect(await s.getConversation('g')).toMatchObject({ title: 'New', lastSeq: 2 });
    });

    it('pages events by seq range, count and bytes, never answering an empty page', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s);
      for (let i = 1; i <= 5; i++) await s.appendMessage(message('ann', `c${i}`, { body: 'x'.repeat(100) }));
      expect(seqsOf(await s.getEvents('g', 2, 4, 100))).toEqual([2, 3, 4]);
      expect(seqsOf(await s.getEvents('g', 1, 5, 2))).toEqual([1, 2]);
      // Each is 100 bytes of body and 160 around it: 600 bytes take two.
      expect(seqsOf(await s.getEvents('g', 1, 5, 100, 600))).toEqual([1, 2]);
      expect(seqsOf(await s.getEvents('g', 3, 5, 100, 10))).toEqual([3]);
      expect(await s.getEvents('g', 6, 9, 100)).toEqual([]);
    });

    it('moves receipts forward only, read implying delivered; refuses a seq beyond the last and a non-member', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      for (let i = 1; i <= 3; i++) await s.appendMessage(message('ann', `c${i}`));
      expect(await s.advanceReceipt('g', 'bob', 'delivered', 2)).toEqual({ previous: 0, current: 2 });
      expect(await s.advanceReceipt('g', 'bob', 'delivered', 1)).toEqual({ previous: 2, current: 2 });
      expect(await s.advanceReceipt('g', 'bob', 'read', 3)).toEqual({ previous: 0, current: 3 });
      expect(await s.advanceReceipt('g', 'bob', 'delivered', 3)).toEqual({ previous: 3, current: 3 });
      expect(await failure(s.advanceReceipt('g', 'cat', 'read', 4))).toBe('bad_request');
      expect(await failure(s.advanceReceipt('g', 'dan', 'read', 1))).toBe('not_member');
      const bob = (await s.getParticipants('g')).find((p) => p.address === 'bob');
      expect(bob).toMatchObject({ deliveredSeq: 3, readSeq: 3 });
    });

    it('names the senders a receipt concerns: current members who sent in the range', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s);
      await s.appendMessage(message('ann', 'a1'));
      await s.appendMessage(message('bob', 'b1'));
      await s.appendMessage(message('ann', 'a2'));
      expect((await s.sendersBetween('g', 0, 3)).sort()).toEqual(['ann', 'bob']);
      expect(await s.sendersBetween('g', 2, 3)).toEqual(['ann']);
      await s.changeMembers('g', { add: [], remove: ['bob'] }, null, 60);
      expect(await s.sendersBetween('g', 0, 4)).toEqual(['ann']);
    });

    it('keeps files: records, completion, usage, stale uploads, and who may read one (uploader, members where it was sent, those who share a conversation with the user it pictures)', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s); // ann, bob, cat
      const record = { id: 'f1', owner: 'ann', name: 'a.txt', size: 10, mime: 'text/plain', sha256: null, createdAt: 100, complete: false };
      await s.createFile(record);
      await s.createFile({ ...record, id: 'f2', size: 5, createdAt: 300 });
      expect(await s.getFile('f1')).toEqual(record);
      expect(await s.getFile('none')).toBeNull();
      expect(await s.fileUsage('ann')).toEqual({ bytes: 15, uploads: 2, uploadBytes: 15 });
      expect(await s.fileUsage('bob')).toEqual({ bytes: 0, uploads: 0, uploadBytes: 0 });
      expect(await s.staleUploads(200)).toEqual(['f1']);
      await s.completeFile('f1', 12, 'abc');
      expect(await s.getFile('f1')).toMatchObject({ size: 12, sha256: 'abc', complete: true });
      expect(await s.fileUsage('ann')).toEqual({ bytes: 17, uploads: 1, uploadBytes: 5 });
      expect(await s.staleUploads(400)).toEqual(['f2']);

      expect(await s.mayReadFile('f1', 'ann')).toBe(true);
      expect(await s.mayReadFile('f1', 'bob')).toBe(false);
      // Sent by someone who may not read it: not linked.
      await s.appendMessage(message('bob', 'b1', { fileId: 'f1' }));
      expect(await s.mayReadFile('f1', 'cat')).toBe(false);
      await s.appendMessage(message('ann', 'a1', { fileId: 'f1' }));
      expect(await s.mayReadFile('f1', 'cat')).toBe(true);
      expect(await s.mayReadFile('f1', 'dan')).toBe(false);

      await s.createFile({ ...record, id: 'avatar', owner: 'bob', complete: true });
      await s.setProfile('bob', { avatar: 'avatar' });
      expect(await s.mayReadFile('avatar', 'cat')).toBe(true);
      expect(await s.mayReadFile('avatar', 'dan')).toBe(false);

      await s.deleteFile('f1');
      expect(await s.getFile('f1')).toBeNull();
      expect(await s.mayReadFile('f1', 'cat')).toBe(false);
    });

    it('names the people who share a conversation with a user', async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat', 'dan');
      await group(s);
      await s.setProfile('bob', { hideLastSeen: true });
      await s.setLastSeen([['cat', 70]]);
      const contacts = await s.contactsOf('ann', 10);
      expect(contacts.sort((a, b) => a.address.localeCompare(b.address))).toEqual([
        { address: 'bob', hideLastSeen: true, lastSeen: null },
        { address: 'cat', hideLastSeen: false, lastSeen: 70 },
      ]);
      expect(await s.contactsOf('ann', 1)).toHaveLength(1);
      expect(await s.contactsOf('dan', 10)).toEqual([]);
    });

    it(`${backend.nul === 'kept' ? 'keeps' : 'refuses (bad_request, nothing written)'} text holding U+0000`, async () => {
      const s = await open();
      await withUsers(s, 'ann', 'bob', 'cat');
      await group(s);
      const send = s.appendMessage(message('ann', 'nul', { body: 'a\u0000b' }));
      if (backend.nul === 'kept') {
        expect((await send).event).toMatchObject({ body: 'a\u0000b' });
      } else {
        expect(await failure(send)).toBe('bad_request');
        expect((await s.getConversation('g'))?.lastSeq).toBe(0);
        expect((await s.appendMessage(message('ann', 'next'))).event.seq).toBe(1);
      }
    });
  });
}

describe('PostgreSQL: several nodes on one database', () => {
  const nodes = async (count: number) => {
    const store = await postgres.fresh();
    const opened: Storage[] = [];
    for (let i = 0; i < count; i++) opened.push(await store.open());
    return opened;
  };

  it('numbers sends from two nodes into one conversation gap-free and unique', async () => {
    const [a, b] = (await nodes(2)) as [Storage, Storage];
    await withUsers(a, 'ann', 'bob', 'cat');
    await group(a);
    const sends = Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).appendMessage(message(['ann', 'bob', 'cat'][i % 3]!, `c${i}`)));
    const seqs = (await Promise.all(sends)).map((r) => r.event.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(seqsOf(await b.getEvents('g', 1, 1000, 1000))).toEqual(seqs);
    expect((await a.getConversation('g'))?.lastSeq).toBe(200);
  });

  it('writes a turn of sends into many conversations as one, from two nodes at once in opposite orders, without a deadlock or a gap; a change of members on one node refuses only its own conversation', async () => {
    // A deadlock, or any failure of the one statement, sends each conversation alone, and says so.
    const fellBack: unknown[] = [];
    const url = await testDatabase();
    const log = (message: string, error?: unknown) => void (message.includes('tries alone') && fellBack.push(error));
    const [a, b] = [closedAtCleanup(await openPostgresStorage(url, { log })), closedAtCleanup(await openPostgresStorage(url, { log }))];
    await withUsers(a, 'ann', 'bob', 'cat');
    const ids = Array.from({ length: 12 }, (_, i) => `g${String(i).padStart(2, '0')}`);
    for (const id of ids) await group(a, id);
    // Node a caches g00's members; node b takes cat out of it, so a's turn holds one stale conversation.
    await a.appendMessage(message('cat', 'warm', { conversationId: 'g00' }));
    await b.changeMembers('g00', { add: [], remove: ['cat'] }, null, 20);
    const rounds = 5;
    const answered = new Map<string, ConversationEvent>();
    for (let round = 0; round < rounds; round++) {
      // One turn each: a writes the conversations in one order, b in the reverse, both at once.
      const turn = (node: Storage, order: string[], tag: string) =>
        Promise.allSettled(order.map((id) => node.appendMessage(message(round % 2 ? 'bob' : 'cat', `${tag}-${round}-${id}`, { conversationId: id }))));
      const [fromA, fromB] = await Promise.all([turn(a, ids, 'a'), turn(b, [...ids].reverse(), 'b')]);
      for (const [results, order, tag] of [[fromA, ids, 'a'], [fromB, [...ids].reverse(), 'b']] as const) {
        results.forEach((result, i) => {
          const id = order[i]!;
          if (id === 'g00' && round % 2 === 0) expect(result.status === 'rejected' && code(result.reason), `${id} round ${round}`).toBe('not_member');
          else {
            expect(result.status, `${id} round ${round}: ${result.status === 'rejected' ? String(result.reason) : ''}`).toBe('fulfilled');
            // Each caller gets its own message back, as stored.
            if (result.status === 'fulfilled') answered.set(`${tag}-${round}-${id}`, result.value.event);
          }
        });
      }
    }
    expect(fellBack).toEqual([]);
    for (const id of ids) {
      const events = await b.getEvents(id, 1, 1000, 1000);
      expect(seqsOf(events), id).toEqual(events.map((_e, i) => i + 1));
      for (const e of events) if (e.type === 'message' && e.clientId !== 'warm') expect(answered.get(e.clientId), e.clientId).toEqual(e);
      const messages = events.filter((e) => e.type === 'message');
      // g00: the warm-up, then only bob's rounds (cat is out); every other: both nodes' sends of every round.
      expect(messages.length, id).toBe(id === 'g00' ? 1 + 2 * Math.floor(rounds / 2) : 2 * rounds);
    }
  });

  it('stores a send retried on two nodes at once exactly once, and both answer it', async () => {
    const [a, b] = (await nodes(2)) as [Storage, Storage];
    await withUsers(a, 'ann', 'bob', 'cat');
    await group(a);
    for (let i = 0; i < 30; i++) {
      const [x, y] = await Promise.all([a.appendMessage(message('ann', `c${i}`)), b.appendMessage(message('ann', `c${i}`))]);
      expect(x.event).toEqual(y.event);
      expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
    }
    expect(seqsOf(await a.getEvents('g', 1, 100, 100))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('checks membership inside the write whatever a node holds in memory, and each node’s members follow the other’s changes', async () => {
    const [a, b] = (await nodes(2)) as [Storage, Storage];
    await withUsers(a, 'ann', 'bob', 'cat', 'dan');
    await group(a);
    expect((await b.getMembers('g'))?.addresses).toEqual(['ann', 'bob', 'cat']); // b holds them now
    await a.changeMembers('g', { add: [{ address: 'dan', role: 'member' }], remove: ['cat'] }, 'ann', 5);
    // At once on b, heard of or not: cat is out, dan is in, and the send goes to the members as they are.
    expect(await failure(b.appendMessage(message('cat', 'late')))).toBe('not_member');
    const sent = await b.appendMessage(message('dan', 'new'));
    expect(sent.members).toEqual(['ann', 'bob', 'dan']);
    await until(async () => (await b.getMembers('g'))?.addresses.join() === 'ann,bob,dan', 'b to hear of the change');

    // A promotion on b counts for a's rule at once.
    await group(a, 'c', 'channel');
    const adminsPost: Authorize = (m) => {
      if (m.roles.get('bob') !== 'admin') throw new ParleyError('forbidden', 'only admins post in a channel');
    };
    expect(await failure(a.appendMessage(message('bob', 'b0', { conversationId: 'c', authorize: adminsPost })))).toBe('forbidden');
    await b.changeMembers('c', { add: [], remove: [], roles: [{ address: 'bob', role: 'admin' }] }, 'ann', 6);
    expect((await a.appendMessage(message('bob', 'b1', { conversationId: 'c', authorize: adminsPost }))).duplicate).toBe(false);
  });

  it('moves one person’s marks from two nodes at once without counting a range twice', async () => {
    const [a, b] = (await nodes(2)) as [Storage, Storage];
    await withUsers(a, 'ann', 'bob', 'cat');
    await group(a);
    for (let i = 1; i <= 40; i++) await a.appendMessage(message('ann', `c${i}`));
    const receipts = Array.from({ length: 40 }, (_, i) => ((i * 7) % 40) + 1).map((seq, i) => (i % 2 ? a : b).advanceReceipt('g', 'bob', 'read', seq));
    const moves = (await Promise.all(receipts)).filter((r) => r.current > r.previous);
    // The moves tile 0..40: each seq is newly read by exactly one receipt.
    const ranges = moves.map((r) => [r.previous, r.current] as const).sort((x, y) => x[0] - y[0]);
    expect(ranges[0]![0]).toBe(0);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    expect(ranges.at(-1)![1]).toBe(40);
  });

  it('answers unavailable while the database cannot be reached, writes nothing half, and works again when it is back', async () => {
    const url = await testDatabase();
    const proxy = await startProxy(5432);
    onCleanup(() => proxy.close());
    const through = new URL(url);
    through.port = new URL(proxy.url).port;
    const s = closedAtCleanup(await openPostgresStorage(through.toString()));
    const other = closedAtCleanup(await openPostgresStorage(url));
    await withUsers(s, 'ann', 'bob', 'cat', 'dan');
    await group(s);
    await s.appendMessage(message('ann', 'before'));

    proxy.setDown(true);
    expect(await failure(s.appendMessage(message('ann', 'during')))).toBe('unavailable');
    expect(await failure(s.advanceReceipt('g', 'bob', 'read', 1))).toBe('unavailable');
    expect(await failure(s.changeMembers('g', { add: [], remove: ['cat'] }, null, 3))).toBe('unavailable');
    expect(await failure(s.getEvents('g', 1, 10, 10))).toBe('unavailable');
    // Meanwhile another node changes the members: this one hears nothing of it.
    await other.changeMembers('g', { add: [{ address: 'dan', role: 'member' }], remove: [] }, null, 4);

    proxy.setDown(false);
    expect((await s.appendMessage(message('ann', 'during'))).event.seq).toBe(3);
    expect((await other.getConversation('g'))?.lastSeq).toBe(3);
    expect((await other.getMembers('g'))?.addresses).toEqual(['ann', 'bob', 'cat', 'dan']);
    // What it holds in memory was dropped with the connection that keeps it: it sees dan.
    await until(async () => (await s.getMembers('g'))?.addresses.includes('dan') === true, 'the members as they are now');
  });

  it('loses nothing and doubles nothing when the database ends every connection mid-send, and recovers', async () => {
    const url = await testDatabase();
    const [a, b] = [closedAtCleanup(await openPostgresStorage(url)), closedAtCleanup(await openPostgresStorage(url))];
    await withUsers(a, 'ann', 'bob', 'cat');
    await group(a);
    const acked = new Map<string, number>();
    const refused = new Set<string>();
    const send = (clientId: string, node: Storage) =>
      node.appendMessage(message('ann', clientId)).then(
        (r) => void acked.set(clientId, r.event.seq),
        (error: unknown) => {
          if (code(error) !== 'unavailable') throw error;
          refused.add(clientId);
        },
      );
    let terminated = 0;
    for (let round = 0; round < 3; round++) {
      const sends = Array.from({ length: 60 }, (_, i) => send(`r${round}-${i}`, i % 2 ? a : b));
      // Once a third of this round is answered, the database ends every connection to it.
      await until(() => acked.size + refused.size >= round * 60 + 20, 'a third of the round answered');
      terminated += await terminateConnections(url);
      await Promise.all(sends);
    }
    expect(terminated).toBeGreaterThan(0);
    // The refused are sent again, as a device would, until answered (the pool may refuse again while it
    // reconnects): each stored once, the acknowledged never twice.
    for (const clientId of refused) {
      await until(async () => {
        await send(clientId, a);
        return acked.has(clientId);
      }, `${clientId} stored once the database is back`);
    }
    // Read as a device would too: a connection ended while idle may answer unavailable once.
    let events: ConversationEvent[] = [];
    await until(async () => {
      events = await b.getEvents('g', 1, 1000, 1000).catch((error: unknown) => {
        if (code(error) !== 'unavailable') throw error;
        return [];
      });
      return events.length > 0;
    }, 'the history read back');
    expect(seqsOf(events)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    const stored = new Map(events.map((e) => [e.type === 'message' ? e.clientId : '', e.seq]));
    expect(stored.size).toBe(180);
    for (const [clientId, seq] of acked) expect(stored.get(clientId), clientId).toBe(seq);
    // Both nodes hear membership changes again.
    await b.changeMembers('g', { add: [], remove: ['cat'] }, null, 99);
    await until(async () => (await a.getMembers('g'))?.addresses.join() === 'ann,bob', 'a to hear of the change');
  });
});

describe('PostgreSQL: a node gone in the middle of a transaction', () => {
  it('has its session ended and its row locks freed once it idles in the transaction; it then finds the database unavailable', async () => {
    const url = await testDatabase();
    const db = await openDatabase(url, { log: () => {}, idleInTransactionMs: 300 });
    onCleanup(() => db.close());
    await db.migrate(['CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO t VALUES (1, 0)']);
    // A connection that locked a row and went quiet, as a node whose host died mid-transaction
    // (the server ending its session is an 'error' event on a client checked out of the pool).
    const gone = await db.pool.connect();
    gone.on('error', () => {});
    await gone.query('BEGIN');
    await gone.query('SELECT n FROM t WHERE id = 1 FOR UPDATE');
    // Waits for the lock, which PostgreSQL frees as it ends the idle session and undoes its transaction.
    expect(await db.query<{ n: number }>({ name: 'bump', text: 'UPDATE t SET n = n + 1 WHERE id = 1 RETURNING n' }, [])).toEqual([{ n: 1 }]);
    const error = await gone.query('SELECT 1').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isUnavailable(error)).toBe(true);
    gone.release(true);
  });
});

describe('PostgreSQL migrations', () => {
  it('applies each once, in order, recorded in parley_migrations; nodes opening at once migrate one at a time', async () => {
    const url = await testDatabase();
    const [a, b, c] = await Promise.all([openPostgresStorage(url), openPostgresStorage(url), openPostgresStorage(url)]);
    for (const s of [a, b, c]) closedAtCleanup(s);
    const versions = await adminQuery<{ version: number }>('SELECT version FROM parley_migrations ORDER BY version', [], url);
    expect(versions.map((r) => r.version)).toEqual(migrations.map((_, i) => i + 1));
    await a.close();
    closedAtCleanup(await openPostgresStorage(url));
    expect(await adminQuery('SELECT version FROM parley_migrations', [], url)).toHaveLength(migrations.length);
  });

  it('takes a database of the schema before message actions (version 1) to the current one, keeping its messages and noting the files they linked', async () => {
    const url = await testDatabase();
    const db = await openDatabase(url, { log: () => {} });
    onCleanup(() => db.close());
    await db.migrate(migrations.slice(0, 1));
    const fileId = 'a'.repeat(32);
    const file = (id: string) => JSON.stringify({ url: `https://parley.example/files/${id}`, name: 'f', size: 1, mime: 'text/plain', sha256: 'b'.repeat(64) });
    await adminQuery(
      `INSERT INTO users (address, name, created_at) VALUES ('ann', 'Ann', 1);
       INSERT INTO conversations (id, type, last_seq, last_activity, created_at) VALUES ('g', 'group', 2, 1, 1);
       INSERT INTO members (conversation_id, address, role, joined_at) VALUES ('g', 'ann', 'admin', 1);
       INSERT INTO files (id, owner, name, size, mime, created_at, complete) VALUES ('${fileId}', 'ann', 'f', 1, 'text/plain', 1, true);
       INSERT INTO file_links (file_id, conversation_id) VALUES ('${fileId}', 'g');
       INSERT INTO events (conversation_id, seq, type, sender, device_id, client_id, body, file, server_time) VALUES
         ('g', 1, 'message', 'ann', 'd', 'c1', 'linked', '${file(fileId)}', 1),
         ('g', 2, 'message', 'ann', 'd', 'c2', 'not linked here', '${file('c'.repeat(32))}', 2)`,
      [],
      url,
    );
    const s = closedAtCleanup(await openPostgresStorage(url));
    expect(seqsOf(await s.getEvents('g', 1, 10, 10))).toEqual([1, 2]);
    expect(await adminQuery('SELECT seq, file_id FROM events ORDER BY seq', [], url)).toEqual([
      { seq: '1', file_id: fileId },
      { seq: '2', file_id: null },
    ]);
    expect((await s.getProfile('ann'))?.hiddenVersion).toBe(0);
    // Deleting the message that carried the file takes the file's link with it.
    await s.appendAction({ conversationId: 'g', sender: 'ann', deviceId: 'd', clientId: 'x', target: 1, change: { type: 'delete' }, serverTime: 3, authorize: () => {} });
    expect(await s.mayReadFile(fileId, 'ann')).toBe(true); // the uploader still may
    expect(await adminQuery('SELECT 1 FROM file_links', [], url)).toEqual([]);
  });

  it('rolls back a migration that fails, keeping the ones before it, and refuses a schema newer than the build', async () => {
    const url = await testDatabase();
    const db = await openDatabase(url, { log: () => {} });
    onCleanup(() => db.close());
    const first = 'CREATE TABLE one (x INTEGER)';
    const broken = 'CREATE TABLE two (x INTEGER); INSERT INTO two VALUES (1); SELECT no_such_function()';
    await expect(db.migrate([first, broken])).rejects.toThrow(/no_such_function/);
    const tables = await adminQuery<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", [], url);
    expect(tables.map((t) => t.name)).toEqual(['one', 'parley_migrations']);
    expect(await adminQuery('SELECT version FROM parley_migrations', [], url)).toEqual([{ version: 1 }]);
    await db.migrate([first, 'CREATE TABLE two (x INTEGER)']);
    await expect(db.migrate([first])).rejects.toThrow(/schema version 2 is newer than this build knows \(1\)/);
  });
});
