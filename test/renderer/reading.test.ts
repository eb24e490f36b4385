// Read means seen, in the renderer: how far what was seen moves the read mark, the history loaded as a
// window around a message and paged both ways, and the list's "New messages" line and jump button.
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../contract/types';
import MessageList from '../../renderer/components/MessageList.vue';
import { contiguousRead } from '../../renderer/composables/seen';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useMessagesStore } from '../../renderer/stores/messages';
import { installFake, withStores } from './fake-bridge';
import { NOW } from './fake-parley';
import { fakeLayout } from './layout';
import { fakeViewport } from './viewport';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const message = (seq: number | null, sender: string, kind: Message['kind'] = 'text'): Message => ({
  id: `${sender}:${seq}`, conversationId: 'c', seq, kind, sender, mine: sender === 'me', body: 'x', time: NOW, status: null,
});

describe('the read mark from what was seen', () => {
  const thread = [message(1, 'bob'), message(2, 'bob'), message(3, 'me'), message(4, 'carol', 'members'), message(5, 'bob'), message(6, 'bob'), message(null, 'me')];

  it('moves over the contiguous run of seen messages after the mark', () => {
    expect(contiguousRead(0, 7, thread, new Set([1, 2, 5, 6]))).toBe(6);
    expect(contiguousRead(1, 7, thread, new Set([2]))).toBe(4);
  });

  it('takes my messages and membership changes as seen, and stops at the first unseen message', () => {
    expect(contiguousRead(2, 7, thread, new Set())).toBe(4); // mine, then a membership change, then bob's 5 unseen
    expect(contiguousRead(0, 7, thread, new Set([2, 5, 6]))).toBe(0); // 1 never seen: nothing after it counts
    expect(contiguousRead(0, 7, thread, new Set([1, 5, 6]))).toBe(1);
  });

  it('never goes back, nor past a hole still to come, one before what is loaded, or my unsent messages', () => {
    expect(contiguousRead(6, 7, thread, new Set([1, 2]))).toBe(6);
    expect(contiguousRead(9, 9, thread, new Set())).toBe(9);
    const holed = [message(1, 'bob'), message(3, 'bob')];
    expect(contiguousRead(0, 1, holed, new Set([1, 3]))).toBe(1); // 2 is not stored yet
    expect(contiguousRead(0, 3, [message(2, 'bob')], new Set([2]))).toBe(0); // 1 is not loaded, so not seen
  });

  it('passes events stored but not shown (reactions, edits, deletes) between the messages loaded', () => {
    // 3 and 4 are a reaction and an edit: stored (haveSeq 6), never a row.
    const acted = [message(1, 'bob'), message(2, 'bob'), message(5, 'bob'), message(6, 'carol')];
    expect(contiguousRead(0, 6, acted, new Set([1, 2, 5, 6]))).toBe(6);
    expect(contiguousRead(0, 6, acted, new Set([1, 2, 6]))).toBe(2); // 5 unseen: the mark stays before the hole it follows
  });
});

describe('history around a message', () => {
  const seqs = () => useMessagesStore().threadOf('c-archive').messages.map((m) => m.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('loads a window around a seq, pages it towards the newest, then follows live messages again', async () => {
    const fake = installFake({ archiveSize: 500 });
    const messages = useMessagesStore();
    await messages.show('c-archive', 200);
    expect(fake.callsTo('readMessages')).toEqual([{ conversationId: 'c-archive', aroundSeq: 200, limit: 100 }]);
    expect(seqs()).toEqual(range(150, 249));
    expect(messages.threadOf('c-archive')).toMatchObject({ hasOlder: true, hasNewer: true });

    // A live message does not join a window; it is read when paged to.
    messages.receive({ ...message(501, 'carol'), id: 'carol:501', conversationId: 'c-archive' });
    expect(seqs().at(-1)).toBe(249);

    await messages.loadNewer('c-archive');
    expect(fake.callsTo('readMessages').at(-1)).toEqual({ conversationId: 'c-archive', afterSeq: 249, limit: 100 });
    expect(seqs().at(-1)).toBe(349);
    await messages.loadNewer('c-archive');
    await messages.loadNewer('c-archive');
    expect(seqs()).toEqual(range(150, 500));
    expect(messages.threadOf('c-archive').hasNewer).toBe(false);
    await messages.loadOlder('c-archive');
    expect(seqs()[0]).toBe(50);
  });

  it('keeps the thread when the seq is loaded, and gives a window up for the newest', async () => {
    const fake = installFake({ archiveSize: 500 });
    const messages = useMessagesStore();
    await messages.open('c-archive');
    await messages.show('c-archive', 480);
    expect(fake.callsTo('readMessages')).toHaveLength(1); // 480 was in the first page
    await messages.show('c-archive', 10);
    expect(seqs()).toEqual(range(1, 100)); // less before it: the rest after it
    await messages.open('c-archive'); // back to the conversation, nothing unread: the newest
    expect(seqs()).toEqual(range(451, 500));
    expect(messages.threadOf('c-archive').hasNewer).toBe(false);
  });

  it('shows what I send at once, leaving a window for the newest', async () => {
    installFake({ archiveSize: 500 });
    const messages = useMessagesStore();
    await messages.show('c-archive', 100);
    await messages.send('c-archive', 'back to now');
    await flushPromises();
    expect(messages.threadOf('c-archive').messages.at(-1)).toMatchObject({ body: 'back to now', seq: null });
    expect(messages.threadOf('c-archive').hasNewer).toBe(false);
  });

  it('hands a message asked for to its conversation’s list once', () => {
    installFake();
    const messages = useMessagesStore();
    messages.openAt('c-bob', 2);
    expect(messages.takeFocus('c-launch')).toBeNull();
    expect(messages.takeFocus('c-bob')).toBe(2);
    expect(messages.takeFocus('c-bob')).toBeNull();
  });
});

describe('the message list', () => {
  async function mountList(conversationId: string) {
    fakeLayout();
    fakeViewport();
    await useConversationsStore().load();
    const list = mount(MessageList, { ...withStores(), props: { conversationId }, attachTo: document.body });
    // The opening scroll is written and reconciled over a few frames.
    for (let i = 0; i < 4; i++) {
      await flushPromises();
      await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    }
    return list;
  }

  it('opens a long unread stretch at its first message, counting what is below it', async () => {
    const fake = installFake({ archiveSize: 500, archiveUnread: 300 });
    const list = await mountList('c-archive');
    expect(fake.callsTo('readMessages')[0]).toEqual({ conversationId: 'c-archive', aroundSeq: 201, limit: 100 });
    expect(useMessagesStore().threadOf('c-archive')).toMatchObject({ hasNewer: true });
    // Below the view: the unread of the window, and all those past it.
    expect(list.get('[data-testid=new-messages-pill]').text()).toMatch(/^\d+ new messages$/);
    list.unmount();
  });

  it('offers a jump to the newest when scrolled up, counting new messages from others, and jumps', async () => {
    const fake = installFake({ archiveSize: 500 });
    const list = await mountList('c-archive');
    expect(list.find('[data-testid=jump-to-newest]').exists()).toBe(false); // at the newest

    const scroller = list.get('[data-testid=message-list]');
    scroller.element.scrollTop = 0;
    await scroller.trigger('scroll');
    const jump = list.get('[data-testid=jump-to-newest]');
    expect(jump.attributes('aria-label')).toBe('Jump to the newest messages');
    expect(list.find('[data-testid=new-messages-pill]').exists()).toBe(false);

    useMessagesStore().receive(fake.text('c-archive', 501, 'carol', 'anyone?', NOW));
    await flushPromises();
    expect(list.get('[data-testid=new-messages-pill]').text()).toBe('1 new message');
    expect(list.get('[data-testid=jump-to-newest]').attributes('aria-label')).toBe('1 new message: jump to the newest');
    expect(fake.callsTo('markRead')).toEqual([]); // not seen

    await list.get('[data-testid=jump-to-newest]').trigger('click');
    await flushPromises();
    expect(list.find('[data-testid=jump-to-newest]').exists()).toBe(false);
    expect(document.activeElement).toBe(scroller.element);
    list.unmount();
  });
});
