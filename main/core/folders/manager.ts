// Watched drop folders: each binding (binding.ts) ties a folder to a conversation; what lands there
// (stable, with a final name) is sent as a file message exactly once by a per-file job (job.ts), run
// from one upload queue with bounded concurrency (queue.ts). Every decision goes through the journal
// (journal.ts), so a restart or a crash at any point resumes without duplicates. This module holds the
// bindings: loading them, refusing overlapping folders, and the API the engine exposes.
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { ParleyError } from '../../../protocol/index.js';
import type { FolderEvents, FolderSentFile, MessageStatusChange, WatchedFolder, WatchFolderOptions } from '../types.js';
import { createBinding, type Binding, type BindingInit } from './binding.js';
import { createFileJobs, type FileJobDeps } from './job.js';
import type { Journal } from './journal.js';
import { createUploadQueue } from './queue.js';
import { scanFolder } from './watcher.js';

export interface FolderTuning {
  /** How long a file's size and mtime must stay put before it is sent (default 2,000 ms). */
  stabilityMs?: number;
  /** Files being sent at once, from all folders (default 4). */
  concurrency?: number;
  /** How often a folder is checked, and the first retry delay when it is missing (default 2,000 ms; doubles to 60 s). */
  recoverMs?: number;
}

export interface FolderDeps extends Pick<FileJobDeps, 'me' | 'sendFileAs' | 'resumeOutbox'> {
  journal: Journal;
  emit<K extends keyof FolderEvents>(event: K, payload: FolderEvents[K]): void;
  conversationExists(id: string): boolean;
  /** Why this folder may not be watched (the engine's own data, a folder incoming files are saved to), or null. */
  reserved(path: string, subfolders: boolean): string | null;
  log(message: string, detail?: unknown): void;
  tuning?: FolderTuning;
}

const DEFAULTS: Required<WatchFolderOptions> = { includeSubfolders: false, includeExisting: false, afterSend: 'move', resendChanged: false };

/** Is `inner` the folder `outer` or inside it? */
export function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export type Folders = ReturnType<typeof createFolders>;

export function createFolders(d: FolderDeps) {
  const bindings = new Map<string, Binding>();
  /** whenIdle() callers, told when the queue has drained and every binding is quiet. */
  const idleWaiters: Array<() => void> = [];
  let stopped = false;

  const idle = () => queue.idle() && [...bindings.values()].every((b) => b.quiet());
  const settled = () => {
    if (idleWaiters.length === 0 || !idle()) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const queue = createUploadQueue(d.tuning?.concurrency ?? 4, settled);
  const jobs = createFileJobs({
    journal: d.journal,
    me: d.me,
    sendFileAs: d.sendFileAs,
    resumeOutbox: d.resumeOutbox,
    sent: (file) => d.emit('folderFileSent', file),
  });
  const bindingDeps = {
    queue,
    jobs,
    journal: d.journal,
    status: (folder: WatchedFolder) => d.emit('folderStatus', folder),
    log: d.log,
    settled,
    stabilityMs: d.tuning?.stabilityMs ?? 2000,
    recoverMs: d.tuning?.recoverMs ?? 2000,
  };
  const add = (init: BindingInit): Binding => {
    const b = createBinding(init, bindingDeps);
    bindings.set(init.id, b);
    return b;
  };

  function checkOptions(opts: Required<WatchFolderOptions>): Required<WatchFolderOptions> {
    if (!['keep', 'move', 'delete'].includes(opts.afterSend)) throw new ParleyError('bad_request', "afterSend is 'keep', 'move' or 'delete'");
    for (const key of ['includeSubfolders', 'includeExisting', 'resendChanged'] as const) {
      if (typeof opts[key] !== 'boolean') throw new ParleyError('bad_request', `${key} is true or false`);
    }
    return opts;
  }

  /** One file, one binding: a folder may not be watched twice, nor sit inside one watched with its subfolders. */
  function checkOverlap(path: string, subfolders: boolean, self?: Binding): void {
    const reserved = d.reserved(path, subfolders);
    if (reserved) throw new ParleyError('conflict', reserved);
    for (const other of bindings.values()) {
      if (other === self) continue;
      if (other.path === path) throw new ParleyError('conflict', `${path} is watched already`);
      if (other.options.includeSubfolders && within(other.path, path)) throw new ParleyError('conflict', `${path} is inside ${other.path}, which is watched with its subfolders`);
      if (subfolders && within(path, other.path)) throw new ParleyError('conflict', `${other.path} is watched already and is inside ${path}`);
    }
  }

  function get(id: string): Binding {
    const b = bindings.get(id);
    if (!b) throw new ParleyError('not_found', `no watched folder ${id}`);
    return b;
  }

  return {
    /** Loads the saved bindings and starts watching them (the outbox copes while offline). */
    start(): void {
      for (const row of d.journal.bindings()) {
        add({ ...row, options: { ...DEFAULTS, ...(JSON.parse(row.options) as WatchFolderOptions) } }).start();
      }
    },

    async watch(folder: string, conversationId: string, options: WatchFolderOptions = {}): Promise<WatchedFolder> {
      if (typeof folder !== 'string' || !isAbsolute(folder)) throw new ParleyError('bad_request', 'the folder path must be absolute');
      const path = resolve(folder);
      if (!d.conversationExists(conversationId)) throw new ParleyError('not_found', `no conversation ${conversationId} on this device`);
      const opts = checkOptions({ ...DEFAULTS, ...options });
      const info = await stat(path).catch(() => null);
      if (!info?.isDirectory()) throw new ParleyError('bad_request', `${path} is not a folder`);
      checkOverlap(path, opts.includeSubfolders);
      // What is there now is not sent unless asked: journalled as skipped by path, size and mtime (no
      // hashing), in the binding's own transaction, so a crash cannot leave them to be sent at start.
      const existing: Array<{ rel: string; size: number; mtime: number }> = [];
      if (!opts.includeExisting) {
        for (const rel of await scanFolder(path, opts.includeSubfolders)) {
          const s = await stat(join(path, rel)).catch(() => null);
          if (s?.isFile()) existing.push({ rel, size: s.size, mtime: Math.trunc(s.mtimeMs) });
        }
      }
      checkOverlap(path, opts.includeSubfolders); // again: another binding may have been made meanwhile
      const id = randomUUID();
      d.journal.addBinding({ id, path, conversationId, options: JSON.stringify(opts), createdAt: Date.now() }, existing);
      const b = add({ id, path, conversationId, options: opts, paused: false });
      b.start();
      return b.view();
    },

    async unwatch(id: string): Promise<void> {
      const b = get(id);
      bindings.delete(id);
      await b.remove();
      d.journal.removeBinding(id);
    },

    async pause(id: string): Promise<WatchedFolder> {
      const b = get(id);
      await b.pause();
      return b.view();
    },

    /** Changes a binding's options (includeExisting only matters when it is made); the folder is looked at afresh. */
    async update(id: string, options: Omit<WatchFolderOptions, 'includeExisting'>): Promise<WatchedFolder> {
      const b = get(id);
      const opts = checkOptions({ ...b.options, ...options, includeExisting: b.options.includeExisting });
      checkOverlap(b.path, opts.includeSubfolders, b);
      await b.update(opts);
      return b.view();
    },

    /** The files this binding sent most recently, newest first. */
    recent(id: string, limit = 10): FolderSentFile[] {
      get(id);
      return d.journal.recent(id, limit).map((r) => ({ path: r.rel, size: r.size, messageId: r.messageId ?? '', sentAt: r.updatedAt }));
    },

    /** The binding whose files include this folder's, if any (incoming files must not be saved into one). */
    covering(path: string): WatchedFolder | null {
      for (const b of bindings.values()) {
        if (b.path === path || (b.options.includeSubfolders && within(b.path, path))) return b.view();
      }
      return null;
    },

    resume(id: string): WatchedFolder {
      const b = get(id);
      b.resume();
      return b.view();
    },

    list(): WatchedFolder[] {
      return [...bindings.values()].map((b) => b.view());
    },

    messageStatus: (change: MessageStatusChange) => jobs.messageStatus(change),

    /**
     * Resolves once no file is waiting out its stability window, queued, being sent or due for a retry,
     * and no folder is being scanned (a folder that is away counts as quiet): what a test awaits before
     * checking that nothing else was sent. At once after stop().
     */
    whenIdle(): Promise<void> {
      if (stopped || idle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    stop(): void {
      stopped = true;
      for (const b of bindings.values()) b.stop();
      queue.stop();
      jobs.stop();
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}
