// One watched folder at run time: its watcher, its status ('sending N of M' coalesced), the files it
// has queued, running or due for a retry (jobs for one file never overlap: a later event re-runs it),
// pause/resume and new options, and recovery: a folder that goes away shows an error, its watcher is
// closed, and it is looked for again with backoff.
import { access, constants, stat } from 'node:fs/promises';
import type { FolderStatus, WatchedFolder, WatchFolderOptions } from '../types.js';
import type { FileJobs, JobFolder, JobResult } from './job.js';
import type { Journal } from './journal.js';
import type { UploadQueue } from './queue.js';
import { createFolderWatcher, type FolderWatcher } from './watcher.js';

const MAX_BACKOFF_MS = 60_000;
/** 'sending N of M' goes out at most this often per binding: a burst of 1,000 files is not 2,000 events. */
const PROGRESS_EVERY_MS = 250;

export interface BindingInit {
  id: string;
  path: string;
  conversationId: string;
  options: Required<WatchFolderOptions>;
  paused: boolean;
}

export interface BindingDeps {
  queue: UploadQueue;
  jobs: Pick<FileJobs, 'run'>;
  journal: Pick<Journal, 'open' | 'setPaused' | 'setOptions'>;
  status(folder: WatchedFolder): void;
  log(message: string): void;
  /** This binding may have become quiet (for whenIdle). */
  settled(): void;
  stabilityMs: number;
  recoverMs: number;
}

/** timer is null once the retry has been queued; the delay stays so that a next failure doubles it. */
interface Retry {
  timer: NodeJS.Timeout | null;
  delay: number;
}

export type Binding = ReturnType<typeof createBinding>;

export function createBinding(init: BindingInit, d: BindingDeps) {
  const { id, path, conversationId } = init;
  let options = init.options;
  let paused = init.paused;
  let status: FolderStatus = paused ? { state: 'paused' } : { state: 'watching' };
  let lastError: string | null = null;
  let watcher: FolderWatcher | null = null;
  /** The folder check while watching, or the reopen after an error. */
  let health: NodeJS.Timeout | null = null;
  let backoff = 0;
  /** Bumped by every open and close: an open that finds it moved on was overtaken. */
  let generation = 0;
  /** The generation whose open has not finished (it is still scanning the folder). */
  let opening = -1;
  const queued = new Set<string>();
  const running = new Set<string>();
  const again = new Set<string>();
  const retries = new Map<string, Retry>();
  let batch = { sent: 0, total: 0 };
  let lastProgress = 0;
  let progressTimer: NodeJS.Timeout | null = null;
  let removed = false;
  let stopped = false;
  const retired = () => stopped || removed;

  const view = (): WatchedFolder => ({ id, path, conversationId, options: { ...options }, status, lastError });

  const folder: JobFolder = {
    id,
    path,
    conversationId,
    get options() {
      return options;
    },
    cleared(rel) {
      if (lastError?.startsWith(`${rel}: `)) lastError = null;
    },
  };

  function setStatus(next: FolderStatus): void {
    const wasSending = status.state === 'sending';
    status = next;
    if (stopped) return;
    if (progressTimer) clearTimeout(progressTimer);
    progressTimer = null;
    const wait = lastProgress + PROGRESS_EVERY_MS - Date.now();
    if (next.state === 'sending' && wasSending && wait > 0) {
      // Coalesced: the latest counts go out when the interval is up.
      progressTimer = setTimeout(() => {
        progressTimer = null;
        lastProgress = Date.now();
        if (!stopped) d.status(view());
      }, wait);
      return;
    }
    lastProgress = Date.now();
    d.status(view());
  }

  function progress(): void {
    if (paused || status.state === 'error') return;
    if (queued.size + running.size === 0) {
      batch = { sent: 0, total: 0 };
      if (status.state !== 'watching') setStatus({ state: 'watching' });
    } else setStatus({ state: 'sending', sent: batch.sent, total: batch.total });
  }

  function enqueue(rel: string): void {
    if (retired() || paused) return;
    if (running.has(rel)) return void again.add(rel);
    if (queued.has(rel)) return;
    queued.add(rel);
    batch.total++;
    progress();
    d.queue.push(() => start(rel));
  }

  /** The queue's slot came up for this file. */
  function start(rel: string): Promise<void> | null {
    queued.delete(rel);
    if (paused || removed) return null;
    running.add(rel);
    return d.jobs
      .run(folder, rel)
      .then(
        (result) => settle(rel, result),
        (error: unknown) => fail(rel, error instanceof Error ? error.message : String(error)),
      )
      .finally(() => {
        running.delete(rel);
        batch.sent++;
        if (again.delete(rel)) enqueue(rel);
        progress();
      });
  }

  function settle(rel: string, result: JobResult): void {
    if (result === 'done') clearRetry(rel);
    else if (result === 'changing') watcher?.observe(rel);
    else if (result !== 'left') fail(rel, result.error);
  }

  /** An upload or a file operation failed: the file stays, the binding says why, and the job runs again later. */
  function fail(rel: string, error: string): void {
    if (retired()) return;
    d.log(`watched folder ${path}: ${rel}: ${error}`);
    lastError = `${rel}: ${error}`;
    const before = retries.get(rel);
    const delay = Math.min(MAX_BACKOFF_MS, before ? before.delay * 2 : d.recoverMs);
    if (before?.timer) clearTimeout(before.timer);
    const retry: Retry = { delay, timer: null };
    retry.timer = setTimeout(() => {
      retry.timer = null;
      enqueue(rel);
    }, delay);
    retries.set(rel, retry);
  }

  function clearRetry(rel: string): void {
    const retry = retries.get(rel);
    if (retry?.timer) clearTimeout(retry.timer);
    retries.delete(rel);
  }

  async function open(): Promise<void> {
    const current = ++generation;
    opening = current;
    try {
      const problem = await folderProblem(path);
      if (retired() || paused || current !== generation) return;
      if (problem) return broken(problem);
      backoff = 0;
      const opened = createFolderWatcher({
        root: path,
        includeSubfolders: options.includeSubfolders,
        stabilityMs: d.stabilityMs,
        stable: (rel) => enqueue(rel),
        settled: d.settled,
        error: (error) => checkSoon(error.message),
      });
      watcher = opened;
      setStatus({ state: 'watching' });
      await opened.ready;
      if (watcher !== opened) return;
      // Unfinished journal rows first, then whatever is in the folder now (files added while closed or while it was away).
      for (const row of d.journal.open(id)) enqueue(row.rel);
      try {
        for (const rel of await opened.scan()) if (watcher === opened) opened.observe(rel);
      } catch (error) {
        return await check(error instanceof Error ? error.message : String(error));
      }
      // Paused, closed or reopened during the scan: the health check belongs to whoever is current.
      if (watcher !== opened) return;
      health = setInterval(() => checkSoon(), d.recoverMs);
      progress();
    } finally {
      if (opening === current) opening = -1;
      d.settled();
    }
  }

  /** Is the folder still there and readable? If not: error status, watcher closed, retried with backoff. */
  async function check(hint?: string): Promise<void> {
    const problem = await folderProblem(path);
    if (retired() || paused || status.state === 'error') return;
    if (problem) broken(problem);
    else if (hint) d.log(`watched folder ${path}: ${hint}`);
  }

  // open/check/close started without waiting. An unexpected throw in open() takes the missing-folder
  // path (error status, retried with backoff); one in check/close is logged. Never an unhandled rejection.
  function openSoon(): void {
    open().catch((error: unknown) => {
      d.log(`watched folder ${path}: could not open it: ${String(error)}`);
      if (!retired() && !paused) broken(error instanceof Error ? error.message : String(error));
    });
  }
  function checkSoon(hint?: string): void {
    check(hint).catch((error: unknown) => d.log(`watched folder ${path}: could not check it: ${String(error)}`));
  }
  function closeSoon(): void {
    close().catch((error: unknown) => d.log(`watched folder ${path}: could not close it: ${String(error)}`));
  }

  function broken(reason: string): void {
    closeSoon();
    backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : d.recoverMs);
    setStatus({ state: 'error', reason, nextRetryAt: Date.now() + backoff });
    health = setTimeout(() => {
      health = null;
      openSoon();
    }, backoff);
  }

  async function close(): Promise<void> {
    generation++;
    if (health) clearTimeout(health);
    health = null;
    if (progressTimer) clearTimeout(progressTimer);
    progressTimer = null;
    for (const retry of retries.values()) if (retry.timer) clearTimeout(retry.timer);
    retries.clear();
    const closing = watcher;
    watcher = null;
    d.settled();
    await closing?.close().catch(() => {});
  }

  /** Closed, the counts start again, and (unless paused) the folder is looked at afresh. */
  async function reopen(next: FolderStatus): Promise<void> {
    await close();
    batch = { sent: 0, total: 0 };
    setStatus(next);
    if (!paused) openSoon();
  }

  return {
    path,
    get options(): Required<WatchFolderOptions> {
      return options;
    },
    view,

    /** Starts watching, unless the binding was saved paused. */
    start(): void {
      if (!paused) openSoon();
    },

    async pause(): Promise<void> {
      paused = true;
      d.journal.setPaused(id, true);
      await reopen({ state: 'paused' });
    },

    resume(): void {
      if (!paused) return;
      paused = false;
      d.journal.setPaused(id, false);
      setStatus({ state: 'watching' });
      openSoon();
    },

    /** New options (checked by the caller); the folder is looked at afresh with them. */
    async update(next: Required<WatchFolderOptions>): Promise<void> {
      d.journal.setOptions(id, JSON.stringify(next));
      options = next;
      if (!paused) await reopen({ state: 'watching' });
    },

    /** Unwatched: no new jobs; one running finishes its file. */
    async remove(): Promise<void> {
      removed = true;
      await close();
    },

    /** The engine stops: no more jobs, no more events. */
    stop(): void {
      stopped = true;
      closeSoon();
    },

    /** Nothing waiting out its stability window, due for a retry, or being scanned; queued and running files are the queue's. */
    quiet(): boolean {
      if (opening === generation || (watcher && !watcher.quiet())) return false;
      for (const retry of retries.values()) if (retry.timer) return false;
      return true;
    },
  };
}

async function folderProblem(path: string): Promise<string | null> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return `${path} is not a folder any more`;
    await access(path, constants.R_OK | constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${path} is gone (removed, renamed, or its drive is away)`;
    if (code === 'EACCES' || code === 'EPERM') return `${path} cannot be read: permission denied`;
    return `${path} cannot be used: ${(error as Error).message}`;
  }
}
