// The main process's log. A launch from the dock, the Start menu or a desktop file has no terminal, so
// what only goes to the console is lost exactly when someone needs it (a failed start): every line
// also goes to main.log in Electron's logs folder (app.getPath('logs')), which the error box names.
// Writes are synchronous and small, so a line logged just before the process exits is on disk. The
// file is kept under 1 MiB: past it the file becomes main.old.log (replacing the one before) and a new
// one starts, so two files at most. A log that cannot be written never stops the app: the console
// still gets each line, and the failure is said once.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { Log } from '../../common/node/json-file.js';

export const LOG_FILE = 'main.log';
const MAX_BYTES = 1024 * 1024;

export interface FileLog {
  log: Log;
  /** The file the lines go to, for the user to find (the startup error box names it). */
  file: string;
}

/** Errors with their stack, anything else as Node prints it; one line per entry where the detail allows. */
function line(message: string, detail: unknown): string {
  const shown = detail === undefined ? '' : ` ${detail instanceof Error ? (detail.stack ?? String(detail)) : inspect(detail, { depth: 4, breakLength: Infinity })}`;
  return `${new Date().toISOString()} ${message}${shown}\n`;
}

export function createFileLog(dir: string, console: Pick<Console, 'warn'> = globalThis.console): FileLog {
  const file = join(dir, LOG_FILE);
  let broken = false;
  const toFile = (text: string) => {
    if (broken) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      try {
        if (statSync(file).size > MAX_BYTES) renameSync(file, join(dir, 'main.old.log'));
      } catch {
        // No file yet: the append makes it.
      }
      appendFileSync(file, text, { mode: 0o600 });
    } catch (error) {
      broken = true;
      console.warn(`[parley] cannot write the log file ${file}; logging to the console only`, error);
    }
  };
  return {
    file,
    log: (message, detail) => {
      console.warn(`[parley] ${message}`, detail ?? '');
      toFile(line(message, detail));
    },
  };
}
