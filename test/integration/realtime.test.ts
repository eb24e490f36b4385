// The real-time API against a real server: conversations, fan-out, idempotency, authorization
// and bad input, spoken by raw protocol devices.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, type Conversation, type Receipt } from '../../protocol/index.js';
import { cleanup, rawDevice, startTestServer, until, type RawDevice } from '../support/harness.js';

afterEach(cleanup);

async function twoUsers() {
  const t = await startTestServer();
  const ann = await rawDevice(t.url, await t.user('ann'), 'ann-1');
  const bob = await rawDevice(t.url, await t.user('bob'), 'bob-1');
  return { t, ann, bob };
}

describe('real-time API', () => {
  it('returns the same direct or distinct conversation and announces it to every participant, the creator too', async () => {
    const { t, ann, bob } = await twoUsers();
    await t.user('cat', 'Cat Stevens');
    const first = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    const second = await bob.request<Conversation>('conversation:create', { participants: ['ann'], type: 'direct' });
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.data.id).toBe(first.data.id);
    await until(() => ann.pushes.some((p) => p.name === 'conversation') && bob.pushes.some((p) => p.name === 'conversation'), 'conversation pushes');

    const g1 = await ann.request<Conversation>('conversation:create', { participants: ['bob', 'cat'], type: 'group', title: 'Plan', distinct: true });
    const g2 = await bob.request<Conversation>('conversation:create', { participants: ['ann', 'cat'], type: 'group', title: 'Plan', distinct: true });
    const g3 = await ann.request<Conversation>('conversation:create', { participants: ['bob', 'cat'], type: 'group', title: 'Plan' });
    if (!g1.ok || !g2.ok || !g3.ok) throw new Error('create failed');
    expect(g2.data.id).toBe(g1.data.id);
    expect(g3.data.id).not.toBe(g1.data.id);
    // Participants carry display names, so devices show people rather than addresses.
    expect(g1.data.participants.find((p) => p.address === 'cat')).toMatchObject({ name: 'Cat Stevens' });
    const synced = await bob.request<{ conversations: Conversation[] }>('sync', {});
    if (!synced.ok) throw new Error('sync failed');
    expect(synced.data.conversations.find((c) => c.id === g1.data.id)?.participants.map((p) => p.name)).toContain('Cat Stevens');

    const self = await ann.request('conversation:create', { participants: ['ann'], type: 'direct' });
    expect(self).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const ghost = await ann.request('conversation:create', { participants: ['ghost'], type: 'direct' });
    expect(ghost).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('numbers events gap-free and fans them out to every participant device, the sender\'s others too', async () => {
    const { t, ann, bob } = await twoUsers();
    const ann2 = await rawDevice(t.url, await t.user('ann'), 'ann-2');
    const created = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    if (!created.ok) throw new Error('create failed');
    const id = created.data.id;
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await ann.request<{ seq: number }>('message:send', { conversationId: id, clientId: `c${i}`, body: `hello ${i}` });
      if (!r.ok) throw new Error(r.error.message);
      seqs.push(r.data.seq);
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    const events = (d: typeof ann) => d.pushes.filter((p) => p.name === 'event').map((p) => (p.payload as { seq: number }).seq);
    await until(() => events(bob).length === 5 && events(ann2).length === 5, 'fan-out');
    expect(events(bob)).toEqual(seqs);
    expect(events(ann2)).toEqual(seqs);
    expect(events(ann)).toEqual([]); // the sending device has its ack
  });

  it('stores a resend with the same clientId once and answers it with the same seq', async () => {
    const { t, ann } = await twoUsers();
    const created = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    if (!created.ok) throw new Error('create failed');
    const send = { conversationId: created.data.id, clientId: 'same-id', body: 'once' };
    const a = await ann.request('message:send', send);
    // The ack was "lost": the device reconnects and sends again.
    ann.socket.disconnect();
    const again = await rawDevice(t.url, await t.user('ann'), 'ann-1');
    const b = await again.request('message:send', send);
    expect(b).toEqual(a);
    // Another device may use the same clientId: it is its own message.
    const other = await rawDevice(t.url, await t.user('ann'), 'ann-2');
    const c = await other.request<{ seq: number }>('message:send', send);
    expect(c.ok && c.data.seq).toBe(2);
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(2);
  });

  it('brings a sender every receipt of a group in receipts pushes, each once, and read marks to the reader\'s other devices', async () => {
    const t = await startTestServer();
    const device = async (user: string, id: string) => rawDevice(t.url, await t.user(user), id);
    const [ann, bob, bob2, cat, dan] = [await device('ann', 'ann-1'), await device('bob', 'bob-1'), await device('bob', 'bob-2'), await device('cat', 'cat-1'), await device('dan', 'dan-1')];
    const group = await ann.request<Conversation>('conversation:create', { participants: ['bob', 'cat', 'dan'], type: 'group', title: 'Four' });
    if (!group.ok) throw new Error(group.error.message);
    const conversationId = group.data.id;
    expect(await ann.request('message:send', { conversationId, clientId: 'm1', body: 'hello' })).toMatchObject({ ok: true, data: { seq: 1 } });
    const receiptsAt = (device: RawDevice) =>
      device.pushes.filter((p) => p.name === 'receipts').flatMap((p) => (p.payload as { receipts: Receipt[] }).receipts);

    // As the engine sends them: no answer asked for.
    for (const reader of [bob, cat, dan]) reader.socket.emit('receipt', { conversationId, type: 'delivered', seq: 1 });
    await until(() => receiptsAt(ann).length === 3, 'three delivered receipts at ann', 10_000, () => JSON.stringify(ann.pushes));
    expect(receiptsAt(ann).map((r) => [r.address, r.type, r.seq]).sort()).toEqual([['bob', 'delivered', 1], ['cat', 'delivered', 1], ['dan', 'delivered', 1]]);
    expect(ann.pushes.filter((p) => p.name === 'receipts').length).toBeLessThanOrEqual(3);

    expect(await bob.request('receipt', { conversationId, type: 'read', seq: 1 })).toEqual({ ok: true, data: { seq: 1 } });
    await until(() => receiptsAt(bob2).length === 1 && receiptsAt(ann).length === 4, 'the read mark at ann and at bob\'s other device');
    expect(receiptsAt(bob2)).toEqual([{ conversationId, address: 'bob', type: 'read', seq: 1 }]);
    // A refusal of a receipt sent without asking for an answer comes as protocol:error.
    cat.socket.emit('receipt', { conversationId, type: 'read', seq: 9 });
    await until(() => cat.pushes.some((p) => p.name === 'protocol:error'), 'the refusal at cat');
    expect(cat.pushes.find((p) => p.name === 'protocol:error')?.payload).toMatchObject({ code: 'bad_request' });
  });

  it('refuses non-members everything about a conversation', async () => {
    const { t, ann, bob } = await twoUsers();
    const eve = await rawDevice(t.url, await t.user('eve'), 'eve-1');
    const created = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    if (!created.ok) throw new Error('create failed');
    const id = created.data.id;
    await ann.request('message:send', { conversationId: id, clientId: 'x', body: 'private' });
    const refused = { ok: false, error: { code: 'not_member' } };
    expect(await eve.request('message:send', { conversationId: id, clientId: 'y', body: 'hi' })).toMatchObject(refused);
    expect(await eve.request('retransmit', { conversationId: id, fromSeq: 1, toSeq: 10 })).toMatchObject(refused);
    expect(await eve.request('receipt', { conversationId: id, type: 'read', seq: 1 })).toMatchObject(refused);
    expect(await eve.request('conversation:edit', { conversationId: id, title: 'mine' })).toMatchObject(refused);
    expect(await eve.request('message:send', { conversationId: 'no-such', clientId: 'y', body: 'hi' })).toMatchObject(refused);
    const sync = await eve.request<{ conversations: unknown[] }>('sync', {});
    expect(sync.ok && sync.data.conversations).toEqual([]);
    expect(eve.pushes.filter((p) => p.name === 'event')).toEqual([]);
    expect(bob.pushes.filter((p) => p.name === 'event')).toHaveLength(1);
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(1);
  });

  it('lets only admins post in a channel', async () => {
    const { ann, bob } = await twoUsers();
    const channel = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'channel', title: 'News' });
    if (!channel.ok) throw new Error('create failed');
    expect(await bob.request('message:send', { conversationId: channel.data.id, clientId: 'b', body: 'me too' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await ann.request('message:send', { conversationId: channel.data.id, clientId: 'a', body: 'news' })).toMatchObject({ ok: true });
  });

  it('answers malformed, oversized and unknown input with an error code and stores nothing', async () => {
    const { t, ann } = await twoUsers();
    const created = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    if (!created.ok) throw new Error('create failed');
    const id = created.data.id;
    const cases: Array<[string, unknown, string]> = [
      ['message:send', { conversationId: id, clientId: 'big', body: 'x'.repeat(MAX_BODY_BYTES + 1) }, 'payload_too_large'],
      ['message:send', { conversationId: id, clientId: 'big2', body: 'é'.repeat(MAX_BODY_BYTES / 2 + 1) }, 'payload_too_large'],
      ['message:send', { conversationId: id, body: 'no client id' }, 'bad_request'],
      ['message:send', 'just a string', 'bad_request'],
      ['message:send', { conversationId: id, clientId: 'e', body: '   ' }, 'bad_request'],
      ['retransmit', { conversationId: id, fromSeq: 5, toSeq: 1 }, 'bad_request'],
      ['receipt', { conversationId: id, type: 'read', seq: 99 }, 'bad_request'],
      ['conversation:create', { participants: ['bob'], type: 'secret' }, 'bad_request'],
      ['drop:tables', {}, 'unknown_event'],
    ];
    for (const [name, payload, code] of cases) {
      const reply = await ann.request<never>(name, payload);
      expect(reply, name).toMatchObject({ ok: false, error: { code } });
      if (!reply.ok) expect(reply.error.message.length).toBeGreaterThan(5);
    }
    // Without an ack function the error comes back as a push.
    ann.socket.emit('message:send', { nonsense: true });
    await until(() => ann.pushes.some((p) => p.name === 'protocol:error'), 'protocol:error push');
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(0);
  });

  it('refuses a bad handshake and limits the rate of a flooding device', async () => {
    const t = await startTestServer({ rateLimit: { burst: 20, perSecond: 5 } });
    await expect(rawDevice(t.url, 'plu_not-a-real-token')).rejects.toMatchObject({ data: { code: 'auth_failed' } });
    await expect(rawDevice(t.url, '')).rejects.toMatchObject({ data: { code: 'bad_request' } });
    const ann = await rawDevice(t.url, await t.user('ann'));
    const replies = await Promise.all(Array.from({ length: 40 }, () => ann.request('users:search', { query: '' })));
    const limited = replies.filter((r) => !r.ok && r.error.code === 'rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(15);
    expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(20);
  });

  it('relays typing without storing it, and lets admins edit a group title as a numbered event', async () => {
    const { t, ann, bob } = await twoUsers();
    const group = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'group', title: 'Old' });
    if (!group.ok) throw new Error('create failed');
    const id = group.data.id;
    ann.socket.emit('typing', { conversationId: id });
    await until(() => bob.pushes.some((p) => p.name === 'typing'), 'typing at bob');
    expect(bob.pushes.find((p) => p.name === 'typing')!.payload).toEqual({ conversationId: id, address: 'ann' });
    expect(await bob.request('conversation:edit', { conversationId: id, title: 'Mine' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ann.request('conversation:edit', { conversationId: id, title: 'New' })).toMatchObject({ ok: true, data: { seq: 1, event: { type: 'edit', seq: 1, title: 'New' } } });
    await until(() => bob.pushes.some((p) => p.name === 'event'), 'edit event');
    expect(bob.pushes.find((p) => p.name === 'event')!.payload).toMatchObject({ type: 'edit', seq: 1, title: 'New', sender: 'ann' });
    const sync = await bob.request<{ conversations: Conversation[] }>('sync', {});
    expect(sync.ok && sync.data.conversations[0]).toMatchObject({ title: 'New', lastSeq: 1 });
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(0);
  });

  it('pages retransmit at most 1,000 events per call', async () => {
    const { ann } = await twoUsers();
    const created = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
    if (!created.ok) throw new Error('create failed');
    const id = created.data.id;
    await Promise.all(Array.from({ length: 1200 }, (_, i) => ann.request('message:send', { conversationId: id, clientId: `m${i}`, body: `${i}` })));
    const page = await ann.request<{ events: Array<{ seq: number }> }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 1200 });
    if (!page.ok) throw new Error(page.error.message);
    expect(page.data.events).toHaveLength(1000);
    expect(page.data.events.at(-1)!.seq).toBe(1000);
    const rest = await ann.request<{ events: Array<{ seq: number }> }>('retransmit', { conversationId: id, fromSeq: 1001, toSeq: 5000 });
    expect(rest.ok && rest.data.events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 1001 + i));
  });
});
