// The app window: sandboxed, isolated, no Node, locked to the app's page, placed where it was left.
import { BrowserWindow, screen, type NativeImage } from 'electron';
import type { AppLocation } from './app-url.js';
import { lockDownNavigation } from './navigation.js';
import { loadWindowState, trackWindowState } from './window-state.js';

export interface WindowOptions {
  /** The built preload (CJS: a sandboxed preload cannot be ESM). */
  preload: string;
  location: AppLocation;
  stateFile: string;
  /** Started in the tray (at login, minimised): the window is made but not shown. */
  hidden?: boolean;
  icon?: NativeImage | null;
  log: (message: string, detail?: unknown) => void;
}

export function createAppWindow({ preload, location, stateFile, hidden = false, icon, log }: WindowOptions): BrowserWindow {
  const state = loadWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea), log);
  const win = new BrowserWindow({
    width: 1000,
    height: 700,
    ...state?.bounds,
    // The narrowest the renderer's layout is made for (the list folds away below 640 px); a saved
    // size below it is raised by Electron.
    minWidth: 480,
    minHeight: 400,
    show: false,
    ...(icon ? { icon } : {}),
    // Auxclick off: a middle-click would otherwise ask for a new window (denied anyway by navigation.ts).
    webPreferences: { preload, sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, disableBlinkFeatures: 'Auxclick' },
  });
  lockDownNavigation(win.webContents, location.isAppUrl, log);
  trackWindowState(win, stateFile, log);
  win.once('ready-to-show', () => {
    if (hidden) return;
    if (state?.maximized) win.maximize();
    win.show();
  });
  win.loadURL(location.url).catch((error: unknown) => log('could not load the app page', error));
  return win;
}
