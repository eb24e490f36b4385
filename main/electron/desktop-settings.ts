// The desktop integration's settings, for this installation (not per account): a JSON file in
// userData, checked on every read; a missing or bad file reads as the defaults.
import { z } from 'zod';
import { readJsonFile, writeJsonFile, type JsonFile, type Log } from '../../common/node/json-file.js';
import { closesToTrayByDefault } from '../../common/desktop-platform.js';
import { DesktopSettings } from '../../contract/requests.js';

export function defaultDesktopSettings(platform: NodeJS.Platform): DesktopSettings {
  return { closeToTray: closesToTrayByDefault(platform), startAtLogin: false, startMinimised: false, notifications: true, showMessagePreview: true };
}

function desktopSettingsFile(path: string, platform: NodeJS.Platform): JsonFile<DesktopSettings> {
  const defaults = defaultDesktopSettings(platform);
  // The request's fields, each optional here: a file from before a key existed gives it its default.
  const schema = z
    .strictObject(DesktopSettings.shape)
    .partial()
    .transform((saved): DesktopSettings => ({ ...defaults, ...saved }));
  return { path, schema, version: 1, default: defaults, mode: 0o600 };
}

export function readDesktopSettings(file: string, log: Log, platform: NodeJS.Platform = process.platform): DesktopSettings {
  return readJsonFile(desktopSettingsFile(file, platform), log);
}

export function writeDesktopSettings(file: string, settings: DesktopSettings): void {
  writeJsonFile(desktopSettingsFile(file, process.platform), settings);
}
