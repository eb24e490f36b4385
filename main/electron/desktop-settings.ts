// The desktop integration's settings, for this installation (not per account): a JSON file in
// userData, checked on every read; a missing or bad file reads as the defaults.
import { z } from 'zod';
import { readJsonFile, writeJsonFile, type JsonFile, type Log } from '../../common/node/json-file.js';
import { DesktopSettings } from '../../contract/requests.js';

export const DEFAULT_DESKTOP_SETTINGS: DesktopSettings = {
  closeToTray: true,
  startAtLogin: false,
  startMinimised: false,
  notifications: true,
  showMessagePreview: true,
};

// The request's fields, each optional here: a file from before a key existed gives it its default.
const StoredDesktopSettings = z
  .strictObject(DesktopSettings.shape)
  .partial()
  .transform((saved): DesktopSettings => ({ ...DEFAULT_DESKTOP_SETTINGS, ...saved }));

const desktopSettingsFile = (path: string): JsonFile<DesktopSettings> => ({ path, schema: StoredDesktopSettings, version: 1, default: DEFAULT_DESKTOP_SETTINGS, mode: 0o600 });

export function readDesktopSettings(file: string, log: Log): DesktopSettings {
  return readJsonFile(desktopSettingsFile(file), log);
}

export function writeDesktopSettings(file: string, settings: DesktopSettings): void {
  writeJsonFile(desktopSettingsFile(file), settings);
}
