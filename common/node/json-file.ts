// A small JSON file the app keeps between launches (a session, settings, the window's place). Written
// whole to a temp file beside it, flushed, then renamed over it: a crash leaves the old file or the
// new one, never half of one. Read back through the file's own schema and version; a file that is
// missing, unreadable, sealed with another key, from another version or of the wrong shape reads
// as the default, so a bad file can never stop the app from starting.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { z } from 'zod';

/** Seals a secret for the disk where the host can (Electron's safeStorage), and opens it again. */
export interface Codec {
  seal(plain: string): string;
  open(sealed: string): string;
}

export type Log = (message: string, detail?: unknown) => void;

/**
 * One file, described once. On disk it is `{ "version": N, ...data }` (sealed whole when there is a
 * codec); a file with no version field, as written before versions, reads as version 1.
 */
export interface JsonFile<T extends object, D = T> {
  path: string;
  /** The data's shape at this version, without the version field. */
  schema: z.ZodType<T>;
  version: number;
  /** What a missing or unusable file reads as (handed out as a copy). */
  default: D;
  codec?: Codec;
  /** For files holding secrets: 0o600, readable by this user only. */
  mode?: number;
}

export function readJsonFile<T extends object, D>(file: JsonFile<T, D>, log: Log): T | D {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (error) {
    // Missing is the first launch, not a fault.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log(`${basename(file.path)} cannot be read; using the defaults`, error);
    return structuredClone(file.default);
  }
  const parsed = parse(file, text);
  if (parsed.ok) return parsed.data;
  // Only the reason: the file may hold tokens and passwords.
  log(`${basename(file.path)} ${parsed.reason}; using the defaults`, file.path);
  return structuredClone(file.default);
}

function parse<T extends object, D>(file: JsonFile<T, D>, text: string): { ok: true; data: T } | { ok: false; reason: string } {
  if (file.codec) {
    try {
      text = file.codec.open(text);
    } catch {
      return { ok: false, reason: 'cannot be unsealed' };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'is not a JSON object' };
  const { version = 1, ...data } = json as Record<string, unknown>;
  if (version !== file.version) return { ok: false, reason: `is version ${JSON.stringify(version)}, not ${file.version}` };
  const checked = file.schema.safeParse(data);
  if (!checked.success) {
    const where = [...new Set(checked.error.issues.map((issue) => issue.path.join('.') || '(top)'))].join(', ');
    return { ok: false, reason: `does not match its schema at ${where}` };
  }
  return { ok: true, data: checked.data };
}

/** Replaces the file whole, making its directory if needed; throws what the disk throws. */
export function writeJsonFile<T extends object, D>(file: JsonFile<T, D>, data: T): void {
  const json = JSON.stringify({ version: file.version, ...data }, null, 2);
  const text = file.codec ? file.codec.seal(json) : json;
  const temp = `${file.path}.tmp`;
  mkdirSync(dirname(file.path), { recursive: true });
  // A leftover temp file (a crash mid-write) keeps its old mode through open: start afresh.
  rmSync(temp, { force: true });
  const fd = openSync(temp, 'wx', file.mode);
  try {
    writeFileSync(fd, text); // loops until all of it is written, unlike writeSync
    // On disk before the rename, else a power cut can leave the new name on an empty file.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file.path);
}
