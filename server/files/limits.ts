// The file limits, their defaults, and the one way each is refused, by both upload paths.
import { DEFAULT_MAX_FILE_BYTES, ParleyError } from '../../protocol/index.js';

export const DEFAULT_MAX_FILE_SIZE = DEFAULT_MAX_FILE_BYTES;
/** A tus upload not finished within a week is abandoned (the engine resumes long before). */
export const DEFAULT_UPLOAD_EXPIRY_MS = 7 * 24 * 3600 * 1000;

const GiB = 1024 ** 3;

/** What one user may have on the server's disk and in progress. */
export interface UploadLimits {
  /** Uploads in progress per user: tus uploads not finished yet, upload-URL forms being received. */
  maxUploadsInFlight: number;
  /** The bytes those uploads declare (tus Upload-Length, the form's Content-Length), per user. */
  maxUploadBytesInFlight: number;
  /** Bytes per user: files stored plus uploads in progress at their declared length; 0: no quota. */
  storageQuota: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxUploadsInFlight: 32,
  maxUploadBytesInFlight: 8 * GiB,
  storageQuota: 20 * GiB,
};

export function fileTooLarge(maxFileSize: number): ParleyError {
  return new ParleyError('payload_too_large', `the file is larger than this server's limit of ${describeSize(maxFileSize)}`);
}

/** Bytes for a person: exact units when they divide evenly, else one decimal. */
export function describeSize(bytes: number): string {
  for (const [unit, size] of [['GiB', GiB], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  for (const [unit, size] of [['GiB', GiB], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${(bytes / size).toFixed(1)} ${unit}`;
  }
  return `${bytes} bytes`;
}
