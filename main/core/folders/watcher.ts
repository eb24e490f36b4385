// chokidar around one watched folder: reports files (relative paths) that appeared or changed, with
// temporary names and the Sent subfolder left out; a file is reported as stable only once its size
// and mtime have not moved for `stabilityMs` (our own check, so files found by a scan at start get
// the same treatment as files chokidar saw arrive).
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isInput } from './names.js';

export interface FolderWatcherOptions {
  root: string;
  includeSubfolders: boolean;
  stabilityMs: number;
  /** A file has been stable for stabilityMs: send it (or see that it was sent). */
  stable(rel: string): void;
  /** No file is waiting out its stability window any more (see quiet()). */
  settled(): void;
  error(error: Error): void;
}

export type FolderWatcher = ReturnType<typeof createFolderWatcher>;

export function createFolderWatcher(o: FolderWatcherOptions) {
  const pending = new Map<string, { timer: NodeJS.Timeout; size: number; mtime: number }>();
  /** observe() calls still looking at their file: not pending yet, but about to be. */
  let looking = 0;
  let closed = false;

  const quiet = () => pending.size === 0 && looking === 0;
  const changed = () => {
    if (!closed && quiet()) o.settled();
  };

  const relOf = (path: string) => relative(o.root, path);
  const accepts = (rel: string) => isInput(rel) && (o.includeSubfolders || !rel.includes(sep));

  /** A file that went away (renamed, deleted) stops being watched for stability. */
  async function statOrForget(rel: string) {
    try {
      return await stat(join(o.root, rel));
    } catch {
      forget(rel);
      return null;
    }
  }

  // observe/settle run unawaited from timers and chokidar events: a throw there is the folder's error, not the process's.
  const failed = (error: unknown) => o.error(error instanceof Error ? error : new Error(String(error)));

  /** Something happened to this file: (re)start its stability clock. */
  async function observe(rel: string): Promise<void> {
    looking++;
    try {
      const info = await statOrForget(rel);
      if (closed || !info?.isFile()) return;
      const before = pending.get(rel);
      if (before) clearTimeout(before.timer);
      const entry = {
        size: info.size,
        mtime: Math.trunc(info.mtimeMs),
        timer: setTimeout(() => {
          settle(rel, entry).catch(failed);
        }, o.stabilityMs),
      };
      pending.set(rel, entry);
    } finally {
      looking--;
      changed();
    }
  }

  async function settle(rel: string, entry: { size: number; mtime: number }): Promise<void> {
    if (closed || pending.get(rel) !== entry) return;
    const info = await statOrForget(rel);
    if (!info || closed || pending.get(rel) !== entry) return;
    if (info.size === entry.size && Math.trunc(info.mtimeMs) === entry.mtime) {
      pending.delete(rel);
      o.stable(rel);
      changed();
    } else await observe(rel);
  }

  function forget(rel: string): void {
    const entry = pending.get(rel);
    if (entry) clearTimeout(entry.timer);
    pending.delete(rel);
    changed();
  }

  const watcher: FSWatcher = watch(o.root, {
    ignoreInitial: true,
    depth: o.includeSubfolders ? 99 : 0,
    ignored: (path: string) => {
      const rel = relOf(path);
      return rel !== '' && !isInput(rel);
    },
  });
  const onFile = (path: string) => {
    const rel = relOf(path);
    if (accepts(rel)) observe(rel).catch(failed);
  };
  watcher.on('add', onFile);
  watcher.on('change', onFile);
  watcher.on('unlink', (path: string) => forget(relOf(path)));
  watcher.on('error', (error: unknown) => o.error(error instanceof Error ? error : new Error(String(error))));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  return {
    ready,
    /** Every input file in the folder now (what a restart or a returning folder has to compare). */
    scan: () => scanFolder(o.root, o.includeSubfolders),
    observe: (rel: string): void => {
      observe(rel).catch(failed);
    },
    /** Nothing seen that is still waiting out its stability window (for whenIdle). */
    quiet,
    async close(): Promise<void> {
      closed = true;
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
      await watcher.close();
    },
  };
}

/** The input files under a folder now, without a watcher. */
export async function scanFolder(root: string, includeSubfolders: boolean): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const rel = dir ? join(dir, entry.name) : entry.name;
      if (!isInput(rel)) continue;
      if (entry.isFile()) found.push(rel);
      else if (entry.isDirectory() && includeSubfolders) await walk(rel);
    }
  };
  await walk('');
  return found;
}
