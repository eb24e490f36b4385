// A start that fails (the database cannot open, a native module is missing or built for another
// runtime) must not leave a process with no window that still holds the single-instance lock, so
// that every later launch only pokes it and nothing ever appears. The user is told why in an error box
// that names the log file, and the process ends, giving up the lock first.
import type { App, Dialog } from 'electron';
import type { FileLog } from './log-file.js';

export interface StartupFailureHost {
  app: Pick<App, 'releaseSingleInstanceLock' | 'exit'>;
  dialog: Pick<Dialog, 'showErrorBox'>;
  log: FileLog;
}

export function startupFailureMessage(error: unknown, logFile: string): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `Parley could not start: ${reason}\n\nThe details are in ${logFile}. Start Parley again; if this happens again, send that file to whoever runs Parley for your organisation.`;
}

export function failStartup(host: StartupFailureHost, error: unknown): void {
  host.log.log('could not start', error);
  try {
    // Safe before ready too (Electron's docs); on Linux before ready it goes to stderr only.
    host.dialog.showErrorBox('Parley could not start', startupFailureMessage(error, host.log.file));
  } catch (shown) {
    host.log.log('could not show why Parley could not start', shown);
  }
  host.app.releaseSingleInstanceLock();
  host.app.exit(1);
}
