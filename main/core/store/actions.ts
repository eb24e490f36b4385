// The message actions' tables and columns (migration 9): a message's current state after the
// revise and delete events on it, reactions by (message, person, emoji), and the messages I deleted
// for me. Each write is monotone in seq (the newest revise, the newest react per person and emoji,
// delete and hide for good), so applying the same events in any order, or twice, ends the same.
import type { Db } from '../../../common/node/sqlite.js';

/** A stored event's state as actions see it; null when nothing is stored at that seq. */
export interface TargetState {
  kind: string;
  sender: string;
  editSeq: number | null;
  deleted: boolean;
  hidden: boolean;
  mentionsMe: boolean;
  clientId: string | null;
}

export type ActionsStore = ReturnType<typeof createActionsStore>;

export function createActionsStore(db: Db) {
  const q = {
    target: db.prepare(
      `SELECT kind, sender, edit_seq AS editSeq, deleted, hidden, mentions_me AS mentionsMe, client_id AS clientId
       FROM messages WHERE conversation_id = ? AND seq = ?`,
    ),
    revise: db.prepare(
      `UPDATE messages SET body = @body, mentions = @mentions, mentions_me = @mentionsMe, edit_seq = @seq, edited_at = @time
       WHERE conversation_id = @conversationId AND seq = @target`,
    ),
    // The server drops a deleted message's body and file from what it serves: so does this device,
    // its earlier versions included.
    delete: db.prepare(
      `UPDATE messages SET body = '', file = NULL, mentions = NULL, mentions_me = NULL, deleted = 1 WHERE conversation_id = ? AND seq = ?`,
    ),
    // By the index on target (see messages.ts pointing), not a scan of the conversation.
    blankRevisions: db.prepare(`UPDATE messages INDEXED BY messages_by_target SET body = '' WHERE conversation_id = ? AND target = ? AND kind = 'revise'`),
    react: db.prepare(
      `INSERT INTO reactions (conversation_id, target, sender, emoji, seq, on_) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, target, sender, emoji) DO UPDATE SET seq = excluded.seq, on_ = excluded.on_ WHERE excluded.seq > reactions.seq`,
    ),
    hide: db.prepare('INSERT OR IGNORE INTO hidden (conversation_id, seq) VALUES (?, ?)'),
    isHidden: db.prepare('SELECT 1 FROM hidden WHERE conversation_id = ? AND seq = ?').pluck(),
    setHidden: db.prepare('UPDATE messages SET hidden = 1 WHERE conversation_id = ? AND seq = ?'),
    unhide: db.prepare('DELETE FROM hidden WHERE conversation_id = ? AND seq = ?'),
    clearHidden: db.prepare('UPDATE messages SET hidden = NULL WHERE conversation_id = ? AND seq = ?'),
  };

  return {
    target(conversationId: string, seq: number): TargetState | null {
      const r = q.target.get(conversationId, seq) as
        | { kind: string; sender: string; editSeq: number | null; deleted: number | null; hidden: number | null; mentionsMe: number | null; clientId: string | null }
        | undefined;
      return r ? { ...r, deleted: r.deleted === 1, hidden: r.hidden === 1, mentionsMe: r.mentionsMe === 1 } : null;
    },
    revise(conversationId: string, target: number, seq: number, time: number, body: string, mentions: string | null, mentionsMe: boolean): void {
      q.revise.run({ conversationId, target, seq, time, body, mentions, mentionsMe: mentionsMe ? 1 : null });
    },
    delete(conversationId: string, target: number): void {
      q.delete.run(conversationId, target);
      q.blankRevisions.run(conversationId, target);
    },
    react(conversationId: string, target: number, sender: string, emoji: string, seq: number, on: boolean): void {
      q.react.run(conversationId, target, sender, emoji, seq, on ? 1 : 0);
    },
    /** Remembers a hidden message (stored or not); false when it was already. */
    hide(conversationId: string, seq: number): boolean {
      return q.hide.run(conversationId, seq).changes > 0;
    },
    isHidden(conversationId: string, seq: number): boolean {
      return q.isHidden.get(conversationId, seq) !== undefined;
    },
    setHidden(conversationId: string, seq: number): void {
      q.setHidden.run(conversationId, seq);
    },
    /** My delete for me the server refused: the message shows again; false when it was not hidden. */
    unhide(conversationId: string, seq: number): boolean {
      if (q.unhide.run(conversationId, seq).changes === 0) return false;
      q.clearHidden.run(conversationId, seq);
      return true;
    },
  };
}
