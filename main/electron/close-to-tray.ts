// Closing the window hides it while close-to-tray is on, so Parley keeps receiving; a real quit
// (the tray's Quit, Cmd+Q or the app menu, the OS shutting down) closes it for good.
import type { App, BrowserWindow, PowerMonitor } from 'electron';

export function createQuitState(app: Pick<App, 'on' | 'quit'>) {
  let quitting = false;
  // Every quit passes here first (app.quit, Cmd+Q, the app menu, a macOS logout or shutdown).
  app.on('before-quit', () => {
    quitting = true;
  });
  return {
    get quitting() {
      return quitting;
    },
    /** The OS is ending the session: let the windows close. */
    ending(): void {
      quitting = true;
    },
    quit(): void {
      quitting = true;
      app.quit();
    },
  };
}

export type QuitState = ReturnType<typeof createQuitState>;

/** After ready: Linux and macOS shutdowns that do not pass through before-quit first. */
export function followShutdown(powerMonitor: Pick<PowerMonitor, 'on'>, quit: QuitState): void {
  powerMonitor.on('shutdown', () => quit.ending());
}

export function hideOnClose(win: BrowserWindow, quit: QuitState, closeToTray: () => boolean): void {
  win.on('close', (event) => {
    if (quit.quitting || !closeToTray()) return;
    event.preventDefault();
    win.hide();
  });
  // Windows: a logoff or shutdown closes the window after this; it must not be held back.
  win.on('session-end', () => quit.ending());
}
