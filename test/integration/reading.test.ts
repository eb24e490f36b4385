// Reading history from the engine's store at a place in it: around a seq (a link, a search hit, the
// first unread) and after one (paging towards the newest), on a real server and real SQLite.
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../protocol/index.js';
import { cleanup, online, rawDevice, startClient, startTestServer, until } from '../support/harness.js';

afterEach(cleanup);

const seqs = (messages: { seq: number | null }[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** bob's engine with a 120-message conversation from ann stored, and one message of his own waiting to be sent. */
async function historyOf120() {
  const t = await startTestServer();
  const annToken = await t.user('ann');
  const bob = startClient(t.url, await t.user('bob'));
  await online(bob);
  const ann = await rawDevice(t.url, annToken);
  const created = await ann.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.data.id;
  for (let i = 1; i <= 120; i++) await ann.request('message:send', { conversationId: id, clientId: `m${i}`, body: `m ${i}` });
  await until(() => bob.readConversation(id)?.lastSeq === 120 && bob.readMessages(id, { limit: 1 })[0]?.seq === 120, 'all 120 at bob');
  await t.stop(); // offline: what bob sends now waits in his outbox
  await until(() => bob.status.state === 'offline', 'bob offline');
  bob.sendMessage({ conversationId: id }, 'not sent yet');
  return { bob, id };
}

describe('reading history at a place', () => {
  it('reads around a seq, after a seq up to the newest, and ends a page that reaches the newest with my unsent messages', async () => {
    const { bob, id } = await historyOf120();

    // Half the limit before the seq, the rest from it on.
    expect(seqs(bob.readMessages(id, { aroundSeq: 60, limit: 20 }))).toEqual(range(50, 69));
    expect(seqs(bob.readMessages(id, { aroundSeq: 60, limit: 21 }))).toEqual(range(50, 70));
    // Near the start there is less before it: the page fills up after.
    expect(seqs(bob.readMessages(id, { aroundSeq: 3, limit: 20 }))).toEqual(range(1, 20));
    // Near the end the page reaches the newest and ends with the message still waiting.
    const end = bob.readMessages(id, { aroundSeq: 115, limit: 20 });
    expect(seqs(end)).toEqual([...range(105, 120), null]);
    expect(end.at(-1)).toMatchObject({ body: 'not sent yet', mine: true, status: 'sending' });

    expect(seqs(bob.readMessages(id, { afterSeq: 60, limit: 10 }))).toEqual(range(61, 70));
    expect(seqs(bob.readMessages(id, { afterSeq: 110, limit: 10 }))).toEqual(range(111, 120)); // exactly the limit: not known to be the end
    expect(seqs(bob.readMessages(id, { afterSeq: 111, limit: 10 }))).toEqual([...range(112, 120), null]);
    expect(seqs(bob.readMessages(id, { afterSeq: 120, limit: 10 }))).toEqual([null]);
    expect(seqs(bob.readMessages(id, { afterSeq: 0, limit: 3 }))).toEqual([1, 2, 3]);

    // Paging after from a window around a seq reaches every message once, in order.
    let all = bob.readMessages(id, { aroundSeq: 40, limit: 10 });
    while (all.at(-1)!.seq !== null) all = all.concat(bob.readMessages(id, { afterSeq: all.at(-1)!.seq!, limit: 10 }));
    expect(seqs(all)).toEqual([...range(35, 120), null]);

    // The same things as the first and older pages gave before.
    expect(seqs(bob.readMessages(id, { limit: 3 }))).toEqual([118, 119, 120, null]);
    expect(seqs(bob.readMessages(id, { beforeSeq: 118, limit: 3 }))).toEqual([115, 116, 117]);
  });

  it('refuses more than one place, and reads nothing of a conversation it does not have', async () => {
    const { bob, id } = await historyOf120();
    expect(() => bob.readMessages(id, { aroundSeq: 5, beforeSeq: 9 })).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => bob.readMessages(id, { afterSeq: 5, aroundSeq: 9 })).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(bob.readMessages('no-such-conversation', { aroundSeq: 5 })).toEqual([]);
  });
});
