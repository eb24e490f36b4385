// Message actions between real engines and a real server: each action end to end (reply, edit,
// reactions, mentions, delete for everyone and for me), what a device missed offline arriving by
// catch-up, two devices of one user ending identical, an action whose target lands later, and my
// actions made offline shown at once and sent once when online; one refused for good leaves the
// outbox, taken back and told once why, one lost on the way stays queued until sent.
import Database from 'better-sqlite3';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REACTIONS, type ConversationEvent, type Reply } from '../../protocol/index.js';
import type { Client, Message } from '../../main/core/index.js';
import { cleanup, nextEvent, onCleanup, online, pair, rawDevice, startClient, startTestServer, until, type TestClient } from '../support/harness.js';

afterEach(cleanup);

/** What everyone sees of a message (status, transfers and which reactions are mine aside: they are per device or person). */
const seen = (m: Message) => ({
  id: m.id,
  seq: m.seq,
  body: m.body,
  deleted: m.deleted,
  editedAt: m.editedAt,
  replyTo: m.replyTo,
  reactions: m.reactions?.map(({ mine: _mine, ...r }) => r),
  mentions: m.mentions,
});
const page = (client: Client, conversationId: string) => client.readMessages(conversationId, { limit: 500 });
const byBody = (client: Client, conversationId: string, body: string) => page(client, conversationId).find((m) => m.body === body)!;

async function events(url: string, token: string, conversationId: string): Promise<ConversationEvent[]> {
  const device = await rawDevice(url, token, 'inspector');
  const reply = await device.request<{ events: ConversationEvent[] }>('retransmit', { conversationId, fromSeq: 1, toSeq: 1000 });
  device.socket.disconnect();
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.data.events;
}

/** A door between one engine and the server: shut, it drops every link and refuses new ones; held, what the engine sends is lost on the way. */
async function door(target: string) {
  const { port } = new URL(target);
  let open = true;
  let holding = false;
  let lost = 0;
  const links = new Set<Socket>();
  const server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connect(Number(port), '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      if (holding) lost += chunk.length;
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      links.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        links.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  onCleanup(() => links.forEach((s) => s.destroy()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    shut(): void {
      open = false;
      holding = false;
      for (const s of links) s.destroy();
    },
    open(): void {
      open = true;
    },
    hold(): void {
      holding = true;
    },
    /** Bytes the engine sent while held. */
    lost: () => lost,
  };
}

/** An engine's database file (the engine keeps it open; SQLite's WAL lets a second connection in). */
function engineDb(client: TestClient, readonly = true): Database.Database {
  const db = new Database(join(client.dataDir, 'parley-client.db'), { readonly, timeout: 5000 });
  onCleanup(() => void db.close());
  return db;
}

/** My actions left in an engine's outbox. */
const queuedActions = (client: TestClient) =>
  engineDb(client).prepare('SELECT action, target, error FROM outbox WHERE action IS NOT NULL ORDER BY rowid').all() as Array<{ action: string; target: string; error: string | null }>;

/** The messages an engine told the host of with an error, as told. */
function refusals(client: Client): Message[] {
  const told: Message[] = [];
  client.on('messageChanged', (m) => {
    if (m.error !== undefined) told.push(m);
  });
  return told;
}

describe('message actions, engine and server', () => {
  it('replies, edits, reacts, mentions and deletes end to end, each shown live on the other side', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId: c } = await pair(t);
    const arrived = nextEvent(bob, 'message');
    alice.sendMessage({ conversationId: c }, 'Lunch at noon, @bob?');
    const question = await arrived;
    expect(question).toMatchObject({ body: 'Lunch at noon, @bob?', mentions: ['bob'] });
    expect(bob.readConversation(c)).toMatchObject({ unread: 1, mentions: 1 });

    const reply = nextEvent(alice, 'message');
    bob.sendMessage({ conversationId: c }, 'Sure', { replyTo: question.seq! });
    expect(await reply).toMatchObject({ body: 'Sure', replyTo: { seq: question.seq, sender: 'alice', text: 'Lunch at noon, @bob?' } });

    let changed = nextEvent(bob, 'messageChanged', (m) => m.id === question.id);
    const edited = alice.editMessage(question.id, 'Lunch at one, @bob?');
    expect(edited).toMatchObject({ body: 'Lunch at one, @bob?', editedAt: expect.any(Number) });
    expect(await changed).toMatchObject({ body: 'Lunch at one, @bob?', editedAt: expect.any(Number), mentions: ['bob'] });
    expect(byBody(bob, c, 'Sure').replyTo).toMatchObject({ text: 'Lunch at one, @bob?' });

    changed = nextEvent(alice, 'messageChanged', (m) => m.id === question.id && m.reactions !== undefined);
    expect(bob.react(question.id, '👍', true).reactions).toEqual([{ emoji: '👍', count: 1, mine: true, by: ['bob'] }]);
    expect((await changed).reactions).toEqual([{ emoji: '👍', count: 1, mine: false, by: ['bob'] }]);
    changed = nextEvent(alice, 'messageChanged', (m) => m.id === question.id && m.reactions === undefined);
    bob.react(question.id, '👍', false);
    await changed;

    // Bob's reply read the question for him; to alice, his reply is unread, his reactions are not.
    expect(bob.readConversation(c)).toMatchObject({ unread: 0, mentions: 0 });
    expect(alice.readConversation(c)).toMatchObject({ unread: 1, mentions: 0 });
    changed = nextEvent(bob, 'messageChanged', (m) => m.id === question.id && m.deleted === true);
    alice.deleteMessage(question.id, true);
    expect(await changed).toMatchObject({ body: '', deleted: true });
    expect(byBody(bob, c, 'Sure').replyTo).toMatchObject({ seq: question.seq, text: '', deleted: true });

    // Only its sender edits a message; and delete for me is mine alone.
    expect(() => bob.editMessage(question.id, 'mine now')).toThrow(/only its sender/);
    const gone = nextEvent(bob, 'messagesRemoved');
    bob.deleteMessage(byBody(bob, c, 'Sure').id, false);
    expect(await gone).toEqual({ conversationId: c, ids: [expect.stringMatching(/^bob:/)] });
    expect(page(bob, c).map((m) => m.body)).toEqual(['']);
    await alice.idle();
    expect(page(alice, c).map((m) => m.body)).toEqual(['', 'Sure']);
  });

  it('brings an edit, a delete and reactions made while a device was offline by catch-up, and counts no action unread', async () => {
    const t = await startTestServer();
    const { alice, bob, bobToken, conversationId: c } = await pair(t);
    for (const body of ['one', 'two', 'three']) alice.sendMessage({ conversationId: c }, body);
    await until(() => page(bob, c).length === 3, 'three at bob');
    const ids = page(bob, c).map((m) => m.id);
    bob.markRead(c, page(bob, c).at(-1)!.seq!);
    await bob.idle();
    const dataDir = bob.dataDir;
    bob.stop();

    alice.editMessage(ids[0]!, 'one, edited');
    alice.deleteMessage(ids[1]!, true);
    alice.react(ids[2]!, '🎉', true);
    alice.sendMessage({ conversationId: c }, 'four');
    await until(() => alice.readMessages(c).every((m) => m.seq !== null), 'sent');
    await alice.idle();

    const back = startClient(t.url, bobToken, { dataDir });
    let changedLive = 0;
    back.on('messageChanged', () => changedLive++);
    await online(back);
    await back.idle();
    expect(page(back, c).map(seen)).toEqual(page(alice, c).map(seen));
    expect(page(back, c).map((m) => [m.body, m.deleted ?? false, m.editedAt !== undefined, m.reactions?.[0]?.emoji])).toEqual([
      ['one, edited', false, true, undefined],
      ['', true, false, undefined],
      ['three', false, false, '🎉'],
      ['four', false, false, undefined],
    ]);
    // History paged in is not live news.
    expect(changedLive).toBe(0);
    expect(back.readConversation(c)).toMatchObject({ unread: 1, mentions: 0 });
  });

  it('keeps two devices of one user identical', async () => {
    const t = await startTestServer();
    const { alice, bob, bobToken, conversationId: c } = await pair(t);
    const laptop = startClient(t.url, bobToken);
    await online(laptop);
    alice.sendMessage({ conversationId: c }, 'first');
    alice.sendMessage({ conversationId: c }, 'second');
    await until(() => page(bob, c).length === 2 && page(laptop, c).length === 2, 'both at both devices');
    const mine = bob.sendMessage({ conversationId: c }, 'from the phone');
    bob.editMessage(mine.id, 'from the phone, edited');
    const [first, second] = page(bob, c);
    bob.react(first!.id, '❤️', true);
    laptop.react(first!.id, '👍', true);
    bob.deleteMessage(second!.id, false);
    await until(
      () => JSON.stringify(page(bob, c).map(seen)) === JSON.stringify(page(laptop, c).map(seen)) && page(laptop, c).length === 2 && page(bob, c).every((m) => m.seq !== null),
      'the same on both devices',
    );
    // In the order the server numbered them: whichever device's went first.
    expect(page(laptop, c).map((m) => [m.body, m.reactions?.map((r) => [r.emoji, r.mine]).sort()])).toEqual([
      ['first', [['❤️', true], ['👍', true]].sort()],
      ['from the phone, edited', undefined],
    ]);
    expect(bob.readConversation(c)).toMatchObject({ unread: laptop.readConversation(c)!.unread });
    // The edit of a message on its way waited for it, and went once.
    const log = await events(t.url, bobToken, c);
    expect(log.filter((e) => e.type === 'revise')).toMatchObject([{ sender: 'bob', body: 'from the phone, edited' }]);
  });

  it('hides what another of my devices deleted for me while this one was offline, from the list after the sync', async () => {
    const t = await startTestServer();
    const { alice, bob, bobToken, conversationId: c } = await pair(t);
    for (const body of ['keep', 'hide me', 'hide me too']) alice.sendMessage({ conversationId: c }, body);
    await until(() => page(bob, c).length === 3, 'three at bob');
    const laptop = startClient(t.url, bobToken);
    await online(laptop);
    await until(() => page(laptop, c).length === 3, 'three at the laptop');
    const dataDir = laptop.dataDir;
    laptop.stop();
    bob.deleteMessage(byBody(bob, c, 'hide me').id, false);
    bob.deleteMessage(byBody(bob, c, 'hide me too').id, false);
    await bob.idle();
    expect(page(bob, c).map((m) => m.body)).toEqual(['keep']);

    const back = startClient(t.url, bobToken, { dataDir });
    await online(back);
    await back.idle();
    expect(page(back, c).map((m) => m.body)).toEqual(['keep']);
    expect(back.readConversation(c)).toMatchObject({ unread: bob.readConversation(c)!.unread });
    expect(page(alice, c)).toHaveLength(3);
  });

  it('applies an action whose target is not stored yet once the target lands', async () => {
    const t = await startTestServer();
    const { bob, aliceToken, conversationId: c } = await pair(t);
    // Stored on the server without a push: bob's device has not heard of it.
    const { event } = await t.server.storage.appendMessage({ conversationId: c, sender: 'alice', deviceId: 'elsewhere', clientId: 'quiet-1', body: 'the plan', serverTime: Date.now() });
    const raw = await rawDevice(t.url, aliceToken, 'alice-raw');
    const edit = (await raw.request('message:edit', { conversationId: c, clientId: 'e-1', target: event.seq, body: 'the plan, v2' })) as Reply<unknown>;
    expect(edit.ok).toBe(true);
    await raw.request('message:send', { conversationId: c, clientId: 's-1', body: 'see above', replyTo: event.seq });
    await until(() => page(bob, c).some((m) => m.body === 'the plan, v2'), 'the edit applied once the plan landed');
    await bob.idle();
    expect(page(bob, c).map((m) => [m.body, m.editedAt !== undefined, m.replyTo?.text])).toEqual([
      ['the plan, v2', true, undefined],
      ['see above', false, 'the plan, v2'],
    ]);
  });

  it('shows an edit and a reaction made offline at once, sends each once when online, and takes back one the server refuses', async () => {
    const t = await startTestServer();
    const gate = await door(t.url);
    const { alice, bob, aliceToken, conversationId: c } = await pair(t, { aliceUrl: gate.url });
    alice.sendMessage({ conversationId: c }, 'draft');
    bob.sendMessage({ conversationId: c }, 'to be deleted');
    await until(() => page(alice, c).length === 2 && page(bob, c).length === 2 && page(alice, c).every((m) => m.seq !== null), 'both at both');
    const [draft, doomed] = [byBody(alice, c, 'draft'), byBody(alice, c, 'to be deleted')];
    gate.shut();
    await until(() => alice.status.state !== 'online', 'alice offline');
    // Its sender deletes it while alice cannot hear of it.
    bob.deleteMessage(doomed!.id, true);
    await bob.idle();

    const before = Date.now();
    const edited = alice.editMessage(draft!.id, 'final');
    expect(edited.body).toBe('final');
    expect(edited.editedAt).toBeGreaterThanOrEqual(before);
    expect(byBody(alice, c, 'final').editedAt).toBe(edited.editedAt);
    expect(alice.react(doomed!.id, '👍', true).reactions).toEqual([{ emoji: '👍', count: 1, mine: true, by: ['alice'] }]);
    // A message not sent yet: an edit changes its queued text, a delete cancels it.
    const typo = alice.sendMessage({ conversationId: c }, 'teh typo');
    expect(alice.editMessage(typo.id, 'the typo, fixed')).toMatchObject({ id: typo.id, seq: null, body: 'the typo, fixed' });
    const never = alice.sendMessage({ conversationId: c }, 'never mind');
    const removed = nextEvent(alice, 'messagesRemoved');
    alice.deleteMessage(never.id, true);
    expect(await removed).toEqual({ conversationId: c, ids: [never.id] });
    expect(page(alice, c).map((m) => m.body).sort()).toEqual(['final', 'the typo, fixed', 'to be deleted']);

    const atBob = nextEvent(bob, 'messageChanged', (m) => m.id === draft!.id);
    const refusal = nextEvent(alice, 'messageChanged', (m) => m.id === doomed!.id && m.error !== undefined);
    gate.open();
    await online(alice);
    expect((await atBob).body).toBe('final');
    const refused = await refusal;
    expect(refused.reactions).toBeUndefined();
    expect(refused.error).toMatch(/deleted/);
    await alice.idle();
    expect(page(alice, c).find((m) => m.id === doomed!.id)).toMatchObject({ deleted: true, body: '' });
    expect(byBody(alice, c, 'final').editedAt).toBeLessThan(before + 60_000);
    const log = await events(t.url, aliceToken, c);
    expect(log.filter((e) => e.type === 'revise')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'react')).toHaveLength(0);
    expect(log.filter((e) => e.type === 'message' && e.sender === 'alice').map((e) => e.type === 'message' && e.body)).toEqual(['draft', 'the typo, fixed']);
  });

  it('takes back an edit refused for good (I was removed meanwhile), tells why once, and fails my message refused so with the action waiting for it', async () => {
    const t = await startTestServer();
    const gate = await door(t.url);
    const { alice, bob, bobToken, conversationId: direct } = await pair(t, { bobUrl: gate.url });
    const { id: c } = await alice.createConversation({ participants: ['bob'], type: 'group', title: 'Crew' });
    await until(() => bob.readConversation(c) !== null, 'the group at bob');
    bob.sendMessage({ conversationId: c }, 'my plan');
    alice.sendMessage({ conversationId: direct }, 'hi');
    await until(() => byBody(alice, c, 'my plan') !== undefined && byBody(bob, direct, 'hi') !== undefined && byBody(bob, c, 'my plan').seq !== null, 'both sent');
    const plan = byBody(bob, c, 'my plan');
    gate.shut();
    await until(() => bob.status.state !== 'online', 'bob offline');
    await alice.removeMembers(c, ['bob']);

    expect(bob.editMessage(plan.id, 'my plan, v2')).toMatchObject({ body: 'my plan, v2', editedAt: expect.any(Number) });
    const late = bob.sendMessage({ conversationId: c }, 'too late');
    expect(bob.react(late.id, '👍', true).reactions).toMatchObject([{ emoji: '👍', mine: true }]);
    // Queued after the refused ones: not held back by them.
    bob.react(byBody(bob, direct, 'hi').id, '🎉', true);
    expect(queuedActions(bob).map((a) => a.action)).toEqual(['edit', 'react', 'react']);
    const told = refusals(bob);

    const lateFailed = nextEvent(bob, 'messageStatus', (s) => s.id === late.id && s.status === 'failed');
    gate.open();
    await online(bob);
    expect((await lateFailed).error).toMatch(/participant|member/);
    await until(() => byBody(alice, direct, 'hi').reactions?.[0]?.emoji === '🎉', 'the reaction after them at alice');
    await until(() => told.length > 0, 'the refusal told');
    await bob.idle();
    // Each once: the edit taken back, and my failed message without the reaction that waited for it.
    expect(told.map((m) => m.id).sort()).toEqual([plan.id, late.id].sort());
    const [edit, failed] = [told.find((m) => m.id === plan.id)!, told.find((m) => m.id === late.id)!];
    expect(edit).toMatchObject({ body: 'my plan', error: 'Your edit was refused: you are not a member of this conversation' });
    expect(edit.editedAt).toBeUndefined();
    expect([failed.status, failed.reactions]).toEqual(['failed', undefined]);
    // Not kept: the next read shows the message as stored.
    const now = page(bob, c).find((m) => m.id === plan.id)!;
    expect([now.body, now.editedAt, now.error]).toEqual(['my plan', undefined, undefined]);
    const failedNow = page(bob, c).find((m) => m.id === late.id)!;
    expect([failedNow.status, failedNow.reactions]).toEqual(['failed', undefined]);
    expect(queuedActions(bob)).toEqual([]);
    const log = await events(t.url, bobToken, c);
    expect(log.filter((e) => e.type === 'revise' || e.type === 'react')).toEqual([]);
  });

  it('takes back a reaction past the limit of distinct emoji, and sends the one queued after it', async () => {
    const t = await startTestServer();
    const { alice, bob, aliceToken, conversationId: c } = await pair(t);
    alice.sendMessage({ conversationId: c }, 'rate this');
    await until(() => page(bob, c).length === 1, 'at bob');
    const target = page(bob, c)[0]!;
    const raw = await rawDevice(t.url, aliceToken, 'alice-raw');
    const emoji = Array.from({ length: MAX_REACTIONS }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const [i, e] of emoji.entries()) {
      const reply = await raw.request('message:react', { conversationId: c, clientId: `r-${i}`, target: target.seq, emoji: e, on: true });
      expect(reply.ok).toBe(true);
    }
    await until(() => page(bob, c)[0]!.reactions?.length === MAX_REACTIONS, 'every reaction at bob');
    const told = refusals(bob);

    expect(bob.react(target.id, '🚀', true).reactions).toHaveLength(MAX_REACTIONS + 1);
    bob.react(target.id, emoji[0]!, true);
    await until(() => page(alice, c)[0]!.reactions?.[0]?.count === 2, 'the reaction after it at alice');
    await until(() => told.length > 0, 'the refusal told');
    await bob.idle();
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ id: target.id, error: expect.stringMatching(/^Your reaction was refused: .*at most 50/) });
    expect(told[0]!.reactions?.map((r) => r.emoji)).toEqual(emoji);
    const now = page(bob, c)[0]!;
    expect(now.error).toBeUndefined();
    expect(now.reactions?.map((r) => [r.emoji, r.mine])).toEqual(emoji.map((e, i) => [e, i === 0]));
    expect(page(alice, c)[0]!.reactions?.some((r) => r.emoji === '🚀')).toBe(false);
    expect(queuedActions(bob)).toEqual([]);
  });

  it('shows and counts again a message whose delete for me the server refused', async () => {
    const t = await startTestServer();
    const gate = await door(t.url);
    const { alice, bob, conversationId: c } = await pair(t, { bobUrl: gate.url });
    await t.user('carol');
    const { id: notBobs } = await alice.createConversation({ participants: ['carol'], type: 'direct' });
    alice.sendMessage({ conversationId: c }, 'keep this, @bob');
    await until(() => page(bob, c).length === 1, 'at bob');
    expect(bob.readConversation(c)).toMatchObject({ unread: 1, mentions: 1 });
    const { id } = page(bob, c)[0]!;
    gate.shut();
    await until(() => bob.status.state !== 'online', 'bob offline');
    const removed = nextEvent(bob, 'messagesRemoved');
    bob.deleteMessage(id, false);
    expect(await removed).toEqual({ conversationId: c, ids: [id] });
    expect([page(bob, c), bob.readConversation(c)?.unread]).toEqual([[], 0]);
    // The server refuses a delete for me only where I never was, which this engine never sends:
    // the queued one is pointed at alice and carol's conversation, its target left as it is.
    expect(engineDb(bob, false).prepare(`UPDATE outbox SET conversation_id = ? WHERE action = 'hide'`).run(notBobs).changes).toBe(1);
    const told = refusals(bob);

    const back = nextEvent(bob, 'messageChanged', (m) => m.id === id);
    gate.open();
    expect(await back).toMatchObject({ id, body: 'keep this, @bob', error: 'Your delete for me was refused: you are not a member of this conversation' });
    await bob.idle();
    expect(told).toHaveLength(1);
    expect(page(bob, c).map((m) => [m.id, m.error])).toEqual([[id, undefined]]);
    expect(bob.readConversation(c)).toMatchObject({ unread: 1, mentions: 1 });
    expect(queuedActions(bob)).toEqual([]);
  });

  it('keeps an action whose request was lost on the way queued, and sends it once after reconnecting', async () => {
    const t = await startTestServer();
    const gate = await door(t.url);
    const { alice, bob, bobToken, conversationId: c } = await pair(t, { bobUrl: gate.url });
    alice.sendMessage({ conversationId: c }, 'ship it?');
    await until(() => page(bob, c).length === 1, 'at bob');
    const { id } = page(bob, c)[0]!;
    const told = refusals(bob);
    gate.hold();
    bob.react(id, '🚀', true);
    await until(() => gate.lost() > 0, 'the reaction on its way');
    gate.shut();
    await until(() => bob.status.state !== 'online', 'bob offline');
    // The pass that sent it ends with the link: the reaction is still queued, shown, and nothing refused.
    await bob.idle();
    expect(queuedActions(bob)).toEqual([{ action: 'react', target: id, error: null }]);
    expect(page(bob, c)[0]!.reactions).toEqual([{ emoji: '🚀', count: 1, mine: true, by: ['bob'] }]);

    gate.open();
    await online(bob);
    await until(() => page(alice, c)[0]!.reactions?.[0]?.emoji === '🚀', 'the reaction at alice');
    await bob.idle();
    expect(told).toEqual([]);
    expect(queuedActions(bob)).toEqual([]);
    expect((await events(t.url, bobToken, c)).filter((e) => e.type === 'react')).toHaveLength(1);
  });
});
