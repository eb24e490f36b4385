// The app's own updates, from the organisation's Parley server rather than a vendor's: the update feed
// of the server the user is signed in to (GET /updates/<channel>/latest*.yml and the files it names,
// server/updates/feed.ts), read by electron-updater's generic provider. The user is told an update is
// there, downloads it with a progress bar when they choose, and restarts into it when they choose;
// nothing restarts while a file transfer runs (a downloaded update also installs when Parley quits).
import type { AppUpdater } from 'electron-updater';
import { ParleyError } from '../../protocol/index.js';
import type { UpdateState } from '../../contract/types.js';
import type { Bridge, UpdateHost } from '../bridge/index.js';

/** The channel every installation follows: the folder operators publish releases into (README: Updates). */
export const UPDATE_CHANNEL = 'stable';

interface Progress {
  percent: number;
  transferred: number;
  total: number;
  bytesPerSecond: number;
}

/** The part of electron-updater's AppUpdater used here (a stand-in in tests). */
export interface Updater {
  setFeedURL(options: { provider: 'generic'; url: string; useMultipleRangeRequest: boolean }): void;
  checkForUpdates(): Promise<{ isUpdateAvailable: boolean; updateInfo: { version: string } } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  signals: {
    progress(handler: (progress: Progress) => void): void;
    updateDownloaded(handler: (info: { version: string }) => void): void;
  };
}

export interface UpdatesOptions {
  updater: Updater;
  /** The signed-in server's URL; null when nobody is signed in. */
  serverUrl(): string | null;
  /** File transfers running now: a restart would cut them. */
  transfersRunning(): number;
  onChange(state: UpdateState): void;
  log(message: string, detail?: unknown): void;
  now?: () => number;
}

export interface Updates extends UpdateHost {
  /** A check nobody asked for (at launch, then every few hours): a failure is logged, not shown. */
  checkQuietly(): Promise<void>;
}

/**
 * electron-updater's updater for this installation, set up for the user to choose (no download or
 * restart by itself; a downloaded update installs at quit); null when it cannot load, which costs
 * updates only. Loaded on demand: nothing of it runs in npm start or the tests.
 */
export async function loadUpdater(log: (message: string, detail?: unknown) => void): Promise<AppUpdater | null> {
  try {
    const { autoUpdater } = (await import('electron-updater')).default;
    const say = (text: unknown) => log(`updates: ${String(text)}`);
    autoUpdater.logger = { info: say, warn: say, error: say };
    autoUpdater.autoDownload = false;
    autoUpdater.autoInstallOnAppQuit = true;
    return autoUpdater;
  } catch (error) {
    log('updates are unavailable: electron-updater could not be loaded', error);
    return null;
  }
}

export function feedUrl(serverUrl: string): string {
  return new URL(`/updates/${UPDATE_CHANNEL}`, serverUrl).href;
}

export function createUpdates({ updater, serverUrl, transfersRunning, onChange, log, now = Date.now }: UpdatesOptions): Updates {
  let state: UpdateState = { state: 'idle', checkedAt: null };
  const set = (next: UpdateState): UpdateState => {
    state = next;
    onChange(state);
    return state;
  };
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

  updater.signals.progress(({ percent, transferred, total, bytesPerSecond }) => {
    if (state.state === 'downloading') set({ state: 'downloading', version: state.version, percent, transferred, total, bytesPerSecond });
  });
  updater.signals.updateDownloaded(({ version }) => set({ state: 'ready', version }));

  async function check(quiet: boolean): Promise<UpdateState> {
    // One that is on its way or waiting for the restart is the answer already.
    if (state.state === 'checking' || state.state === 'downloading' || state.state === 'ready') return state;
    const server = serverUrl();
    if (!server) {
      if (quiet) return state;
      return set({ state: 'failed', message: 'Sign in to check for updates: they come from your Parley server.' });
    }
    const before = state;
    set({ state: 'checking' });
    try {
      // Each time: the user may have signed in to another server since.
      updater.setFeedURL({ provider: 'generic', url: feedUrl(server), useMultipleRangeRequest: false });
      const result = await updater.checkForUpdates();
      if (result?.isUpdateAvailable) return set({ state: 'available', version: result.updateInfo.version });
      return set({ state: 'idle', checkedAt: now() });
    } catch (error) {
      log('could not check for updates', error);
      if (quiet) return set(before);
      return set({ state: 'failed', message: `Could not check for updates: ${message(error)}` });
    }
  }

  return {
    state: () => state,
    check: () => check(false),
    checkQuietly: async () => {
      await check(true);
    },
    async download() {
      if (state.state === 'downloading') return state;
      if (state.state !== 'available') throw new ParleyError('conflict', 'there is no update to download: check for updates first');
      const { version } = state;
      // Answered at once; progress and the end arrive as update events.
      updater.downloadUpdate().catch((error: unknown) => {
        log('could not download the update', error);
        set({ state: 'failed', message: `Could not download Parley ${version}: ${message(error)}` });
      });
      return set({ state: 'downloading', version, percent: 0, transferred: 0, total: 0, bytesPerSecond: 0 });
    },
    install() {
      if (state.state !== 'ready') throw new ParleyError('conflict', 'the update is not downloaded yet');
      const running = transfersRunning();
      if (running > 0) {
        throw new ParleyError(
          'conflict',
          `${running === 1 ? 'A file transfer is' : `${running} file transfers are`} still running: restart when ${running === 1 ? 'it is' : 'they are'} done (or quit Parley later: the update installs then).`,
        );
      }
      // Not silent (Windows shows the installer's progress), and Parley starts again afterwards.
      updater.quitAndInstall(false, true);
    },
  };
}

const CHECK_EVERY_MS = 6 * 3600 * 1000;

/** Checks quietly after each sign-in and every six hours while the app runs. */
export function followUpdates(bridge: Pick<Bridge, 'on'>, updates: Updates, log: (message: string, detail?: unknown) => void): void {
  const check = () => {
    updates.checkQuietly().catch((error: unknown) => log('the update check broke', error));
  };
  bridge.on('session', (session) => {
    if (session.state === 'signedIn') check();
  });
  check();
  setInterval(check, CHECK_EVERY_MS).unref();
}
