// The file size limit and the one way it is refused, by both upload paths.
import { DEFAULT_MAX_FILE_BYTES, ParleyError } from '../../protocol/index.js';

export const DEFAULT_MAX_FILE_SIZE = DEFAULT_MAX_FILE_BYTES;
/** A tus upload not finished within a week is abandoned (the engine resumes long before). */
export const DEFAULT_UPLOAD_EXPIRY_MS = 7 * 24 * 3600 * 1000;

export function fileTooLarge(maxFileSize: number): ParleyError {
  return new ParleyError('payload_too_large', `the file is larger than this server's limit of ${describeSize(maxFileSize)}`);
}

function describeSize(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
