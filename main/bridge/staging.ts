// Files and folders the user picked, dropped or pasted, held under random ids until a request names
// one (sendFile; watchFolder, setSaveFolder). The contract never takes a path: a path only gets here
// from the Electron preload (webUtils, for a File the user chose), from the host's own folder dialog,
// as a path typed into the browser host (which only its launch key reaches), or as a copy the host
// wrote itself (a pasted image, a browser upload).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_MAX_FILE_BYTES } from '../../protocol/index.js';
import { ParleyError, sanitizeFileName } from '../core/index.js';
import type { StagedFile, StagedFolder } from '../../contract/types.js';

/** The server's default limit: the engine refuses anything larger anyway. */
export const MAX_STAGED_BYTES = DEFAULT_MAX_FILE_BYTES;
/** A staged file not sent within this long is forgotten (and a copy of it deleted). */
const TTL_MS = 60 * 60 * 1000;

interface Entry extends StagedFile {
  kind: 'file' | 'folder';
  path: string;
  /** The host wrote this copy (under the staging dir): it deletes it if it expires unsent. */
  copy: boolean;
  expires: number;
}

export type Staging = ReturnType<typeof createStaging>;

export function createStaging(dir: string, maxBytes = MAX_STAGED_BYTES, log: (message: string, detail?: unknown) => void = () => {}) {
  const entries = new Map<string, Entry>();

  function add(kind: Entry['kind'], path: string, name: string, size: number, copy: boolean): StagedFile {
    sweep();
    const id = randomBytes(16).toString('base64url');
    entries.set(id, { id, kind, name, size, path, copy, expires: Date.now() + TTL_MS });
    return { id, name, size };
  }

  /** The entry under this id, once, if it is of this kind. */
  function takeAs(kind: Entry['kind'], id: string): Entry {
    sweep();
    const entry = entries.get(id);
    if (!entry || entry.kind !== kind) throw new ParleyError('not_found', kind === 'file' ? 'that file is no longer staged; attach it again' : 'that folder is no longer staged; choose it again');
    entries.delete(id);
    return entry;
  }

  function sweep(): void {
    const now = Date.now();
    for (const [id, entry] of entries) {
      if (entry.expires > now) continue;
      entries.delete(id);
      if (entry.copy) rm(join(dir, id), { recursive: true, force: true }).catch((error: unknown) => log(`could not remove the staged copy ${id}`, error));
    }
  }

  return {
    /** A file the user chose, by the path the preload got for it. */
    async register(path: string): Promise<StagedFile> {
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw new ParleyError('not_found', `${basename(path)} is not a file that can be sent`);
      if (info.size > maxBytes) throw new ParleyError('payload_too_large', `${basename(path)} is larger than the ${maxBytes} bytes a file may have`);
      return add('file', path, basename(path), info.size, false);
    },

    /** A folder the user chose (dialog, drop, or typed into the browser host): it must be one, and readable. */
    async registerFolder(path: string): Promise<StagedFolder> {
      if (!isAbsolute(path)) throw new ParleyError('bad_request', 'give the folder’s full path, e.g. /home/you/Scans or C:\\Scans');
      const folder = resolve(path);
      const info = await stat(folder).catch(() => null);
      if (!info?.isDirectory()) throw new ParleyError('not_found', `${folder} is not a folder`);
      await access(folder, constants.R_OK | constants.X_OK).catch(() => {
        throw new ParleyError('forbidden', `${folder} cannot be read: permission denied`);
      });
      const { id, name } = add('folder', folder, basename(folder) || folder, 0, false);
      return { id, name, path: folder };
    },

    /** Writes the bytes to <dir>/<id>/<sanitised name>, refusing past the size limit. */
    async write(name: string, body: Readable | Uint8Array): Promise<StagedFile> {
      const id = randomBytes(16).toString('base64url');
      // A file's name, not a path: whatever precedes the last separator goes.
      const safe = sanitizeFileName(name.split(/[\\/]/).pop() ?? '');
      const path = join(dir, id, safe);
      await mkdir(join(dir, id), { recursive: true });
      let size = 0;
      try {
        await pipeline(
          body instanceof Uint8Array ? Readable.from([body]) : body,
          async function* (source: AsyncIterable<Uint8Array>) {
            for await (const chunk of source) {
              size += chunk.byteLength;
              if (size > maxBytes) throw new ParleyError('payload_too_large', `the file is larger than the ${maxBytes} bytes a file may have`);
              yield chunk;
            }
          },
          createWriteStream(path, { flags: 'wx' }),
        );
      } catch (error) {
        await rm(join(dir, id), { recursive: true, force: true });
        throw error;
      }
      sweep();
      entries.set(id, { id, kind: 'file', name: safe, size, path, copy: true, expires: Date.now() + TTL_MS });
      return { id, name: safe, size };
    },

    /** The staged file's path, once: an id is good for one send. */
    take: (id: string): StagedFile & { path: string } => takeAs('file', id),
    /** The staged folder's path, once. */
    takeFolder: (id: string): string => takeAs('folder', id).path,
  };
}
