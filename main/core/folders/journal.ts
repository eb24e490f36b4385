// The store-backed half of watched folders: the bindings, and a journal of each file version seen,
// keyed by (binding, relative path, size, mtime, sha256). A row goes queued → uploading (the
// clientId written before sendFile stores its outbox message) → sent (the server acknowledged it)
// → done (afterSend applied); skipped marks versions not to send (there before the binding, or
// changed after sending with resendChanged off), gone a queued version whose file disappeared.
import type { Db } from '../../../common/sqlite.js';

export type JournalState = 'queued' | 'uploading' | 'sent' | 'done' | 'skipped' | 'gone';

export interface JournalRow {
  id: number;
  bindingId: string;
  rel: string;
  size: number;
  mtime: number;
  sha256: string;
  state: JournalState;
  clientId: string | null;
  messageId: string | null;
  error: string | null;
  updatedAt: number;
}

export interface BindingRow {
  id: string;
  path: string;
  conversationId: string;
  options: string;
  paused: boolean;
  createdAt: number;
}

interface RawJournal {
  id: number;
  binding_id: string;
  rel_path: string;
  size: number;
  mtime: number;
  sha256: string;
  state: JournalState;
  client_id: string | null;
  message_id: string | null;
  error: string | null;
  updated_at: number;
}

const toRow = (r: RawJournal): JournalRow => ({
  id: r.id,
  bindingId: r.binding_id,
  rel: r.rel_path,
  size: r.size,
  mtime: r.mtime,
  sha256: r.sha256,
  state: r.state,
  clientId: r.client_id,
  messageId: r.message_id,
  error: r.error,
  updatedAt: r.updated_at,
});

export type Journal = ReturnType<typeof createJournal>;

export function createJournal(db: Db) {
  const q = {
    bindings: db.prepare('SELECT id, path, conversation_id AS conversationId, options, paused, created_at AS createdAt FROM folder_bindings ORDER BY created_at'),
    addBinding: db.prepare('INSERT INTO folder_bindings (id, path, conversation_id, options, paused, created_at) VALUES (?, ?, ?, ?, 0, ?)'),
    removeBinding: db.prepare('DELETE FROM folder_bindings WHERE id = ?'),
    removeRows: db.prepare('DELETE FROM folder_journal WHERE binding_id = ?'),
    setPaused: db.prepare('UPDATE folder_bindings SET paused = ? WHERE id = ?'),
    setOptions: db.prepare('UPDATE folder_bindings SET options = ? WHERE id = ?'),
    forRel: db.prepare('SELECT * FROM folder_journal WHERE binding_id = ? AND rel_path = ? ORDER BY id'),
    open: db.prepare("SELECT * FROM folder_journal WHERE binding_id = ? AND state IN ('queued', 'uploading', 'sent') ORDER BY id"),
    byClient: db.prepare('SELECT * FROM folder_journal WHERE client_id = ?'),
    insert: db.prepare(
      `INSERT INTO folder_journal (binding_id, rel_path, size, mtime, sha256, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING RETURNING *`,
    ),
    get: db.prepare('SELECT * FROM folder_journal WHERE id = ?'),
    update: db.prepare('UPDATE folder_journal SET state = ?, client_id = ?, message_id = ?, error = ?, updated_at = ? WHERE id = ?'),
    recent: db.prepare("SELECT * FROM folder_journal WHERE binding_id = ? AND state IN ('sent', 'done') ORDER BY updated_at DESC, id DESC LIMIT ?"),
    inOutbox: db.prepare('SELECT error FROM outbox WHERE client_id = ?'),
    inMessages: db.prepare('SELECT conversation_id, seq FROM messages WHERE client_id = ? LIMIT 1'),
  };

  return {
    bindings(): BindingRow[] {
      return (q.bindings.all() as Array<Omit<BindingRow, 'paused'> & { paused: number }>).map((b) => ({ ...b, paused: b.paused === 1 }));
    },
    /** A new binding, with the versions already in its folder that are not to be sent. */
    addBinding: db.transaction((b: Omit<BindingRow, 'paused'>, skipped: Array<{ rel: string; size: number; mtime: number }>): void => {
      q.addBinding.run(b.id, b.path, b.conversationId, b.options, b.createdAt);
      for (const f of skipped) q.insert.get(b.id, f.rel, f.size, f.mtime, '', 'skipped', b.createdAt);
    }),
    removeBinding: db.transaction((id: string): void => {
      q.removeRows.run(id);
      q.removeBinding.run(id);
    }),
    setPaused(id: string, paused: boolean): void {
      q.setPaused.run(paused ? 1 : 0, id);
    },
    setOptions(id: string, options: string): void {
      q.setOptions.run(options, id);
    },
    rowsFor(bindingId: string, rel: string): JournalRow[] {
      return (q.forRel.all(bindingId, rel) as RawJournal[]).map(toRow);
    },
    /** Rows not finished: queued, uploading or sent (afterSend still to do). */
    open(bindingId: string): JournalRow[] {
      return (q.open.all(bindingId) as RawJournal[]).map(toRow);
    },
    byClientId(clientId: string): JournalRow | null {
      const r = q.byClient.get(clientId) as RawJournal | undefined;
      return r ? toRow(r) : null;
    },
    /** A new version; null when this exact version is already journalled. */
    insert(bindingId: string, rel: string, key: { size: number; mtime: number; sha256: string }, state: JournalState): JournalRow | null {
      const r = q.insert.get(bindingId, rel, key.size, key.mtime, key.sha256, state, Date.now()) as RawJournal | undefined;
      return r ? toRow(r) : null;
    },
    save(row: JournalRow): void {
      q.update.run(row.state, row.clientId, row.messageId, row.error, Date.now(), row.id);
    },
    recent(bindingId: string, limit: number): JournalRow[] {
      return (q.recent.all(bindingId, limit) as RawJournal[]).map(toRow);
    },
    /** Where the message with this clientId is: stored as sent, waiting in the outbox (maybe failed), or nowhere. */
    messageState(clientId: string): { where: 'sent'; conversationId: string; seq: number } | { where: 'outbox'; error: string | null } | { where: 'none' } {
      const sent = q.inMessages.get(clientId) as { conversation_id: string; seq: number } | undefined;
      if (sent) return { where: 'sent', conversationId: sent.conversation_id, seq: sent.seq };
      const waiting = q.inOutbox.get(clientId) as { error: string | null } | undefined;
      return waiting ? { where: 'outbox', error: waiting.error } : { where: 'none' };
    },
  };
}
