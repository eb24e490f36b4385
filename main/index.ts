// The Electron host: wires the bridge (the engine behind the contract) to one locked-down window.
// Each piece lives in main/electron/; this file only decides the order things happen in.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, session, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { createBridge } from './bridge/index.js';
import { appLocation } from './electron/app-url.js';
import { chooseFolderWithDialog } from './electron/choose-folder.js';
import { readConfig, type HostConfig } from './electron/config.js';
import { contentSecurityPolicy, sendCspHeader } from './electron/csp.js';
import { registerFileSchemePrivileges, serveFileScheme } from './electron/file-scheme.js';
import { forwardEvents, isAppSender, registerIpc, registerStaging } from './electron/ipc.js';
import { revealWithShell } from './electron/reveal.js';
import { saveAsWithDialog } from './electron/save-as.js';
import { safeStorageCodec } from './electron/token-codec.js';
import { createAppWindow } from './electron/window.js';

const here = fileURLToPath(new URL('.', import.meta.url)); // out/main/
const log = (message: string, detail?: unknown) => console.warn(`[parley] ${message}`, detail ?? '');

let config: HostConfig;
try {
  config = readConfig(process.env);
} catch (error) {
  console.error(`Parley: ${(error as Error).message}`);
  process.exit(2);
}

// Chromium's profile, the window state and the single-instance lock all follow userData: with
// PARLEY_DATA_DIR each data dir is its own instance, so two demo users can run side by side.
if (config.dataDir) app.setPath('userData', join(config.dataDir, 'electron'));

// Privileges are fixed before the app is ready; the scheme is served once it is.
registerFileSchemePrivileges();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  const devUrl = process.env['ELECTRON_RENDERER_URL']; // set by `electron-vite dev`
  const location = appLocation(join(here, '../renderer/index.html'), devUrl);

  // A second launch, or the macOS dock icon with no window open, brings the one window forward.
  const showWindow = () => {
    if (!win) {
      win = createAppWindow({ preload: join(here, '../preload/index.cjs'), location, stateFile: join(app.getPath('userData'), 'window-state.json'), log });
      win.on('closed', () => {
        win = null;
      });
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  app.on('second-instance', () => void app.whenReady().then(showWindow));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  void app.whenReady().then(() => {
    sendCspHeader(session.defaultSession, contentSecurityPolicy(!!devUrl));
    const bridge = createBridge({
      dataDir: config.dataDir ?? join(app.getPath('userData'), 'data'),
      appInfo: { version: app.getVersion(), platform: process.platform, host: 'electron' },
      demo: config.demo,
      signInAs: config.signInAs,
      signInWith: config.signInWith,
      tokenCodec: safeStorageCodec(),
      reveal: revealWithShell,
      saveAs: saveAsWithDialog(() => win),
      chooseFolder: chooseFolderWithDialog(() => win),
      log,
    });
    serveFileScheme(bridge.localTransfer);
    const isApp = (event: IpcMainInvokeEvent) => isAppSender(event, win, location.isAppUrl);
    registerIpc(bridge, isApp, log);
    registerStaging(bridge, isApp, log);
    forwardEvents(bridge, () => win);
    app.on('will-quit', () => bridge.close());
    app.on('activate', showWindow);
    showWindow();
  });
}
