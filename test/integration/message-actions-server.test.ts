// Message actions on a real server, spoken by raw protocol devices: replies, edits (revise), deletes
// for everyone, reactions and mentions end to end between users; every refusal with its code;
// idempotent retries; what a delete erases from catch-up and from file access; delete for me (the
// hidden list, its paging and the push to my other devices); actions under the rate limit.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HIDDEN_PAGE, MAX_BODY_BYTES, MAX_QUOTE_CHARS, MAX_REACTIONS, type Conversation, type ConversationEvent, type Reply } from '../../protocol/index.js';
import { openSqliteStorage } from '../../server/storage/sqlite/sqlite-storage.js';
import { cleanup, onCleanup, rawDevice, startTestServer, tempDir, until, type RawDevice } from '../support/harness.js';
import { bearer, sha256, tusUpload } from '../support/tus.js';

afterEach(cleanup);

type Stored = { seq: number; serverTime: number };

function data<T>(reply: Reply<T>): T {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.data;
}

const refused = (code: string, message?: RegExp) => ({ ok: false, error: { code, message: message ? expect.stringMatching(message) : expect.any(String) } });

let clientIds = 0;
const nextId = () => `c-${++clientIds}`;

/** Users ann, bob, cat (and dan, in no conversation), a raw device each, and a group of the three with ann admin. */
async function team(options: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(options);
  const tokens = { ann: await t.user('ann'), bob: await t.user('bob'), cat: await t.user('cat'), dan: await t.user('dan') };
  const [ann, bob, cat, dan] = await Promise.all([
    rawDevice(t.url, tokens.ann, 'ann-1'),
    rawDevice(t.url, tokens.bob, 'bob-1'),
    rawDevice(t.url, tokens.cat, 'cat-1'),
    rawDevice(t.url, tokens.dan, 'dan-1'),
  ]);
  const group = data(await ann.request<Conversation>('conversation:create', { participants: ['bob', 'cat'], type: 'group', title: 'Team' })).id;
  return { t, tokens, ann, bob, cat, dan, group };
}

const send = async (device: RawDevice, conversationId: string, body: string, extra: object = {}) =>
  data(await device.request<Stored>('message:send', { conversationId, clientId: nextId(), body, ...extra })).seq;
const edit = (device: RawDevice, conversationId: string, target: number, body: string, extra: object = {}) =>
  device.request<Stored>('message:edit', { conversationId, clientId: nextId(), target, body, ...extra });
const del = (device: RawDevice, conversationId: string, target: number) =>
  device.request<Stored>('message:delete', { conversationId, clientId: nextId(), target });
const react = (device: RawDevice, conversationId: string, target: number, emoji: string, on = true) =>
  device.request<Stored>('message:react', { conversationId, clientId: nextId(), target, emoji, on });

async function events(device: RawDevice, conversationId: string, fromSeq = 1, toSeq = 10_000) {
  return data(await device.request<{ events: ConversationEvent[] }>('retransmit', { conversationId, fromSeq, toSeq })).events;
}

/** The `event` pushes a device got for this seq. */
const pushed = (device: RawDevice, conversationId: string, seq: number) =>
  device.pushes.filter((p) => p.name === 'event' && (p.payload as ConversationEvent).conversationId === conversationId && (p.payload as ConversationEvent).seq === seq);

describe('message actions', () => {
  it('replies, edits, reacts, mentions and deletes end to end between three people, each an event of the log', async () => {
    const { ann, bob, cat, group } = await team();
    const question = await send(ann, group, 'Who takes the release notes this week?');
    // A reply names its target; the server quotes it. Mentions of people not in the conversation are dropped.
    const answer = await send(bob, group, 'I do, @ann', { replyTo: question, mentions: ['ann', 'dan', 'ann'] });
    await until(() => pushed(cat, group, answer).length === 1, 'the reply at cat');
    expect(pushed(cat, group, answer)[0]!.payload).toMatchObject({
      type: 'message',
      sender: 'bob',
      replyTo: { seq: question, sender: 'ann', quote: 'Who takes the release notes this week?' },
      mentions: ['ann'],
    });

    const revised = data(await edit(bob, group, answer, 'I do, @ann and @cat', { mentions: ['ann', 'dan', 'cat'] })).seq;
    const liked = data(await react(cat, group, answer, '👍')).seq;
    const thanks = data(await react(ann, group, answer, '🙏🏽')).seq;
    const undone = data(await react(cat, group, answer, '👍', false)).seq;
    expect([revised, liked, thanks, undone]).toEqual([answer + 1, answer + 2, answer + 3, answer + 4]);
    // Each goes to the others (not the sending socket) as it is stored.
    for (const [device, seq] of [[ann, revised], [cat, revised], [bob, liked], [ann, liked], [bob, thanks], [cat, thanks]] as const) {
      await until(() => pushed(device, group, seq).length === 1, `event ${seq} pushed`);
    }
    expect(pushed(bob, group, revised)).toEqual([]);

    // A reply quotes the target's current text: the newest edit.
    const second = await send(cat, group, 'Thanks!', { replyTo: answer });
    expect((await events(cat, group, second, second))[0]).toMatchObject({ replyTo: { seq: answer, sender: 'bob', quote: 'I do, @ann and @cat' } });
    const deleted = data(await del(ann, group, second)).seq; // the group's admin deletes cat's message
    const all = await events(bob, group);
    expect(all.slice(-6)).toEqual([
      expect.objectContaining({ type: 'revise', seq: revised, sender: 'bob', target: answer, body: 'I do, @ann and @cat', mentions: ['ann', 'cat'] }),
      expect.objectContaining({ type: 'react', seq: liked, sender: 'cat', target: answer, emoji: '👍', on: true }),
      expect.objectContaining({ type: 'react', seq: thanks, sender: 'ann', target: answer, emoji: '🙏🏽', on: true }),
      expect.objectContaining({ type: 'react', seq: undone, sender: 'cat', target: answer, emoji: '👍', on: false }),
      { type: 'message', conversationId: group, seq: second, sender: 'cat', clientId: expect.any(String), body: '', deleted: true, serverTime: expect.any(Number) },
      expect.objectContaining({ type: 'delete', seq: deleted, sender: 'ann', target: second }),
    ]);
    expect(all.find((e) => e.seq === answer)).toMatchObject({ type: 'message', body: 'I do, @ann' });
    await until(() => pushed(cat, group, deleted).length === 1, 'the delete at cat');
  });

  it('quotes at most MAX_QUOTE_CHARS of a long text, a file message by its name, and lets a file message’s caption be emptied', async () => {
    const { t, tokens, ann, bob, group } = await team();
    const long = `${'a'.repeat(MAX_QUOTE_CHARS - 1)}😀 and more`;
    const target = await send(ann, group, long);
    const reply = await send(bob, group, 'ok', { replyTo: target });
    const quote = (await events(bob, group, reply, reply))[0];
    // The emoji would be cut in half at the limit: the quote stops before it.
    expect(quote).toMatchObject({ replyTo: { quote: 'a'.repeat(MAX_QUOTE_CHARS - 1) } });

    const bytes = randomBytes(64);
    const url = await tusUpload(t, tokens.ann, bytes, { filename: 'plan.pdf' });
    const file = { url, name: 'plan.pdf', size: bytes.length, mime: 'application/pdf', sha256: sha256(bytes) };
    const fileMessage = await send(ann, group, 'the plan', { file });
    expect(data(await edit(ann, group, fileMessage, ''))).toMatchObject({ seq: fileMessage + 1 });
    const fileReply = await send(bob, group, 'got it', { replyTo: fileMessage });
    expect((await events(bob, group, fileReply, fileReply))[0]).toMatchObject({ replyTo: { seq: fileMessage, sender: 'ann', quote: 'plan.pdf' } });
  });

  it('refuses what the rules forbid, each with its code, and stores nothing for it', async () => {
    const { ann, bob, cat, dan, group } = await team();
    const mine = await send(ann, group, 'mine');
    const bobs = await send(bob, group, 'bob’s');
    const before = (await events(ann, group)).length;

    expect(await edit(bob, group, mine, 'hijacked')).toEqual(refused('forbidden', /your own messages/));
    expect(await edit(ann, group, mine, '   ')).toEqual(refused('bad_request', /empty/));
    expect(await edit(ann, group, mine, 'x'.repeat(MAX_BODY_BYTES + 1))).toEqual(refused('payload_too_large'));
    expect(await react(dan, group, mine, '👍')).toEqual(refused('not_member'));
    expect(await edit(ann, group, 999, 'nothing there')).toEqual(refused('not_found', /no message 999/));
    expect(await send(bob, group, 'to nothing', { replyTo: 999 }).catch((e: Error) => e.message)).toMatch(/^not_found/);
    // Bob (not admin) deletes another's message in a group: refused; the admin may.
    expect(await del(bob, group, mine)).toEqual(refused('forbidden', /only admins/));
    expect(await react(ann, group, mine, 'not an emoji')).toEqual(refused('bad_request', /one emoji/));
    expect((await events(ann, group)).length).toBe(before);

    // A membership or title event is not a message.
    const titled = data(await ann.request<{ seq: number }>('conversation:edit', { conversationId: group, title: 'Team 2' })).seq;
    expect(await react(bob, group, titled, '👍')).toEqual(refused('bad_request', /not a message \(it is edit\)/));
    const added = data(await ann.request<{ seq: number }>('conversation:add', { conversationId: group, members: ['dan'] })).seq;
    expect(await edit(ann, group, added, 'x')).toEqual(refused('bad_request', /not a message \(it is members\)/));
    expect(await send(ann, group, 'reply to a change', { replyTo: added }).catch((e: Error) => e.message)).toMatch(/^bad_request/);

    // Deleted: no more edits, reactions or deletes of it.
    expect(data(await del(ann, group, bobs))).toMatchObject({ seq: expect.any(Number) });
    expect(await edit(bob, group, bobs, 'again')).toEqual(refused('bad_request', /was deleted/));
    expect(await react(cat, group, bobs, '👍')).toEqual(refused('bad_request', /was deleted/));
    expect(await del(bob, group, bobs)).toEqual(refused('bad_request', /was deleted/));

    // In a direct conversation nobody deletes the other's message (both are its "admins").
    const direct = data(await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' })).id;
    const hello = await send(bob, direct, 'hello');
    expect(await del(ann, direct, hello)).toEqual(refused('forbidden', /direct conversation/));
    expect(data(await del(bob, direct, hello))).toMatchObject({ seq: hello + 1 });

    // A channel: only admins post, so only admins reply and edit; every member reacts.
    const channel = data(await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'channel', title: 'News' })).id;
    const news = await send(ann, channel, 'News!');
    expect(await send(bob, channel, 'reply', { replyTo: news }).catch((e: Error) => e.message)).toMatch(/^forbidden/);
    expect(data(await react(bob, channel, news, '🎉'))).toMatchObject({ seq: news + 1 });
  });

  it('takes at most MAX_REACTIONS distinct emoji on a message; one already there is still fine', async () => {
    const { ann, bob, group } = await team();
    const target = await send(ann, group, 'react to me');
    // Distinct emoji: the emoticons block, one code point each.
    const unique = Array.from({ length: MAX_REACTIONS + 1 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const e of unique.slice(0, MAX_REACTIONS)) data(await react(bob, group, target, e));
    expect(await react(ann, group, target, unique[MAX_REACTIONS]!)).toEqual(refused('bad_request', /at most 50 different reactions/));
    // One already on it: still fine, from someone else too.
    expect(data(await react(ann, group, target, unique[0]!))).toMatchObject({ seq: expect.any(Number) });
    // Taking one back makes room.
    data(await react(bob, group, target, unique[1]!, false));
    expect(data(await react(ann, group, target, unique[MAX_REACTIONS]!))).toMatchObject({ seq: expect.any(Number) });
  });

  it('stores a resent action once: the same clientId answers the same seq, pushes nothing more, and may not name another kind', async () => {
    const { ann, bob, group } = await team();
    const target = await send(ann, group, 'hello');
    const payload = { conversationId: group, clientId: 'react-once', target, emoji: '👍', on: true };
    const first = data(await bob.request<Stored>('message:react', payload));
    const again = data(await bob.request<Stored>('message:react', payload));
    expect(again).toEqual(first);
    const edit1 = { conversationId: group, clientId: 'edit-once', target, body: 'hello!' };
    const edited = data(await ann.request<Stored>('message:edit', edit1));
    // The target deleted meanwhile: the retry still gets its original answer.
    const deleted = data(await del(ann, group, target));
    expect(data(await ann.request<Stored>('message:edit', edit1))).toEqual(edited);
    expect(await ann.request('message:delete', { conversationId: group, clientId: 'edit-once', target })).toEqual(refused('conflict', /already names a revise/));
    expect((await events(ann, group)).map((e) => [e.seq, e.type])).toEqual([[1, 'message'], [2, 'react'], [3, 'revise'], [4, 'delete']]);
    expect(deleted.seq).toBe(4);
    // Pushes reach a socket in the order they were made: once the next message's push is there, a
    // push of a retry would have been too.
    const last = await send(ann, group, 'last');
    const lastFromBob = await send(bob, group, 'last from bob');
    await until(() => pushed(bob, group, last).length === 1 && pushed(ann, group, lastFromBob).length === 1, 'the last messages pushed');
    expect(pushed(ann, group, first.seq)).toHaveLength(1);
    expect(pushed(bob, group, edited.seq)).toHaveLength(1);
  });

  it('serves a deleted message as a tombstone from then on: its edits emptied, its replies’ quotes deleted, its file no longer shared through it', async () => {
    const { t, tokens, ann, bob, cat, group } = await team();
    const bytes = randomBytes(1000);
    const url = await tusUpload(t, tokens.ann, bytes, { filename: 'secret.pdf' });
    const file = { url, name: 'secret.pdf', size: bytes.length, mime: 'application/pdf', sha256: sha256(bytes) };
    const download = async (token: string) => (await fetch(url, { headers: bearer(token) })).status;

    const target = await send(ann, group, 'the secret plan', { file, mentions: ['bob'] });
    const revised = data(await edit(ann, group, target, 'the secret plan, v2')).seq;
    const reply = await send(bob, group, 'nice', { replyTo: target });
    data(await react(cat, group, target, '👀'));
    expect(await download(tokens.cat)).toBe(200);

    const deleted = data(await del(ann, group, target)).seq;
    const served = await events(cat, group);
    expect(served.find((e) => e.seq === target)).toEqual({ type: 'message', conversationId: group, seq: target, sender: 'ann', clientId: expect.any(String), body: '', deleted: true, serverTime: expect.any(Number) });
    expect(served.find((e) => e.seq === revised)).toMatchObject({ type: 'revise', target, body: '' });
    expect(served.find((e) => e.seq === revised)).not.toHaveProperty('mentions');
    expect(served.find((e) => e.seq === reply)).toMatchObject({ body: 'nice', replyTo: { seq: target, sender: 'ann', quote: '', deleted: true } });
    expect(served.find((e) => e.seq === deleted)).toMatchObject({ type: 'delete', target });
    // A reply to the deleted message is still taken (an outbox must not fail forever), quoted deleted.
    const late = await send(cat, group, 'too late', { replyTo: target });
    expect((await events(cat, group, late, late))[0]).toMatchObject({ replyTo: { seq: target, quote: '', deleted: true } });

    // The file: no longer downloadable by the members through the deleted message; its uploader still has it.
    expect(await download(tokens.cat)).toBe(403);
    expect(await download(tokens.ann)).toBe(200);
    // Shared by two messages of the conversation: deleting one keeps the other's link.
    const twice = await send(ann, group, 'once', { file });
    await send(ann, group, 'twice', { file });
    expect(await download(tokens.bob)).toBe(200);
    data(await del(ann, group, twice));
    expect(await download(tokens.bob)).toBe(200);
  });

  it('keeps each user’s hidden list: delete for me pushes to my other devices, pages by version, and sync tells its version', async () => {
    const { t, tokens, ann, bob, group } = await team();
    const ann2 = await rawDevice(t.url, tokens.ann, 'ann-2');
    const seqs = [await send(bob, group, 'one'), await send(bob, group, 'two'), await send(ann, group, 'three')];
    expect(data(await ann.request<{ hiddenVersion: number }>('sync', {})).hiddenVersion).toBe(0);

    expect(data(await ann.request('message:hide', { conversationId: group, seqs: [seqs[1], seqs[0], seqs[1]] }))).toEqual({ version: 1 });
    await until(() => ann2.pushes.some((p) => p.name === 'hidden'), 'the hidden push at ann’s other device');
    expect(ann2.pushes.find((p) => p.name === 'hidden')?.payload).toEqual({ version: 1, conversationId: group, seqs: [seqs[0], seqs[1]] });
    expect(data(await ann2.request<{ hiddenVersion: number }>('sync', {})).hiddenVersion).toBe(1);
    // Only mine: bob's list is untouched, and nothing of it reached bob.
    expect(data(await bob.request<{ hiddenVersion: number }>('sync', {})).hiddenVersion).toBe(0);
    expect(bob.pushes.some((p) => p.name === 'hidden')).toBe(false);

    // Refused: not a message, beyond the log, not my conversation.
    const titled = data(await ann.request<{ seq: number }>('conversation:edit', { conversationId: group, title: 'T' })).seq;
    expect(await ann.request('message:hide', { conversationId: group, seqs: [titled] })).toEqual(refused('bad_request', /not a message/));
    expect(await ann.request('message:hide', { conversationId: group, seqs: [999] })).toEqual(refused('not_found'));
    const direct = data(await bob.request<Conversation>('conversation:create', { participants: ['cat'], type: 'direct' })).id;
    const theirs = await send(bob, direct, 'private');
    expect(await ann.request('message:hide', { conversationId: direct, seqs: [theirs] })).toEqual(refused('not_member'));

    // A former member hides within the history they had, and nothing after it.
    const left = data(await bob.request<{ seq: number }>('conversation:leave', { conversationId: group })).seq;
    const after = await send(ann, group, 'after bob left');
    expect(data(await bob.request('message:hide', { conversationId: group, seqs: [seqs[2]!] }))).toEqual({ version: 1 });
    expect(await bob.request('message:hide', { conversationId: group, seqs: [after] })).toEqual(refused('not_member', /after you left/));
    expect(left).toBeLessThan(after);

    // Paging: HIDDEN_PAGE batches an answer, oldest first, then the rest.
    for (let i = 0; i < HIDDEN_PAGE; i++) data(await ann.request('message:hide', { conversationId: group, seqs: [seqs[2]!] }));
    const page1 = data(await ann2.request<{ hidden: Array<{ version: number }>; more: boolean }>('hidden:list', { after: 0 }));
    expect(page1.more).toBe(true);
    expect(page1.hidden.map((b) => b.version)).toEqual(Array.from({ length: HIDDEN_PAGE }, (_, i) => i + 1));
    const page2 = data(await ann2.request<{ hidden: Array<{ version: number; seqs: number[] }>; more: boolean }>('hidden:list', { after: HIDDEN_PAGE }));
    expect(page2).toEqual({ hidden: [{ version: HIDDEN_PAGE + 1, conversationId: group, seqs: [seqs[2]] }], more: false });
    expect(data(await ann2.request('hidden:list', { after: HIDDEN_PAGE + 1 }))).toEqual({ hidden: [], more: false });
  });

  it('counts every action against the rate limit like a send', async () => {
    const { ann, bob, group } = await team({ rateLimit: { burst: 5, perSecond: 1 } });
    const target = await send(ann, group, 'hi');
    const replies = [];
    for (let i = 0; i < 8; i++) replies.push(await react(bob, group, target, '👍', i % 2 === 0));
    expect(replies.slice(0, 5).every((r) => r.ok)).toBe(true);
    expect(replies.slice(5)).toEqual([refused('rate_limited'), refused('rate_limited'), refused('rate_limited')]);
  });
});

describe('message actions in storage', () => {
  it('counts a reply’s quote and mentions in a retransmit page’s byte bound', async () => {
    const dir = tempDir();
    const storage = openSqliteStorage(dir);
    onCleanup(() => storage.close());
    await storage.createUser({ address: 'ann', name: 'Ann' });
    await storage.createUser({ address: 'bob', name: 'Bob' });
    await storage.createConversation({ id: 'c', type: 'group', title: 'T', distinctKey: null, members: [{ address: 'ann', role: 'admin' }, { address: 'bob', role: 'member' }], createdAt: 1 });
    const base = { conversationId: 'c', sender: 'ann', deviceId: 'd', serverTime: 2 };
    await storage.appendMessage({ ...base, clientId: 'm1', body: 'q'.repeat(MAX_QUOTE_CHARS) });
    const reply = { ...base, body: 'r', replyTo: 1, mentions: ['bob'] };
    await storage.appendMessage({ ...reply, clientId: 'm2' });
    await storage.appendMessage({ ...reply, clientId: 'm3' });
    const all = await storage.getEvents('c', 2, 3, 10);
    expect(all).toHaveLength(2);
    // Bodies alone (1 byte each plus 160) would fit both in 400 bytes; with the quotes and mentions, one.
    expect(await storage.getEvents('c', 2, 3, 10, 400)).toHaveLength(1);
  });
});

