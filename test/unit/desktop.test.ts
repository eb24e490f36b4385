// The desktop integration's modules against the stand-in for 'electron': permissions, parley: links,
// notifications, badge, tray, close-to-tray, login items and the desktop settings file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { App, BrowserWindow as ElectronWindow, PowerMonitor, Session } from 'electron';
import type { ConversationSummary, Message } from '../../main/core/index.js';
import { applyAutostart, autostartEntry, startsHidden } from '../../main/electron/autostart.js';
import { createBadge } from '../../main/electron/badge.js';
import { createQuitState, followShutdown, hideOnClose } from '../../main/electron/close-to-tray.js';
import { conversationFromLink, createOpenQueue, linkInArgv, registerProtocolClient } from '../../main/electron/deep-links.js';
import { defaultDesktopSettings, readDesktopSettings, writeDesktopSettings } from '../../main/electron/desktop-settings.js';
import { canStartMinimised } from '../../common/desktop-platform.js';
import { loadIcons, type Icons } from '../../main/electron/icons.js';
import { createNotifier, type NotifierOptions } from '../../main/electron/notifications.js';
import { appMenuTemplate, attachContextMenu, contextMenuTemplate, setAppMenu } from '../../main/electron/menus.js';
import { lockDownPermissions } from '../../main/electron/permissions.js';
import { createTray } from '../../main/electron/tray.js';
import { followEngine } from '../../main/electron/follow-engine.js';
import type { Bridge } from '../../main/bridge/index.js';
import type { BridgeEvents, EventName } from '../../contract/events.js';
import { appLocation } from '../../main/electron/app-url.js';
import { conversationLink } from '../../common/deep-link.js';
import { Emitter } from '../../common/emitter.js';
import * as fake from '../support/fake-electron.js';
import { fileTempDirs } from '../support/file-temp.js';

vi.mock('electron', () => import('../support/fake-electron.js'));

const tempDir = fileTempDirs('parley-desktop-');

const location = appLocation('/opt/parley/out/renderer/index.html');
const asWindow = (win: fake.BrowserWindow) => win as unknown as ElectronWindow;

beforeEach(() => fake.resetFake());

describe('permissions', () => {
  const log = vi.fn();
  const handlers = () => fake.session.defaultSession.handlers as Record<string, (...args: unknown[]) => unknown>;
  beforeEach(() => {
    log.mockClear();
    lockDownPermissions(fake.session.defaultSession as unknown as Session, location.isAppUrl, log);
  });

  function request(permission: string, requestingUrl: string): boolean {
    let granted: boolean | undefined;
    handlers()['permissionRequest']!(null, permission, (answer: boolean) => (granted = answer), { requestingUrl, isMainFrame: true });
    return granted!;
  }

  it('grants notifications to the app page only, and nothing else to anyone', () => {
    expect(request('notifications', `${location.url}#/chat`)).toBe(true);
    expect(request('notifications', 'https://evil.example/')).toBe(false);
    expect(request('notifications', 'file:///tmp/index.html')).toBe(false);
    for (const permission of ['media', 'geolocation', 'clipboard-read', 'display-capture', 'openExternal', 'fileSystem', 'midiSysex', 'unknown']) {
      expect(request(permission, location.url)).toBe(false);
    }
    expect(log).toHaveBeenCalledWith('refused the permission media', location.url);

    const check = handlers()['permissionCheck']!;
    expect(check(null, 'notifications', 'file://', { requestingUrl: location.url })).toBe(true);
    expect(check(null, 'notifications', 'https://evil.example', { requestingUrl: 'https://evil.example/' })).toBe(false);
    expect(check(null, 'notifications', 'file://', {})).toBe(false);
    expect(check(null, 'media', 'file://', { requestingUrl: location.url })).toBe(false);
  });

  it('denies devices, screen capture and device pickers', () => {
    expect(handlers()['devicePermission']!({ deviceType: 'usb', origin: 'file://' })).toBe(false);
    const streams = vi.fn();
    handlers()['displayMedia']!({}, streams);
    expect(streams).toHaveBeenCalledWith({});
    for (const [event, args, canceled] of [
      ['select-hid-device', [{}], []],
      ['select-usb-device', [{}], []],
      ['select-serial-port', [[], {}], ['']],
    ] as const) {
      const preventDefault = vi.fn();
      const callback = vi.fn();
      fake.session.defaultSession.emit(event, { preventDefault }, ...args, callback);
      expect(preventDefault).toHaveBeenCalled();
      expect(callback).toHaveBeenCalledWith(...canceled);
    }
  });
});

describe('parley: links', () => {
  const log = vi.fn();
  beforeEach(() => log.mockClear());

  it('open parley://conversation/<id>[/<seq>] and nothing else', () => {
    expect(conversationFromLink('parley://conversation/3f2a9c1e-5b7d-4c2a-9e8f-1a2b3c4d5e6f', log)).toEqual({ conversationId: '3f2a9c1e-5b7d-4c2a-9e8f-1a2b3c4d5e6f' });
    expect(conversationFromLink('parley://conversation/abc/', log)).toEqual({ conversationId: 'abc' });
    expect(conversationFromLink(conversationLink('a b'), log)).toEqual({ conversationId: 'a b' });
    expect(conversationFromLink('parley://conversation/abc/42', log)).toEqual({ conversationId: 'abc', seq: 42 });
    expect(conversationFromLink(conversationLink('a b', 7), log)).toEqual({ conversationId: 'a b', seq: 7 });
    expect(log).not.toHaveBeenCalled();
    const hostile = [
      'https://conversation/abc',
      'parley://user/abc',
      'parley://Conversation/abc',
      'parley://conversation/',
      'parley://conversation/a/b',
      'parley://conversation/a/0',
      'parley://conversation/a/-1',
      'parley://conversation/a/1.5',
      'parley://conversation/a/07',
      'parley://conversation/a/12/x',
      'parley://conversation/a/9999999999999999',
      'parley://conversation/abc?x=1',
      'parley://conversation/abc#frag',
      'parley://me:pw@conversation/abc',
      'parley://conversation:99/abc',
      'parley://conversation/%E0%A4%A',
      `parley://conversation/${'x'.repeat(65)}`,
      `parley://conversation/${'x'.repeat(600)}`,
      'parley:conversation/abc',
      'javascript:alert(1)',
      'not a url',
      '',
    ];
    for (const url of hostile) expect(conversationFromLink(url, log), url).toBeNull();
    expect(log).toHaveBeenCalledTimes(hostile.length);
    expect(log).toHaveBeenCalledWith('refused a link that is not parley://conversation/<conversation id>[/<seq>]', 'parley://user/abc');
  });

  it('are found among launch arguments', () => {
    expect(linkInArgv(['/opt/Parley/parley', '--hidden', 'PARLEY://conversation/x'])).toBe('PARLEY://conversation/x');
    expect(linkInArgv(['/opt/Parley/parley', '--hidden'])).toBeUndefined();
  });

  it('register Parley as their handler, with the app path when run unpackaged', () => {
    const app = fake.app as unknown as App;
    registerProtocolClient(app, { execPath: '/opt/Parley/parley', argv: ['/opt/Parley/parley'] }, log);
    expect(fake.app.setAsDefaultProtocolClient).toHaveBeenLastCalledWith('parley');
    registerProtocolClient(app, { defaultApp: true, execPath: '/usr/lib/electron', argv: ['/usr/lib/electron', 'out/main/index.js'] }, log);
    expect(fake.app.setAsDefaultProtocolClient).toHaveBeenLastCalledWith('parley', '/usr/lib/electron', [join(process.cwd(), 'out/main/index.js')]);
    fake.app.setAsDefaultProtocolClient.mockReturnValueOnce(false);
    registerProtocolClient(app, { execPath: '/x', argv: [] }, log);
    expect(log).toHaveBeenCalledWith('could not register Parley as the handler of parley: links');
  });

  it('wait for the page, the latest only', () => {
    const open = vi.fn();
    const queue = createOpenQueue(open);
    queue.open('a');
    queue.open('b');
    expect(open).not.toHaveBeenCalled();
    queue.ready();
    expect(open.mock.calls).toEqual([['b']]);
    queue.open('c');
    expect(open).toHaveBeenLastCalledWith('c');
    queue.hold();
    queue.open('d');
    expect(open).toHaveBeenCalledTimes(2);
  });
});

const member = (address: string, name?: string) => ({ address, role: 'member' as const, deliveredSeq: 0, readSeq: 0, ...(name ? { name } : {}) });
function summary(id: string, patch: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id,
    type: 'direct',
    title: null,
    participants: [member('alice', 'Alice Martin'), member('bob', 'Bob Okafor'), member('carol')],
    lastMessage: null,
    unread: 1,
    mentions: 0,
    lastSeq: 1,
    haveSeq: 1,
    readSeq: 0,
    lastActivity: 0,
    muted: false,
    ...patch,
  };
}
let seq = 0;
function message(conversationId: string, patch: Partial<Message> = {}): Message {
  seq++;
  return { id: `bob:${seq}`, conversationId, seq, kind: 'text', sender: 'bob', mine: false, body: `hello ${seq}`, time: 0, status: null, ...patch };
}

describe('notifications', () => {
  const conversations = new Map<string, ConversationSummary>([
    ['c-bob', summary('c-bob')],
    ['c-group', summary('c-group', { type: 'group', title: 'Launch plan' })],
    ['c-muted', summary('c-muted', { muted: true })],
  ]);
  let focused: boolean;
  let settings: { notifications: boolean; showMessagePreview: boolean };
  let clock: number;
  const open = vi.fn();
  const notifier = (options: Partial<NotifierOptions> = {}) =>
    createNotifier({
      settings: () => settings,
      windowFocused: () => focused,
      conversation: (id) => conversations.get(id) ?? null,
      me: () => 'alice',
      open,
      now: () => clock,
      ...options,
    });
  const shown = () => fake.Notification.created.filter((n) => n.shown);

  beforeEach(() => {
    focused = false;
    settings = { notifications: true, showMessagePreview: true };
    clock = 1_000_000;
    open.mockClear();
    fake.Notification.supported = true;
  });

  it('shows who wrote and what while the window is not focused; a click opens the conversation', () => {
    const n = notifier();
    n.message(message('c-bob', { body: 'Lunch at\n noon?' }));
    // Markdown reads as the app draws it, its marks gone.
    n.message(message('c-group', { sender: 'carol', body: 'Draft is **up**: see `notes.md` and ~~the old~~ [the plan](https://example.com/plan)' }));
    n.message(message('c-bob', { id: 'bob:f', kind: 'file', body: 'the _deck_', file: { name: 'deck.pdf', size: 10, mime: 'application/pdf' } }));
    expect(shown().map((x) => x.options)).toEqual([
      { title: 'Bob Okafor', body: 'Lunch at noon?' },
      { title: 'carol in Launch plan', body: 'Draft is up: see notes.md and the old the plan' },
      { title: 'Bob Okafor', body: '📎 deck.pdf the deck' },
    ]);
    fake.Notification.created[1]!.emit('click');
    expect(open).toHaveBeenCalledWith({ conversationId: 'c-group', seq: 2 });
  });

  it('stays silent when focused, for my own messages, muted conversations, system events, unknown conversations, or when turned off', () => {
    const n = notifier();
    focused = true;
    n.message(message('c-bob'));
    focused = false;
    n.message(message('c-bob', { sender: 'alice', mine: true }));
    n.message(message('c-muted'));
    n.message(message('c-group', { kind: 'members', body: '{"added":["dave"]}' }));
    n.message(message('c-group', { kind: 'edit', body: '{"title":"x"}' }));
    n.message(message('c-unknown'));
    n.message(message('c-bob', { conversationId: null }));
    settings.notifications = false;
    n.message(message('c-bob'));
    settings.notifications = true;
    fake.Notification.supported = false;
    n.message(message('c-bob'));
    expect(fake.Notification.created).toHaveLength(0);
  });

  it('notifies a mention of me even in a muted conversation', () => {
    const n = notifier();
    n.message(message('c-muted', { body: 'hey @carol', mentions: ['carol'] }));
    n.message(message('c-muted', { body: 'hey @alice', mentions: ['alice'] }));
    expect(shown().map((x) => x.options.body)).toEqual(['hey @alice']);
  });

  it('hides the message text when previews are off', () => {
    settings.showMessagePreview = false;
    notifier().message(message('c-bob', { body: 'the secret plan' }));
    expect(shown()[0]!.options).toEqual({ title: 'Bob Okafor', body: 'New message' });
  });

  it('keeps one notification per conversation: the newest replaces the one before', () => {
    const n = notifier();
    n.message(message('c-bob'));
    n.message(message('c-group'));
    n.message(message('c-bob'));
    const [first, group, second] = fake.Notification.created;
    expect(first!.closed).toBe(true);
    expect(group!.closed).toBe(false);
    expect(second!.closed).toBe(false);
    n.dismiss('c-bob');
    expect(second!.closed).toBe(true);
    n.clear();
    expect(group!.closed).toBe(true);
  });

  it('never floods: a burst of live messages shows at most the rate cap, then more once it has passed', () => {
    const n = notifier({ rate: { count: 3, perMs: 60_000 } });
    for (let i = 0; i < 1000; i++) n.message(message(i % 2 ? 'c-bob' : 'c-group'));
    expect(fake.Notification.created).toHaveLength(3);
    clock += 60_000;
    n.message(message('c-bob'));
    expect(fake.Notification.created).toHaveLength(4);
  });

  it('shortens long text', () => {
    notifier().message(message('c-bob', { body: 'x'.repeat(1000) }));
    expect(shown()[0]!.options.body).toHaveLength(200);
    expect(shown()[0]!.options.body!.endsWith('…')).toBe(true);
  });
});

describe('badge', () => {
  it('is the dock or launcher count on macOS and Linux, and follows into the tray', () => {
    const onChange = vi.fn();
    const badge = createBadge({ app: fake.app as unknown as App, platform: 'darwin', window: () => null, overlay: () => null, onChange });
    badge.set(3);
    badge.set(3);
    badge.set(0);
    expect(fake.app.setBadgeCount.mock.calls).toEqual([[3], [0]]);
    expect(onChange.mock.calls).toEqual([[3], [0]]);
  });

  it('is the taskbar overlay with its description on Windows, also on a window made later', () => {
    fake.app.setBadgeCount.mockClear();
    const overlay = new fake.NativeImage('/icons/overlay-unread.png');
    let win: fake.BrowserWindow | null = null;
    const badge = createBadge({ app: fake.app as unknown as App, platform: 'win32', window: () => win && asWindow(win), overlay: () => overlay as never });
    badge.set(2); // no window yet
    win = new fake.BrowserWindow();
    badge.applyToWindow();
    expect(win.setOverlayIcon).toHaveBeenLastCalledWith(overlay, '2 unread messages');
    badge.set(1);
    expect(win.setOverlayIcon).toHaveBeenLastCalledWith(overlay, '1 unread message');
    badge.set(0);
    expect(win.setOverlayIcon).toHaveBeenLastCalledWith(null, '');
    expect(fake.app.setBadgeCount).not.toHaveBeenCalled();
  });
});

describe('following the engine', () => {
  it('notifies for messages, sets the badge from the unread total, and starts over at each sign-in', () => {
    const events = new Emitter<BridgeEvents>();
    let total = 5;
    const bridge = { unreadTotal: () => total, on: events.on.bind(events) } as Partial<Bridge> as Bridge;
    const notifier = { message: vi.fn(), dismiss: vi.fn(), clear: vi.fn() };
    const badge = { set: vi.fn(), applyToWindow: vi.fn(), count: 0 };
    const off = followEngine(bridge, notifier, badge);
    expect(badge.set).toHaveBeenLastCalledWith(5);
    const emit = <E extends EventName>(event: E, payload: BridgeEvents[E]) => events.emit(event, payload);
    const m = message('c-bob');
    emit('message', m);
    expect(notifier.message).toHaveBeenCalledWith(m);
    emit('unread', { conversationId: 'c-bob', unread: 2, total: 7 });
    expect(badge.set).toHaveBeenLastCalledWith(7);
    expect(notifier.dismiss).not.toHaveBeenCalled();
    emit('unread', { conversationId: 'c-bob', unread: 0, total: 5 });
    expect(notifier.dismiss).toHaveBeenCalledWith('c-bob');
    total = 0;
    emit('session', { state: 'signedOut', reason: null, serverUrl: null, demoUsers: [] });
    expect(notifier.clear).toHaveBeenCalled();
    expect(badge.set).toHaveBeenLastCalledWith(0);
    off();
    emit('message', m);
    emit('unread', { conversationId: 'c-bob', unread: 3, total: 3 });
    expect(notifier.message).toHaveBeenCalledOnce();
    expect(badge.set).toHaveBeenLastCalledWith(0);
  });
});

describe('icons', () => {
  it('load from the icons folder; a missing one is logged once and is null', () => {
    const log = vi.fn();
    fake.nativeImage.existing.add('/opt/parley/out/icons/tray.png');
    const icons = loadIcons('/opt/parley/out/icons', log);
    expect(icons('tray.png')).toMatchObject({ path: '/opt/parley/out/icons/tray.png' });
    expect(icons('overlay-unread.png')).toBeNull();
    expect(icons('overlay-unread.png')).toBeNull();
    expect(log.mock.calls).toEqual([['an icon is missing or unreadable', '/opt/parley/out/icons/overlay-unread.png']]);
  });
});

describe('tray', () => {
  const images: Icons = (name) => new fake.NativeImage(`/icons/${name}`) as never;
  const actions = () => ({ show: vi.fn(), hide: vi.fn(), quit: vi.fn(), isVisible: vi.fn(() => true) });

  it('shows unread in its icon and tooltip; its menu shows, hides and quits; a click toggles the window', () => {
    const a = actions();
    const tray = createTray({ icons: images, platform: 'linux', ...a });
    const icon = fake.Tray.created[0]!;
    expect(icon.image.path).toBe('/icons/tray.png');
    expect(icon.tooltip).toBe('Parley');
    tray.setUnread(4);
    expect(icon.image.path).toBe('/icons/tray-unread.png');
    expect(icon.tooltip).toBe('Parley: 4 unread messages');
    tray.setUnread(0);
    expect(icon.image.path).toBe('/icons/tray.png');
    const items = (icon.menu as { items: fake.MenuItem[] }).items;
    expect(items.map((i) => i.label ?? i.type)).toEqual(['Show Parley', 'Hide Parley', 'separator', 'Quit Parley']);
    items[0]!.click!();
    items[1]!.click!();
    items[3]!.click!();
    expect([a.show, a.hide, a.quit].map((f) => f.mock.calls.length)).toEqual([1, 1, 1]);
    icon.emit('click');
    expect(a.hide).toHaveBeenCalledTimes(2);
    a.isVisible.mockReturnValue(false);
    icon.emit('click');
    expect(a.show).toHaveBeenCalledTimes(2);
  });

  it('uses template images on macOS, and copes without icons', () => {
    const tray = createTray({ icons: images, platform: 'darwin', ...actions() });
    tray.setUnread(1);
    expect(fake.Tray.created[0]!.image.path).toBe('/icons/trayUnreadTemplate.png');
    createTray({ icons: () => null, platform: 'linux', ...actions() });
    expect(fake.Tray.created[1]!.image.isEmpty()).toBe(true);
  });
});

describe('close to tray', () => {
  it('hides the window on close until a quit is asked for; then it closes', () => {
    const quit = createQuitState(fake.app as unknown as App);
    const win = new fake.BrowserWindow();
    win.shown = true;
    let closeToTray = true;
    hideOnClose(asWindow(win), quit, () => closeToTray);
    win.close();
    expect(win.destroyed).toBe(false);
    expect(win.isVisible()).toBe(false);
    fake.app.emit('before-quit'); // Cmd+Q, the app menu, app.quit()
    win.close();
    expect(win.destroyed).toBe(true);

    const tray = createQuitState(fake.app as unknown as App);
    const other = new fake.BrowserWindow();
    hideOnClose(asWindow(other), tray, () => closeToTray);
    fake.app.quit.mockClear();
    tray.quit(); // the tray's Quit
    expect(fake.app.quit).toHaveBeenCalled();
    other.close();
    expect(other.destroyed).toBe(true);

    closeToTray = false;
    const plain = new fake.BrowserWindow();
    hideOnClose(asWindow(plain), createQuitState(fake.app as unknown as App), () => closeToTray);
    plain.close();
    expect(plain.destroyed).toBe(true);
  });

  it('lets the OS end the session', () => {
    for (const end of [(win: fake.BrowserWindow) => win.emit('session-end', {}), () => fake.powerMonitor.emit('shutdown')]) {
      fake.resetFake();
      const quit = createQuitState(fake.app as unknown as App);
      followShutdown(fake.powerMonitor as unknown as PowerMonitor, quit);
      const win = new fake.BrowserWindow();
      hideOnClose(asWindow(win), quit, () => true);
      end(win);
      win.close();
      expect(win.destroyed).toBe(true);
    }
  });
});

describe('start at login', () => {
  const app = fake.app as unknown as App;

  it('is an XDG autostart entry on Linux, for the AppImage when there is one, with --hidden when minimised', () => {
    const configDir = tempDir();
    const file = join(configDir, 'autostart', 'parley.desktop');
    const env = { platform: 'linux' as const, execPath: '/opt/Parley/parley', configDir };
    applyAutostart(app, env, { startAtLogin: true, startMinimised: false });
    expect(readFileSync(file, 'utf8')).toContain('Exec="/opt/Parley/parley"\n');
    applyAutostart(app, { ...env, appImage: '/home/me/Apps/Parley "1".AppImage' }, { startAtLogin: true, startMinimised: true });
    expect(readFileSync(file, 'utf8')).toContain('Exec="/home/me/Apps/Parley \\"1\\".AppImage" --hidden\n');
    applyAutostart(app, env, { startAtLogin: false, startMinimised: true });
    expect(existsSync(file)).toBe(false);
    applyAutostart(app, env, { startAtLogin: false, startMinimised: false }); // already gone: fine
    expect(fake.app.setLoginItemSettings).not.toHaveBeenCalled();
    expect(autostartEntry('/a$b', false)).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Parley\nExec="\/a\\\$b"\n/);
  });

  it('is a login item on macOS and Windows', () => {
    const env = { execPath: 'C:\\Parley\\Parley.exe', configDir: '/nonexistent' };
    applyAutostart(app, { ...env, platform: 'win32' }, { startAtLogin: true, startMinimised: true });
    expect(fake.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, args: ['--hidden'] });
    applyAutostart(app, { ...env, platform: 'darwin' }, { startAtLogin: false, startMinimised: true });
    expect(fake.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: false, args: [] });
  });

  it('starts hidden with --hidden on Windows and Linux; macOS, which cannot tell a login launch, never offers it', () => {
    expect(startsHidden(['parley', '--hidden'], 'linux')).toBe(true);
    expect(startsHidden(['parley', '--hidden'], 'win32')).toBe(true);
    expect(startsHidden(['parley'], 'linux')).toBe(false);
    expect(startsHidden(['parley', '--hidden'], 'darwin')).toBe(false);
    applyAutostart(app, { execPath: '/Applications/Parley.app', configDir: '/nonexistent', platform: 'darwin' }, { startAtLogin: true, startMinimised: true });
    expect(fake.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, args: [] });
    expect([canStartMinimised('darwin'), canStartMinimised('win32'), canStartMinimised('linux')]).toEqual([false, true, true]);
  });
});

describe('desktop settings file', () => {
  it('reads as the defaults when missing or bad, fills keys a older file lacks, and is written whole', () => {
    const log = vi.fn();
    const file = join(tempDir(), 'desktop-settings.json');
    expect(readDesktopSettings(file, log, 'win32')).toEqual(defaultDesktopSettings('win32'));
    expect(defaultDesktopSettings('win32')).toEqual({ closeToTray: true, startAtLogin: false, startMinimised: false, notifications: true, showMessagePreview: true });
    expect(defaultDesktopSettings('darwin').closeToTray).toBe(true);
    // GNOME has no tray without an extension: closing must not leave an app nobody can reach.
    expect(readDesktopSettings(file, log, 'linux')).toEqual({ ...defaultDesktopSettings('win32'), closeToTray: false });
    const DEFAULT_DESKTOP_SETTINGS = defaultDesktopSettings(process.platform);
    expect(log).not.toHaveBeenCalled();
    for (const bad of ['{oops', '[]', '"x"', 'null', '{"closeToTray":"yes"}', '{"closeToTray":false,"extra":1}']) {
      writeFileSync(file, bad);
      expect(readDesktopSettings(file, log), bad).toEqual(DEFAULT_DESKTOP_SETTINGS);
    }
    expect(log).toHaveBeenCalledTimes(6);
    expect(log).toHaveBeenCalledWith('desktop-settings.json is not JSON; using the defaults', file);
    writeFileSync(file, '{"closeToTray":false}');
    expect(readDesktopSettings(file, log)).toEqual({ ...DEFAULT_DESKTOP_SETTINGS, closeToTray: false });
    const mine = { ...DEFAULT_DESKTOP_SETTINGS, notifications: false, startAtLogin: true };
    writeDesktopSettings(file, mine);
    expect(readDesktopSettings(file, log)).toEqual(mine);
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});

describe('menus', () => {
  type Item = fake.MenuItem;
  const roles = (items: Item[]): string[] => items.flatMap((i) => [...(i.role ? [i.role] : []), ...roles(i.submenu ?? [])]);
  const developerRoles = ['reload', 'forceReload', 'toggleDevTools'];

  it('gives users no Reload or developer tools; a build that is not packaged keeps them', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const shipped = roles(appMenuTemplate(platform, false) as Item[]);
      for (const role of developerRoles) expect(shipped, platform).not.toContain(role);
      expect(shipped).toEqual(expect.arrayContaining(['fileMenu', 'editMenu', 'windowMenu', 'zoomIn', 'togglefullscreen']));
      expect(roles(appMenuTemplate(platform, true) as Item[])).toEqual(expect.arrayContaining(developerRoles));
    }
    // The macOS app menu (About, Hide, Quit Parley) comes first there only.
    expect(appMenuTemplate('darwin', false)[0]).toEqual({ role: 'appMenu' });
    expect(roles(appMenuTemplate('linux', false) as Item[])).not.toContain('appMenu');
    setAppMenu('linux', false);
    expect(roles(fake.Menu.applicationMenu!.items)).not.toContain('toggleDevTools');
  });

  const flags = { canCut: true, canCopy: true, canPaste: true, canSelectAll: true, canUndo: false, canRedo: false, canDelete: true, canEditRichly: false };
  const params = { isEditable: false, selectionText: '', editFlags: flags, misspelledWord: '', dictionarySuggestions: [] as string[], linkURL: '' };
  const contents = new fake.WebContents();
  const menu = (p: Partial<typeof params>) => contextMenuTemplate({ ...params, ...p }, contents as never) as Item[];
  const shape = (items: Item[]) => items.map((i) => i.role ?? i.label ?? i.type);

  it('offers spelling suggestions on a misspelt word, then the edit commands as the field allows them', () => {
    const items = menu({ isEditable: true, misspelledWord: 'helo', dictionarySuggestions: ['hello', 'help', 'hero'], editFlags: { ...flags, canCut: false } });
    expect(shape(items)).toEqual(['hello', 'help', 'hero', 'Add to Dictionary', 'separator', 'cut', 'copy', 'paste', 'separator', 'selectAll']);
    expect(items.find((i) => i.role === 'cut')!.enabled).toBe(false);
    items[1]!.click!();
    expect(contents.replaceMisspelling).toHaveBeenCalledWith('help');
    items.find((i) => i.label === 'Add to Dictionary')!.click!();
    expect(contents.session.addWordToSpellCheckerDictionary).toHaveBeenCalledWith('helo');
    expect(shape(menu({ isEditable: true, misspelledWord: 'qzxv' })).slice(0, 2)).toEqual(['No Spelling Suggestions', 'Add to Dictionary']);
  });

  it('offers Copy on selected text, a link’s address on http(s) links, and nothing elsewhere', () => {
    expect(shape(menu({ selectionText: 'some words' }))).toEqual(['copy']);
    expect(menu({ selectionText: '  ' })).toEqual([]);
    const link = menu({ linkURL: 'https://example.com/a' });
    expect(shape(link)).toEqual(['Copy Link Address']);
    link[0]!.click!();
    expect(fake.clipboard.text).toBe('https://example.com/a');
    expect(menu({ linkURL: 'parley-file://t-1' })).toEqual([]);
    expect(menu({})).toEqual([]);
  });

  it("pops up at a right-click in the window, only when it has something to offer", () => {
    const win = new fake.BrowserWindow();
    attachContextMenu(asWindow(win));
    const build = vi.spyOn(fake.Menu, 'buildFromTemplate');
    win.webContents.emit('context-menu', {}, { ...params, isEditable: true });
    expect(build).toHaveBeenCalledTimes(1);
    expect(build.mock.results[0]!.value.popup).toHaveBeenCalledWith({ window: win });
    win.webContents.emit('context-menu', {}, params);
    expect(build).toHaveBeenCalledTimes(1);
    build.mockRestore();
  });
});
