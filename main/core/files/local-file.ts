// Paths handed to the engine (a file to send, a download folder) are checked before anything
// starts, and refused with an error that says what is wrong with them.
import { constants, accessSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { ParleyError } from '../../../protocol/index.js';

export interface LocalFile {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

/** A readable regular file within the size limit. */
export async function inspectFile(path: unknown, maxBytes: number): Promise<LocalFile> {
  const where = checkPath(path, 'file');
  const info = await stat(where).catch((error: NodeJS.ErrnoException) => {
    throw fsError(error, where);
  });
  if (info.isDirectory()) throw new ParleyError('bad_request', `${where} is a folder, not a file`);
  if (!info.isFile()) throw new ParleyError('bad_request', `${where} is not a regular file`);
  if (info.size > maxBytes) {
    throw new ParleyError('payload_too_large', `${basename(where)} is ${formatBytes(info.size)}, above the ${formatBytes(maxBytes)} limit`);
  }
  await access(where, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw fsError(error, where);
  });
  return { path: where, name: basename(where), size: info.size, mtimeMs: Math.trunc(info.mtimeMs) };
}

/** A folder to save into: created when missing (with `mode`, default 0777 less the umask), refused when it is a file or not writable. */
export function prepareDir(path: unknown, mode?: number): string {
  const where = checkPath(path, 'folder');
  try {
    if (existsSync(where) && !statSync(where).isDirectory()) throw new ParleyError('bad_request', `${where} is a file, not a folder`);
    mkdirSync(where, { recursive: true, ...(mode === undefined ? {} : { mode }) });
    accessSync(where, constants.W_OK);
  } catch (error) {
    throw error instanceof ParleyError ? error : fsError(error as NodeJS.ErrnoException, where);
  }
  return where;
}

function checkPath(path: unknown, what: string): string {
  if (typeof path !== 'string' || path.trim() === '') throw new ParleyError('bad_request', `a ${what} path is required`);
  if (path.includes('\0')) throw new ParleyError('bad_request', `the ${what} path holds a NUL character`);
  if (!isAbsolute(path)) throw new ParleyError('bad_request', `the ${what} path must be absolute: ${path}`);
  return resolve(path);
}

function fsError(error: NodeJS.ErrnoException, path: string): ParleyError {
  switch (error.code) {
    case 'ENOENT':
      return new ParleyError('not_found', `there is nothing at ${path}`);
    case 'ENOTDIR':
      return new ParleyError('bad_request', `part of ${path} is a file, not a folder`);
    case 'EACCES':
    case 'EPERM':
      return new ParleyError('forbidden', `${path} cannot be accessed: permission denied`);
    default:
      return new ParleyError('bad_request', `${path} cannot be used: ${error.message}`);
  }
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
