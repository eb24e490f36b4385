// The desktop integration's settings, for this installation (not per account): a JSON file in
// userData, checked on every read; a missing or bad file reads as the defaults.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DesktopSettings } from '../../contract/requests.js';

export const DEFAULT_DESKTOP_SETTINGS: DesktopSettings = {
  closeToTray: true,
  startAtLogin: false,
  startMinimised: false,
  notifications: true,
  showMessagePreview: true,
};

type Log = (message: string, detail?: unknown) => void;

export function readDesktopSettings(file: string, log: Log): DesktopSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { ...DEFAULT_DESKTOP_SETTINGS }; // first launch
  }
  try {
    // A file from an older version lacks newer keys: those take their defaults.
    const parsed = DesktopSettings.safeParse({ ...DEFAULT_DESKTOP_SETTINGS, ...(JSON.parse(text) as object) });
    if (parsed.success) return parsed.data;
  } catch {
    /* not JSON: as bad as a wrong shape */
  }
  log('the desktop settings file is unreadable; using the defaults', file);
  return { ...DEFAULT_DESKTOP_SETTINGS };
}

/** Write then rename: a crash never leaves half a file. */
export function writeDesktopSettings(file: string, settings: DesktopSettings): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(settings, null, 2));
  renameSync(`${file}.tmp`, file);
}
