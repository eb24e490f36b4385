import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { BridgeError } from '../../contract/api';
import type { Message } from '../../contract/types';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useDraftsStore } from '../../renderer/stores/drafts';
import { connectToHost } from '../../renderer/stores/host';
import { useMessagesStore } from '../../renderer/stores/messages';
import { useSessionStore } from '../../renderer/stores/session';
import { useTypingStore } from '../../renderer/stores/typing';
import { installFake } from './fake-bridge';
import { NOW, type FakeParley } from './fake-parley';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

let fake: FakeParley;
let host = effectScope();
beforeEach(async () => {
  fake = installFake({ archiveSize: 500 });
  host = effectScope();
  host.run(connectToHost); // the host's events reach the stores as in the app
  await flush();
});
afterEach(() => {
  host.stop();
  vi.useRealTimers();
});

describe('conversations store', () => {
  it('lists by last activity and re-sorts when a conversation event brings newer activity', async () => {
    const conversations = useConversationsStore();
    await conversations.load();
    expect(conversations.sorted.map((c) => c.id)).toEqual(['c-bob', 'c-launch', 'c-archive']);

    fake.emit('conversation', { ...fake.conversations.get('c-launch')!, lastActivity: NOW });
    expect(conversations.sorted.map((c) => c.id)).toEqual(['c-launch', 'c-bob', 'c-archive']);
  });

  it('applies unread events to the right conversation', async () => {
    const conversations = useConversationsStore();
    fake.emit('unread', { conversationId: 'c-launch', unread: 7, total: 9 });
    expect(conversations.byId['c-launch']!.unread).toBe(7);
    expect(conversations.totalUnread).toBe(9); // and bob's 2
  });

  it('filters by title or participant, case-insensitively', async () => {
    useSessionStore().apply({ state: 'signedIn', me: 'alice', serverUrl: 'x', demoUsers: [], connection: { state: 'online' } });
    const conversations = useConversationsStore();
    await conversations.load();
    conversations.filter = 'LAUNCH';
    expect(conversations.visible.map((c) => c.id)).toEqual(['c-launch']);
    conversations.filter = 'car';
    expect(conversations.visible.map((c) => c.id)).toEqual(['c-launch', 'c-archive']);
  });

  it('opens the last opened conversation at launch, else the most recent', async () => {
    const conversations = useConversationsStore();
    await conversations.load();
    conversations.openInitial();
    expect(conversations.activeId).toBe('c-bob');

    conversations.open('c-archive');
    const next = (installFake(), useConversationsStore());
    localStorage.setItem('parley.lastConversation', JSON.stringify('c-launch'));
    await next.load();
    next.openInitial();
    expect(next.activeId).toBe('c-launch');
  });

  it('creates a direct conversation for one person and a titled group for several, and opens it', async () => {
    const conversations = useConversationsStore();
    const direct = await conversations.create(['dave']);
    expect(fake.callsTo('createConversation').at(-1)).toEqual({ type: 'direct', participants: ['dave'] });
    expect(conversations.activeId).toBe(direct.id);

    await conversations.create(['bob', 'dave'], 'Ops');
    expect(fake.callsTo('createConversation').at(-1)).toEqual({ type: 'group', participants: ['bob', 'dave'], title: 'Ops' });
  });

  it('marks read once per seq and clears the badge at once', async () => {
    const conversations = useConversationsStore();
    await conversations.load();
    await conversations.markRead('c-bob', 3);
    await conversations.markRead('c-bob', 3);
    expect(fake.callsTo('markRead')).toEqual([{ conversationId: 'c-bob', seq: 3 }]);
    expect(conversations.byId['c-bob']!.unread).toBe(0);
  });
});

describe('messages store', () => {
  const thread = (id = 'c-archive') => useMessagesStore().threadOf(id);
  const seqs = (id = 'c-archive') => thread(id).messages.map((m) => m.seq);

  it('opens with the newest 50 from the local store, oldest first', async () => {
    await useMessagesStore().open('c-archive');
    expect(fake.callsTo('readMessages')).toEqual([{ conversationId: 'c-archive', limit: 50 }]);
    expect(seqs()).toEqual(Array.from({ length: 50 }, (_, i) => 451 + i));
    expect(thread().hasOlder).toBe(true);
  });

  it('loads older pages before the oldest loaded seq until the first message', async () => {
    const messages = useMessagesStore();
    await messages.open('c-archive');
    await messages.loadOlder('c-archive');
    expect(fake.callsTo('readMessages').at(-1)).toEqual({ conversationId: 'c-archive', beforeSeq: 451, limit: 100 });
    expect(seqs()[0]).toBe(351);
    expect(seqs()).toHaveLength(150);
    for (let i = 0; i < 4; i++) await messages.loadOlder('c-archive');
    expect(seqs()[0]).toBe(1);
    expect(thread().hasOlder).toBe(false);
    await messages.loadOlder('c-archive');
    expect(fake.callsTo('readMessages')).toHaveLength(6); // nothing older to ask for
  });

  it('takes a sent message through sending → sent → delivered → read', async () => {
    const messages = useMessagesStore();
    await messages.open('c-bob');
    await messages.send('c-bob', 'Lunch?');
    const mine = thread('c-bob').messages.at(-1)!;
    expect(mine).toMatchObject({ body: 'Lunch?', status: 'sending', seq: null, mine: true });

    fake.emit('messageStatus', { id: mine.id, conversationId: 'c-bob', seq: 4, status: 'sent' });
    expect(thread('c-bob').messages.at(-1)).toMatchObject({ id: mine.id, seq: 4, status: 'sent' });
    messages.applyStatus({ id: mine.id, conversationId: 'c-bob', seq: 4, status: 'delivered' });
    messages.applyStatus({ id: mine.id, conversationId: 'c-bob', seq: 4, status: 'read' });
    expect(thread('c-bob').messages.at(-1)!.status).toBe('read');
  });

  it('applies a status that arrives before sendMessage answers', async () => {
    const messages = useMessagesStore();
    await messages.open('c-bob');
    fake.override('sendMessage', ({ conversationId, text }) => {
      const id = 'alice:early';
      messages.applyStatus({ id, conversationId, seq: 4, status: 'sent' });
      return { id, conversationId, seq: null, kind: 'text', sender: 'alice', mine: true, body: text, time: NOW, status: 'sending' } satisfies Message;
    });
    await messages.send('c-bob', 'quick');
    expect(thread('c-bob').messages.at(-1)).toMatchObject({ id: 'alice:early', seq: 4, status: 'sent' });
  });

  it('keeps one copy when the message event and the sendMessage answer both arrive, in either order', async () => {
    const messages = useMessagesStore();
    await messages.open('c-bob');
    const sent = { id: 'alice:dup', conversationId: 'c-bob', seq: 4, kind: 'text', sender: 'alice', mine: true, body: 'once', time: NOW, status: 'sent' } satisfies Message;
    fake.override('sendMessage', () => ({ ...sent, seq: null, status: 'sending' }));
    fake.emit('message', sent);
    await messages.send('c-bob', 'once');
    const copies = thread('c-bob').messages.filter((m) => m.id === 'alice:dup');
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ seq: 4, status: 'sent' }); // the late "sending" answer does not win
    fake.emit('message', sent);
    expect(thread('c-bob').messages.filter((m) => m.id === 'alice:dup')).toHaveLength(1);
  });

  it('shows failed with its error, and retry sends it again (back to failed if retry is refused)', async () => {
    const messages = useMessagesStore();
    await messages.open('c-bob');
    await messages.send('c-bob', 'flaky');
    const id = thread('c-bob').messages.at(-1)!.id;
    fake.emit('messageStatus', { id, conversationId: 'c-bob', seq: null, status: 'failed', error: 'too many requests' });
    expect(thread('c-bob').messages.at(-1)).toMatchObject({ status: 'failed', error: 'too many requests' });

    await messages.retry(id);
    expect(fake.callsTo('retryMessage')).toEqual([{ id }]);
    expect(thread('c-bob').messages.at(-1)!.status).toBe('sending');
    expect(thread('c-bob').messages.at(-1)!.error).toBeUndefined();

    fake.override('retryMessage', () => {
      throw new BridgeError('not_found', `no failed message ${id}`);
    });
    await messages.retry(id);
    expect(thread('c-bob').messages.at(-1)).toMatchObject({ status: 'failed', error: `No failed message ${id}` });
  });

  it('appends live messages in seq order and reads the newest page again when one leaves a gap', async () => {
    const messages = useMessagesStore();
    await messages.open('c-bob');
    fake.emit('message', fake.text('c-bob', 4, 'bob', 'four', NOW));
    expect(seqs('c-bob')).toEqual([1, 2, 3, 4]);
    expect(fake.callsTo('readMessages')).toHaveLength(1);

    fake.history.get('c-bob')!.push(fake.text('c-bob', 5, 'bob', 'five', NOW), fake.text('c-bob', 6, 'bob', 'six', NOW));
    fake.emit('message', fake.text('c-bob', 6, 'bob', 'six', NOW));
    await flush();
    expect(fake.callsTo('readMessages')).toHaveLength(2);
    expect(seqs('c-bob')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a membership change that only a conversation event announces', async () => {
    const messages = useMessagesStore();
    await messages.open('c-launch');
    const change = { ...fake.text('c-launch', 3, 'carol', JSON.stringify({ added: ['erin'], removed: [] }), NOW), id: 'c-launch#3', kind: 'members' as const };
    fake.history.get('c-launch')!.push(change);
    fake.emit('conversation', { ...fake.conversations.get('c-launch')!, lastSeq: 3, lastMessage: change });
    await flush();
    expect(thread('c-launch').messages.at(-1)).toMatchObject({ id: 'c-launch#3', kind: 'members' });
  });

  it('ignores messages for conversations that are not loaded', () => {
    fake.emit('message', fake.text('c-bob', 4, 'bob', 'four', NOW));
    expect(thread('c-bob').loaded).toBe(false);
    expect(thread('c-bob').messages).toHaveLength(0);
  });
});

describe('session, drafts and typing stores', () => {
  it('signs in as a demo user, and keeps a failed sign-in’s reason', async () => {
    fake = installFake({ me: null });
    const session = useSessionStore();
    await session.load();
    expect(session.me).toBeNull();
    expect(session.demoUsers.map((u) => u.address)).toEqual(['alice', 'bob', 'carol']);

    await session.signIn('http://127.0.0.1:7300', 'wrong');
    expect(session.error).toBe('The access token is not valid');
    await session.signInDemo('bob');
    expect(fake.callsTo('signInDemo')).toEqual([{ address: 'bob' }]);
    expect(session.me).toBe('bob');
    expect(session.error).toBeNull();
  });

  it('keeps a draft per conversation across store instances (localStorage)', () => {
    useDraftsStore().setDraft('c-bob', 'half a thought');
    useDraftsStore().setDraft('c-launch', 'other');
    installFake();
    localStorage.setItem('parley.drafts', JSON.stringify({ 'c-bob': 'half a thought' }));
    const drafts = useDraftsStore();
    expect(drafts.draftOf('c-bob')).toBe('half a thought');
    expect(drafts.draftOf('c-launch')).toBe('');
    drafts.setDraft('c-bob', '');
    expect(JSON.parse(localStorage.getItem('parley.drafts')!)).toEqual({});
  });

  it('shows who is typing for 4 s after the last signal, and not me from another device', () => {
    vi.useFakeTimers();
    const typing = useTypingStore();
    fake.emit('typing', { conversationId: 'c-bob', address: 'alice' });
    fake.emit('typing', { conversationId: 'c-bob', address: 'bob' });
    vi.advanceTimersByTime(3000);
    fake.emit('typing', { conversationId: 'c-bob', address: 'bob' });
    vi.advanceTimersByTime(3000);
    expect(typing.typersIn('c-bob')).toEqual(['bob']);
    vi.advanceTimersByTime(1001);
    expect(typing.typersIn('c-bob')).toEqual([]);
  });
});
