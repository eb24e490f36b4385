// Group commit: every write that arrives within one turn of the event loop commits in one
// transaction, and each caller's promise settles only after that commit. A commit costs the same
// for one message as for a hundred (the WAL frames of the pages it touched, once), so under load
// the cost per message falls while the guarantee stays: an ack is only ever sent for a write that
// is on disk.
//
// Each write runs in its own savepoint: one that throws (a refusal, a constraint) is rolled back
// alone and its caller gets its error; the rest of the batch goes on. If the commit itself fails, or
// an error ends the whole transaction (SQLite rolls it all back on a full disk, an I/O error, out of
// memory), nothing of the batch is stored and every caller in it gets that error.
//
// "Committed" is what survives the process dying (WAL with synchronous=NORMAL); an OS crash or power
// cut may lose the last commits before a checkpoint.
import type { Db } from '../../../common/node/sqlite.js';
import { ParleyError } from '../../../protocol/index.js';

export interface WriteQueue {
  run<T>(write: () => T): Promise<T>;
  /** Commits what is waiting now; the queue still takes writes after. */
  flush(): void;
  /** Calls back after a batch failed to commit, before its callers hear: caches built on it forget. */
  onRollback(fn: (error: unknown) => void): void;
}

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** Writes one transaction holds at most: a longer batch would hold every caller's ack back. */
export const MAX_BATCH = 512;
/**
 * Writes waiting at most (about a second of the most this server commits): past it the disk cannot
 * keep up, and a new write is refused as busy (devices retry later) rather than queued without end.
 */
export const MAX_WAITING = 20_000;

export function createWriteQueue(db: Db): WriteQueue {
  const waiting: Pending[] = [];
  let scheduled: NodeJS.Immediate | null = null;
  const rollbackListeners: Array<(error: unknown) => void> = [];

  // Nested in commitBatch's transaction, better-sqlite3 runs this one as a savepoint.
  const isolated = db.transaction((write: Pending['write']) => write());
  const commitBatch = db.transaction((batch: Pending[]) => {
    for (const item of batch) {
      try {
        item.outcome = { ok: true, value: isolated(item.write) };
      } catch (error) {
        // SQLite ended the transaction itself: what follows would commit on its own, unasked.
        if (!db.inTransaction) throw error;
        item.outcome = { ok: false, error };
      }
    }
  });

  const commit = (batch: Pending[]) => {
    try {
      commitBatch(batch);
    } catch (error) {
      for (const listener of rollbackListeners) {
        try {
          listener(error);
        } catch {
          // A cache that cannot forget must not keep the batch's callers waiting.
        }
      }
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) {
      const outcome = item.outcome!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    }
  };

  /** One batch a turn: its callers hear before the next batch is written. */
  const flushOne = () => {
    scheduled = null;
    commit(waiting.splice(0, MAX_BATCH));
    if (waiting.length > 0) scheduled = setImmediate(flushOne);
  };

  /** Everything now, in batches (the storage closing). */
  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = null;
    while (waiting.length > 0) commit(waiting.splice(0, MAX_BATCH));
  };

  return {
    run<T>(write: () => T): Promise<T> {
      if (waiting.length >= MAX_WAITING) {
        return Promise.reject(new ParleyError('rate_limited', 'the server is busy writing; retry shortly'));
      }
      return new Promise<T>((resolve, reject) => {
        waiting.push({ write, resolve: resolve as (value: unknown) => void, reject });
        // setImmediate runs after the poll phase: every request read in this turn joins the batch.
        scheduled ??= setImmediate(flushOne);
      });
    },
    flush,
    onRollback(fn) {
      rollbackListeners.push(fn);
    },
  };
}
