// The search tables (migration 8): search_docs numbers each searchable message as it is stored,
// search_text is the FTS5 index behind it, up to the meta cursor 'search_indexed'. The engine's
// search module (main/core/search/) decides what is indexed and how a query reads.
import type { Db } from '../../../common/node/sqlite.js';

export interface PendingDoc {
  id: number;
  conversationId: string;
  seq: number;
  kind: string;
  sender: string;
  body: string;
  file: string | null;
  /** Deleted for everyone or for me: numbered, but not indexed. */
  gone: number;
}

export interface Match {
  id: number;
  conversationId: string;
  seq: number;
  sentAt: number;
}

export interface MatchWindow {
  /** The FTS5 expression (never empty). */
  match: string;
  /** Only docs numbered below this. */
  belowId: number;
  /** sent_at range, [from, to). */
  from: number;
  to: number;
  limit: number;
}

export type SearchStore = ReturnType<typeof createSearchStore>;

const INDEXED = 'search_indexed';
const BACKFILL = 'search_backfill';

export function createSearchStore(db: Db) {
  const q = {
    addDoc: db.prepare('INSERT OR IGNORE INTO search_docs (conversation_id, seq, sent_at) VALUES (?, ?, ?)'),
    pending: db.prepare(
      `SELECT d.id, d.conversation_id AS conversationId, d.seq, m.kind, m.sender, m.body, m.file, (m.deleted IS NOT NULL OR m.hidden IS NOT NULL) AS gone
       FROM search_docs d JOIN messages m ON m.conversation_id = d.conversation_id AND m.seq = d.seq
       WHERE d.id > ? ORDER BY d.id LIMIT ?`,
    ),
    // Only docs the index holds already: one not indexed yet is read as it is when its turn comes.
    redo: db.prepare(
      `INSERT OR IGNORE INTO search_redo (doc_id) SELECT id FROM search_docs WHERE conversation_id = ? AND seq = ?
         AND id <= coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '${INDEXED}'), 0)`,
    ),
    redone: db.prepare(
      `SELECT d.id, d.conversation_id AS conversationId, d.seq, m.kind, m.sender, m.body, m.file, (m.deleted IS NOT NULL OR m.hidden IS NOT NULL) AS gone
       FROM search_redo r JOIN search_docs d ON d.id = r.doc_id JOIN messages m ON m.conversation_id = d.conversation_id AND m.seq = d.seq
       ORDER BY r.doc_id LIMIT ?`,
    ),
    unindex: db.prepare('DELETE FROM search_text WHERE rowid = -?'),
    dropRedo: db.prepare('DELETE FROM search_redo WHERE doc_id = ?'),
    // The index's rowid is the doc's number negated: newest first is FTS5's forward order, which
    // stops after a window; walking a common word's doclist backwards decodes all of it first.
    index: db.prepare('INSERT INTO search_text (rowid, text, scope) VALUES (-?, ?, ?)'),
    lastDoc: db.prepare('SELECT coalesce(max(id), 0) FROM search_docs').pluck(),
    meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    dropMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    backfill: db.prepare(
      `SELECT conversation_id AS conversationId, seq, server_time AS sentAt FROM messages
       WHERE (conversation_id, seq) > (?, ?) AND kind IN ('text', 'file') ORDER BY conversation_id, seq LIMIT ?`,
    ),
    messagesToNumber: db.prepare(`SELECT count(*) FROM messages WHERE kind IN ('text', 'file') AND (conversation_id, seq) > (?, ?)`).pluck(),
    matches: db.prepare(
      // No bm25(): it counts every match of every term first, tens of ms for a common word at 1M.
      `SELECT d.id, d.conversation_id AS conversationId, d.seq, d.sent_at AS sentAt
       FROM search_text s JOIN search_docs d ON d.id = -s.rowid
       WHERE search_text MATCH @match AND s.rowid > -@belowId AND d.sent_at >= @from AND d.sent_at < @to
       ORDER BY s.rowid LIMIT @limit`,
    ),
  };

  const indexedUpTo = () => Number(q.meta.get(INDEXED) ?? 0);

  return {
    /** Numbers a stored message for the index (ignored when already numbered). */
    addDoc(conversationId: string, seq: number, sentAt: number): void {
      q.addDoc.run(conversationId, seq, sentAt);
    },
    /** Numbered docs not indexed yet, oldest first. */
    pending(limit: number): PendingDoc[] {
      return q.pending.all(indexedUpTo(), limit) as PendingDoc[];
    },
    /**
     * Indexes docs and moves the cursor past them, in one transaction. A doc without text (deleted
     * for everyone or for me) is passed over, the cursor moving past it all the same.
     */
    index: db.transaction((docs: readonly { id: number; text: string | null; scope: string }[]) => {
      // Newest first: rowids (negated numbers) ascending, as FTS5 wants them within a transaction
      // (a smaller rowid than the last flushes its pending terms, a segment per row).
      for (let i = docs.length - 1; i >= 0; i--) if (docs[i]!.text !== null) q.index.run(docs[i]!.id, docs[i]!.text, docs[i]!.scope);
      if (docs.length > 0) q.setMeta.run(INDEXED, String(docs.at(-1)!.id));
    }),
    /** An indexed message's text changed or went: the index takes it again (redone) from search_redo. */
    redo(conversationId: string, seq: number): void {
      q.redo.run(conversationId, seq);
    },
    /** Indexed docs to take again, at most `limit`. */
    redone(limit: number): PendingDoc[] {
      return q.redone.all(limit) as PendingDoc[];
    },
    /** Replaces indexed docs' text (none: out of the index) and drops them from search_redo, in one transaction. */
    reindex: db.transaction((docs: readonly { id: number; text: string | null; scope: string }[]) => {
      for (const doc of docs) {
        q.unindex.run(doc.id);
        if (doc.text !== null) q.index.run(doc.id, doc.text, doc.scope);
        q.dropRedo.run(doc.id);
      }
    }),
    /**
     * Numbers up to `limit` messages stored before search existed, in (conversation, seq) order,
     * moving the backfill cursor past them; false once there are none left.
     */
    backfill: db.transaction((limit: number): boolean => {
      const at = q.meta.get(BACKFILL) as string | undefined;
      if (at === undefined) return false;
      const [conversationId, seq] = at ? (JSON.parse(at) as [string, number]) : ['', 0];
      const rows = q.backfill.all(conversationId, seq, limit) as { conversationId: string; seq: number; sentAt: number }[];
      for (const r of rows) q.addDoc.run(r.conversationId, r.seq, r.sentAt);
      const last = rows.at(-1);
      if (rows.length < limit || !last) q.dropMeta.run(BACKFILL);
      else q.setMeta.run(BACKFILL, JSON.stringify([last.conversationId, last.seq]));
      return rows.length > 0;
    }),
    /** The highest doc number the index holds (every one below it too). */
    indexedUpTo,
    /** How far the index is: docs indexed, and docs numbered or still to number (counts the backfill's rest: not per slice). */
    progress(): { indexed: number; total: number } {
      const at = q.meta.get(BACKFILL) as string | undefined;
      const [conversationId, seq] = at ? (JSON.parse(at) as [string, number]) : ['', 0];
      const unnumbered = at === undefined ? 0 : (q.messagesToNumber.get(conversationId, seq) as number);
      const indexed = indexedUpTo();
      const numbered = q.lastDoc.get() as number;
      return { indexed, total: numbered + unnumbered };
    },
    /** The newest matches of one window, newest first. */
    matches(w: MatchWindow): Match[] {
      return q.matches.all(w) as Match[];
    },
    /** The highest doc number, plus one: a first window's upper bound. */
    nextId(): number {
      return (q.lastDoc.get() as number) + 1;
    },
  };
}
