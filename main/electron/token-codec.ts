// Seals the stored access token (and the account's file settings) with the OS keychain through
// safeStorage where there is one. Where there is none, or on Linux where safeStorage falls back to
// `basic_text` (its key is a constant compiled into Chromium, so "encrypted" would mean nothing),
// Parley says so and deliberately keeps them unencrypted in files only this user can read (0600 in a
// 0700 folder) rather than pretend.
import { safeStorage as electronSafeStorage } from 'electron';
import type { TokenStorage } from '../bridge/index.js';

type SafeStorage = Pick<typeof electronSafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

const UNLOCK_HINT = 'the OS keychain could not decrypt it (the keychain was reset or is locked, or this data comes from another user or machine)';

/** What safeStorage wrote on Linux and macOS starts with Chromium's version tag: "v10" or "v11". */
function isSafeStorageBlob(text: string): boolean {
  return /^v1\d/.test(Buffer.from(text, 'base64').subarray(0, 3).toString('latin1'));
}

function decrypt(safeStorage: SafeStorage, sealed: string): string {
  try {
    return safeStorage.decryptString(Buffer.from(sealed, 'base64'));
  } catch {
    throw new Error(UNLOCK_HINT);
  }
}

/** Call once the app is ready: before it, Linux reports neither the backend nor whether encryption is available. */
export function tokenStorage(safeStorage: SafeStorage = electronSafeStorage, platform: NodeJS.Platform = process.platform): TokenStorage {
  if (!safeStorage.isEncryptionAvailable()) {
    return {
      codec: undefined,
      notice: 'This system offers no keychain to Parley: your access token is stored unencrypted, readable only by your user account (file mode 0600).',
    };
  }
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    return {
      // Stored as it is; a token sealed by an earlier version under basic_text is still opened (its key is the constant).
      codec: { seal: (plain) => plain, open: (stored) => (isSafeStorageBlob(stored) ? decrypt(safeStorage, stored) : stored) },
      notice:
        'No keyring (Secret Service or KWallet) is running, so Electron could only "encrypt" with a fixed, publicly known key (basic_text): Parley stores your access token unencrypted instead, readable only by your user account (file mode 0600). Run a keyring (e.g. gnome-keyring) to have it encrypted.',
    };
  }
  return {
    codec: {
      seal: (plain) => safeStorage.encryptString(plain).toString('base64'),
      // A value written while there was no keychain (plain) is read as it is and sealed at the next save;
      // Windows' DPAPI blobs carry no such tag, so there everything stored is taken as sealed.
      open: (stored) => (platform === 'win32' || isSafeStorageBlob(stored) ? decrypt(safeStorage, stored) : stored),
    },
    notice: null,
  };
}
