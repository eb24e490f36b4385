// Watched drop folders: each binding ties a folder to a conversation; what lands there (stable, with
// a final name) is sent as a file message exactly once. A FIFO of per-file jobs runs with bounded
// concurrency; jobs for one file never overlap (a later event re-runs it). Every decision goes
// through the journal (journal.ts), so a restart or a crash at any point resumes without duplicates.
import { randomUUID } from 'node:crypto';
import { access, constants, mkdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { ParleyError } from '../../../protocol/index.js';
import { sha256File } from '../files/checksum.js';
import { saveUnique } from '../files/file-name.js';
import { clientIdOf, writtenId } from '../messages/id.js';
import type { FolderEvents, FolderSentFile, FolderStatus, MessageStatusChange, WatchedFolder, WatchFolderOptions } from '../types.js';
import type { Journal, JournalRow } from './journal.js';
import { SENT_DIR } from './names.js';
import { createFolderWatcher, scanFolder } from './watcher.js';

export interface FolderTuning {
  /** How long a file's size and mtime must stay put before it is sent (default 2,000 ms). */
  stabilityMs?: number;
  /** Files being sent at once, from all folders (default 4). */
  concurrency?: number;
  /** How often a folder is checked, and the first retry delay when it is missing (default 2,000 ms; doubles to 60 s). */
  recoverMs?: number;
}

export interface FolderDeps {
  journal: Journal;
  emit<K extends keyof FolderEvents>(event: K, payload: FolderEvents[K]): void;
  me(): string;
  conversationExists(id: string): boolean;
  /** sendFile with a clientId chosen (and journalled) by the caller. */
  sendFileAs(conversationId: string, path: string, clientId: string): Promise<void>;
  /** A message still in the outbox: clear its failure and start its upload if it is not done. */
  resumeOutbox(clientId: string): void;
  /** Why this folder may not be watched (the engine's own data, a folder incoming files are saved to), or null. */
  reserved(path: string, subfolders: boolean): string | null;
  log(message: string, detail?: unknown): void;
  tuning?: FolderTuning;
}

const DEFAULTS: Required<WatchFolderOptions> = { includeSubfolders: false, includeExisting: false, afterSend: 'move', resendChanged: false };
const MAX_BACKOFF_MS = 60_000;
/** 'sending N of M' goes out at most this often per binding: a burst of 1,000 files is not 2,000 events. */
const PROGRESS_EVERY_MS = 250;

/** Is `inner` the folder `outer` or inside it? */
export function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

interface Binding {
  id: string;
  path: string;
  conversationId: string;
  options: Required<WatchFolderOptions>;
  paused: boolean;
  status: FolderStatus;
  lastError: string | null;
  watcher: ReturnType<typeof createFolderWatcher> | null;
  health: NodeJS.Timeout | null;
  backoff: number;
  queued: Set<string>;
  running: Set<string>;
  again: Set<string>;
  retries: Map<string, { timer: NodeJS.Timeout; delay: number }>;
  batch: { sent: number; total: number };
  generation: number;
  lastProgress: number;
  progressTimer: NodeJS.Timeout | null;
}

type Outcome = { ok: true } | { ok: false; error: string };

export type Folders = ReturnType<typeof createFolders>;

export function createFolders(d: FolderDeps) {
  const stabilityMs = d.tuning?.stabilityMs ?? 2000;
  const concurrency = d.tuning?.concurrency ?? 4;
  const recoverMs = d.tuning?.recoverMs ?? 2000;
  const bindings = new Map<string, Binding>();
  const queue: Array<{ b: Binding; rel: string }> = [];
  const waiting = new Map<string, (outcome: Outcome) => void>();
  let workers = 0;
  let stopped = false;

  const view = (b: Binding): WatchedFolder => ({ id: b.id, path: b.path, conversationId: b.conversationId, options: { ...b.options }, status: b.status, lastError: b.lastError });
  const setStatus = (b: Binding, status: FolderStatus) => {
    const wasSending = b.status.state === 'sending';
    b.status = status;
    if (stopped) return;
    if (b.progressTimer) clearTimeout(b.progressTimer);
    b.progressTimer = null;
    const wait = b.lastProgress + PROGRESS_EVERY_MS - Date.now();
    if (status.state === 'sending' && wasSending && wait > 0) {
      // Coalesced: the latest counts go out when the interval is up.
      b.progressTimer = setTimeout(() => {
        b.progressTimer = null;
        b.lastProgress = Date.now();
        if (!stopped) d.emit('folderStatus', view(b));
      }, wait);
      return;
    }
    b.lastProgress = Date.now();
    d.emit('folderStatus', view(b));
  };
  const progress = (b: Binding) => {
    if (b.paused || b.status.state === 'error') return;
    const busy = b.queued.size + b.running.size;
    if (busy === 0) {
      b.batch = { sent: 0, total: 0 };
      if (b.status.state !== 'watching') setStatus(b, { state: 'watching' });
    } else setStatus(b, { state: 'sending', sent: b.batch.sent, total: b.batch.total });
  };

  // ---- the queue ----

  function enqueue(b: Binding, rel: string): void {
    if (stopped || b.paused || !bindings.has(b.id)) return;
    if (b.running.has(rel)) return void b.again.add(rel);
    if (b.queued.has(rel)) return;
    b.queued.add(rel);
    b.batch.total++;
    queue.push({ b, rel });
    progress(b);
    pump();
  }

  function pump(): void {
    while (!stopped && workers < concurrency && queue.length > 0) {
      const { b, rel } = queue.shift()!;
      b.queued.delete(rel);
      if (b.paused || !bindings.has(b.id)) continue;
      b.running.add(rel);
      workers++;
      void job(b, rel)
        .catch((error: unknown) => fail(b, rel, error instanceof Error ? error.message : String(error)))
        .finally(() => {
          workers--;
          b.running.delete(rel);
          b.batch.sent++;
          if (b.again.delete(rel)) enqueue(b, rel);
          progress(b);
          pump();
        });
    }
  }

  /** An upload or a file operation failed: the file stays, the binding says why, and the job runs again later. */
  function fail(b: Binding, rel: string, error: string): void {
    if (stopped || !bindings.has(b.id)) return;
    d.log(`watched folder ${b.path}: ${rel}: ${error}`);
    b.lastError = `${rel}: ${error}`;
    const before = b.retries.get(rel);
    const delay = Math.min(MAX_BACKOFF_MS, before ? before.delay * 2 : recoverMs);
    if (before) clearTimeout(before.timer);
    b.retries.set(rel, {
      delay,
      timer: setTimeout(() => enqueue(b, rel), delay),
    });
  }

  // ---- one file ----

  async function job(b: Binding, rel: string): Promise<void> {
    // First whatever the journal left unfinished for this path (a restart, a crash, a failure).
    for (const row of d.journal.rowsFor(b.id, rel)) {
      if (row.state !== 'queued' && row.state !== 'uploading' && row.state !== 'sent') continue;
      const outcome = await finish(b, row);
      if (stopped) return;
      if (!outcome.ok) return fail(b, rel, outcome.error);
    }
    const abs = join(b.path, rel);
    const info = await stat(abs).catch(() => null);
    if (stopped || !info?.isFile()) return;
    const size = info.size;
    const mtime = Math.trunc(info.mtimeMs);
    const rows = d.journal.rowsFor(b.id, rel);
    // This very version was seen already (sent, skipped, or sent and kept): nothing to hash.
    if (rows.some((r) => r.size === size && r.mtime === mtime && r.state !== 'gone')) return clearRetry(b, rel);
    const sha256 = await sha256File(abs, size, new AbortController().signal);
    if (stopped) return;
    const again = await stat(abs).catch(() => null);
    if (!again || again.size !== size || Math.trunc(again.mtimeMs) !== mtime) return void b.watcher?.observe(rel); // still changing
    const sentBefore = rows.filter((r) => r.state === 'sent' || r.state === 'done');
    // A file kept in place after sending: touched (same content) is not new; modified is, with resendChanged.
    const unchanged = sentBefore.some((r) => r.sha256 === sha256);
    const keptAndChanged = b.options.afterSend === 'keep' && sentBefore.length > 0 && !b.options.resendChanged;
    if ((b.options.afterSend === 'keep' && unchanged) || keptAndChanged) {
      d.journal.insert(b.id, rel, { size, mtime, sha256 }, 'skipped');
      return clearRetry(b, rel);
    }
    const row = d.journal.insert(b.id, rel, { size, mtime, sha256 }, 'queued');
    if (!row) return; // journalled meanwhile (cannot happen while jobs for one path never overlap)
    const outcome = await finish(b, row);
    if (stopped) return;
    if (!outcome.ok) return fail(b, rel, outcome.error);
    clearRetry(b, rel);
  }

  function clearRetry(b: Binding, rel: string): void {
    const retry = b.retries.get(rel);
    if (retry) clearTimeout(retry.timer);
    b.retries.delete(rel);
  }

  /** Takes one journal row to done: send (or find it sent), then the afterSend step. */
  async function finish(b: Binding, row: JournalRow): Promise<Outcome> {
    const abs = join(b.path, row.rel);
    if (row.state === 'queued' || row.state === 'uploading') {
      const where = row.clientId ? d.journal.messageState(row.clientId) : { where: 'none' as const };
      if (where.where === 'sent') {
        markSent(row, writtenId(d.me(), row.clientId!));
      } else {
        // Never stored as a message, or stored and failed (an upload of a file that then changed cannot
        // succeed), and the file is not that version any more: the new version is its own row. A failed
        // message stays failed, as a sendFile of a file that changed does.
        const stale = where.where === 'none' || (where.where === 'outbox' && where.error !== null);
        if (stale && !(await matches(abs, row))) {
          row.state = 'gone';
          d.journal.save(row);
          return { ok: true };
        }
        if (!row.clientId) {
          row.clientId = randomUUID();
          row.state = 'uploading';
          d.journal.save(row); // before sendFile: a crash after it stored the message finds it by this id
        }
        const clientId = row.clientId;
        const acked = new Promise<Outcome>((resolve) => waiting.set(clientId, resolve));
        try {
          if (where.where === 'outbox') d.resumeOutbox(clientId);
          else await d.sendFileAs(b.conversationId, abs, clientId);
        } catch (error) {
          waiting.delete(clientId);
          return { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
        // An ack may have landed before we listened (a resumed message sent while we looked).
        if (d.journal.messageState(clientId).where === 'sent') {
          waiting.delete(clientId);
          markSent(row, writtenId(d.me(), clientId));
        } else {
          const outcome = await acked;
          if (stopped) return { ok: true };
          if (!outcome.ok) {
            row.error = outcome.error;
            d.journal.save(row);
            return outcome;
          }
          Object.assign(row, d.journal.byClientId(clientId));
        }
      }
    }
    if (row.state === 'sent') {
      try {
        const movedTo = await afterSend(b, row);
        row.state = 'done';
        row.error = null;
        d.journal.save(row);
        d.emit('folderFileSent', { folderId: b.id, conversationId: b.conversationId, path: row.rel, size: row.size, messageId: row.messageId!, sentAt: Date.now(), movedTo });
        if (b.lastError?.startsWith(`${row.rel}: `)) b.lastError = null;
      } catch (error) {
        return { ok: false, error: `sent, but ${b.options.afterSend === 'move' ? 'moving' : 'deleting'} it failed: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    return { ok: true };
  }

  function markSent(row: JournalRow, messageId: string): void {
    if (row.state !== 'queued' && row.state !== 'uploading') return;
    row.state = 'sent';
    row.messageId = messageId;
    row.error = null;
    d.journal.save(row);
  }

  async function matches(abs: string, row: JournalRow): Promise<boolean> {
    const info = await stat(abs).catch(() => null);
    return !!info?.isFile() && info.size === row.size && Math.trunc(info.mtimeMs) === row.mtime;
  }

  /** keep, move into Sent (never over a file there), or delete; a file no longer that version is left alone. */
  async function afterSend(b: Binding, row: JournalRow): Promise<string | null> {
    const abs = join(b.path, row.rel);
    if (b.options.afterSend === 'keep') return abs;
    if (!(await matches(abs, row))) return null; // moved or deleted already (a crash after it), or replaced
    if (b.options.afterSend === 'delete') {
      await unlink(abs);
      return null;
    }
    // Sent is made without recursion: a folder removed meanwhile is not brought back by its own Sent.
    const sent = join(b.path, SENT_DIR);
    await mkdir(sent).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const target = join(sent, dirname(row.rel));
    await mkdir(target, { recursive: true });
    return saveUnique(abs, target, basename(row.rel));
  }

  /** The engine's messageStatus: acks and failures of the messages folders sent. */
  function messageStatus(change: MessageStatusChange): void {
    const clientId = clientIdOf(change.id);
    if (stopped || change.status === 'sending' || clientId === null) return;
    const resolve = waiting.get(clientId);
    if (change.status === 'failed') {
      if (!resolve) return;
      waiting.delete(clientId);
      return resolve({ ok: false, error: change.error ?? 'the message failed' });
    }
    const row = d.journal.byClientId(clientId);
    if (!row) return;
    markSent(row, change.id);
    if (resolve) {
      waiting.delete(clientId);
      resolve({ ok: true });
    }
  }

  // ---- a binding's folder ----

  async function open(b: Binding): Promise<void> {
    const generation = ++b.generation;
    const problem = await folderProblem(b.path);
    if (stopped || b.paused || generation !== b.generation || !bindings.has(b.id)) return;
    if (problem) return broken(b, problem);
    b.backoff = 0;
    const watcher = createFolderWatcher({
      root: b.path,
      includeSubfolders: b.options.includeSubfolders,
      stabilityMs,
      stable: (rel) => enqueue(b, rel),
      error: (error) => void check(b, error.message),
    });
    b.watcher = watcher;
    setStatus(b, { state: 'watching' });
    await watcher.ready;
    if (b.watcher !== watcher) return;
    // Unfinished journal rows first, then whatever is in the folder now (files added while closed or while it was away).
    for (const row of d.journal.open(b.id)) enqueue(b, row.rel);
    try {
      for (const rel of await watcher.scan()) if (b.watcher === watcher) watcher.observe(rel);
    } catch (error) {
      return void check(b, error instanceof Error ? error.message : String(error));
    }
    b.health = setInterval(() => void check(b), recoverMs);
    progress(b);
  }

  /** Is the folder still there and readable? If not: error status, watcher closed, retried with backoff. */
  async function check(b: Binding, hint?: string): Promise<void> {
    const problem = (await folderProblem(b.path)) ?? null;
    if (stopped || b.paused || !bindings.has(b.id) || b.status.state === 'error') return;
    if (problem) broken(b, problem);
    else if (hint) d.log(`watched folder ${b.path}: ${hint}`);
  }

  function broken(b: Binding, reason: string): void {
    void close(b);
    b.backoff = Math.min(MAX_BACKOFF_MS, b.backoff ? b.backoff * 2 : recoverMs);
    const nextRetryAt = Date.now() + b.backoff;
    setStatus(b, { state: 'error', reason, nextRetryAt });
    b.health = setTimeout(() => {
      b.health = null;
      void open(b);
    }, b.backoff);
  }

  async function close(b: Binding): Promise<void> {
    b.generation++;
    if (b.health) clearTimeout(b.health);
    b.health = null;
    if (b.progressTimer) clearTimeout(b.progressTimer);
    b.progressTimer = null;
    for (const retry of b.retries.values()) clearTimeout(retry.timer);
    b.retries.clear();
    const watcher = b.watcher;
    b.watcher = null;
    await watcher?.close().catch(() => {});
  }

  function make(row: { id: string; path: string; conversationId: string; options: Required<WatchFolderOptions>; paused: boolean }): Binding {
    return {
      ...row,
      status: row.paused ? { state: 'paused' } : { state: 'watching' },
      lastError: null,
      watcher: null,
      health: null,
      backoff: 0,
      queued: new Set(),
      running: new Set(),
      again: new Set(),
      retries: new Map(),
      batch: { sent: 0, total: 0 },
      generation: 0,
      lastProgress: 0,
      progressTimer: null,
    };
  }

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
        const b = make({ ...row, options: { ...DEFAULTS, ...(JSON.parse(row.options) as WatchFolderOptions) } });
        bindings.set(b.id, b);
        if (!b.paused) void open(b);
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
      const b = make({ id: randomUUID(), path, conversationId, options: opts, paused: false });
      d.journal.addBinding({ id: b.id, path, conversationId, options: JSON.stringify(opts), createdAt: Date.now() }, existing);
      bindings.set(b.id, b);
      void open(b);
      return view(b);
    },

    async unwatch(id: string): Promise<void> {
      const b = get(id);
      bindings.delete(id);
      await close(b);
      d.journal.removeBinding(id);
    },

    async pause(id: string): Promise<WatchedFolder> {
      const b = get(id);
      b.paused = true;
      d.journal.setPaused(id, true);
      await close(b);
      b.batch = { sent: 0, total: 0 };
      setStatus(b, { state: 'paused' });
      return view(b);
    },

    /** Changes a binding's options (includeExisting only matters when it is made); the folder is looked at afresh. */
    async update(id: string, options: Omit<WatchFolderOptions, 'includeExisting'>): Promise<WatchedFolder> {
      const b = get(id);
      const opts = checkOptions({ ...b.options, ...options, includeExisting: b.options.includeExisting });
      checkOverlap(b.path, opts.includeSubfolders, b);
      d.journal.setOptions(id, JSON.stringify(opts));
      b.options = opts;
      if (b.paused) return view(b);
      await close(b);
      b.batch = { sent: 0, total: 0 };
      setStatus(b, { state: 'watching' });
      void open(b);
      return view(b);
    },

    /** The files this binding sent most recently, newest first. */
    recent(id: string, limit = 10): FolderSentFile[] {
      get(id);
      return d.journal.recent(id, limit).map((r) => ({ path: r.rel, size: r.size, messageId: r.messageId ?? '', sentAt: r.updatedAt }));
    },

    /** The binding whose files include this folder's, if any (incoming files must not be saved into one). */
    covering(path: string): WatchedFolder | null {
      for (const b of bindings.values()) {
        if (b.path === path || (b.options.includeSubfolders && within(b.path, path))) return view(b);
      }
      return null;
    },

    resume(id: string): WatchedFolder {
      const b = get(id);
      if (!b.paused) return view(b);
      b.paused = false;
      d.journal.setPaused(id, false);
      setStatus(b, { state: 'watching' });
      void open(b);
      return view(b);
    },

    list(): WatchedFolder[] {
      return [...bindings.values()].map(view);
    },

    messageStatus,

    stop(): void {
      stopped = true;
      for (const b of bindings.values()) void close(b);
      queue.length = 0;
      for (const resolve of waiting.values()) resolve({ ok: true });
      waiting.clear();
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
