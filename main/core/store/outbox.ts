// The outbox table: my messages and my actions on messages (migration 9) not yet acknowledged by
// the server, resent in the order written with the same clientId until they are; error is set when
// the server refused a message for good (until a retry; a refused action leaves instead), sentAt
// when one went through Media Reference Send instead and stays here as my record. An action on my
// message still here waits for it.
import type { Db } from '../../../common/node/sqlite.js';
import type { MessageFile } from '../types.js';

/** What an outbox row does: null sends a message; the rest act on the message `target` names. */
export type OutboxAction = 'edit' | 'delete' | 'react' | 'unreact' | 'hide';

export interface OutboxRecord {
  clientId: string;
  /** Null while a first message to a peer waits for its direct conversation. */
  conversationId: string | null;
  peer: string | null;
  body: string;
  createdAt: number;
  error: string | null;
  /** As written: url and sha256 come from the upload once it is done. */
  file: MessageFile | null;
  /** The upload transfer a file message waits for. */
  upload: string | null;
  sentAt: number | null;
  /** Null for a message. An edit's body is the new text, a reaction's its emoji. */
  action: OutboxAction | null;
  /** An action's message, by its id. */
  target: string | null;
  /** My message still in the outbox that this action acts on. */
  waitsFor: string | null;
  /** A message's: the seq it answers. */
  replyTo: number | null;
  /** A message's or an edit's: the participants its text mentions. */
  mentions: string[] | null;
}

type Row = Omit<OutboxRecord, 'file' | 'mentions'> & { file: string | null; mentions: string | null };

const COLUMNS = `client_id AS clientId, conversation_id AS conversationId, peer, body, created_at AS createdAt, error, file, upload, sent_at AS sentAt,
  action, target, waits_for AS waitsFor, reply_to AS replyTo, mentions`;

const toRecord = (r: Row): OutboxRecord => ({
  ...r,
  file: r.file === null ? null : (JSON.parse(r.file) as MessageFile),
  mentions: r.mentions === null ? null : (JSON.parse(r.mentions) as string[]),
});

/** A new outbox row: a message, or an action (with its target). */
export interface NewOutboxItem {
  clientId: string;
  conversationId: string | null;
  peer: string | null;
  body: string;
  createdAt: number;
  file?: { info: MessageFile; upload: string };
  action?: OutboxAction;
  target?: string;
  waitsFor?: string | null;
  replyTo?: number;
  mentions?: readonly string[];
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;

export function createOutboxStore(db: Db) {
  const q = {
    add: db.prepare(
      `INSERT INTO outbox (client_id, conversation_id, peer, body, created_at, file, upload, action, target, waits_for, reply_to, mentions)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    ),
    get: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE client_id = ?`),
    // A message waiting for its upload lets the ones after it pass (see main/core/outbox.ts); an
    // action on my message waits for that message.
    next: db.prepare(
      `SELECT o.client_id AS clientId, o.conversation_id AS conversationId, o.peer, o.body, o.created_at AS createdAt, o.error,
         o.file, o.upload, o.sent_at AS sentAt, o.action, o.target, o.waits_for AS waitsFor, o.reply_to AS replyTo, o.mentions
       FROM outbox o LEFT JOIN transfers t ON t.id = o.upload
       WHERE o.error IS NULL AND o.sent_at IS NULL AND (o.upload IS NULL OR t.state = 'done')
         AND (o.waits_for IS NULL OR NOT EXISTS (SELECT 1 FROM outbox w WHERE w.client_id = o.waits_for))
       ORDER BY o.rowid LIMIT 1`,
    ),
    forConversation: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE conversation_id = ? AND action IS NULL ORDER BY rowid`),
    actions: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE conversation_id = ? AND action IS NOT NULL ORDER BY rowid`),
    last: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE conversation_id = ? AND action IS NULL ORDER BY rowid DESC LIMIT 1`),
    rewrite: db.prepare('UPDATE outbox SET body = ?, mentions = ? WHERE client_id = ? AND action IS NULL'),
    cancel: db.prepare('DELETE FROM outbox WHERE client_id = ? OR waits_for = ?'),
    resolvePeer: db.prepare('UPDATE outbox SET conversation_id = ? WHERE peer = ? AND conversation_id IS NULL'),
    fail: db.prepare('UPDATE outbox SET error = ? WHERE client_id = ?'),
    dropWaiting: db.prepare('DELETE FROM outbox WHERE waits_for = ?'),
    sentElsewhere: db.prepare(`UPDATE outbox SET sent_at = ?, error = NULL WHERE client_id = ? RETURNING ${COLUMNS}`),
    retry: db.prepare('UPDATE outbox SET error = NULL WHERE client_id = ? RETURNING upload'),
    failUpload: db.prepare(`UPDATE outbox SET error = ? WHERE upload = ? AND error IS NULL RETURNING ${COLUMNS}`),
    resumeUpload: db.prepare(`UPDATE outbox SET error = NULL WHERE upload = ? AND error IS NOT NULL RETURNING ${COLUMNS}`),
    remove: db.prepare('DELETE FROM outbox WHERE client_id = ?'),
  };

  return {
    add(item: NewOutboxItem): OutboxRecord {
      const { file } = item;
      const row = q.add.get(
        item.clientId,
        item.conversationId,
        item.peer,
        item.body,
        item.createdAt,
        file ? JSON.stringify(file.info) : null,
        file?.upload ?? null,
        item.action ?? null,
        item.target ?? null,
        item.waitsFor ?? null,
        item.replyTo ?? null,
        item.mentions && item.mentions.length > 0 ? JSON.stringify(item.mentions) : null,
      );
      return toRecord(row as Row);
    },
    get(clientId: string): OutboxRecord | null {
      const row = q.get.get(clientId) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** The next message to send: unfailed, not sent elsewhere, its upload (if any) done; in the order written. */
    next(): OutboxRecord | null {
      const row = q.next.get() as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** My messages waiting in this conversation, in the order written. */
    forConversation(conversationId: string): OutboxRecord[] {
      return (q.forConversation.all(conversationId) as Row[]).map(toRecord);
    },
    /** My actions waiting in this conversation, in the order written. */
    actions(conversationId: string): OutboxRecord[] {
      return (q.actions.all(conversationId) as Row[]).map(toRecord);
    },
    /** A message not sent yet gets new text. */
    rewrite(clientId: string, body: string, mentions: readonly string[]): void {
      q.rewrite.run(body, mentions.length > 0 ? JSON.stringify(mentions) : null, clientId);
    },
    /** A message deleted before it was sent: it goes, and the actions waiting for it with it. */
    cancel(clientId: string): void {
      q.cancel.run(clientId, clientId);
    },
    /** My newest message waiting in this conversation. */
    last(conversationId: string): OutboxRecord | null {
      const row = q.last.get(conversationId) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** The direct conversation with this peer exists now: the first messages to them belong to it. */
    resolvePeer(conversationId: string, peer: string): void {
      q.resolvePeer.run(conversationId, peer);
    },
    /** The server refused my message for good: it waits for a retry, and the actions waiting for it go (true if any did). */
    refuse: db.transaction((clientId: string, error: string): boolean => {
      q.fail.run(error, clientId);
      return q.dropWaiting.run(clientId).changes > 0;
    }),
    /** Clears a failure so the message is sent again; null when no such message waits, else its upload's id. */
    retry(clientId: string): { upload: string | null } | null {
      return (q.retry.get(clientId) as { upload: string | null } | undefined) ?? null;
    },
    /** Sent outside the Parley server (Media Reference Send): it stays here, marked sent. */
    markSentElsewhere(clientId: string, at: number): OutboxRecord {
      return toRecord(q.sentElsewhere.get(at, clientId) as Row);
    },
    /** The messages waiting for this upload fail with the reason; returns them. */
    failUpload(transferId: string, reason: string): OutboxRecord[] {
      return (q.failUpload.all(reason, transferId) as Row[]).map(toRecord);
    },
    /** The messages this upload failed are sending again; returns them. */
    resumeUpload(transferId: string): OutboxRecord[] {
      return (q.resumeUpload.all(transferId) as Row[]).map(toRecord);
    },
    remove(clientId: string): void {
      q.remove.run(clientId);
    },
  };
}
