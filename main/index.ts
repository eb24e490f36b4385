// The Electron host: wires the bridge (the engine behind the contract) to one locked-down window and
// the desktop (tray, badge, notifications, parley: links, login item). Each piece lives in
// main/electron/; this file only decides the order things happen in.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, powerMonitor, session, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { createBridge, type Bridge } from './bridge/index.js';
import { ParleyError } from './core/index.js';
import { guardProcess } from './bridge/process-guard.js';
import type { ConversationTarget } from '../common/deep-link.js';
import { useSqliteAddon } from '../common/node/sqlite.js';
import type { DesktopSettings } from '../contract/requests.js';
import { appLocation } from './electron/app-url.js';
import { applyAutostart, startsHidden, type AutostartEnv } from './electron/autostart.js';
import { createBadge } from './electron/badge.js';
import { chooseFolderWithDialog } from './electron/choose-folder.js';
import { createQuitState, followShutdown, hideOnClose } from './electron/close-to-tray.js';
import { readConfig, type HostConfig } from './electron/config.js';
import { contentSecurityPolicy, sendCspHeader } from './electron/csp.js';
import { conversationFromLink, createOpenQueue, linkInArgv, registerProtocolClient } from './electron/deep-links.js';
import { readDesktopSettings, writeDesktopSettings } from './electron/desktop-settings.js';
import { registerFileSchemePrivileges, serveFileScheme } from './electron/file-scheme.js';
import { followEngine } from './electron/follow-engine.js';
import { followActivity } from './electron/activity.js';
import { loadIcons } from './electron/icons.js';
import { createFileLog } from './electron/log-file.js';
import { attachContextMenu, setAppMenu } from './electron/menus.js';
import { forwardEvents, isAppSender, registerIpc, registerStaging } from './electron/ipc.js';
import { createNotifier } from './electron/notifications.js';
import { lockDownPermissions } from './electron/permissions.js';
import { revealWithShell } from './electron/reveal.js';
import { saveAsWithDialog } from './electron/save-as.js';
import { failStartup } from './electron/startup.js';
import { trustSystemCertificates } from './electron/system-certificates.js';
import { tokenStorage } from './electron/token-codec.js';
import { createTray } from './electron/tray.js';
import { createUpdates, followUpdates, loadUpdater, type Updates } from './electron/updates.js';
import { createAppWindow } from './electron/window.js';

const here = fileURLToPath(new URL('.', import.meta.url)); // out/main/

let config: HostConfig;
try {
  config = readConfig(process.env);
} catch (error) {
  console.error(`Parley: ${(error as Error).message}`);
  process.exit(2);
}

// Chromium's profile, the window state, the single-instance lock and the log all follow userData: with
// PARLEY_DATA_DIR each data dir is its own instance, so two demo users can run side by side.
if (config.dataDir) {
  app.setPath('userData', join(config.dataDir, 'electron'));
  app.setAppLogsPath(join(config.dataDir, 'electron', 'logs'));
}
// Every line goes to the console and to main.log in Electron's logs folder (main/electron/log-file.ts).
const fileLog = createFileLog(app.getPath('logs'));
const log = fileLog.log;
// Closes the engine if the process must stop (set once the bridge exists).
let closeBridge = () => {};
// A rejected promise is logged and Parley keeps running; an uncaught exception is logged, shown in an
// error box, and Parley closes and exits (main/bridge/process-guard.ts says why). Replaces Electron's
// default, which shows a box and leaves the main process running in whatever state the throw left.
guardProcess({
  log,
  shutdown: () => closeBridge(),
  exit: (code) => app.exit(code),
  tellUser: (message) => {
    if (app.isReady()) dialog.showErrorBox('Parley stopped', `${message}\n\nThe details are in ${fileLog.file}.`);
  },
});

// npm start with Electron: better-sqlite3's addon built for Electron's ABI, beside node_modules' own
// (Node's, which the embedded server in npm start's process uses); scripts/native-addon.ts. A packaged
// app never takes native code from its environment.
const devAddon = process.env['PARLEY_SQLITE_ADDON'];
if (devAddon && !app.isPackaged) useSqliteAddon(devAddon);

// The OS's trusted roots (an organisation's internal CA) for the engine's connections, before any is made.
trustSystemCertificates(log);

// Windows shows notifications only for an app with an AppUserModelID: the appId in electron-builder.yml,
// which the installer's shortcut carries too.
if (process.platform === 'win32') app.setAppUserModelId('chat.parley.desktop');

// Privileges are fixed before the app is ready; the scheme is served once it is.
registerFileSchemePrivileges();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let bridge: Bridge | null = null;
  const devUrl = process.env['ELECTRON_RENDERER_URL']; // set by `electron-vite dev`
  const location = appLocation(join(here, '../renderer/index.html'), devUrl);
  const settingsFile = join(app.getPath('userData'), 'desktop-settings.json');
  let settings = readDesktopSettings(settingsFile, log);
  const autostart: AutostartEnv = {
    platform: process.platform,
    appImage: process.env['APPIMAGE'],
    execPath: process.execPath,
    configDir: process.env['XDG_CONFIG_HOME'] || join(app.getPath('home'), '.config'),
  };
  const icons = loadIcons(join(here, '../icons'), log);
  const quit = createQuitState(app);
  // Conversations asked for (links, notification clicks) wait until the page listens.
  const opening = createOpenQueue((target: ConversationTarget) => bridge?.openConversation(target));

  const openWindow = (hidden: boolean) => {
    const created = createAppWindow({ preload: join(here, '../preload/index.cjs'), location, stateFile: join(app.getPath('userData'), 'window-state.json'), hidden, icon: icons('icon.png'), log });
    win = created;
    hideOnClose(created, quit, () => settings.closeToTray);
    attachContextMenu(created);
    opening.hold();
    created.webContents.once('did-finish-load', () => opening.ready());
    created.on('closed', () => {
      if (win === created) win = null;
      opening.hold();
    });
  };

  // A second launch, the tray, a link or the macOS dock icon with no window open brings the one window forward.
  const showWindow = () => {
    if (!win) return openWindow(false);
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  const openLink = (url: string) => {
    const target = conversationFromLink(url, log);
    if (target === null) return;
    showWindow();
    opening.open(target);
  };

  // macOS hands links over with open-url, also before the app is ready (a cold start from a link).
  app.on('open-url', (event, url) => {
    event.preventDefault();
    app
      .whenReady()
      .then(() => openLink(url))
      .catch((error: unknown) => log('could not open a link', error));
  });
  app.on('second-instance', (_event, argv) => {
    app
      .whenReady()
      .then(() => {
        const link = linkInArgv(argv);
        if (link) openLink(link);
        else showWindow();
      })
      .catch((error: unknown) => log('could not answer a second instance', error));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  const setDesktopSettings = (next: DesktopSettings): DesktopSettings => {
    try {
      if (next.startAtLogin !== settings.startAtLogin || next.startMinimised !== settings.startMinimised) applyAutostart(app, autostart, next);
      writeDesktopSettings(settingsFile, next);
    } catch (error) {
      throw new ParleyError('unavailable', `could not save the desktop settings: ${(error as Error).message}`);
    }
    return (settings = next);
  };

  app.whenReady().then(async () => {
    // Reload and the developer tools only in a build that is not packaged (npm start, electron-vite dev).
    setAppMenu(process.platform, !app.isPackaged);
    sendCspHeader(session.defaultSession, contentSecurityPolicy(!!devUrl));
    lockDownPermissions(session.defaultSession, location.isAppUrl, log);
    followShutdown(powerMonitor, quit);
    registerProtocolClient(app, process, log);
    // The login item follows where the app is now (an AppImage moved since it was set).
    if (settings.startAtLogin) {
      try {
        applyAutostart(app, autostart, settings);
      } catch (error) {
        log('could not renew the login item', error);
      }
    }
    // Updates come to an installed app only (electron-updater reads the running installation).
    const updater = app.isPackaged ? await loadUpdater(log) : null;
    const updates: Updates | null = updater
      ? createUpdates({
          updater,
          serverUrl: () => bridge?.serverUrl() ?? null,
          transfersRunning: () => bridge?.transfersRunning() ?? 0,
          onChange: (state) => bridge?.updateState(state),
          log,
        })
      : null;
    const secrets = tokenStorage();
    if (secrets.notice) log(secrets.notice);
    const ready = createBridge({
      dataDir: config.dataDir ?? join(app.getPath('userData'), 'data'),
      appInfo: { version: app.getVersion(), platform: process.platform, host: 'electron' },
      demo: config.demo,
      signInAs: config.signInAs,
      signInWith: config.signInWith,
      offerServer: config.offerServer,
      tokenCodec: secrets.codec,
      reveal: revealWithShell,
      saveAs: saveAsWithDialog(() => win),
      chooseFolder: chooseFolderWithDialog(() => win),
      desktop: { settings: () => settings, setSettings: setDesktopSettings },
      ...(updates && { updates }),
      log,
    });
    bridge = ready;
    closeBridge = () => ready.close();
    serveFileScheme(ready.localTransfer);
    const isApp = (event: IpcMainInvokeEvent) => isAppSender(event, win, location.isAppUrl);
    registerIpc(ready, isApp, log);
    registerStaging(ready, isApp, log);
    forwardEvents(ready, () => win);

    const tray = createTray({
      icons,
      platform: process.platform,
      show: showWindow,
      hide: () => win?.hide(),
      isVisible: () => !!win && win.isVisible(),
      quit: () => quit.quit(),
    });
    const badge = createBadge({ app, platform: process.platform, window: () => win, overlay: () => icons('overlay-unread.png'), onChange: tray.setUnread });
    const notifier = createNotifier({
      settings: () => settings,
      windowFocused: () => !!win && !win.isDestroyed() && win.isFocused(),
      conversation: ready.conversation,
      me: ready.me,
      open: (target) => {
        showWindow();
        opening.open(target);
      },
      icon: icons('icon.png'),
    });
    followEngine(ready, notifier, badge);
    followActivity(powerMonitor, ready);
    if (updates) followUpdates(ready, updates, log);
    app.on('will-quit', () => {
      notifier.clear();
      ready.close();
    });
    app.on('activate', showWindow);

    if (startsHidden(process.argv, process.platform)) openWindow(true);
    else showWindow();
    badge.applyToWindow();
    const link = linkInArgv(process.argv); // a cold start from a link (Windows, Linux)
    if (link) openLink(link);
  }).catch((error: unknown) => {
    // Half started: say why, give up the lock and quit rather than linger windowless (main/electron/startup.ts).
    failStartup({ app, dialog, log: fileLog }, error);
  });
}
