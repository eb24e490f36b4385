// The transfers table: every upload and download, so one cut off by a quit or a crash shows as
// interrupted and resumes.
import type { Db } from '../../../common/node/sqlite.js';
import type { FileTransfer } from '../types.js';

/** A transfer with what the engine keeps to resume it. */
export interface TransferRecord extends FileTransfer {
  /** tus: the upload's URL on the server. */
  remote: string | null;
  /** Download: the temporary file being written. */
  part: string | null;
  /** Upload: the file's mtime when sent, to notice it changed since. */
  sourceMtime: number | null;
}

/** What the renderer and the seeds' API see of a transfer. */
export const publicTransfer = ({ remote: _r, part: _p, sourceMtime: _m, ...transfer }: TransferRecord): FileTransfer => transfer;

const SELECT = `SELECT id, direction AS type, mode, state, path, url, name, mime, bytes, total, sha256, message_id AS messageId,
  conversation_id AS conversationId, error, remote, part, source_mtime AS sourceMtime FROM transfers`;

export type TransfersStore = ReturnType<typeof createTransfersStore>;

export function createTransfersStore(db: Db) {
  const q = {
    add: db.prepare(
      `INSERT INTO transfers (id, direction, mode, state, path, url, remote, part, name, mime, total, bytes, sha256,
         source_mtime, message_id, conversation_id, error, created_at)
       VALUES (@id, @type, @mode, @state, @path, @url, @remote, @part, @name, @mime, @total, @bytes, @sha256,
         @sourceMtime, @messageId, @conversationId, @error, @createdAt)`,
    ),
    save: db.prepare(
      `UPDATE transfers SET mode = @mode, state = @state, path = @path, url = @url, remote = @remote, part = @part,
         bytes = @bytes, sha256 = @sha256, conversation_id = @conversationId, error = @error WHERE id = @id`,
    ),
    get: db.prepare(`${SELECT} WHERE id = ?`),
    openUpload: db.prepare(`${SELECT} WHERE direction = 'upload' AND path = ? AND state != 'done' ORDER BY rowid DESC LIMIT 1`),
    openDownload: db.prepare(`${SELECT} WHERE direction = 'download' AND url = ? AND state != 'done' ORDER BY rowid DESC LIMIT 1`),
    latestFor: db.prepare(`${SELECT} WHERE message_id = ? ORDER BY rowid DESC LIMIT 1`),
    unfinished: db.prepare(`${SELECT} WHERE state != 'done' ORDER BY rowid`),
    interrupt: db.prepare(`UPDATE transfers SET state = 'interrupted' WHERE state = 'running'`),
  };

  return {
    add(record: TransferRecord): void {
      q.add.run({ ...record, createdAt: Date.now() });
    },
    /** Writes a transfer's changing fields (its identity, source and checksum target stay). */
    save(record: TransferRecord): void {
      q.save.run(record);
    },
    get(id: string): TransferRecord | null {
      return (q.get.get(id) as TransferRecord | undefined) ?? null;
    },
    /** The latest transfer of this file (upload) or URL (download) that is not done. */
    open(type: FileTransfer['type'], pathOrUrl: string): TransferRecord | null {
      return ((type === 'upload' ? q.openUpload : q.openDownload).get(pathOrUrl) as TransferRecord | undefined) ?? null;
    },
    /** The latest transfer of a message's file. */
    latestFor(messageId: string): TransferRecord | null {
      return (q.latestFor.get(messageId) as TransferRecord | undefined) ?? null;
    },
    /** Oldest first. */
    unfinished(): TransferRecord[] {
      return q.unfinished.all() as TransferRecord[];
    },
    /** Those that were running when the engine last stopped or crashed. */
    interruptRunning(): void {
      q.interrupt.run();
    },
  };
}
