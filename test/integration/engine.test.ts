// The client engine against a real server: both for real, on temp dirs and 127.0.0.1.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../protocol/index.js';
import type { Message, MessageStatus } from '../../main/core/index.js';
import { cleanup, nextEvent, online, rawDevice, startClient, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

describe('client engine', () => {
  it('sends to a peer, creating the direct conversation, with statuses sending → sent → delivered → read', async () => {
    const t = await startTestServer();
    const ann = startClient(t.url, await t.user('ann'));
    const bob = startClient(t.url, await t.user('bob'));
    await Promise.all([online(ann), online(bob)]);

    const statuses: MessageStatus[] = [];
    ann.on('messageStatus', (s) => statuses.push(s.status));
    const received = nextEvent(bob, 'message');
    const sent = ann.sendMessage({ peer: 'bob' }, 'Hi Bob');
    expect(sent).toMatchObject({ status: 'sending', seq: null, mine: true, body: 'Hi Bob' });
    const message = await received;
    expect(message).toMatchObject({ body: 'Hi Bob', sender: 'ann', mine: false, seq: 1, status: null });
    await until(() => statuses.includes('delivered'), 'delivered');

    const conversation = bob.readConversations()[0]!;
    expect(conversation).toMatchObject({ type: 'direct', unread: 1, lastMessage: { body: 'Hi Bob' } });
    bob.markRead(conversation.id, 1);
    await until(() => statuses.includes('read'), 'read');
    expect(statuses).toEqual(['sending', 'sent', 'delivered', 'read']);
    expect(bob.readConversations()[0]!.unread).toBe(0);
    expect(ann.readMessages(conversation.id)).toMatchObject([{ id: sent.id, status: 'read', seq: 1 }]);
    // The same peer again goes to the same conversation.
    ann.sendMessage({ peer: 'bob' }, 'again');
    await until(() => bob.readMessages(conversation.id).length === 2, 'second message');
    expect(ann.readConversations()).toHaveLength(1);
  });

  it('echoes my messages to my other devices and syncs read marks across them', async () => {
    const t = await startTestServer();
    const annToken = await t.user('ann');
    const bobToken = await t.user('bob');
    const ann1 = startClient(t.url, annToken);
    const ann2 = startClient(t.url, annToken);
    const bob1 = startClient(t.url, bobToken);
    const bob2 = startClient(t.url, bobToken);
    await Promise.all([ann1, ann2, bob1, bob2].map(online));
    const { id } = await ann1.createConversation({ participants: ['bob'], type: 'direct' });
    await until(() => [ann2, bob1, bob2].every((c) => c.readConversations().length === 1), 'conversation everywhere');

    const echo = nextEvent(ann2, 'message');
    const sent = ann1.sendMessage({ conversationId: id }, 'from my laptop');
    expect(await echo).toMatchObject({ id: sent.id, mine: true, body: 'from my laptop' });
    for (let i = 0; i < 3; i++) ann1.sendMessage({ conversationId: id }, `more ${i}`);
    await until(() => bob2.readConversations()[0]!.unread === 4 && bob1.readConversations()[0]!.unread === 4, 'unread 4');

    const cleared = nextEvent(bob2, 'unread', (u) => u.unread === 0);
    bob1.markRead(id, 4);
    expect(await cleared).toEqual({ conversationId: id, unread: 0, total: 0 });
    const typing = nextEvent(bob1, 'typing');
    ann1.setTyping(id);
    expect(await typing).toEqual({ conversationId: id, address: 'ann' });
    // My own messages never count as unread for me.
    expect(ann1.readConversations()[0]!.unread).toBe(0);
    expect(ann2.readConversations()[0]!.unread).toBe(0);
  });

  it('serves conversations and history from the local store while the server is down', async () => {
    const t = await startTestServer();
    const annToken = await t.user('ann');
    const ann = startClient(t.url, annToken);
    const bob = startClient(t.url, await t.user('bob'));
    await Promise.all([online(ann), online(bob)]);
    ann.sendMessage({ peer: 'bob' }, 'kept locally');
    await until(() => bob.readConversations()[0]?.lastMessage?.body === 'kept locally', 'delivery');
    const dataDir = bob.dataDir;
    bob.stop();
    await t.stop();

    const reopened = startClient(t.url, 'any-token', { dataDir });
    const conversations = reopened.readConversations();
    expect(conversations).toMatchObject([{ type: 'direct', unread: 1, lastMessage: { body: 'kept locally', sender: 'ann' } }]);
    expect(reopened.readMessages(conversations[0]!.id)).toMatchObject([{ body: 'kept locally', seq: 1 }]);
    await until(() => reopened.status.state === 'offline', 'offline status');
    expect(reopened.status).toMatchObject({ state: 'offline', nextRetryAt: expect.any(Number) });
  });

  it('tells the list of my message at once, while it is still being sent', async () => {
    const t = await startTestServer();
    const ann = startClient(t.url, await t.user('ann'));
    const bob = startClient(t.url, await t.user('bob'));
    await Promise.all([online(ann), online(bob)]);
    ann.sendMessage({ peer: 'bob' }, 'first');
    await until(() => bob.readConversations()[0]?.lastMessage?.body === 'first', 'delivery');
    const id = bob.readConversations()[0]!.id;
    const before = bob.readConversations()[0]!.lastActivity;
    await t.stop();
    await until(() => bob.status.state === 'offline', 'offline');

    const summary = nextEvent(bob, 'conversation');
    bob.sendMessage({ conversationId: id }, 'still sending');
    expect(await summary).toMatchObject({ id, lastMessage: { body: 'still sending', mine: true, seq: null, status: 'sending' } });
    expect(bob.readConversations()[0]!.lastActivity).toBeGreaterThan(before);
  });

  it('catches up many pages of missed messages in several conversations', async () => {
    const t = await startTestServer();
    const annToken = await t.user('ann');
    const bobToken = await t.user('bob');
    await t.user('cat');
    const bob = startClient(t.url, bobToken);
    await online(bob);
    const dataDir = bob.dataDir;
    bob.stop();

    const ann = await rawDevice(t.url, annToken);
    const counts = [2500, 1001, 3];
    const ids: string[] = [];
    for (const [i, count] of counts.entries()) {
      const c = await ann.request<Conversation>('conversation:create', { participants: ['bob', 'cat'], type: 'group', title: `g${i}` });
      if (!c.ok) throw new Error(c.error.message);
      ids.push(c.data.id);
      for (let from = 0; from < count; from += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, count - from) }, (_, k) =>
            ann.request('message:send', { conversationId: c.data.id, clientId: `${i}-${from + k}`, body: `m ${from + k}` }),
          ),
        );
      }
    }

    const back = startClient(t.url, bobToken, { dataDir });
    // History paged in is not news: no message events (the desktop notifies only for those).
    let replayed = 0;
    back.on('message', () => replayed++);
    const done = nextEvent(back, 'sync', (s) => s.state === 'done', 20_000);
    await done;
    expect(replayed).toBe(0);
    for (const [i, id] of ids.entries()) {
      const summary = back.readConversations().find((c) => c.id === id)!;
      expect(summary).toMatchObject({ lastSeq: counts[i], unread: counts[i], title: `g${i}` });
      const latest = back.readMessages(id, { limit: 100 });
      expect(latest.map((m) => m.seq)).toEqual(Array.from({ length: Math.min(100, counts[i]!) }, (_, k) => counts[i]! - Math.min(100, counts[i]!) + 1 + k));
      let all: Message[] = latest;
      while (all[0]!.seq! > 1) all = back.readMessages(id, { beforeSeq: all[0]!.seq!, limit: 500 }).concat(all);
      expect(all).toHaveLength(counts[i]!);
    }
    // The sender hears that bob's device stored them.
    await until(async () => {
      const sync = await ann.request<{ conversations: Conversation[] }>('sync', {});
      return sync.ok && sync.data.conversations.every((c) => c.participants.find((p) => p.address === 'bob')!.deliveredSeq === c.lastSeq);
    }, 'delivered receipts');
  });

  it('signs out with authFailed when the token is revoked', async () => {
    const t = await startTestServer();
    const ann = startClient(t.url, await t.user('ann'));
    await online(ann);
    const failed = nextEvent(ann, 'connectionStatus', (s) => s.state === 'authFailed');
    await t.api('DELETE', '/users/ann/tokens');
    expect(await failed).toMatchObject({ state: 'authFailed', reason: expect.stringMatching(/revoked/) });
    // A new start with the revoked token fails the same way, without retrying.
    const again = startClient(t.url, (await t.api<{ token: string }>('POST', '/users/ann/tokens', {})).body.token.replace(/.$/, '_'));
    await until(() => again.status.state === 'authFailed', 'authFailed on start');
  });

  it('refuses bad input locally and marks a message the server refuses as failed, with retry', async () => {
    const t = await startTestServer();
    const ann = startClient(t.url, await t.user('ann'));
    const bob = startClient(t.url, await t.user('bob'));
    await Promise.all([online(ann), online(bob)]);
    const channel = await ann.createConversation({ participants: ['bob'], type: 'channel', title: 'News' });
    await until(() => bob.readConversations().length === 1, 'channel at bob');
    expect(() => bob.sendMessage({ conversationId: channel.id }, 'x'.repeat(70_000))).toThrow(/exceeds/);
    expect(() => bob.sendMessage({ conversationId: 'nope' }, 'hi')).toThrow(/no conversation/);
    expect(() => bob.sendMessage({ peer: '../../etc' }, 'hi')).toThrow(/address/);
    const failed = nextEvent(bob, 'messageStatus', (s) => s.status === 'failed');
    const message = bob.sendMessage({ conversationId: channel.id }, 'can I post?');
    expect(await failed).toMatchObject({ id: message.id, error: expect.stringMatching(/admins/) });
    expect(bob.readMessages(channel.id).at(-1)).toMatchObject({ id: message.id, status: 'failed' });
    const refusedAgain = nextEvent(bob, 'messageStatus', (s) => s.status === 'failed');
    bob.retryMessage(message.id);
    await refusedAgain;
    expect(() => bob.retryMessage('bob:unknown')).toThrow(/no failed message/);
  });

  it('says when it is idle: the outbox has sent what was queued, without polling for it', async () => {
    const t = await startTestServer();
    const ann = startClient(t.url, await t.user('ann'));
    await online(ann);
    await t.user('bob');
    const { id } = await ann.createConversation({ participants: ['bob'], type: 'direct' });
    const sent = [1, 2, 3].map((i) => ann.sendMessage({ conversationId: id }, `m${i}`));
    await ann.idle();
    expect(ann.readMessages(id).map((m) => [m.id, m.seq, m.status])).toEqual(sent.map((m, i) => [m.id, i + 1, 'sent']));
  });

  it('delivers an outbox queued before a crash exactly once after reopening', async () => {
    const t = await startTestServer();
    const annToken = await t.user('ann');
    const bob = startClient(t.url, await t.user('bob'));
    await online(bob);
    const dataDir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../support/queue-and-die.ts', import.meta.url)), dataDir, 'http://127.0.0.1:9', annToken, 'bob', '5'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('queued') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const ann = startClient(t.url, annToken, { dataDir });
    await until(() => bob.readConversations()[0]?.lastSeq === 5, 'five messages at bob');
    await until(() => ann.readMessages(bob.readConversations()[0]!.id).every((m) => m.status !== 'sending'), 'outbox drained');
    // Reopen once more: nothing is sent twice.
    ann.stop();
    const again = startClient(t.url, annToken, { dataDir });
    await online(again);
    await again.idle(); // the sync, catch-up and outbox pass of this start are over: anything resent has been
    const id = bob.readConversations()[0]!.id;
    expect(bob.readMessages(id).map((m) => m.body)).toEqual([0, 1, 2, 3, 4].map((i) => `queued ${i}`));
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(5);
  });

  it('loses nothing acknowledged and doubles nothing when the server restarts under traffic', async () => {
    const t = await startTestServer();
    const ann = startClient(t.url, await t.user('ann'));
    const bob = startClient(t.url, await t.user('bob'));
    await Promise.all([online(ann), online(bob)]);
    const { id } = await ann.createConversation({ participants: ['bob'], type: 'direct' });
    const acked = new Set<string>();
    ann.on('messageStatus', (s) => s.status === 'sent' && acked.add(s.id));
    const total = 300;
    for (let i = 0; i < total; i++) {
      ann.sendMessage({ conversationId: id }, `n${i}`);
      if (i === 100) await t.restart();
      if (i === 200) {
        await t.stop();
        await until(() => ann.status.state !== 'online', 'ann sees the server gone');
        await t.restart();
      }
      // Every 20 messages, let the traffic flow until one more is acknowledged (this one is still in flight).
      if (i % 20 === 0) await nextEvent(ann, 'messageStatus', (s) => s.status === 'sent');
    }
    await until(() => acked.size === total, `all ${total} acknowledged`, 20_000);
    await until(() => bob.readConversations()[0]?.lastSeq === total, 'all at bob', 20_000);
    await online(bob);
    const bodies = bob.readMessages(id, { limit: 500 }).map((m) => m.body);
    expect(bodies).toEqual(Array.from({ length: total }, (_, i) => `n${i}`));
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(total);
  });
});
