// Seals the stored access token with the OS keychain (safeStorage) where there is one. Without one,
// undefined leaves the session's own plain default in place.
import { safeStorage } from 'electron';
import type { TokenCodec } from '../bridge/index.js';

export function safeStorageCodec(): TokenCodec | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  return {
    seal: (token) => safeStorage.encryptString(token).toString('base64'),
    open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
  };
}
