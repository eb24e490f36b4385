// An account's file settings (upload mode, auto-download, Media Reference Send), kept as JSON in the
// account's directory and applied to its engine at every sign-in.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSettings } from '../../contract/requests.js';
import type { Client } from '../core/index.js';
import { parseMediaRefSend } from '../core/files/media-ref-send.js';
import type { TokenCodec } from './session.js';

export const DEFAULT_FILE_SETTINGS: FileSettings = { uploadMode: 'parley', autoDownloadImagesUnder: 0, mediaRefSend: null };

const fileOf = (accountDir: string) => join(accountDir, 'file-settings.json');

// Sealed like the session's token (safeStorage under Electron): they hold an upload token and a password.
export function loadFileSettings(accountDir: string, codec: TokenCodec): FileSettings {
  try {
    const parsed = FileSettings.safeParse(JSON.parse(codec.open(readFileSync(fileOf(accountDir), 'utf8'))));
    return parsed.success ? parsed.data : DEFAULT_FILE_SETTINGS;
  } catch {
    return DEFAULT_FILE_SETTINGS;
  }
}

/** Checks what the contract's schema cannot (the Media Reference Send templates), then keeps them. */
export function saveFileSettings(accountDir: string, settings: FileSettings, codec: TokenCodec): void {
  if (settings.mediaRefSend) parseMediaRefSend(settings.mediaRefSend.keys, settings.mediaRefSend.account);
  writeFileSync(`${fileOf(accountDir)}.tmp`, codec.seal(JSON.stringify(settings)), { mode: 0o600 });
  renameSync(`${fileOf(accountDir)}.tmp`, fileOf(accountDir));
}

export function applyFileSettings(client: Client, settings: FileSettings): void {
  client.setUploadUrl(settings.uploadMode === 'uploadUrl' && settings.uploadUrl ? settings.uploadUrl : null, settings.uploadAuthToken ?? '');
  client.setAutoDownload(settings.autoDownloadImagesUnder ?? 0);
  client.setMediaRefSend(settings.mediaRefSend?.keys ?? null, settings.mediaRefSend?.account);
}
