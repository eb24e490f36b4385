// The messages table: conversation events as the server numbered them (kind text, file, members or
// edit, and the actions revise, delete and react), the file's metadata on file messages, and each
// message's current state after the actions on it (migration 9). Reads give messages only: an action
// row, or a message I deleted for me, is never a MessageRecord.
import type { Db } from '../../../common/node/sqlite.js';
import type { FileInfo, ReplyTarget } from '../../../protocol/index.js';
import type { Message } from '../types.js';

/** An action on one message: stored like any event, applied to its target's row. */
export type ActionKind = 'revise' | 'delete' | 'react';
export type StoredKind = Message['kind'] | ActionKind;

export interface MessageRecord {
  conversationId: string;
  seq: number;
  kind: Message['kind'];
  sender: string;
  /** Set on what someone wrote (text, file). */
  clientId: string | null;
  /** The text as last edited ('' once deleted); for members and edit events, a JSON description of the change. */
  body: string;
  serverTime: number;
  file: FileInfo | null;
  /** The newest edit's server time. */
  editedAt: number | null;
  deleted: boolean;
  /** The message this one answers, with the server's quote of it. */
  replyTo: ReplyTarget | null;
  mentions: string[] | null;
}

/** A reaction as it stands: on, by whom, and the seq that put it there. */
export interface ReactionRow {
  target: number;
  emoji: string;
  sender: string;
  seq: number;
}

type Row = Omit<MessageRecord, 'file' | 'deleted' | 'replyTo' | 'mentions'> & {
  file: string | null;
  deleted: number | null;
  replyTo: string | null;
  mentions: string | null;
};

/** The kinds a person sees as rows; the rest are actions. */
export const VISIBLE = "kind IN ('text', 'file', 'members', 'edit') AND hidden IS NULL";

const SELECT = `SELECT conversation_id AS conversationId, seq, kind, sender, client_id AS clientId, body, server_time AS serverTime, file,
  edited_at AS editedAt, deleted, reply_to AS replyTo, mentions FROM messages`;

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
  editedAt: r.editedAt,
  deleted: r.deleted === 1,
  replyTo: r.replyTo === null ? null : (JSON.parse(r.replyTo) as ReplyTarget),
  mentions: r.mentions === null ? null : (JSON.parse(r.mentions) as string[]),
});

export type MessagesStore = ReturnType<typeof createMessagesStore>;

export function createMessagesStore(db: Db) {
  const q = {
    insert: db.prepare(
      `INSERT OR IGNORE INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time, file, target, deleted, reply_to, mentions, mentions_me)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq = ? AND ${VISIBLE}`),
    written: db.prepare(`${SELECT} WHERE client_id = ? AND sender = ? AND kind IN ('text', 'file') LIMIT 1`),
    last: db.prepare(`${SELECT} WHERE conversation_id = ? AND ${VISIBLE} ORDER BY seq DESC LIMIT 1`),
    pageBefore: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq < ? AND ${VISIBLE} ORDER BY seq DESC LIMIT ?`),
    pageAfter: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq > ? AND ${VISIBLE} ORDER BY seq LIMIT ?`),
    mineBetween: db.prepare(`${SELECT} WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender = ? AND kind IN ('text', 'file') AND hidden IS NULL`),
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
    reactions: db.prepare(
      `SELECT target, emoji, sender, seq FROM reactions WHERE conversation_id = ? AND target >= ? AND target <= ? AND on_ = 1 ORDER BY target, seq`,
    ),
    // What points at a message: actions waiting for it, and replies to it. The index by name: without
    // statistics the planner takes the primary key's conversation prefix, a scan of the whole conversation.
    pointing: db.prepare(
      `SELECT seq, kind, sender, body, server_time AS serverTime, mentions FROM messages INDEXED BY messages_by_target
       WHERE conversation_id = ? AND target = ? AND kind IN ('revise', 'delete', 'text', 'file') ORDER BY seq`,
    ),
  };

  return {
    /** Positional, no record object: catch-up stores a million of these. False when already stored. */
    insert(
      conversationId: string,
      seq: number,
      kind: StoredKind,
      sender: string,
      clientId: string | null,
      body: string,
      serverTime: number,
      file: string | null,
      target: number | null = null,
      deleted = false,
      replyTo: string | null = null,
      mentions: string | null = null,
      mentionsMe = false,
    ): boolean {
      return q.insert.run(conversationId, seq, kind, sender, clientId, body, serverTime, file, target, deleted ? 1 : null, replyTo, mentions, mentionsMe ? 1 : null).changes > 0;
    },
    /** A message as shown (not an action, not one I deleted for me). */
    get(conversationId: string, seq: number): MessageRecord | null {
      const row = q.get.get(conversationId, seq) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** What this sender wrote with this clientId, once the server numbered it (deleted for me too). */
    written(sender: string, clientId: string): MessageRecord | null {
      const row = q.written.get(clientId, sender) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** The newest message shown. */
    last(conversationId: string): MessageRecord | null {
      const row = q.last.get(conversationId) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** Up to `limit` messages before `beforeSeq`, newest first. */
    pageBefore(conversationId: string, beforeSeq: number, limit: number): MessageRecord[] {
      return (q.pageBefore.all(conversationId, beforeSeq, limit) as Row[]).map(toRecord);
    },
    /** Up to `limit` messages after `afterSeq`, oldest first. */
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
    /** File messages with after < seq <= upTo, oldest first, at most `limit` (a deleted one has no file). */
    filesBetween(conversationId: string, after: number, upTo: number, limit: number): MessageRecord[] {
      return (q.filesBetween.all(conversationId, after, upTo, limit) as Row[]).map(toRecord);
    },
    /** The end of the contiguous run of stored events after `haveSeq` (haveSeq itself when the next is missing). */
    runEnd(conversationId: string, haveSeq: number): number {
      if (!q.has.get(conversationId, haveSeq + 1)) return haveSeq;
      return q.runEnd.get({ id: conversationId, after: haveSeq }) as number;
    },
    /** The reactions standing on messages from..to, by message, oldest first. */
    reactions(conversationId: string, from: number, to: number): ReactionRow[] {
      return q.reactions.all(conversationId, from, to) as ReactionRow[];
    },
    /** Revise and delete events stored for this message, and replies to it, oldest first. */
    pointing(conversationId: string, seq: number): Array<{ seq: number; kind: StoredKind; sender: string; body: string; serverTime: number; mentions: string | null }> {
      return q.pointing.all(conversationId, seq) as never;
    },
  };
}
