// Muting a conversation, opening one the host asks for (parley: links, notification clicks) and the
// desktop settings, in the whole app against the fake host.
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mountApp, startApp, unmountApp } from './app-harness';
import { installFake } from './fake-bridge';
import type { FakeOptions, FakeParley } from './fake-parley';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

let fake: FakeParley;

async function launch(options?: FakeOptions, fresh = true) {
  if (fresh) fake = installFake(options);
  return mountApp();
}

const item = (app: VueWrapper, id: string) => app.get(`[data-testid=conversation-item][data-conversation-id=${id}]`);
const selected = (app: VueWrapper) => app.find('[aria-selected=true]').attributes('data-conversation-id');

afterEach(unmountApp);

describe('muting', () => {
  it('toggles from the conversation header; the list shows it muted with a quieter badge, out of the total', async () => {
    const app = await launch();
    expect(document.title).toBe('Parley (3)'); // c-bob's 2 unread (open, none seen yet) and c-launch's 1
    await item(app, 'c-launch').trigger('click');
    await flushPromises();
    const toggle = app.get('[data-testid=mute-toggle]');
    expect(toggle.attributes('aria-pressed')).toBe('false');
    fake.emit('unread', { conversationId: 'c-launch', unread: 3, total: 3 }); // more arrive
    await toggle.trigger('click');
    await flushPromises();
    expect(fake.callsTo('setConversationMuted')).toEqual([{ conversationId: 'c-launch', muted: true }]);
    expect(toggle.attributes('aria-pressed')).toBe('true');
    expect(toggle.attributes('aria-label')).toBe('Unmute conversation');
    expect(item(app, 'c-launch').find('[data-testid=muted-icon]').exists()).toBe(true);
    expect(item(app, 'c-bob').find('[data-testid=muted-icon]').exists()).toBe(false);

    // Another conversation with unread: its badge is the ordinary one, the muted one's is dimmed.
    await item(app, 'c-bob').trigger('click');
    fake.emit('unread', { conversationId: 'c-launch', unread: 2, total: 0 });
    await flushPromises();
    expect(item(app, 'c-launch').get('.badge').classes()).toContain('muted');
    expect(document.title).toBe('Parley (2)'); // c-bob's, not seen yet; the muted one's are left out

    await item(app, 'c-launch').trigger('click');
    await flushPromises();
    await app.get('[data-testid=mute-toggle]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('setConversationMuted').at(-1)).toEqual({ conversationId: 'c-launch', muted: false });
    expect(item(app, 'c-launch').find('[data-testid=muted-icon]').exists()).toBe(false);
  });

  it('follows the engine: a conversation event carries muted', async () => {
    const app = await launch();
    fake.emit('conversation', { ...fake.conversations.get('c-bob')!, muted: true });
    await flushPromises();
    expect(item(app, 'c-bob').find('[data-testid=muted-icon]').exists()).toBe(true);
  });

  it('says why when the host refuses', async () => {
    const app = await launch();
    fake.override('setConversationMuted', () => {
      throw new Error('no');
    });
    await app.get('[data-testid=mute-toggle]').trigger('click');
    await flushPromises();
    expect(app.get('[data-testid=mute-toggle]').attributes('aria-pressed')).toBe('false');
    expect(app.get('[data-testid=mute-toggle]').attributes('title')).not.toMatch(/^Mute:/);
  });
});

describe('opening a conversation the host asks for', () => {
  it('selects it when it is mine, and says so when it is not', async () => {
    const app = await launch();
    expect(selected(app)).toBe('c-bob');
    fake.emit('openConversation', { conversationId: 'c-launch' });
    await flushPromises();
    expect(selected(app)).toBe('c-launch');
    expect(app.find('[data-testid=link-notice]').exists()).toBe(false);

    fake.emit('openConversation', { conversationId: 'c-someone-elses' });
    await flushPromises();
    expect(selected(app)).toBe('c-launch');
    expect(app.get('[data-testid=link-notice]').text()).toContain('not in');
    await app.get('[data-testid=link-notice] button').trigger('click');
    expect(app.find('[data-testid=link-notice]').exists()).toBe(false);
  });

  it('opens one asked for before the list was loaded, once it is', async () => {
    fake = installFake();
    const app = startApp();
    fake.emit('openConversation', { conversationId: 'c-launch' }); // the session and the list are still on their way
    await flushPromises();
    expect(selected(app)).toBe('c-launch');
  });

  it('opens one at a message: the history around it, the message highlighted', async () => {
    fake = installFake({ archiveSize: 500 });
    const app = await launch(undefined, false);
    fake.emit('openConversation', { conversationId: 'c-archive', seq: 10 });
    await flushPromises();
    expect(selected(app)).toBe('c-archive');
    expect(fake.callsTo('readMessages')).toContainEqual({ conversationId: 'c-archive', aroundSeq: 10, limit: 100 });
    expect(app.get('.row.highlight').attributes('data-seq')).toBe('10');
    expect(app.get('.row.highlight').text()).toContain('Archived message 10');
  });

  it('opens parley://conversation links in messages in the app', async () => {
    fake = installFake();
    fake.history.get('c-bob')!.push(fake.text('c-bob', 4, 'bob', 'See parley://conversation/c-launch. And parley://user/x', Date.now()));
    const app = await launch(undefined, false);
    const link = app.get('[data-testid=conversation-link]');
    expect(link.text()).toBe('parley://conversation/c-launch');
    await link.trigger('click');
    await flushPromises();
    expect(selected(app)).toBe('c-launch');
  });
});

describe('desktop settings', () => {
  const openSettings = async (app: VueWrapper) => {
    await app.get('[aria-label=Settings]').trigger('click');
    await flushPromises();
  };

  it('are offered in the desktop app and saved with the rest', async () => {
    const app = await launch({ host: 'electron' });
    await openSettings(app);
    const section = app.get('[data-testid=desktop-settings]');
    const boxes = section.findAll('input[type=checkbox]');
    expect(boxes.map((b) => (b.element as HTMLInputElement).checked)).toEqual([true, true, true, false, false]);
    await boxes[1]!.setValue(false); // no message text
    await boxes[3]!.setValue(true); // start at login
    await app.get('[data-testid=save-settings]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('setDesktopSettings')).toEqual([
      { closeToTray: true, startAtLogin: true, startMinimised: false, notifications: true, showMessagePreview: false },
    ]);
  });

  it('leave out starting in the tray on macOS, which cannot tell a login launch', async () => {
    const app = await launch({ host: 'electron', platform: 'darwin' });
    await openSettings(app);
    const section = app.get('[data-testid=desktop-settings]');
    expect(section.text()).toContain('Start Parley when I log in');
    expect(section.text()).not.toContain('Start in the tray');
    expect(section.findAll('input[type=checkbox]')).toHaveLength(4);
  });

  it('are not offered in the browser host', async () => {
    const app = await launch();
    await openSettings(app);
    expect(app.find('[data-testid=settings-dialog]').exists()).toBe(true);
    expect(app.find('[data-testid=desktop-settings]').exists()).toBe(false);
    expect(fake.callsTo('getDesktopSettings')).toEqual([]);
  });
});

describe('updates', () => {
  const banner = (app: VueWrapper) => app.find('[data-testid=update-banner]');

  it('are checked from Settings; the sidebar offers the download, shows its progress, then the restart', async () => {
    const app = await launch({ host: 'electron', updateVersion: '0.2.0' });
    expect(banner(app).exists()).toBe(false); // nothing to do, nothing shown
    await app.get('[aria-label=Settings]').trigger('click');
    await flushPromises();
    expect(app.get('[data-testid=update-check]').text()).toContain('Parley 0.0.0-test.');
    await app.get('[data-testid=check-for-update]').trigger('click');
    await flushPromises();
    expect(app.get('[data-testid=update-check]').text()).toContain('0.2.0 is available');
    expect(banner(app).text()).toContain('Parley 0.2.0 is available.');

    await app.get('[data-testid=update-download]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('downloadUpdate')).toHaveLength(1);
    fake.emit('update', { state: 'downloading', version: '0.2.0', percent: 42.5, transferred: 42_500_000, total: 100_000_000, bytesPerSecond: 1e6 });
    await flushPromises();
    const progress = app.get('[data-testid=update-progress]');
    expect((progress.element as HTMLProgressElement).value).toBe(42.5);
    expect(banner(app).text()).toContain('Downloading Parley 0.2.0… 42%');
    // The bar has its label, for screen readers.
    expect(app.find('label[for=update-progress]').exists()).toBe(true);

    fake.emit('update', { state: 'ready', version: '0.2.0' });
    await flushPromises();
    // The host refuses (here: it never finished downloading as far as it knows); the reason shows.
    await app.get('[data-testid=update-restart]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('installUpdate')).toHaveLength(1);
    expect(app.get('[data-testid=update-error]').text()).toContain('The update is not downloaded yet');
  });

  it('are not offered in the browser host', async () => {
    const app = await launch();
    await app.get('[aria-label=Settings]').trigger('click');
    await flushPromises();
    expect(app.find('[data-testid=update-check]').exists()).toBe(false);
    expect(fake.callsTo('getUpdateState')).toEqual([]);
  });
});
