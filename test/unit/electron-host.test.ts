// The Electron host against a stand-in for the 'electron' module: the IPC gate in front of the real
// bridge, event forwarding, the preload's window.parley, and the host's pure rules.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow as ElectronWindow, IpcMainInvokeEvent, Session, WebContents as ElectronContents } from 'electron';
import type { BridgeReply, ParleyBridge } from '../../contract/api.js';
import type { RequestName, RequestResult } from '../../contract/requests.js';
import { eventNames } from '../../contract/events.js';
import { createBridge, type Bridge } from '../../main/bridge/index.js';
import { appLocation } from '../../main/electron/app-url.js';
import { readConfig } from '../../main/electron/config.js';
import { contentSecurityPolicy, sendCspHeader } from '../../main/electron/csp.js';
import { REQUEST_CHANNEL, STAGE_CHANNEL, STAGE_FOLDER_CHANNEL } from '../../contract/ipc.js';
import { chooseFolderWithDialog } from '../../main/electron/choose-folder.js';
import { FILE_SCHEME, serveFileScheme } from '../../main/electron/file-scheme.js';
import { forwardEvents, isAppSender, registerIpc, registerStaging } from '../../main/electron/ipc.js';
import { revealWithShell } from '../../main/electron/reveal.js';
import { saveAsWithDialog } from '../../main/electron/save-as.js';
import { trustSystemCertificates } from '../../main/electron/system-certificates.js';
import { isExternalLink } from '../../main/electron/links.js';
import { LOG_FILE, createFileLog } from '../../main/electron/log-file.js';
import { lockDownNavigation } from '../../main/electron/navigation.js';
import { tokenStorage } from '../../main/electron/token-codec.js';
import { createAppWindow } from '../../main/electron/window.js';
import { isVisible, loadWindowState } from '../../main/electron/window-state.js';
import { unwrap, type Arg } from '../support/bridge.js';
import * as fake from '../support/fake-electron.js';
import { fileTempDirs } from '../support/file-temp.js';
import { cleanup, startClient, startTestServer, until } from '../support/harness.js';

vi.mock('electron', () => import('../support/fake-electron.js'));
// The launched host is a packaged one (the stand-in's app.isPackaged): it loads electron-updater, whose
// real module needs Electron itself. main/electron/updates.ts is tested in updates.test.ts.
vi.mock('electron-updater', () => ({
  default: {
    autoUpdater: {
      setFeedURL: vi.fn(),
      checkForUpdates: vi.fn(async () => null),
      downloadUpdate: vi.fn(async () => []),
      quitAndInstall: vi.fn(),
      signals: { progress: vi.fn(), updateDownloaded: vi.fn() },
    },
  },
}));

const tempDir = fileTempDirs('parley-host-');

const INDEX = '/opt/parley/out/renderer/index.html';
const location = appLocation(INDEX);
const asWindow = (win: fake.BrowserWindow) => win as unknown as ElectronWindow;

describe('IPC gate in front of the real bridge', () => {
  let bridge: Bridge;
  let win: fake.BrowserWindow | null;
  const log = vi.fn();

  /** An invoke event from the window's top frame at `url` (the app's page unless told). */
  function fromApp(url = `${location.url}#/chat`, target = win): IpcMainInvokeEvent {
    return { sender: target?.webContents, senderFrame: { url, parent: null } } as unknown as IpcMainInvokeEvent;
  }
  const call = (name: string, arg?: unknown, event = fromApp()) => fake.ipcMain.invoke(REQUEST_CHANNEL, event, name, arg);

  beforeAll(() => {
    bridge = createBridge({ dataDir: tempDir(), appInfo: { version: '1.2.3', platform: 'linux', host: 'electron' }, log: () => {} });
    registerIpc(bridge, (event) => isAppSender(event, win && asWindow(win), location.isAppUrl), log);
    registerStaging(bridge, (event) => isAppSender(event, win && asWindow(win), location.isAppUrl), log);
    forwardEvents(bridge, () => win && asWindow(win));
  });
  afterAll(() => bridge.close());
  beforeEach(() => {
    win = new fake.BrowserWindow();
    log.mockClear();
  });

  it('registers the request channel exactly once, and nothing else but the preload\'s staging channels', () => {
    const channels = [...fake.ipcMain.handlers.keys()];
    expect(channels.sort()).toEqual([REQUEST_CHANNEL, STAGE_CHANNEL, STAGE_FOLDER_CHANNEL].sort());
    expect(() => registerIpc(bridge, () => true, log)).toThrow(/second handler/);
  });

  it('answers the app page with the real bridge', async () => {
    expect(await call('getAppInfo')).toEqual({ ok: true, data: { version: '1.2.3', platform: 'linux', host: 'electron' } });
    expect(await call('getSession')).toMatchObject({ ok: true, data: { state: 'signedOut' } });
  });

  it.each([
    ['another window', () => fromApp(undefined, new fake.BrowserWindow())],
    ['a subframe of the app window', () => ({ sender: win!.webContents, senderFrame: { url: location.url, parent: {} } })],
    ['a frame that is gone', () => ({ sender: win!.webContents, senderFrame: null })],
    ['another site in the app window', () => fromApp('https://evil.example/index.html')],
    ['another local file in the app window', () => fromApp('file:///tmp/index.html')],
  ])('refuses %s with forbidden, before the bridge', async (_what, event) => {
    const dispatch = vi.spyOn(bridge, 'dispatch');
    const reply = await call('getAppInfo', undefined, event() as unknown as IpcMainInvokeEvent);
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dispatch).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('refused "getAppInfo"'), expect.anything());
    dispatch.mockRestore();
  });

  it('refuses every caller once the window is gone', async () => {
    const event = fromApp();
    win!.destroyed = true;
    expect(await call('getSession', undefined, event)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    win = null;
    expect(await call('getSession', undefined, event)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it.each([
    ['signIn', { serverUrl: 'ftp://x', token: 't' }, /serverUrl/],
    ['sendMessage', { conversationId: 'c1', text: '' }, /text/],
    ['signInDemo', { address: 'alice', admin: true }, /admin/],
    ['getSession', { anything: 1 }, /getSession/],
  ])('refuses %s with an invalid argument as bad_request, naming the field', async (name, arg, field) => {
    const reply = (await call(name, arg)) as { ok: false; error: { code: string; message: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('bad_request');
    expect(reply.error.message).toMatch(field);
  });

  it('stages what the preload sends: a chosen file by its path, a pasted one by its bytes; only from the app', async () => {
    const dir = tempDir();
    const chosen = join(dir, 'chosen.txt');
    writeFileSync(chosen, 'picked by the user');
    const stage = (arg: unknown, event = fromApp()) => fake.ipcMain.invoke(STAGE_CHANNEL, event, arg);

    const reply = (await stage([{ path: chosen }, { name: 'pasted.png', bytes: new Uint8Array([1, 2, 3]) }])) as { ok: true; data: Array<{ id: string }> };
    expect(reply).toMatchObject({ ok: true, data: [{ name: 'chosen.txt', size: 18 }, { name: 'pasted.png', size: 3 }] });
    expect(bridge.staging.take(reply.data[0]!.id).path).toBe(chosen);
    expect(readFileSync(bridge.staging.take(reply.data[1]!.id).path)).toEqual(Buffer.from([1, 2, 3]));

    expect(await stage([{ path: dir }])).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await stage('/etc/passwd')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await stage([{ path: chosen }], fromApp('https://evil.example/'))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('stages a dropped folder by the path the preload got for it: a readable folder, only from the app', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a file.txt'), 'not a folder');
    const stage = (arg: unknown, event = fromApp()) => fake.ipcMain.invoke(STAGE_FOLDER_CHANNEL, event, arg);
    const reply = (await stage(dir)) as { ok: true; data: { id: string; path: string } };
    expect(reply).toMatchObject({ ok: true, data: { path: dir } });
    expect(bridge.staging.takeFolder(reply.data.id)).toBe(dir);
    expect(() => bridge.staging.take(reply.data.id)).toThrow(/no longer staged/); // taken, and never a file
    expect(await stage(join(dir, 'a file.txt'))).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringMatching(/is not a folder/) } });
    expect(await stage('relative/path')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await stage([dir])).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await stage(dir, fromApp('https://evil.example/'))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('forwards bridge events to the window, and not to a destroyed one', async () => {
    await call('signOut');
    expect(win!.webContents.send).toHaveBeenCalledWith('parley:event', 'session', expect.objectContaining({ state: 'signedOut' }));
    win!.destroyed = true;
    win!.webContents.send.mockClear();
    await bridge.dispatch('signOut', undefined); // emits 'session' again
    expect(win!.webContents.send).not.toHaveBeenCalled();
    win = null;
    await bridge.dispatch('signOut', undefined);
  });
});

describe('files on this device', () => {
  type LocalFile = Parameters<typeof revealWithShell>[0];
  const PHOTO = { id: '0f8e4a52-5b1c-4a7e-9d3b-2c6f1e0a9b71', name: 'photo.png', mime: 'image/png' } as const;

  it('opens only the file the engine saved, with the shell; an image to view is its parley-file URL', async () => {
    const report = { id: 't1', path: '/data/downloads/report.pdf', mime: 'application/pdf' } as LocalFile;
    expect(await revealWithShell(report, 'open')).toEqual({ opened: true });
    expect(fake.shell.openPath).toHaveBeenLastCalledWith('/data/downloads/report.pdf');
    await revealWithShell(report, 'folder');
    expect(fake.shell.showItemInFolder).toHaveBeenLastCalledWith('/data/downloads/report.pdf');
    fake.shell.openPath.mockResolvedValueOnce('no application');
    await expect(revealWithShell(report, 'open')).rejects.toThrow(/no application/);

    fake.shell.openPath.mockClear();
    const photo = { ...PHOTO, path: '/data/downloads/photo.png' } as LocalFile;
    expect(await revealWithShell(photo, 'view')).toEqual({ url: `parley-file://${PHOTO.id}` });
    expect(fake.shell.openPath).not.toHaveBeenCalled();
    expect(await revealWithShell(report, 'view')).toEqual({ opened: true });
    expect(fake.shell.openPath).toHaveBeenLastCalledWith('/data/downloads/report.pdf');
    expect(await revealWithShell(photo, 'open')).toEqual({ opened: true });
    expect(fake.shell.openPath).toHaveBeenLastCalledWith('/data/downloads/photo.png');
  });

  it('serves parley-file://<transfer id> from the file the engine saved, and 404s anything else', async () => {
    const path = join(tempDir(), 'photo.png');
    writeFileSync(path, 'png bytes');
    const lookup = vi.fn((id: string) => (id === PHOTO.id ? ({ ...PHOTO, path } as LocalFile) : null));
    fake.protocol.handlers.delete(FILE_SCHEME);
    serveFileScheme(lookup);

    const served = await fake.protocol.fetch(`parley-file://${PHOTO.id}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await served.text()).toBe('png bytes');
    expect(lookup).toHaveBeenCalledWith(PHOTO.id);

    for (const url of [
      'parley-file://9a1b2c3d-0000-4000-8000-000000000000',
      `parley-file://${PHOTO.id}/../../etc/passwd`,
      `parley-file://${PHOTO.id}/photo.png`,
      `parley-file://${PHOTO.id}?path=/etc/passwd`,
      'parley-file:///etc/passwd',
      'parley-file://..%2F..%2Fetc%2Fpasswd',
    ])
      expect((await fake.protocol.fetch(url)).status, url).toBe(404);
    // A transfer whose file is gone from the disk is not found either.
    rmSync(path);
    expect((await fake.protocol.fetch(`parley-file://${PHOTO.id}`)).status).toBe(404);
  });

  it('saves a copy where the user picks in the save dialog, offered in Downloads under the sanitised name', async () => {
    const dir = tempDir();
    const path = join(dir, 'saved.pdf');
    writeFileSync(path, 'the report');
    const transfer = { id: 't1', name: 'Q3/../report.pdf', mime: 'application/pdf', path } as LocalFile;
    const win = new fake.BrowserWindow();
    const saveAs = saveAsWithDialog(() => asWindow(win));

    fake.dialog.choice = { canceled: false, filePath: join(dir, 'copy.pdf') };
    expect(await saveAs(transfer)).toEqual({ saved: true });
    expect(fake.dialog.showSaveDialog).toHaveBeenLastCalledWith(win, { defaultPath: join('/nonexistent/Downloads', 'Q3_.._report.pdf') });
    expect(readFileSync(join(dir, 'copy.pdf'), 'utf8')).toBe('the report');

    fake.dialog.choice = { canceled: true, filePath: '' };
    expect(await saveAs(transfer)).toEqual({ canceled: true });
    win.destroyed = true;
    fake.dialog.choice = { canceled: false, filePath: join(dir, 'missing', 'copy.pdf') };
    await expect(saveAs(transfer)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/could not save the file/) });
    expect(fake.dialog.showSaveDialog).toHaveBeenLastCalledWith({ defaultPath: expect.any(String) });
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});

describe('choosing a folder', () => {
  it('is the OS folder dialog, modal to the window; a path typed by the page is refused', async () => {
    const win = new fake.BrowserWindow();
    const choose = chooseFolderWithDialog(() => asWindow(win));
    fake.dialog.folderChoice = { canceled: false, filePaths: ['/home/me/Scans'] };
    expect(await choose(undefined)).toBe('/home/me/Scans');
    expect(fake.dialog.showOpenDialog).toHaveBeenLastCalledWith(win, expect.objectContaining({ properties: ['openDirectory', 'createDirectory'] }));
    fake.dialog.folderChoice = { canceled: true, filePaths: [] };
    expect(await choose(undefined)).toBeNull();
    fake.dialog.showOpenDialog.mockClear();
    await expect(choose('/home/me/.ssh')).rejects.toMatchObject({ code: 'forbidden' });
    expect(fake.dialog.showOpenDialog).not.toHaveBeenCalled();
  });
});

describe('preload', () => {
  let parley: ParleyBridge;
  beforeAll(async () => {
    await import('../../preload/index.js');
    parley = fake.contextBridge.exposed.get('parley') as ParleyBridge;
  });

  it('exposes exactly the contract as window.parley', () => {
    expect([...fake.contextBridge.exposed.keys()]).toEqual(['parley']);
    expect(Object.keys(parley).sort()).toEqual(['on', 'request', 'stageFiles', 'stageFolder']);
    for (const value of Object.values(parley)) expect(typeof value).toBe('function');
  });

  it('sends each request on the one request channel with its name and argument; a name that is not a string goes nowhere', async () => {
    const arg = { conversationId: 'c1', text: 'hi' };
    expect(await parley.request('sendMessage', arg)).toEqual({ ok: true, data: { channel: REQUEST_CHANNEL, args: ['sendMessage', arg] } });
    expect(fake.ipcRenderer.invoke).toHaveBeenLastCalledWith(REQUEST_CHANNEL, 'sendMessage', arg);
    fake.ipcRenderer.invoke.mockClear();
    const request = parley.request as (name: unknown, arg?: unknown) => Promise<unknown>;
    expect(await request({ toString: () => 'getSession' })).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    expect(await request('x'.repeat(65))).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    expect(fake.ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('stages files by the path Electron gives a chosen File, else by their bytes; never a path from the page', async () => {
    const chosen = new File(['abc'], 'chosen.txt');
    const pasted = new File([new Uint8Array([7, 8])], 'image.png');
    fake.webUtils.paths.set(chosen, '/home/me/chosen.txt');
    fake.ipcRenderer.invoke.mockClear();
    await parley.stageFiles([chosen, pasted]);
    expect(fake.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(STAGE_CHANNEL, [
      { path: '/home/me/chosen.txt' },
      { name: 'image.png', bytes: new Uint8Array([7, 8]) },
    ]);
    const huge = new File([new Uint8Array(25 * 1024 * 1024 + 1)], 'huge.png');
    expect(await parley.stageFiles([huge])).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    expect(fake.ipcRenderer.invoke).toHaveBeenCalledOnce();
  });

  it('stages a dropped folder by the path Electron gives its File; a File without one is refused in the preload', async () => {
    const folder = new File([], 'Scans');
    fake.webUtils.paths.set(folder, '/home/me/Scans');
    fake.ipcRenderer.invoke.mockClear();
    await parley.stageFolder(folder);
    expect(fake.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(STAGE_FOLDER_CHANNEL, '/home/me/Scans');
    expect(await parley.stageFolder(new File([], 'made by script'))).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(fake.ipcRenderer.invoke).toHaveBeenCalledOnce();
  });

  it('subscribes to contract events only, with the payload alone, until unsubscribed', () => {
    expect(() => parley.on('nope' as 'session', () => {})).toThrow(/no event "nope"/);
    expect(() => parley.on('send' as 'session', () => {})).toThrow();
    const listener = vi.fn();
    const other = vi.fn();
    const off = parley.on('message', listener);
    parley.on('typing', other);
    fake.ipcRenderer.emit('parley:event', { sender: fake.ipcRenderer }, 'message', { id: 'm1' });
    expect(listener).toHaveBeenCalledExactlyOnceWith({ id: 'm1' });
    expect(other).not.toHaveBeenCalled();
    off();
    fake.ipcRenderer.emit('parley:event', { sender: fake.ipcRenderer }, 'message', { id: 'm2' });
    expect(listener).toHaveBeenCalledOnce();
    // Every contract event is accepted.
    for (const name of eventNames) parley.on(name, () => {})();
  });
});

describe('external links', () => {
  it('are http, https and mailto only', () => {
    expect(isExternalLink('https://example.com/a?b#c')).toBe(true);
    expect(isExternalLink('http://example.com')).toBe(true);
    expect(isExternalLink('mailto:a@b.c')).toBe(true);
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'parley://open', 'ms-settings:', 'smb://host/share', 'not a url', ''])
      expect(isExternalLink(url), url).toBe(false);
  });

  it('leave the window through the system browser, never by navigating it', () => {
    const contents = new fake.WebContents();
    const log = vi.fn();
    lockDownNavigation(contents as unknown as ElectronContents, location.isAppUrl, log);
    fake.shell.openExternal.mockClear();

    expect(contents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(fake.shell.openExternal.mock.calls).toEqual([['https://example.com/']]);

    for (const [name, url] of [
      ['will-navigate', 'file:///home/me/dropped.png'],
      ['will-navigate', 'https://example.com/other'],
      ['will-redirect', 'https://example.com/elsewhere'],
      ['will-attach-webview', 'https://example.com/'],
    ] as const) {
      const event = { url, preventDefault: vi.fn() };
      contents.emit(name, event);
      expect(event.preventDefault, `${name} ${url}`).toHaveBeenCalled();
    }
    expect(fake.shell.openExternal.mock.calls).toEqual([['https://example.com/'], ['https://example.com/other']]);
  });
});

describe('the app URL', () => {
  it('is the built index.html, whatever its hash or query', () => {
    expect(location.url).toBe('file:///opt/parley/out/renderer/index.html');
    expect(location.isAppUrl('file:///opt/parley/out/renderer/index.html#/c/1?x')).toBe(true);
    expect(location.isAppUrl('file:///opt/parley/out/renderer/other.html')).toBe(false);
    expect(location.isAppUrl('http://localhost:5173/')).toBe(false);
  });

  it('is the dev server origin in dev', () => {
    const dev = appLocation(INDEX, 'http://localhost:5173/');
    expect(dev.isAppUrl('http://localhost:5173/src/x')).toBe(true);
    expect(dev.isAppUrl('http://localhost:5174/')).toBe(false);
    expect(dev.isAppUrl(location.url)).toBe(false);
  });
});

describe('window', () => {
  const displays = [{ x: 0, y: 0, width: 1920, height: 1040 }];
  afterEach(() => {
    fake.BrowserWindow.created.length = 0;
    vi.useRealTimers();
  });

  it('is visible when enough of it lands on a current display', () => {
    expect(isVisible({ x: 100, y: 100, width: 800, height: 600 }, displays)).toBe(true);
    expect(isVisible({ x: 1880, y: 100, width: 800, height: 600 }, displays)).toBe(false); // 40px showing
    expect(isVisible({ x: 2000, y: 0, width: 800, height: 600 }, displays)).toBe(false); // a detached second screen
    expect(isVisible({ x: 2000, y: 0, width: 800, height: 600 }, [...displays, { x: 1920, y: 0, width: 1280, height: 1024 }])).toBe(true);
    const file = join(tempDir(), 'window-state.json');
    const restore = (saved: unknown) => {
      writeFileSync(file, JSON.stringify(saved));
      return loadWindowState(file, displays, () => {});
    };
    expect(restore({ bounds: { x: 5, y: 5, width: 800, height: 600 }, maximized: true })).toEqual({
      bounds: { x: 5, y: 5, width: 800, height: 600 },
      maximized: true,
    });
    expect(restore({ bounds: { x: 5000, y: 5, width: 800, height: 600 }, maximized: false })).toBeNull();
    expect(restore({ bounds: { x: 'a' } })).toBeNull();
  });

  it('is locked down, restored where it was left, and saves where it is', () => {
    vi.useFakeTimers();
    const stateFile = join(tempDir(), 'window-state.json');
    writeFileSync(stateFile, JSON.stringify({ bounds: { x: 40, y: 30, width: 900, height: 650 }, maximized: true }));
    const win = createAppWindow({ preload: '/p/index.cjs', location, stateFile, log: () => {} }) as unknown as fake.BrowserWindow;

    expect(win.options).toMatchObject({
      x: 40,
      y: 30,
      width: 900,
      height: 650,
      show: false,
      webPreferences: { preload: '/p/index.cjs', sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true },
    });
    expect(win.loadedUrl).toBe(location.url);
    expect(win.webContents.windowOpenHandler).not.toBeNull();
    expect(win.shown).toBe(false);
    win.emit('ready-to-show');
    expect(win.shown && win.maximized).toBe(true);

    win.bounds = { x: 50, y: 60, width: 700, height: 500 };
    win.emit('move');
    win.emit('resize');
    vi.advanceTimersByTime(1000);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ version: 1, bounds: win.bounds, maximized: true });
  });

  it('opens at the default size when the saved place is off every display', () => {
    const stateFile = join(tempDir(), 'window-state.json');
    writeFileSync(stateFile, JSON.stringify({ bounds: { x: 4000, y: 30, width: 900, height: 650 }, maximized: false }));
    const win = createAppWindow({ preload: '/p/index.cjs', location, stateFile, log: () => {} }) as unknown as fake.BrowserWindow;
    expect(win.options).not.toHaveProperty('x');
    expect(win.options).toMatchObject({ width: 1000, height: 700, minWidth: 480, minHeight: 400 });
  });
});

describe('main/index.ts', () => {
  // Each launch installs the process guard on this (the test's) process: removed again after each test.
  type Listener = (...args: unknown[]) => void;
  type GuardedEvent = 'unhandledRejection' | 'uncaughtException';
  const listeners = (event: GuardedEvent) => process.listeners(event as 'uncaughtException') as unknown as Listener[];
  const before = { unhandledRejection: listeners('unhandledRejection'), uncaughtException: listeners('uncaughtException') };
  const installedGuard = (event: GuardedEvent) => listeners(event).filter((l) => !before[event].includes(l));
  afterEach(() => {
    for (const event of ['unhandledRejection', 'uncaughtException'] as const) for (const listener of installedGuard(event)) process.off(event, listener);
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  // main/index.ts runs on import: a fresh module graph runs it again, against a fake with a clean slate.
  async function launch(env: Record<string, string>) {
    for (const name of ['PARLEY_DATA_DIR', 'PARLEY_DEMO', 'PARLEY_USER', 'PARLEY_SERVER_URL', 'PARLEY_TOKEN', 'ELECTRON_RENDERER_URL']) vi.stubEnv(name, env[name] ?? '');
    fake.resetFake();
    vi.resetModules();
    await import('../../main/index.js');
  }

  it('wires the bridge, the IPC gate, the CSP header and one window', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dataDir = tempDir();
    await launch({ PARLEY_DATA_DIR: dataDir });
    await vi.waitFor(() => expect(fake.BrowserWindow.created).toHaveLength(1));
    const win = fake.BrowserWindow.created[0]!;
    expect(fake.app.getPath('userData')).toBe(join(dataDir, 'electron'));
    expect(fake.session.defaultSession.webRequest.headersListener).not.toBeNull();
    expect(fake.protocol.privileged).toEqual([
      { scheme: FILE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false, allowServiceWorkers: false } },
    ]);
    expect(fake.protocol.handlers.has(FILE_SCHEME)).toBe(true);
    expect(win.loadedUrl).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
    // Its own menu bar (a packaged app: no Reload or developer tools) and a right-click menu on the page.
    expect(JSON.stringify(fake.Menu.applicationMenu!.items)).not.toMatch(/reload|toggleDevTools/i);
    expect(win.webContents.listenerCount('context-menu')).toBe(1);
    const event = { sender: win.webContents, senderFrame: { url: win.loadedUrl, parent: null } };
    expect(await fake.ipcMain.invoke(REQUEST_CHANNEL, event, 'getAppInfo')).toEqual({
      ok: true,
      data: { version: '0.0.0-test', platform: process.platform, host: 'electron' },
    });
    expect(await fake.ipcMain.invoke(REQUEST_CHANNEL, { ...event, sender: new fake.WebContents() }, 'getAppInfo')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // An installed app updates itself; nobody is signed in yet, so nothing was asked.
    expect(await fake.ipcMain.invoke(REQUEST_CHANNEL, event, 'getUpdateState')).toEqual({ ok: true, data: { state: 'idle', checkedAt: null } });
    expect(warn).toHaveBeenCalledWith('[parley] refused "getAppInfo" from a sender that is not the app', win.loadedUrl);

    fake.app.emit('second-instance', {}, ['/opt/parley/parley'], '/');
    await vi.waitFor(() => expect(win.focus).toHaveBeenCalled());
    win.emit('closed');
    fake.app.emit('activate');
    expect(fake.BrowserWindow.created).toHaveLength(2);
    fake.app.emit('will-quit');
  });

  it('wires the desktop: permissions, tray, parley: links to the page once it listens, close to tray, desktop settings', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dataDir = tempDir();
    // Close to tray on (the default except on Linux, where GNOME shows no tray icon).
    mkdirSync(join(dataDir, 'electron'));
    writeFileSync(join(dataDir, 'electron', 'desktop-settings.json'), JSON.stringify({ version: 1, closeToTray: true }));
    await launch({ PARLEY_DATA_DIR: dataDir });
    await vi.waitFor(() => expect(fake.BrowserWindow.created).toHaveLength(1));
    const win = fake.BrowserWindow.created[0]!;
    expect(Object.keys(fake.session.defaultSession.handlers).sort()).toEqual(['devicePermission', 'displayMedia', 'permissionCheck', 'permissionRequest']);
    expect(fake.Tray.created).toHaveLength(1);
    expect(fake.app.setAsDefaultProtocolClient).toHaveBeenCalled();
    const events = () => win.webContents.send.mock.calls.filter((c) => c[1] === 'openConversation');

    // A link while the page loads waits for it; a hostile one never reaches it.
    fake.app.emit('open-url', { preventDefault: () => {} }, 'parley://conversation/c-1');
    fake.app.emit('open-url', { preventDefault: () => {} }, 'parley://conversation/c-1?evil=1');
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith('[parley] refused a link that is not parley://conversation/<conversation id>[/<seq>]', 'parley://conversation/c-1?evil=1'));
    expect(events()).toEqual([]);
    win.webContents.emit('did-finish-load');
    expect(events()).toEqual([['parley:event', 'openConversation', { conversationId: 'c-1' }]]);
    fake.app.emit('second-instance', {}, ['/opt/parley/parley', 'parley://conversation/c-2'], '/');
    await vi.waitFor(() => expect(events()).toHaveLength(2));
    expect(events()[1]![2]).toEqual({ conversationId: 'c-2' });
    expect(win.shown).toBe(true);

    // Closing keeps Parley in the tray; the tray's Quit really quits.
    win.close();
    expect(win.destroyed).toBe(false);
    expect(win.isVisible()).toBe(false);
    const menu = (fake.Tray.created[0]!.menu as { items: fake.MenuItem[] }).items;
    menu.find((i) => i.label === 'Show Parley')!.click!();
    expect(win.isVisible()).toBe(true);
    fake.app.quit.mockClear();
    menu.find((i) => i.label === 'Quit Parley')!.click!();
    expect(fake.app.quit).toHaveBeenCalled();
    fake.app.emit('before-quit');
    win.close();
    expect(win.destroyed).toBe(true);

    // Desktop settings through the contract, kept in userData.
    const app = { sender: win.webContents, senderFrame: { url: win.loadedUrl, parent: null } };
    const settings = { closeToTray: false, startAtLogin: false, startMinimised: false, notifications: true, showMessagePreview: false };
    fake.app.emit('activate'); // macOS: the dock icon with no window
    const next = fake.BrowserWindow.created.at(-1)!;
    expect(next).not.toBe(win);
    const fromNext = { ...app, sender: next.webContents };
    expect(await fake.ipcMain.invoke(REQUEST_CHANNEL, fromNext, 'getDesktopSettings')).toEqual({ ok: true, data: { ...settings, closeToTray: true, showMessagePreview: true } });
    expect(await fake.ipcMain.invoke(REQUEST_CHANNEL, fromNext, 'setDesktopSettings', { ...settings, extra: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await fake.ipcMain.invoke(REQUEST_CHANNEL, fromNext, 'setDesktopSettings', settings)).toEqual({ ok: true, data: settings });
    expect(JSON.parse(readFileSync(join(dataDir, 'electron', 'desktop-settings.json'), 'utf8'))).toEqual({ version: 1, ...settings });
    fake.app.emit('will-quit');
  });

  it('notifies of a live message while the window is not focused; the badge follows; a click shows the window and the conversation', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = await startTestServer();
    try {
      const token = await server.user('ann');
      const bob = startClient(server.url, await server.user('bob', 'Bob Okafor'));
      await launch({ PARLEY_DATA_DIR: tempDir(), PARLEY_SERVER_URL: server.url, PARLEY_TOKEN: token });
      await vi.waitFor(() => expect(fake.BrowserWindow.created).toHaveLength(1));
      const win = fake.BrowserWindow.created[0]!;
      win.webContents.emit('did-finish-load');
      const app = { sender: win.webContents, senderFrame: { url: win.loadedUrl, parent: null } };
      const call = async <K extends RequestName>(name: K, ...arg: Arg<K>) =>
        unwrap((await fake.ipcMain.invoke(REQUEST_CHANNEL, app, name, arg[0])) as BridgeReply<RequestResult<K>>);
      await until(async () => {
        const session = await call('getSession');
        return session.state === 'signedIn' && session.connection.state === 'online';
      }, 'online');
      const { id } = await bob.createConversation({ participants: ['ann'], type: 'direct' });
      await until(async () => (await call('listConversations')).length === 1, 'the conversation');

      bob.sendMessage({ conversationId: id }, 'are you there?');
      await until(() => fake.Notification.created.length === 1, 'a notification');
      expect(fake.Notification.created[0]!.options).toMatchObject({ title: 'Bob Okafor', body: 'are you there?' });
      expect(fake.app.setBadgeCount).toHaveBeenLastCalledWith(1);
      expect(fake.Tray.created[0]!.tooltip).toBe('Parley: 1 unread message');

      win.shown = false; // in the tray
      fake.Notification.created[0]!.emit('click');
      expect(win.shown).toBe(true);
      expect(win.webContents.send).toHaveBeenCalledWith('parley:event', 'openConversation', { conversationId: id, seq: 1 }); // at the message

      // Muted: the next message stays silent and leaves the badge.
      await call('setConversationMuted', { conversationId: id, muted: true });
      await until(() => fake.app.setBadgeCount.mock.lastCall?.[0] === 0, 'badge without the muted conversation');
      bob.sendMessage({ conversationId: id }, 'hello?');
      await until(async () => (await call('listConversations'))[0]!.unread === 2, 'second message');
      expect(fake.Notification.created).toHaveLength(1);
      fake.app.emit('will-quit');
    } finally {
      await cleanup();
    }
  });

  it('logs a rejection nobody handled and keeps running; after an uncaught exception it says why, closes the engine and exits 1', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dataDir = tempDir();
    await launch({ PARLEY_DATA_DIR: dataDir });
    await vi.waitFor(() => expect(fake.BrowserWindow.created).toHaveLength(1));
    const [onRejection] = installedGuard('unhandledRejection');
    const [onException] = installedGuard('uncaughtException');
    expect(installedGuard('unhandledRejection')).toHaveLength(1);
    expect(installedGuard('uncaughtException')).toHaveLength(1);

    const rejection = new Error('the link dropped during catch-up');
    onRejection!(rejection, Promise.resolve());
    expect(warn).toHaveBeenCalledWith('[parley] a promise was rejected and nothing handled it; Parley keeps running', rejection);
    expect(fake.app.exit).not.toHaveBeenCalled();

    fake.dialog.showErrorBox.mockClear();
    const exception = new Error('a listener threw');
    onException!(exception, 'uncaughtException');
    expect(fake.dialog.showErrorBox).toHaveBeenCalledWith('Parley stopped', expect.stringContaining('Nothing you sent or received is lost'));
    await vi.waitFor(() => expect(fake.app.exit).toHaveBeenCalledWith(1));
    expect(warn).toHaveBeenCalledWith('[parley] an uncaught exception; Parley cannot tell what it left half done, so it stops', exception);
    process.exitCode = undefined; // the guard set it for the real process: this one is the test's
    fake.app.exit.mockClear();
  });

  it('a start that fails says why in an error box naming the log file, logs it there, gives up the lock and exits 1', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    // A saved session whose database cannot open: what every launch met when an installer lacked better_sqlite3.node.
    const dataDir = tempDir();
    const serverUrl = 'https://chat.example';
    writeFileSync(join(dataDir, 'session.json'), JSON.stringify({ version: 1, serverUrl, address: 'ann', token: 'plu_saved' }));
    const account = `${createHash('sha256').update(serverUrl).digest('hex').slice(0, 16)}-ann`;
    mkdirSync(join(dataDir, 'accounts', account, 'parley-client.db'), { recursive: true });
    fake.app.releaseSingleInstanceLock.mockClear();
    fake.app.exit.mockClear();
    fake.dialog.showErrorBox.mockClear();

    await launch({ PARLEY_DATA_DIR: dataDir });
    await vi.waitFor(() => expect(fake.app.exit).toHaveBeenCalledWith(1));
    const logFile = join(dataDir, 'electron', 'logs', LOG_FILE);
    expect(fake.dialog.showErrorBox).toHaveBeenCalledWith('Parley could not start', expect.stringContaining(`The details are in ${logFile}.`));
    expect(fake.dialog.showErrorBox.mock.calls[0]![1]).toMatch(/^Parley could not start: \S/);
    expect(fake.app.releaseSingleInstanceLock).toHaveBeenCalled();
    expect(fake.app.releaseSingleInstanceLock.mock.invocationCallOrder[0]).toBeLessThan(fake.app.exit.mock.invocationCallOrder[0]!);
    expect(fake.BrowserWindow.created).toHaveLength(0);
    // The log has the line and the error's stack, for whoever looks into it.
    const logged = readFileSync(logFile, 'utf8');
    expect(logged).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z could not start \w*Error: /m);
    expect(logged).toMatch(/\n\s+at /);
    fake.app.exit.mockClear();
  });

  it('keeps its log under 1 MiB in two files, and logs to the console alone when the folder cannot be written', () => {
    const dir = tempDir();
    const console = { warn: vi.fn() };
    const { log, file } = createFileLog(dir, console);
    log('first', { conversationId: 'c-1' });
    expect(readFileSync(file, 'utf8')).toMatch(/Z first \{ conversationId: 'c-1' \}\n$/);
    writeFileSync(file, 'x'.repeat(1024 * 1024 + 1));
    log('after the limit');
    expect(readFileSync(join(dir, 'main.old.log'), 'utf8')).toHaveLength(1024 * 1024 + 1);
    expect(readFileSync(file, 'utf8')).toMatch(/^\S+ after the limit\n$/);
    expect(console.warn).toHaveBeenCalledWith('[parley] after the limit', '');

    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    const broken = createFileLog(join(blocked, 'logs'), console);
    broken.log('one');
    broken.log('two');
    expect(console.warn.mock.calls.filter(([message]) => String(message).startsWith('[parley] cannot write the log file'))).toHaveLength(1);
    expect(console.warn).toHaveBeenCalledWith('[parley] two', '');
  });

  it('exits 2 with a clear message on a bad environment', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    await expect(launch({ PARLEY_USER: 'alice' })).rejects.toThrow('exit 2');
    expect(error).toHaveBeenCalledWith('Parley: bad environment: PARLEY_USER: not one of the demo users in PARLEY_DEMO');
  });
});

describe('host setup', () => {
  it('sends the same CSP as the meta tag in renderer/index.html', () => {
    const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(contentSecurityPolicy(false)).toBe(meta);
    expect(contentSecurityPolicy(true)).toContain("style-src 'self' 'unsafe-inline'");

    const session = fake.session.defaultSession;
    sendCspHeader(session as unknown as Session, 'default-src x');
    const callback = vi.fn();
    session.webRequest.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': ['default-src x'] } });
  });

  it('seals the stored token with safeStorage when the OS keychain backs it, and says so when it does not', () => {
    const safeStorage = fake.safeStorage as unknown as Parameters<typeof tokenStorage>[0];
    fake.safeStorage.available = true;
    fake.safeStorage.backend = 'gnome_libsecret';
    const keyring = tokenStorage(safeStorage, 'linux');
    expect(keyring.notice).toBeNull();
    const sealed = keyring.codec!.seal('secret-token');
    expect(sealed).toBe(Buffer.from('v10sealed:secret-token').toString('base64'));
    expect(keyring.codec!.open(sealed)).toBe('secret-token');
    // Written while there was no keychain: read as it is (and sealed at the next save).
    expect(keyring.codec!.open('plu_plain-token')).toBe('plu_plain-token');
    expect(keyring.codec!.open('{"version":1}')).toBe('{"version":1}');
    // A blob this keychain cannot decrypt throws with a reason the sign-in screen shows.
    expect(() => keyring.codec!.open(Buffer.from('v10other-key').toString('base64'))).toThrow(/the OS keychain could not decrypt it/);
    expect(tokenStorage(safeStorage, 'darwin').notice).toBeNull();

    // Linux without a keyring: basic_text's key is a constant, so the token is kept plain, said once.
    fake.safeStorage.backend = 'basic_text';
    const basic = tokenStorage(safeStorage, 'linux');
    expect(basic.notice).toMatch(/basic_text.*unencrypted.*0600/);
    expect(basic.codec!.seal('secret-token')).toBe('secret-token');
    expect(basic.codec!.open('secret-token')).toBe('secret-token');
    expect(basic.codec!.open(sealed)).toBe('secret-token'); // sealed by an earlier version under basic_text
    // The backend is a Linux notion: elsewhere safeStorage is the keychain.
    expect(tokenStorage(safeStorage, 'darwin').codec!.seal('t')).toBe(Buffer.from('v10sealed:t').toString('base64'));

    fake.safeStorage.available = false;
    const none = tokenStorage(safeStorage, 'linux');
    expect(none.codec).toBeUndefined();
    expect(none.notice).toMatch(/no keychain.*unencrypted.*0600/);
    fake.safeStorage.available = true;
    fake.safeStorage.backend = 'gnome_libsecret';
  });

  it("adds the OS's trusted roots to Node's defaults; says so where the runtime cannot read them", () => {
    const log = vi.fn();
    const store = {
      getCACertificates: vi.fn((type?: string) => (type === 'system' ? ['INTERNAL-CA', 'MOZILLA-1'] : ['MOZILLA-1', 'MOZILLA-2'])),
      setDefaultCACertificates: vi.fn((_certificates: string[]) => {}),
    };
    expect(trustSystemCertificates(log, store)).toBe(2);
    expect(store.setDefaultCACertificates).toHaveBeenCalledWith(['MOZILLA-1', 'MOZILLA-2', 'INTERNAL-CA', 'MOZILLA-1']);
    expect(log).not.toHaveBeenCalled();

    expect(trustSystemCertificates(log, {})).toBeNull(); // Node before 24.5
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/cannot read the OS certificate store: only its bundled roots and NODE_EXTRA_CA_CERTS/));
    const unreadable = new Error('the keychain is locked');
    store.getCACertificates.mockImplementation(() => {
      throw unreadable;
    });
    expect(trustSystemCertificates(log, store)).toBeNull();
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/could not add the OS certificate store/), unreadable);
  });

  it('reads its launch environment, and says which variable is wrong', () => {
    const demo = { serverUrl: 'http://127.0.0.1:7300', users: [{ address: 'alice', name: 'Alice', token: 't-a' }] };
    expect(readConfig({})).toEqual({});
    expect(readConfig({ PARLEY_DATA_DIR: '', PARLEY_USER: '' })).toEqual({});
    expect(readConfig({ PARLEY_DATA_DIR: 'rel/dir', PARLEY_DEMO: JSON.stringify(demo), PARLEY_USER: 'alice' })).toEqual({
      dataDir: join(process.cwd(), 'rel/dir'),
      demo,
      signInAs: 'alice',
    });
    expect(() => readConfig({ PARLEY_DEMO: '{oops' })).toThrow(/PARLEY_DEMO: not valid JSON/);
    expect(() => readConfig({ PARLEY_DEMO: JSON.stringify({ ...demo, serverUrl: 'ftp://x' }) })).toThrow(/PARLEY_DEMO\.serverUrl/);
    expect(() => readConfig({ PARLEY_USER: 'alice' })).toThrow(/PARLEY_USER: not one of the demo users/);
    expect(() => readConfig({ PARLEY_DEMO: JSON.stringify(demo), PARLEY_USER: 'bob' })).toThrow(/PARLEY_USER/);
    expect(readConfig({ PARLEY_SERVER_URL: 'https://chat.example', PARLEY_TOKEN: 'plu_x' })).toEqual({
      signInWith: { serverUrl: 'https://chat.example', token: 'plu_x' },
    });
    expect(() => readConfig({ PARLEY_TOKEN: 'plu_x' })).toThrow(/PARLEY_TOKEN: PARLEY_TOKEN goes with PARLEY_SERVER_URL/);
    // A server without a token: offered on the sign-in screen.
    expect(readConfig({ PARLEY_SERVER_URL: 'https://chat.example' })).toEqual({ offerServer: 'https://chat.example' });
  });
});
