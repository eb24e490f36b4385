// The messages table: conversation events as the server numbered them (kind text, file, members or
// edit), the file's metadata on file messages.
import type { Db } from '../../../common/node/sqlite.js';
import type { FileInfo } from '../../../protocol/index.js';
import type { Message } from '../types.js';

export interface MessageRecord {
  conversationId: string;
  seq: number;
  kind: Message['kind'];
  sender: string;
  /** Set on what someone wrote (text, file). */
  clientId: string | null;
  /** The text; for members and edit events, a JSON description of the change. */
  body: string;
  serverTime: number;
  file: FileInfo | null;
}

type Row = Omit<MessageRecord, 'file'> & { file: string | null };

const SELECT = 'SELECT conversation_id AS conversationId, seq, kind, sender, client_id AS clientId, body, server_time AS serverTime, file FROM messages';

// Field by field, not by spreading: readMessages maps up to 500 rows a page.
const toRecord = (r: Row): MessageRecord => ({
  conversationId: r.conversationId,
  seq: r.seq,
  kind: r.kind,
  sender: r.sender,
  clientId: r.clientId,
  body: r.body,
  serverTime: r.serverTime,
  file: r.file === null ? null : (JSON.parse(r.file) as FileInfo),
});

export type MessagesStore = ReturnType<typeof createMessagesStore>;

export function createMessagesStore(db: Db) {
  const q = {
    insert: db.prepare(
      `INSERT OR IGNORE INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time, file)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq = ?`),
    written: db.prepare(`${SELECT} WHERE client_id = ? AND sender = ? LIMIT 1`),
    last: db.prepare(`${SELECT} WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1`),
    pageBefore: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
    pageAfter: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
    mineBetween: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender = ? AND kind IN ('text', 'file')`),
    byFileUrl: db.prepare(`${SELECT} WHERE file IS NOT NULL AND json_extract(file, '$.url') = ? ORDER BY server_time DESC LIMIT 1`),
    filesBetween: db.prepare(
      `${SELECT} WHERE conversation_id = ? AND seq > ? AND seq <= ? AND file IS NOT NULL ORDER BY seq LIMIT ?`,
    ),
    has: db.prepare('SELECT 1 FROM messages WHERE conversation_id = ? AND seq = ?').pluck(),
    // The end of the stored run that starts right after `after`: the first seq whose successor is missing.
    runEnd: db
      .prepare(
        `SELECT m.seq FROM messages m WHERE m.conversation_id = @id AND m.seq > @after
         AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.conversation_id = @id AND n.seq = m.seq + 1)
         ORDER BY m.seq LIMIT 1`,
      )
      .pluck(),
  };

  return {
    /** Positional, no record object: catch-up stores a million of these. False when already stored. */
    insert(
      conversationId: string,
      seq: number,
      kind: Message['kind'],
      sender: string,
      clientId: string | null,
      body: string,
      serverTime: number,
      file: string | null,
    ): boolean {
      return q.insert.run(conversationId, seq, kind, sender, clientId, body, serverTime, file).changes > 0;
    },
    get(conversationId: string, seq: number): MessageRecord | null {
      const row = q.get.get(conversationId, seq) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** What this sender wrote with this clientId, once the server numbered it. */
    written(sender: string, clientId: string): MessageRecord | null {
      const row = q.written.get(clientId, sender) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    last(conversationId: string): MessageRecord | null {
      const row = q.last.get(conversationId) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** Up to `limit` events before `beforeSeq`, newest first. */
    pageBefore(conversationId: string, beforeSeq: number, limit: number): MessageRecord[] {
      return (q.pageBefore.all(conversationId, beforeSeq, limit) as Row[]).map(toRecord);
    },
    /** Up to `limit` events after `afterSeq`, oldest first. */
    pageAfter(conversationId: string, afterSeq: number, limit: number): MessageRecord[] {
      return (q.pageAfter.all(conversationId, afterSeq, limit) as Row[]).map(toRecord);
    },
    /** What `me` wrote with from < seq <= to. */
    mineBetween(conversationId: string, from: number, to: number, me: string): MessageRecord[] {
      return (q.mineBetween.all(conversationId, from, to, me) as Row[]).map(toRecord);
    },
    /** The newest message carrying a file at this URL. */
    byFileUrl(url: string): MessageRecord | null {
      const row = q.byFileUrl.get(url) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** File messages with after < seq <= upTo, oldest first, at most `limit`. */
    filesBetween(conversationId: string, after: number, upTo: number, limit: number): MessageRecord[] {
      return (q.filesBetween.all(conversationId, after, upTo, limit) as Row[]).map(toRecord);
    },
    /** The end of the contiguous run of stored events after `haveSeq` (haveSeq itself when the next is missing). */
    runEnd(conversationId: string, haveSeq: number): number {
      if (!q.has.get(conversationId, haveSeq + 1)) return haveSeq;
      return q.runEnd.get({ id: conversationId, after: haveSeq }) as number;
    },
  };
}
