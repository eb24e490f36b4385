// One file of a watched folder, from "stable" to done, exactly once across restarts and crashes:
// first the journal rows its path left unfinished, then the version on disk now (hashed; skipped when
// seen already, or kept and changed); sent under a clientId journalled before sendFile, so a crash
// after the message was stored finds it; then kept, moved into Sent or deleted. Every step is in the
// journal before the next one starts.
import { mkdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha256File } from '../files/checksum.js';
import { saveUnique } from '../files/file-name.js';
import type { FolderFileSent, MessageStatusChange, WatchFolderOptions } from '../types.js';
import type { Journal, JournalRow } from './journal.js';
import { SENT_DIR } from './names.js';
import { clientIdOf, newClientId, writtenId } from '../messages/id.js';

/** The folder a job works for, read when it runs: its options may change between jobs. */
export interface JobFolder {
  readonly id: string;
  readonly path: string;
  readonly conversationId: string;
  readonly options: Required<WatchFolderOptions>;
  /** A version of `rel` is done: the error it left on the folder, if any, no longer stands. */
  cleared(rel: string): void;
}

/**
 * done: the file is dealt with (sent, or not to be sent); changing: it changed while hashed, watch it
 * again; left: nothing decided (the engine stopped, or there is no file), a retry due stays due;
 * { error }: try again later.
 */
export type JobResult = 'done' | 'changing' | 'left' | { error: string };

export interface FileJobDeps {
  journal: Pick<Journal, 'rowsFor' | 'insert' | 'save' | 'byClientId' | 'messageState'>;
  me(): string;
  /** sendFile with a clientId chosen (and journalled) by the caller. */
  sendFileAs(conversationId: string, path: string, clientId: string): Promise<void>;
  /** A message still in the outbox: clear its failure and start its upload if it is not done. */
  resumeOutbox(clientId: string): void;
  sent(file: FolderFileSent): void;
}

type Outcome = { ok: true } | { ok: false; error: string };

export type FileJobs = ReturnType<typeof createFileJobs>;

export function createFileJobs(d: FileJobDeps) {
  /** Jobs waiting for the server to take their message, by clientId. */
  const waiting = new Map<string, (outcome: Outcome) => void>();
  let stopped = false;

  async function run(f: JobFolder, rel: string): Promise<JobResult> {
    // First whatever the journal left unfinished for this path (a restart, a crash, a failure).
    for (const row of d.journal.rowsFor(f.id, rel)) {
      if (row.state !== 'queued' && row.state !== 'uploading' && row.state !== 'sent') continue;
      const outcome = await finish(f, row);
      if (stopped) return 'left';
      if (!outcome.ok) return { error: outcome.error };
    }
    const abs = join(f.path, rel);
    const info = await stat(abs).catch(() => null);
    if (stopped || !info?.isFile()) return 'left';
    const size = info.size;
    const mtime = Math.trunc(info.mtimeMs);
    const rows = d.journal.rowsFor(f.id, rel);
    // This very version was seen already (sent, skipped, or sent and kept): nothing to hash.
    if (rows.some((r) => r.size === size && r.mtime === mtime && r.state !== 'gone')) return 'done';
    const sha256 = await sha256File(abs, size, new AbortController().signal);
    if (stopped) return 'left';
    const again = await stat(abs).catch(() => null);
    if (!again || again.size !== size || Math.trunc(again.mtimeMs) !== mtime) return 'changing';
    const sentBefore = rows.filter((r) => r.state === 'sent' || r.state === 'done');
    // A file kept in place after sending: touched (same content) is not new; modified is, with resendChanged.
    const unchanged = sentBefore.some((r) => r.sha256 === sha256);
    const keptAndChanged = f.options.afterSend === 'keep' && sentBefore.length > 0 && !f.options.resendChanged;
    if ((f.options.afterSend === 'keep' && unchanged) || keptAndChanged) {
      d.journal.insert(f.id, rel, { size, mtime, sha256 }, 'skipped');
      return 'done';
    }
    const row = d.journal.insert(f.id, rel, { size, mtime, sha256 }, 'queued');
    if (!row) return 'left'; // journalled meanwhile (cannot happen while jobs for one path never overlap)
    const outcome = await finish(f, row);
    if (stopped) return 'left';
    return outcome.ok ? 'done' : { error: outcome.error };
  }

  /** Takes one journal row to done: send (or find it sent), then the afterSend step. */
  async function finish(f: JobFolder, row: JournalRow): Promise<Outcome> {
    const abs = join(f.path, row.rel);
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
          row.clientId = newClientId();
          row.state = 'uploading';
          d.journal.save(row); // before sendFile: a crash after it stored the message finds it by this id
        }
        const clientId = row.clientId;
        const acked = new Promise<Outcome>((resolve) => waiting.set(clientId, resolve));
        try {
          if (where.where === 'outbox') d.resumeOutbox(clientId);
          else await d.sendFileAs(f.conversationId, abs, clientId);
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
        const movedTo = await afterSend(f, row);
        row.state = 'done';
        row.error = null;
        d.journal.save(row);
        d.sent({ folderId: f.id, conversationId: f.conversationId, path: row.rel, size: row.size, messageId: row.messageId!, sentAt: Date.now(), movedTo });
        f.cleared(row.rel);
      } catch (error) {
        return { ok: false, error: `sent, but ${f.options.afterSend === 'move' ? 'moving' : 'deleting'} it failed: ${error instanceof Error ? error.message : String(error)}` };
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

  return {
    run,

    /** The engine's messageStatus: acks and failures of the messages folders sent. */
    messageStatus(change: MessageStatusChange): void {
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
    },

    /** Jobs waiting for an ack end without one; the journal resumes them at the next start. */
    stop(): void {
      stopped = true;
      for (const resolve of waiting.values()) resolve({ ok: true });
      waiting.clear();
    },
  };
}

async function matches(abs: string, row: JournalRow): Promise<boolean> {
  const info = await stat(abs).catch(() => null);
  return !!info?.isFile() && info.size === row.size && Math.trunc(info.mtimeMs) === row.mtime;
}

/** keep, move into Sent (never over a file there), or delete; a file no longer that version is left alone. */
async function afterSend(f: JobFolder, row: JournalRow): Promise<string | null> {
  const abs = join(f.path, row.rel);
  if (f.options.afterSend === 'keep') return abs;
  if (!(await matches(abs, row))) return null; // moved or deleted already (a crash after it), or replaced
  if (f.options.afterSend === 'delete') {
    await unlink(abs);
    return null;
  }
  // Sent is made without recursion: a folder removed meanwhile is not brought back by its own Sent.
  const sent = join(f.path, SENT_DIR);
  await mkdir(sent).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const target = join(sent, dirname(row.rel));
  await mkdir(target, { recursive: true });
  return saveUnique(abs, target, basename(row.rel));
}
