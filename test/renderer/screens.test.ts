import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ConnectionBanner from '../../renderer/components/ConnectionBanner.vue';
import ConversationSidebar from '../../renderer/components/ConversationSidebar.vue';
import NewConversationDialog from '../../renderer/components/NewConversationDialog.vue';
import SignInScreen from '../../renderer/components/SignInScreen.vue';
import { useConnectionStore } from '../../renderer/stores/connection';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useSessionStore } from '../../renderer/stores/session';
import { installFake, withStores } from './fake-bridge';
import type { FakeOptions } from './fake-parley';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

afterEach(() => {
  vi.useRealTimers();
  document.body.innerHTML = '';
});

async function signedIn(options?: FakeOptions) {
  const fake = installFake(options);
  await useSessionStore().load();
  await useConversationsStore().load();
  return fake;
}

describe('sign-in screen', () => {
  it('offers the demo users and signs in as the one picked', async () => {
    const fake = installFake({ me: null });
    await useSessionStore().load();
    const screen = mount(SignInScreen, withStores());
    expect(screen.findAll('[data-testid^=demo-user-]').map((b) => b.attributes('data-testid'))).toEqual([
      'demo-user-alice',
      'demo-user-bob',
      'demo-user-carol',
    ]);
    expect((screen.get('[data-testid=signin-server-url]').element as HTMLInputElement).value).toBe('http://127.0.0.1:7300');
    expect(screen.find('[data-testid=signin-reason]').exists()).toBe(false);
    await screen.get('[data-testid=demo-user-carol]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('signInDemo')).toEqual([{ address: 'carol' }]);
    expect(useSessionStore().me).toBe('carol');
  });

  it('signs in with a server URL and token, and says why when that fails', async () => {
    const fake = installFake({ me: null, signedOutReason: 'You were signed out: the access token was revoked.' });
    await useSessionStore().load();
    const screen = mount(SignInScreen, withStores());
    expect(screen.get('[data-testid=signin-reason]').text()).toBe('You were signed out: the access token was revoked.');

    await screen.get('[data-testid=signin-server-url]').setValue(' https://chat.example.com ');
    await screen.get('[data-testid=signin-token]').setValue('nope');
    await screen.get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('signIn')).toEqual([{ serverUrl: 'https://chat.example.com', token: 'nope' }]);
    expect(screen.findAll('[role=alert]').map((a) => a.text())).toContain('The access token is not valid');

    await screen.get('[data-testid=signin-token]').setValue('good-token');
    await screen.get('form').trigger('submit');
    await flushPromises();
    expect(useSessionStore().me).toBe('alice');
  });
});

describe('connection banner', () => {
  it('counts down to the next attempt while offline', async () => {
    vi.useFakeTimers();
    await signedIn();
    const banner = mount(ConnectionBanner, withStores());
    expect(banner.text()).toBe('');
    expect(banner.attributes('role')).toBe('status');

    useConnectionStore().apply({ state: 'offline', reason: 'server unreachable', nextRetryAt: Date.now() + 12_000 });
    await banner.vm.$nextTick();
    expect(banner.text()).toBe('Offline — retrying in 12 s (server unreachable)');
    await vi.advanceTimersByTimeAsync(5000);
    expect(banner.text()).toBe('Offline — retrying in 7 s (server unreachable)');

    useConnectionStore().apply({ state: 'connecting', attempt: 3 });
    await banner.vm.$nextTick();
    expect(banner.text()).toBe('Reconnecting… (attempt 3)');
    useConnectionStore().apply({ state: 'online' });
    await banner.vm.$nextTick();
    expect(banner.text()).toBe('');
  });

  it('says the server refused the token, and leaves the reason to the sign-in screen once signed out', async () => {
    await signedIn();
    const banner = mount(ConnectionBanner, withStores());
    useConnectionStore().apply({ state: 'authFailed', reason: 'the access token was revoked' });
    await banner.vm.$nextTick();
    expect(banner.text()).toBe('Signed out: the access token was revoked');

    useSessionStore().apply({ state: 'signedOut', reason: 'You were signed out: the access token was revoked.', serverUrl: null, demoUsers: [] });
    await banner.vm.$nextTick();
    expect(banner.text()).toBe('');
  });
});

describe('conversation sidebar', () => {
  const mountSidebar = () => mount(ConversationSidebar, { ...withStores(), attachTo: document.body });
  const ids = (sidebar: ReturnType<typeof mountSidebar>) =>
    sidebar.findAll('[data-testid=conversation-item]').map((i) => i.attributes('data-conversation-id'));

  it('filters conversations, and Esc clears the filter', async () => {
    await signedIn({ archiveSize: 3 });
    const sidebar = mountSidebar();
    expect(ids(sidebar)).toEqual(['c-bob', 'c-launch', 'c-archive']);
    const filter = sidebar.get('[data-testid=conversation-filter]');
    await filter.setValue('laun');
    expect(ids(sidebar)).toEqual(['c-launch']);
    await filter.setValue('zzz');
    expect(sidebar.text()).toContain('No conversations match.');
    await filter.trigger('keydown', { key: 'Escape' });
    expect(ids(sidebar)).toEqual(['c-bob', 'c-launch', 'c-archive']);
  });

  it('moves through conversations with the arrow keys, and with Alt+arrows from anywhere', async () => {
    await signedIn({ archiveSize: 3 });
    const conversations = useConversationsStore();
    conversations.open('c-bob');
    const sidebar = mountSidebar();
    const list = sidebar.get('[role=listbox]');
    await list.trigger('keydown', { key: 'ArrowDown' });
    expect(conversations.activeId).toBe('c-launch');
    expect(list.attributes('aria-activedescendant')).toBe('conversation-c-launch');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', altKey: true }));
    expect(conversations.activeId).toBe('c-archive');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', altKey: true }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', altKey: true }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', altKey: true }));
    expect(conversations.activeId).toBe('c-bob');
    expect(localStorage.getItem('parley.lastConversation')).toBe('"c-bob"');
  });

  it('focuses the filter on Ctrl+K', async () => {
    await signedIn();
    const sidebar = mountSidebar();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }));
    expect(document.activeElement).toBe(sidebar.get('[data-testid=conversation-filter]').element);
  });

  it('opens a conversation on click and shows previews, times and unread badges', async () => {
    await signedIn();
    const sidebar = mountSidebar();
    const bob = sidebar.get('[data-conversation-id=c-bob]');
    expect(bob.get('.title').text()).toBe('bob');
    expect(bob.get('.preview').text()).toBe('Ping me if anything looks off.');
    expect(bob.get('.badge').text()).toBe('2 unread');
    await sidebar.get('[data-conversation-id=c-launch]').trigger('click');
    expect(useConversationsStore().activeId).toBe('c-launch');
  });
});

describe('new conversation dialog', () => {
  async function openDialog() {
    const fake = await signedIn();
    const dialog = mount(NewConversationDialog, { ...withStores(), props: { open: false }, attachTo: document.body });
    await dialog.setProps({ open: true });
    return { fake, dialog };
  }

  it('searches the directory once typing pauses, without me in the results', async () => {
    vi.useFakeTimers();
    const { fake, dialog } = await openDialog();
    await vi.runAllTimersAsync();
    expect(fake.callsTo('searchUsers')).toEqual([{ query: '' }]);
    expect(dialog.findAll('[data-testid^=person-]').map((p) => p.attributes('data-testid'))).toEqual(['person-bob', 'person-carol', 'person-dave']);

    const search = dialog.get('[data-testid=people-search]');
    await search.setValue('d');
    await search.setValue('da');
    await search.setValue('dav');
    await vi.advanceTimersByTimeAsync(300);
    expect(fake.callsTo('searchUsers')).toEqual([{ query: '' }, { query: 'dav' }]);
    expect(dialog.findAll('[data-testid^=person-]').map((p) => p.attributes('data-testid'))).toEqual(['person-dave']);
  });

  it('starts a direct conversation with one person and opens it', async () => {
    const { fake, dialog } = await openDialog();
    await flushPromises();
    await dialog.get('[data-testid=person-dave]').setValue(true);
    expect(dialog.get('[data-testid=create-conversation]').text()).toBe('Start conversation');
    await dialog.get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('createConversation')).toEqual([{ type: 'direct', participants: ['dave'] }]);
    expect(useConversationsStore().active?.participants.map((p) => p.address)).toEqual(['alice', 'dave']);
    expect(dialog.emitted('update:open')).toEqual([[false]]);
  });

  it('needs a title for a group', async () => {
    const { fake, dialog } = await openDialog();
    await flushPromises();
    await dialog.get('[data-testid=person-bob]').setValue(true);
    await dialog.get('[data-testid=person-dave]').setValue(true);
    const create = dialog.get('[data-testid=create-conversation]');
    expect(create.text()).toBe('Create group');
    expect(create.attributes('disabled')).toBeDefined();
    await dialog.get('[data-testid=group-title]').setValue('Ops');
    expect(create.attributes('disabled')).toBeUndefined();
    await dialog.get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('createConversation')).toEqual([{ type: 'group', participants: ['bob', 'dave'], title: 'Ops' }]);
  });

  it('makes a channel, where only admins post, when asked', async () => {
    const { fake, dialog } = await openDialog();
    await flushPromises();
    expect(dialog.find('[data-testid=make-channel]').exists()).toBe(false);
    await dialog.get('[data-testid=person-bob]').setValue(true);
    await dialog.get('[data-testid=person-dave]').setValue(true);
    await dialog.get('[data-testid=group-title]').setValue('News');
    await dialog.get('[data-testid=make-channel]').setValue(true);
    expect(dialog.get('[data-testid=create-conversation]').text()).toBe('Create channel');
    await dialog.get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('createConversation')).toEqual([{ type: 'channel', participants: ['bob', 'dave'], title: 'News' }]);
  });
});
