// Where file bytes live. The tus upload path writes through its own DataStore (@tus/file-store here,
// @tus/s3-store for a bucket); everything else reads, writes and deletes through this interface, so
// an S3-compatible bucket can implement it without touching the routes.
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Inclusive byte offsets, as in HTTP ranges. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface FileStore {
  /** The stored size, or null when there is no such file. */
  stat(id: string): Promise<{ size: number } | null>;
  /** Opened before it resolves, so a missing file rejects here rather than mid-response. */
  openRead(id: string, range?: ByteRange): Promise<Readable>;
  /** A new file; refuses to overwrite one. */
  createWriteStream(id: string): Writable;
  /** Removes the file if it exists. */
  delete(id: string): Promise<void>;
}

/** Files on local disk, one per id (0600), in a directory (0700) the tus FileStore shares. */
export async function localFileStore(directory: string): Promise<FileStore> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  // Made by an older version with the umask's mode: other local users could list and read it.
  if (process.platform !== 'win32') await chmod(directory, 0o700);
  // Ids are server-generated hex, checked by every route before they get here.
  const path = (id: string) => join(directory, id);
  return {
    async stat(id) {
      const stats = await stat(path(id)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      return stats?.isFile() ? { size: stats.size } : null;
    },
    async openRead(id, range) {
      const handle = await open(path(id), 'r');
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    },
    createWriteStream(id) {
      return createWriteStream(path(id), { flags: 'wx', mode: 0o600 });
    },
    async delete(id) {
      await rm(path(id), { force: true });
    },
  };
}
