// The server's hot path keeps its guarantees: an ack means the message is on disk (a server killed
// with SIGKILL right after acks still has every acknowledged message, gap-free), and the members
// cache never grants what the database no longer does (a removal counts from the write after it,
// inside one batch too).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation, ConversationEvent } from '../../protocol/index.js';
import { createMembershipCache, membersFrom } from '../../server/storage/membership-cache.js';
import { createRecentSenders } from '../../server/storage/recent-senders.js';
import { openSqliteStorage } from '../../server/storage/sqlite/sqlite-storage.js';
import { startServerProcess } from '../../bench/support/server-process.js';
import { cleanup, onCleanup, rawDevice, startTestServer, tempDir, until, type RawDevice } from '../support/harness.js';

afterEach(cleanup);

const eventsOf = (device: RawDevice) => device.pushes.filter((p) => p.name === 'event').map((p) => p.payload as ConversationEvent);

describe('group commit under concurrency', () => {
  it('has every acknowledged message on disk, gap-free, when the server is killed right after the acks', async () => {
    const dataDir = tempDir('parley-kill-');
    const server = await startServerProcess(dataDir);
    onCleanup(() => server.stop());
    const token = async (address: string) => {
      await server.api('POST', '/users', { address, name: address });
      return (await server.api<{ token: string }>('POST', `/users/${address}/tokens`, {})).token;
    };
    const [annToken, bobToken] = [await token('ann'), await token('bob')];
    const devices = await Promise.all([1, 2, 3, 4].map((i) => rawDevice(server.url, i % 2 ? annToken : bobToken, `device-${i}`)));
    const created = await devices[0]!.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    if (!created.ok) throw new Error(created.error.message);
    const conversationId = created.data.id;

    // 400 sends at once from four devices: they arrive in a few turns and commit in batches. The
    // 150th ack kills the server on the spot, with many sends still in flight.
    const acked = new Map<string, number>();
    const sends = Array.from({ length: 400 }, (_, i) => {
      const clientId = `c-${i}`;
      return devices[i % 4]!.socket.timeout(10_000).emitWithAck('message:send', { conversationId, clientId, body: `message ${i}` }).then(
        (reply: { ok: boolean; data?: { seq: number } }) => {
          if (!reply.ok) return;
          acked.set(`device-${(i % 4) + 1}/${clientId}`, reply.data!.seq);
          if (acked.size === 150) server.child.kill('SIGKILL');
        },
        () => {}, // no answer: the server was gone
      );
    });
    await Promise.all(sends);
    await until(() => server.child.signalCode === 'SIGKILL', 'the server killed');
    expect(acked.size).toBeGreaterThanOrEqual(150);

    const db = new Database(join(dataDir, 'parley.db'), { readonly: true });
    onCleanup(() => {
      db.close();
    });
    const stored = db
      .prepare("SELECT seq, device_id AS device, client_id AS clientId FROM events WHERE conversation_id = ? AND type = 'message' ORDER BY seq")
      .all(conversationId) as Array<{ seq: number; device: string; clientId: string }>;
    const storedSeqs = new Map(stored.map((row) => [`${row.device}/${row.clientId}`, row.seq]));
    for (const [key, seq] of acked) expect(storedSeqs.get(key), key).toBe(seq);
    expect(stored.map((row) => row.seq)).toEqual(stored.map((_, i) => i + 1));
    const lastSeq = db.prepare('SELECT last_seq FROM conversations WHERE id = ?').pluck().get(conversationId);
    expect(lastSeq).toBe(stored.length);
  });
});

describe('members cache', () => {
  it('applies a removal to the writes after it in the same batch, and to none before it', async () => {
    const storage = openSqliteStorage(tempDir('parley-members-'));
    onCleanup(() => storage.close());
    for (const address of ['ann', 'bob', 'cat']) await storage.createUser({ address, name: address });
    const members = ['ann', 'bob', 'cat'].map((address) => ({ address, role: address === 'ann' ? ('admin' as const) : ('member' as const) }));
    await storage.createConversation({ id: 'g', type: 'group', title: 'G', distinctKey: null, members, createdAt: 1 });
    expect((await storage.getMembers('g'))?.addresses).toEqual(['ann', 'bob', 'cat']); // cached from here on

    const send = (sender: string, clientId: string) => storage.appendMessage({ conversationId: 'g', sender, deviceId: 'd', clientId, body: clientId, serverTime: 2 });
    // All in one turn, so one batch, in this order.
    const [before, removal, after, other] = await Promise.allSettled([
      send('cat', 'cat-before'),
      storage.changeMembers('g', { add: [], remove: ['cat'] }, 'ann', 3),
      send('cat', 'cat-after'),
      send('bob', 'bob-after'),
    ]);
    expect(before).toMatchObject({ status: 'fulfilled', value: { event: { seq: 1 } } });
    expect(removal).toMatchObject({ status: 'fulfilled', value: { event: { seq: 2, removed: ['cat'] }, before: ['ann', 'bob', 'cat'] } });
    expect(after).toMatchObject({ status: 'rejected', reason: { code: 'not_member' } });
    expect(other).toMatchObject({ status: 'fulfilled', value: { event: { seq: 3 } } });
    expect((await storage.getMembers('g'))?.addresses).toEqual(['ann', 'bob']);
    // A retry of a send stored while cat was a member still gets its original answer.
    expect(await send('cat', 'cat-before')).toMatchObject({ duplicate: true, event: { seq: 1 } });

    await storage.changeMembers('g', { add: [{ address: 'cat', role: 'member' }], remove: [] }, 'ann', 4);
    expect((await storage.getMembers('g'))?.addresses).toEqual(['ann', 'bob', 'cat']);
    expect(await send('cat', 'cat-back')).toMatchObject({ duplicate: false, event: { seq: 5 } });
  });

  it('checks each rule inside the write: an edit or a channel post after a removal or demotion in the same batch is refused', async () => {
    const storage = openSqliteStorage(tempDir('parley-rules-'));
    onCleanup(() => storage.close());
    for (const address of ['ann', 'bob', 'cat', 'dan']) await storage.createUser({ address, name: address });
    const admins = (...addresses: string[]) => ['ann', 'bob', 'cat'].map((address) => ({ address, role: addresses.includes(address) ? ('admin' as const) : ('member' as const) }));
    await storage.createConversation({ id: 'g', type: 'group', title: 'Before', distinctKey: null, members: admins('ann', 'cat'), createdAt: 1 });
    await storage.createConversation({ id: 'ch', type: 'channel', title: 'News', distinctKey: null, members: admins('ann', 'cat'), createdAt: 1 });
    const adminsOnly = (who: string) => (m: { roles: ReadonlyMap<string, string> }) => {
      if (m.roles.get(who) !== 'admin') throw Object.assign(new Error('only admins'), { code: 'forbidden' });
    };

    // The operator removes admin cat; cat's edit arrives in the same turn, after it.
    const [removed, edit] = await Promise.allSettled([
      storage.changeMembers('g', { add: [], remove: ['cat'] }, null, 2),
      storage.editConversation('g', { title: 'pwned by cat' }, 'cat', 2, adminsOnly('cat')),
    ]);
    expect(removed.status).toBe('fulfilled');
    expect(edit).toMatchObject({ status: 'rejected', reason: { code: 'not_member' } });
    expect((await storage.getConversation('g'))?.title).toBe('Before');

    // cat is removed and added back as a plain member, then posts in the channel: all one batch.
    const [out, back, post, other] = await Promise.allSettled([
      storage.changeMembers('ch', { add: [], remove: ['cat'] }, null, 3),
      storage.changeMembers('ch', { add: [{ address: 'cat', role: 'member' }], remove: [] }, null, 3),
      storage.appendMessage({ conversationId: 'ch', sender: 'cat', deviceId: 'd', clientId: 'c1', body: 'hi', serverTime: 3, authorize: adminsOnly('cat') }),
      storage.changeMembers('ch', { add: [{ address: 'dan', role: 'member' }], remove: [] }, null, 3),
    ]);
    expect([out.status, back.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(post).toMatchObject({ status: 'rejected', reason: { code: 'forbidden' } });
    // Who hears of dan's arrival: the members as that write saw them, cat among them again, not as before the batch.
    expect(other).toMatchObject({ status: 'fulfilled', value: { before: ['ann', 'bob', 'cat'] } });
    expect((await storage.getEvents('ch', 1, 10, 10)).map((e) => e.type)).toEqual(['members', 'members', 'members']);
  });

  it('sends a removed member nothing more, refuses their requests, and serves them again once re-added', async () => {
    const t = await startTestServer();
    const [annToken, bobToken, catToken] = [await t.user('ann'), await t.user('bob'), await t.user('cat')];
    const group = await t.api<{ group: Conversation }>('POST', '/groups', { name: 'Team', members: ['ann', 'bob', 'cat'] });
    const id = group.body.group.id;
    const [ann, bob, cat] = await Promise.all([rawDevice(t.url, annToken, 'ann-1'), rawDevice(t.url, bobToken, 'bob-1'), rawDevice(t.url, catToken, 'cat-1')]);
    const send = (device: RawDevice, clientId: string) => device.request<{ seq: number }>('message:send', { conversationId: id, clientId, body: clientId });

    expect(await send(ann, 'm1')).toMatchObject({ ok: true, data: { seq: 1 } });
    await until(() => eventsOf(cat).length === 1 && eventsOf(bob).length === 1, 'm1 everywhere');
    await t.api('DELETE', `/groups/${id}/members`, { members: ['cat'] });
    await until(() => eventsOf(cat).some((e) => e.type === 'members'), 'cat told of the removal');

    expect(await send(ann, 'm3')).toMatchObject({ ok: true, data: { seq: 3 } });
    await until(() => eventsOf(bob).some((e) => e.seq === 3), 'm3 at bob');
    // An answer to cat leaves after m3's broadcast on cat's one connection: a copy of m3 for cat
    // would have arrived before it.
    expect(await send(cat, 'from-cat')).toMatchObject({ ok: false, error: { code: 'not_member' } });
    expect(eventsOf(cat).map((e) => e.seq)).toEqual([1, 2]);
    // Retransmit serves the history cat had, up to the removal, and nothing after it.
    const history = await cat.request<{ events: Array<{ seq: number }> }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 3 });
    expect(history.ok && history.data.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(await cat.request('retransmit', { conversationId: id, fromSeq: 3, toSeq: 3 })).toMatchObject({ ok: false, error: { code: 'not_member' } });
    expect(await cat.request('receipt', { conversationId: id, type: 'read', seq: 2 })).toMatchObject({ ok: false, error: { code: 'not_member' } });
    // A receipt beyond the last seq is refused inside its write, with nothing moved.
    expect(await bob.request('receipt', { conversationId: id, type: 'read', seq: 4 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });

    await t.api('POST', `/groups/${id}/members`, { members: ['cat'] });
    expect(await send(ann, 'm5')).toMatchObject({ ok: true, data: { seq: 5 } });
    await until(() => eventsOf(cat).some((e) => e.seq === 5), 'm5 at cat once re-added');
    expect(await send(cat, 'cat-again')).toMatchObject({ ok: true, data: { seq: 6 } });
  });

  it('keeps at most its limits, in conversations and in member entries, dropping the least used (second chance)', () => {
    const of = (n: number) => membersFrom('group', Array.from({ length: n }, (_, i) => ({ address: `u${i}`, role: 'member' as const })));
    const cached = (cache: ReturnType<typeof createMembershipCache>, ids: string[]) => ids.filter((id) => cache.get(id) !== undefined);

    const byCount = createMembershipCache({ conversations: 3, members: 1000 });
    for (const id of ['a', 'b', 'c']) byCount.put(id, of(2));
    byCount.get('a'); // a is now the most recently used
    byCount.put('d', of(2));
    expect(cached(byCount, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);

    const byMembers = createMembershipCache({ conversations: 1000, members: 10 });
    for (const id of ['a', 'b', 'c']) byMembers.put(id, of(3));
    byMembers.get('a');
    byMembers.put('d', of(4)); // 13 entries: b, the least recently used, goes (10 left)
    expect(cached(byMembers, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
    byMembers.put('huge', of(11)); // bigger than the whole cache: never kept, the rest stays
    expect(cached(byMembers, ['a', 'c', 'd', 'huge'])).toEqual(['a', 'c', 'd']);
  });
});

describe('recent senders', () => {
  it('answers a range it holds whole, and null for one with a gap or older than it holds', () => {
    const recent = createRecentSenders({ conversations: 2, perConversation: 4 });
    recent.appended('c', 1, 'ann');
    recent.appended('c', 2, null); // a members event
    recent.appended('c', 3, 'bob');
    expect(recent.between('c', 0, 3)).toEqual(['ann', 'bob']);
    expect(recent.between('c', 1, 2)).toEqual([]);
    expect(recent.between('c', 0, 4)).toBeNull(); // seq 4 not written here (yet)
    recent.appended('c', 4, 'ann');
    recent.appended('c', 5, 'cat'); // holds 2…5 now
    expect(recent.between('c', 0, 5)).toBeNull();
    expect(recent.between('c', 1, 5)).toEqual(['bob', 'ann', 'cat']);
    recent.appended('c', 7, 'dan'); // 6 was written elsewhere and not heard of: a gap
    expect(recent.between('c', 4, 7)).toBeNull();
    expect(recent.between('c', 6, 7)).toEqual(['dan']);
    recent.appended('c', 6, 'eve'); // heard of late (another node's push): the gap closes
    expect(recent.between('c', 4, 7)).toEqual(['cat', 'eve', 'dan']);
    recent.appended('c', 2, 'fay'); // older than the four newest: not held
    expect(recent.between('c', 1, 2)).toBeNull();
    recent.appended('d', 1, 'ann');
    recent.appended('e', 1, 'ann'); // three conversations: the oldest, c, goes
    expect(recent.between('c', 6, 7)).toBeNull();
    expect(recent.between('e', 0, 1)).toEqual(['ann']);
  });

  it('gives the storage the same senders as the database, current members only', async () => {
    const dir = tempDir('parley-senders-');
    const storage = openSqliteStorage(dir);
    onCleanup(() => storage.close());
    const people = ['ann', 'bob', 'cat', 'dan'];
    for (const address of people) await storage.createUser({ address, name: address });
    await storage.createConversation({ id: 'g', type: 'group', title: 'G', distinctKey: null, members: people.map((address) => ({ address, role: 'member' as const })), createdAt: 1 });
    for (let i = 0; i < 100; i++) {
      if (i === 60) await storage.changeMembers('g', { add: [], remove: ['dan'] }, null, 2);
      const sender = people[(i * 7) % (i >= 60 ? 3 : 4)]!;
      await storage.appendMessage({ conversationId: 'g', sender, deviceId: 'd', clientId: `m${i}`, body: 'x', serverTime: 2 });
    }
    const db = new Database(join(dir, 'parley.db'), { readonly: true });
    onCleanup(() => {
      db.close();
    });
    const fromDatabase = db.prepare(
      `SELECT DISTINCT e.sender FROM events e JOIN members m ON m.conversation_id = e.conversation_id AND m.address = e.sender
       WHERE e.conversation_id = 'g' AND e.seq > ? AND e.seq <= ? AND e.type = 'message'`,
    ).pluck();
    // Ranges within the newest 64 events (held) and reaching older ones (asked of the database).
    for (const [previous, current] of [[90, 101], [98, 99], [60, 62], [70, 101], [0, 101], [10, 50], [36, 40]] as const) {
      expect((await storage.sendersBetween('g', previous, current)).sort(), `${previous}…${current}`).toEqual((fromDatabase.all(previous, current) as string[]).sort());
    }
  });
});
