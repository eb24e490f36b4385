import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_BODY_BYTES } from '../../protocol/limits';
import { mountApp, unmountApp } from './app-harness';
import { installFake } from './fake-bridge';
import { fakeViewport, showSeqs } from './viewport';
import { DWELL_MS } from '../../renderer/composables/seen';
import type { FakeOptions, FakeParley } from './fake-parley';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

let fake: FakeParley;

async function launch(options?: FakeOptions, lastOpened?: string, fresh = true) {
  if (fresh) fake = installFake(options);
  return mountApp(lastOpened);
}

const texts = (w: VueWrapper, selector: string) => w.findAll(selector).map((e) => e.text());

afterEach(() => {
  unmountApp();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('launch', () => {
  it('shows the list by last activity and the top conversation’s newest messages without a click', async () => {
    const app = await launch();
    const items = app.findAll('[data-testid=conversation-item]');
    expect(items.map((i) => i.attributes('data-conversation-id'))).toEqual(['c-bob', 'c-launch']);
    expect(items[0]!.attributes('aria-selected')).toBe('true');
    expect(items[0]!.get('.badge').text()).toBe('2 unread'); // open, but nothing in it seen yet
    expect(items[1]!.get('.badge').text()).toBe('1 unread');
    expect(texts(app, '[data-testid=message] .message-text')).toEqual([
      'Morning! Did the build go out last night?',
      'It did. Installers are on https://files.example.com/builds.',
      'Ping me if anything looks off.',
    ]);
  });

  it('opens a conversation once the first sync of a new sign-in has brought some', async () => {
    fake = installFake();
    const everything = await fake.api.listConversations();
    fake.override('listConversations', () => []); // a first sign-in: the store is still empty
    const app = await launch(undefined, undefined, false);
    expect(app.findAll('[data-testid=conversation-item]')).toHaveLength(0);
    for (const summary of everything) fake.emit('conversation', summary);
    fake.emit('sync', { state: 'done', behind: 0 });
    await flushPromises();
    expect(app.find('[aria-selected=true]').attributes('data-conversation-id')).toBe('c-bob');
  });

  it('reopens the conversation opened last time', async () => {
    const app = await launch({}, 'c-launch');
    expect(app.find('[aria-selected=true]').attributes('data-conversation-id')).toBe('c-launch');
    expect(app.find('[data-testid=system-message]').text()).toBe('carol added dave');
    expect(app.find('[data-testid=message]').text()).toContain('carol'); // sender names in groups
  });

  it('switches conversations on click and keeps each one’s draft', async () => {
    const app = await launch();
    await app.get('[data-testid=composer]').setValue('unsent to bob');
    await app.get('[data-conversation-id=c-launch]').trigger('click');
    await flushPromises();
    expect((app.get('[data-testid=composer]').element as HTMLTextAreaElement).value).toBe('');
    expect(app.get('h2').text()).toBe('Launch plan');
    await app.get('[data-conversation-id=c-bob]').trigger('click');
    expect((app.get('[data-testid=composer]').element as HTMLTextAreaElement).value).toBe('unsent to bob');
  });
});

describe('reading', () => {
  it('opens at the first unread under a "New messages" line, and marks read what is seen, as it is seen', async () => {
    fakeViewport();
    const app = await launch();
    expect(app.get('[data-testid=unread-divider]').element.closest('[data-seq]')!.getAttribute('data-seq')).toBe('2');
    expect(fake.callsTo('markRead')).toEqual([]);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    showSeqs([2]);
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead')).toEqual([{ conversationId: 'c-bob', seq: 2 }]);
    expect(app.get('[data-conversation-id=c-bob] .badge').text()).toBe('1 unread');
    showSeqs([3]);
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead').at(-1)).toEqual({ conversationId: 'c-bob', seq: 3 });
    expect(app.find('[data-conversation-id=c-bob] .badge').exists()).toBe(false);
    // The line stays while the conversation is open.
    expect(app.find('[data-testid=unread-divider]').exists()).toBe(true);
  });

  it('does not pass over an unseen message, nor count a glance cut short', async () => {
    fakeViewport();
    await launch();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    showSeqs([3]); // the newest seen, the one before it not
    vi.advanceTimersByTime(DWELL_MS);
    showSeqs([2]);
    vi.advanceTimersByTime(DWELL_MS - 100);
    showSeqs([2], false); // scrolled away before the dwell was over
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead')).toEqual([]);

    showSeqs([2]);
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead')).toEqual([{ conversationId: 'c-bob', seq: 3 }]); // 2 seen now, and 3 was
  });

  it('waits for the focus to mark read, and marks new messages as they come into view', async () => {
    const focused = vi.spyOn(document, 'hasFocus').mockReturnValue(false);
    fakeViewport();
    await launch();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    showSeqs([2, 3]);
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead')).toEqual([]);

    focused.mockReturnValue(true);
    window.dispatchEvent(new Event('focus'));
    await flushPromises(); // the list hears of it
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead')).toEqual([{ conversationId: 'c-bob', seq: 3 }]);

    fake.emit('message', fake.text('c-bob', 4, 'bob', 'still there?', Date.now()));
    await flushPromises();
    showSeqs([4]);
    vi.advanceTimersByTime(DWELL_MS);
    await flushPromises();
    expect(fake.callsTo('markRead').at(-1)).toEqual({ conversationId: 'c-bob', seq: 4 });
  });

  it('counts a conversation that fits on screen as seen once it has been in view for the dwell', async () => {
    fakeViewport({ everything: true });
    const app = await launch();
    await app.get('[data-conversation-id=c-launch]').trigger('click');
    await vi.waitFor(() => expect(fake.callsTo('markRead')).toContainEqual({ conversationId: 'c-launch', seq: 2 }));
  });
});

describe('session', () => {
  it('signs out from the header and shows the sign-in screen', async () => {
    const app = await launch();
    await app.get('[data-testid=signout]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('signOut')).toHaveLength(1);
    expect(app.find('[data-testid=signin-submit]').exists()).toBe(true);
    expect(app.find('[data-testid=conversation-item]').exists()).toBe(false);
  });

  it('goes to the sign-in screen with the reason when the host signs the session out', async () => {
    const app = await launch();
    fake.emit('connectionStatus', { state: 'authFailed', reason: 'the access token was revoked' });
    await flushPromises();
    expect(app.get('[data-testid=connection-banner]').text()).toBe('Signed out: the access token was revoked');

    const reason = 'You were signed out: the access token was revoked. Sign in again with a new access token.';
    fake.emit('session', { state: 'signedOut', reason, serverUrl: 'http://127.0.0.1:7300', demoUsers: [] });
    await flushPromises();
    expect(app.get('[data-testid=signin-reason]').text()).toBe(reason);
    expect(app.get('[data-testid=signin-reason]').attributes('role')).toBe('alert');
    expect((app.get('[data-testid=signin-server-url]').element as HTMLInputElement).value).toBe('http://127.0.0.1:7300');
    expect(app.find('[data-testid=signout]').exists()).toBe(false);
  });

  it('loads the user’s conversations after a demo sign-in', async () => {
    const app = await launch({ me: null });
    await app.get('[data-testid=demo-user-alice]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('signInDemo')).toEqual([{ address: 'alice' }]);
    expect(app.findAll('[data-testid=conversation-item]')).toHaveLength(2);
  });
});

describe('jumping to a conversation', () => {
  it('Ctrl+K, a few letters and Enter open the first match and put the focus in its composer', async () => {
    const app = await launch();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }));
    const filter = app.get('[data-testid=conversation-filter]');
    expect(document.activeElement).toBe(filter.element);
    await filter.setValue('laun');
    await filter.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(app.get('h2').text()).toBe('Launch plan');
    expect(document.activeElement).toBe(app.get('[data-testid=composer]').element);
    // The filter is done with: the whole list is back.
    expect(app.findAll('[data-testid=conversation-item]')).toHaveLength(2);
  });

  it('Enter keeps the match the arrows moved to', async () => {
    const app = await launch();
    const filter = app.get('[data-testid=conversation-filter]');
    await filter.setValue('o'); // both: Bob Okafor, Launch plan (carol, bob…)
    await filter.trigger('keydown', { key: 'ArrowDown' });
    await filter.trigger('keydown', { key: 'ArrowDown' });
    await filter.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(app.get('h2').text()).toBe('Launch plan');
    // With nothing typed, Enter goes back to the open conversation.
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }));
    await filter.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(app.get('h2').text()).toBe('Launch plan');
    expect(document.activeElement).toBe(app.get('[data-testid=composer]').element);
  });

  it('Enter in the conversation list opens the selected one and moves to its composer', async () => {
    const app = await launch();
    const list = app.get('#conversation-list');
    await list.trigger('keydown', { key: 'ArrowDown' });
    await list.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(app.get('h2').text()).toBe('Launch plan');
    expect(document.activeElement).toBe(app.get('[data-testid=composer]').element);
  });
});

describe('the composer and the size limit', () => {
  it('counts the bytes left near the limit and refuses past it, saying why', async () => {
    const app = await launch();
    const composer = app.get('[data-testid=composer]');
    const send = app.get('[data-testid=send]');
    await composer.setValue('short');
    expect(app.find('[data-testid=composer-limit]').exists()).toBe(false);
    // UTF-8 bytes, not characters: é is two.
    await composer.setValue('é'.repeat(MAX_BODY_BYTES / 2 - 100));
    expect(app.get('[data-testid=composer-limit]').text()).toBe('200 bytes left of 65,536 bytes (64 KiB)');
    expect(send.attributes('disabled')).toBeUndefined();
    await composer.setValue('x'.repeat(70_000));
    expect(app.get('[data-testid=composer-limit]').text()).toBe('Too long to send: 4,464 bytes over the limit of 65,536 bytes (64 KiB)');
    expect(send.attributes('disabled')).toBeDefined();
    expect(send.attributes('title')).toBe('Too long to send');
    expect(composer.attributes('aria-invalid')).toBe('true');
    expect(composer.attributes('aria-describedby')).toBe(app.get('[data-testid=composer-limit]').attributes('id'));
    await composer.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(fake.callsTo('sendMessage')).toEqual([]);
  });
});

describe('small things', () => {
  it('says there are no conversations once, and what to do', async () => {
    fake = installFake();
    fake.override('listConversations', () => []);
    const app = await launch(undefined, undefined, false);
    expect(app.text().match(/No conversations yet/g)).toHaveLength(1);
    expect(app.text()).toContain('Start a conversation');
  });

  it('shows my message in the list while it is still being sent, its conversation on top', async () => {
    const app = await launch({}, 'c-launch');
    await app.get('[data-testid=composer]').setValue('on my way');
    await app.get('[data-testid=composer]').trigger('keydown', { key: 'Enter' });
    await flushPromises();
    const first = app.findAll('[data-testid=conversation-item]')[0]!;
    expect(first.attributes('data-conversation-id')).toBe('c-launch');
    expect(first.get('.preview').text()).toBe('You: on my way');
  });
});
