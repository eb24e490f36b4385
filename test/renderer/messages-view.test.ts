import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message, MessageStatus } from '../../contract/types';
import MessageComposer from '../../renderer/components/MessageComposer.vue';
import MessageItem from '../../renderer/components/MessageItem.vue';
import MessageList from '../../renderer/components/MessageList.vue';
import TypingIndicator from '../../renderer/components/TypingIndicator.vue';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useMessagesStore } from '../../renderer/stores/messages';
import { useTypingStore } from '../../renderer/stores/typing';
import { BridgeError } from '../../contract/api';
import { installFake, withStores } from './fake-bridge';
import { NOW } from './fake-parley';
import { fakeLayout } from './layout';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** One animation frame: what the list asked a frame for before this call runs first (happy-dom keeps them in order). */
const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

/**
 * The message list has settled: its scroll handlers and the chain of prefetches they start (each
 * page loaded, then a frame, then maybe the next) have run, and a frame went by without another
 * page being asked for. `pages` counts the pages asked for so far.
 */
async function settled(pages: () => number): Promise<void> {
  for (let before = -1; before !== pages(); ) {
    before = pages();
    await flushPromises(); // a page that was loading is in, and the list has asked for its next frame
    await frame(); // that frame has run: a page it wanted is being asked for
    await flushPromises();
  }
}

const mine = (status: MessageStatus, error?: string): Message => ({
  id: 'alice:1', conversationId: 'c-bob', seq: status === 'sending' || status === 'failed' ? null : 4,
  kind: 'text', sender: 'alice', mine: true, body: 'hi', time: NOW, status, ...(error ? { error } : {}),
});

describe('message status ticks', () => {
  it.each([
    ['sending', 'Sending'],
    ['sent', 'Sent'],
    ['delivered', 'Delivered'],
    ['read', 'Read'],
  ] as const)('%s reads "%s" and is on data-status', (status, label) => {
    installFake();
    const item = mount(MessageItem, { ...withStores(), props: { message: mine(status), startsRun: true, showSender: false } });
    expect(item.get('[data-testid=message]').attributes()).toMatchObject({ 'data-status': status, 'data-mine': 'true' });
    expect(item.get('[role=img]').attributes()).toMatchObject({ 'aria-label': label, title: label });
    expect(item.find('[data-testid=retry]').exists()).toBe(false);
  });

  it('shows a failure with its reason and retries it', async () => {
    const fake = installFake();
    const item = mount(MessageItem, { ...withStores(), props: { message: mine('failed', 'rate limited'), startsRun: true, showSender: false } });
    expect(item.get('[role=img]').attributes('aria-label')).toBe('Failed: rate limited');
    await item.get('[data-testid=retry]').trigger('click');
    expect(fake.callsTo('retryMessage')).toEqual([{ id: 'alice:1' }]);
  });

  it('has no status on others’ messages, and names the sender in groups', () => {
    installFake();
    const theirs: Message = { ...mine('read'), id: 'bob:1', sender: 'bob', mine: false, status: null };
    const item = mount(MessageItem, { ...withStores(), props: { message: theirs, startsRun: true, showSender: true } });
    expect(item.get('[data-testid=message]').attributes('data-status')).toBeUndefined();
    expect(item.get('[data-testid=message]').attributes('data-mine')).toBe('false');
    expect(item.find('[role=img]').exists()).toBe(false);
    expect(item.get('.sender').text()).toBe('bob');
  });

  it('renders untrusted text as text, with web links opening outside', () => {
    installFake();
    const body = '<img src=x onerror="alert(1)"> see https://example.com/x';
    const item = mount(MessageItem, { ...withStores(), props: { message: { ...mine('read'), body }, startsRun: true, showSender: false } });
    expect(item.find('img').exists()).toBe(false);
    expect(item.get('.message-text').text()).toBe(body);
    expect(item.get('a').attributes()).toMatchObject({ href: 'https://example.com/x', target: '_blank', rel: 'noopener noreferrer' });
  });
});

describe('composer', () => {
  const mountComposer = () => mount(MessageComposer, { ...withStores(), props: { conversationId: 'c-bob' } });

  it('sends on Enter, and tells the others I am typing', async () => {
    const fake = installFake();
    const composer = mountComposer();
    const box = composer.get('[data-testid=composer]');
    await box.setValue('Hello Bob');
    expect(fake.callsTo('setTyping')).toEqual([{ conversationId: 'c-bob' }]);
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(fake.callsTo('sendMessage')).toEqual([{ conversationId: 'c-bob', text: 'Hello Bob' }]);
    expect((box.element as HTMLTextAreaElement).value).toBe('');
  });

  it('does not send on Shift+Enter, nor blank text', async () => {
    const fake = installFake();
    const composer = mountComposer();
    const box = composer.get('[data-testid=composer]');
    await box.setValue('line one');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    await box.setValue('   ');
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(fake.callsTo('sendMessage')).toEqual([]);
  });

  it('keeps a draft per conversation', async () => {
    installFake();
    const composer = mountComposer();
    await composer.get('[data-testid=composer]').setValue('for bob');
    await composer.setProps({ conversationId: 'c-launch' });
    expect((composer.get('[data-testid=composer]').element as HTMLTextAreaElement).value).toBe('');
    await composer.setProps({ conversationId: 'c-bob' });
    expect((composer.get('[data-testid=composer]').element as HTMLTextAreaElement).value).toBe('for bob');
  });

  it('gives the text back with the reason when the host refuses it', async () => {
    const fake = installFake();
    fake.override('sendMessage', () => {
      throw new BridgeError('payload_too_large', 'the body exceeds 65536 bytes');
    });
    const composer = mountComposer();
    await composer.get('[data-testid=composer]').setValue('a long story');
    await composer.get('form').trigger('submit');
    await flushPromises();
    // In words, not the schema's: the text was fine but the message too long.
    expect(composer.get('[role=alert]').text()).toBe('This message is too long to send: at most 65,536 bytes (64 KiB) of text. Shorten it, or send it as a file.');
    expect((composer.get('[data-testid=composer]').element as HTMLTextAreaElement).value).toBe('a long story');
  });
});

describe('message list', () => {
  it('puts only the rows in view in the DOM, and pages older history in before the oldest loaded seq', async () => {
    const fake = installFake({ archiveSize: 100_000 });
    fakeLayout();
    await useMessagesStore().open('c-archive');
    const list = mount(MessageList, { ...withStores(), props: { conversationId: 'c-archive' }, attachTo: document.body });
    await flushPromises();
    const rows = list.findAll('[role=listitem]');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40); // 600px of 48px rows and some overscan, of 50 loaded
    expect(fake.callsTo('readMessages')[0]).toEqual({ conversationId: 'c-archive', limit: 50 });

    // Scrolled up to the top: the page before the oldest loaded message, shown above it.
    const thread = () => useMessagesStore().threadOf('c-archive');
    await settled(() => fake.callsTo('readMessages').length); // the opening scroll and whatever it prefetched
    const oldest = thread().messages[0]!.seq!;
    const calls = fake.callsTo('readMessages').length;
    const scroller = list.get('[data-testid=message-list]');
    scroller.element.scrollTop = 0;
    await scroller.trigger('scroll');
    await settled(() => fake.callsTo('readMessages').length);
    // The page before the oldest loaded seq first; then maybe more, one before the other, while the
    // list (happy-dom's scroll events race its frames) is still near the top.
    const pages = fake.callsTo('readMessages').slice(calls);
    expect(pages[0]).toEqual({ conversationId: 'c-archive', beforeSeq: oldest, limit: 100 });
    expect(pages.map((p) => p.beforeSeq)).toEqual(pages.map((_, i) => oldest - 100 * i));
    expect(thread().messages[0]!.seq).toBe(oldest - 100 * pages.length);
    expect(list.findAll('[role=listitem]').length).toBeLessThan(40);
    list.unmount();
  });

  it('separates days', async () => {
    installFake();
    fakeLayout();
    await useMessagesStore().open('c-launch');
    const list = mount(MessageList, { ...withStores(), props: { conversationId: 'c-launch' }, attachTo: document.body });
    await flushPromises();
    expect(list.findAll('[role=separator]').map((s) => s.text())).toHaveLength(2); // two days, one separator each
    list.unmount();
  });
});

describe('typing indicator', () => {
  it('says who is typing, and stops 4 s after the last signal', async () => {
    vi.useFakeTimers();
    installFake();
    const indicator = mount(TypingIndicator, { ...withStores(), props: { conversationId: 'c-launch' } });
    useTypingStore().started('c-launch', 'bob');
    await indicator.vm.$nextTick();
    expect(indicator.get('[data-testid=typing-indicator]').text()).toBe('bob is typing…');
    useTypingStore().started('c-launch', 'carol');
    await indicator.vm.$nextTick();
    expect(indicator.text()).toBe('bob and carol are typing…');
    vi.advanceTimersByTime(4000);
    await indicator.vm.$nextTick();
    expect(indicator.text()).toBe('');
  });

  it('names people by their display name, and by address only someone not named yet', async () => {
    vi.useFakeTimers();
    installFake();
    const indicator = mount(TypingIndicator, { ...withStores(), props: { conversationId: 'c-launch' } });
    const conversations = useConversationsStore();
    await conversations.load();
    const launch = conversations.byId['c-launch']!;
    conversations.byId['c-launch'] = { ...launch, participants: launch.participants.map((p) => (p.address === 'bob' ? { ...p, name: 'Bob Okafor' } : p)) };
    useTypingStore().started('c-launch', 'bob');
    useTypingStore().started('c-launch', 'carol');
    await indicator.vm.$nextTick();
    expect(indicator.text()).toBe('Bob Okafor and carol are typing…');
  });
});
