// An account's file settings (upload mode, auto-download, Media Reference Send), kept as JSON in the
// account's directory and applied to its engine at every sign-in.
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile, type Codec, type JsonFile, type Log } from '../../common/node/json-file.js';
import { FileSettings } from '../../contract/requests.js';
import { parseMediaRefSend, type Client } from '../core/index.js';

const DEFAULT_FILE_SETTINGS: FileSettings = { uploadMode: 'parley', autoDownloadImagesUnder: 0, mediaRefSend: null };

// The fields the settings dialog edits, from the contract (one source for them), without the
// request's cross-field rule. A change there that files already written would fail needs a new
// version here and an upgrade of the old file: a file that fails reads as the defaults.
const StoredFileSettings = z.strictObject(FileSettings.shape);

export interface FileSettingsFile {
  read(): FileSettings;
  /** Checks what the contract's schema cannot (the Media Reference Send templates), then keeps them. */
  save(settings: FileSettings): void;
}

// Sealed like the session's token (safeStorage under Electron): they hold an upload token and a password.
export function fileSettingsFile(accountDir: string, codec: Codec, log: Log): FileSettingsFile {
  const file: JsonFile<FileSettings> = {
    path: join(accountDir, 'file-settings.json'),
    schema: StoredFileSettings,
    version: 1,
    default: DEFAULT_FILE_SETTINGS,
    codec,
    mode: 0o600,
  };
  return {
    read: () => readJsonFile(file, log),
    save(settings) {
      if (settings.mediaRefSend) parseMediaRefSend(settings.mediaRefSend.keys, settings.mediaRefSend.account);
      writeJsonFile(file, settings);
    },
  };
}

export function applyFileSettings(client: Client, settings: FileSettings): void {
  client.setUploadUrl(settings.uploadMode === 'uploadUrl' && settings.uploadUrl ? settings.uploadUrl : null, settings.uploadAuthToken ?? '');
  client.setAutoDownload(settings.autoDownloadImagesUnder ?? 0);
  client.setSaveFolderLimits({
    ...(settings.saveFolderMaxBytes === undefined ? {} : { maxBytes: settings.saveFolderMaxBytes }),
    allowedOrigins: settings.saveFolderOrigins ?? [],
  });
  client.setMediaRefSend(settings.mediaRefSend?.keys ?? null, settings.mediaRefSend?.account);
}
