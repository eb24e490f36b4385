// The app's own updates (main/electron/updates.ts) against a stand-in for electron-updater, through
// the real bridge's dispatch and events: the feed of the signed-in server, "update available", a
// download with progress, "restart to update" refused while a file transfer runs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUpdates, feedUrl, followUpdates, type Updater, type Updates } from '../../main/electron/updates.js';
import { ReplyError, call, eventsOf, openBridge } from '../support/bridge.js';
import { cleanup } from '../support/temp.js';

afterEach(cleanup);

/** electron-updater as far as Parley uses it; the test plays the feed's answers and the download's progress. */
function standInUpdater() {
  let onProgress: (progress: { percent: number; transferred: number; total: number; bytesPerSecond: number }) => void = () => {};
  let onDownloaded: (info: { version: string }) => void = () => {};
  let finishDownload: (error?: Error) => void = () => {};
  const updater = {
    feed: null as string | null,
    next: null as { version: string } | null | Error,
    setFeedURL: vi.fn((options: { provider: 'generic'; url: string; useMultipleRangeRequest: boolean }) => {
      updater.feed = options.url;
    }),
    checkForUpdates: vi.fn(async () => {
      if (updater.next instanceof Error) throw updater.next;
      return updater.next ? { isUpdateAvailable: true, updateInfo: updater.next } : { isUpdateAvailable: false, updateInfo: { version: '0.1.0' } };
    }),
    downloadUpdate: vi.fn(
      () =>
        new Promise<string[]>((resolve, reject) => {
          finishDownload = (error) => (error ? reject(error) : resolve(['/tmp/Parley.AppImage']));
        }),
    ),
    quitAndInstall: vi.fn((_isSilent?: boolean, _isForceRunAfter?: boolean) => {}),
    signals: {
      progress: (handler: typeof onProgress) => void (onProgress = handler),
      updateDownloaded: (handler: typeof onDownloaded) => void (onDownloaded = handler),
    },
    progress: (percent: number, total = 1000) => onProgress({ percent, transferred: (total * percent) / 100, total, bytesPerSecond: 250 }),
    downloaded(version: string) {
      finishDownload();
      onDownloaded({ version });
    },
    failDownload: (error: Error) => finishDownload(error),
  };
  return updater satisfies Updater;
}

function setUp(options: { serverUrl?: string | null; transfers?: number } = {}) {
  const updater = standInUpdater();
  const log = vi.fn();
  let transfers = options.transfers ?? 0;
  const server = options.serverUrl === undefined ? 'https://chat.example.org' : options.serverUrl;
  const bridgeRef: { current?: ReturnType<typeof openBridge> } = {};
  const updates: Updates = createUpdates({
    updater,
    serverUrl: () => server,
    transfersRunning: () => transfers,
    onChange: (state) => bridgeRef.current?.updateState(state),
    log,
    now: () => 1_700_000_000_000,
  });
  const bridge = (bridgeRef.current = openBridge({ updates }));
  return { updater, updates, bridge, log, setTransfers: (n: number) => (transfers = n) };
}

describe('updates', () => {
  it('reads the feed of the signed-in server, one range at a time, and says when there is nothing newer', async () => {
    const { updater, bridge } = setUp();
    expect(await call(bridge, 'getUpdateState')).toEqual({ state: 'idle', checkedAt: null });
    expect(await call(bridge, 'checkForUpdate')).toEqual({ state: 'idle', checkedAt: 1_700_000_000_000 });
    expect(updater.setFeedURL).toHaveBeenCalledWith({ provider: 'generic', url: 'https://chat.example.org/updates/stable', useMultipleRangeRequest: false });
    expect(eventsOf(bridge, 'update')).toEqual([{ state: 'checking' }, { state: 'idle', checkedAt: 1_700_000_000_000 }]);
    expect(feedUrl('https://chat.example.org/parley/')).toBe('https://chat.example.org/updates/stable');
  });

  it('offers an update, downloads it when asked with progress, then offers the restart', async () => {
    const { updater, bridge } = setUp();
    updater.next = { version: '0.2.0' };
    expect(await call(bridge, 'checkForUpdate')).toEqual({ state: 'available', version: '0.2.0' });
    expect(updater.downloadUpdate).not.toHaveBeenCalled(); // only when the user asks

    expect(await call(bridge, 'downloadUpdate')).toEqual({ state: 'downloading', version: '0.2.0', percent: 0, transferred: 0, total: 0, bytesPerSecond: 0 });
    updater.progress(40);
    updater.progress(80);
    expect(await call(bridge, 'getUpdateState')).toEqual({ state: 'downloading', version: '0.2.0', percent: 80, transferred: 800, total: 1000, bytesPerSecond: 250 });
    // A check meanwhile changes nothing.
    expect(await call(bridge, 'checkForUpdate')).toMatchObject({ state: 'downloading' });
    expect(updater.checkForUpdates).toHaveBeenCalledTimes(1);
    updater.downloaded('0.2.0');
    expect(eventsOf(bridge, 'update').map((s) => s.state)).toEqual(['checking', 'available', 'downloading', 'downloading', 'downloading', 'ready']);
    expect(eventsOf(bridge, 'update').at(-1)).toEqual({ state: 'ready', version: '0.2.0' });

    await call(bridge, 'installUpdate');
    expect(updater.quitAndInstall).toHaveBeenCalledWith(false, true);
  });

  it('never restarts while a file transfer runs, and says so', async () => {
    const { updater, bridge, setTransfers } = setUp({ transfers: 2 });
    await expect(call(bridge, 'installUpdate')).rejects.toMatchObject({ code: 'conflict', message: 'the update is not downloaded yet' });
    updater.next = { version: '0.2.0' };
    await call(bridge, 'checkForUpdate');
    await call(bridge, 'downloadUpdate');
    updater.downloaded('0.2.0');
    const refused = await call(bridge, 'installUpdate').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReplyError);
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^2 file transfers are still running: restart when they are done/) });
    setTransfers(1);
    await expect(call(bridge, 'installUpdate')).rejects.toThrow(/^A file transfer is still running/);
    expect(updater.quitAndInstall).not.toHaveBeenCalled();
    setTransfers(0);
    await call(bridge, 'installUpdate');
    expect(updater.quitAndInstall).toHaveBeenCalledTimes(1);
  });

  it('tells why a check or a download failed; a check nobody asked for only logs', async () => {
    const { updater, updates, bridge, log } = setUp();
    updater.next = new Error('net::ERR_NAME_NOT_RESOLVED');
    await updates.checkQuietly();
    expect(updates.state()).toEqual({ state: 'idle', checkedAt: null });
    expect(log).toHaveBeenCalledWith('could not check for updates', updater.next);
    expect(await call(bridge, 'checkForUpdate')).toEqual({ state: 'failed', message: 'Could not check for updates: net::ERR_NAME_NOT_RESOLVED' });

    updater.next = { version: '0.3.0' };
    await call(bridge, 'checkForUpdate');
    await expect(call(bridge, 'installUpdate')).rejects.toMatchObject({ code: 'conflict' });
    await call(bridge, 'downloadUpdate');
    updater.failDownload(new Error('sha512 checksum mismatch'));
    await vi.waitFor(() => expect(updates.state()).toEqual({ state: 'failed', message: 'Could not download Parley 0.3.0: sha512 checksum mismatch' }));
    await expect(call(bridge, 'downloadUpdate')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/check for updates first/) });
  });

  it('asks to sign in first; checks quietly at launch and after each sign-in', async () => {
    const { updates, bridge, updater } = setUp({ serverUrl: null });
    await updates.checkQuietly();
    expect(updates.state()).toEqual({ state: 'idle', checkedAt: null });
    expect(await call(bridge, 'checkForUpdate')).toEqual({ state: 'failed', message: 'Sign in to check for updates: they come from your Parley server.' });
    expect(updater.checkForUpdates).not.toHaveBeenCalled();

    vi.useFakeTimers();
    try {
      const check = vi.spyOn(updates, 'checkQuietly');
      const listeners: Array<(state: { state: string }) => void> = [];
      followUpdates({ on: ((_event: 'session', listener: (state: { state: string }) => void) => (listeners.push(listener), () => {})) as never }, updates, () => {});
      expect(check).toHaveBeenCalledTimes(1);
      listeners[0]!({ state: 'signedIn' });
      listeners[0]!({ state: 'signedOut' });
      expect(check).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(6 * 3600 * 1000);
      expect(check).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is unavailable in the browser host', async () => {
    const bridge = openBridge();
    await expect(call(bridge, 'getUpdateState')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(call(bridge, 'installUpdate')).rejects.toMatchObject({ code: 'unavailable' });
  });
});
