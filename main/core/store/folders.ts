// The folder tables: watched folders (folder_bindings) with the journal of every file version seen
// in them (folder_journal; states in main/core/folders/journal.ts), and the save folders incoming
// files go to (save_folders).
import type { Db } from '../../../common/node/sqlite.js';

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
  /** JSON WatchFolderOptions. */
  options: string;
  paused: boolean;
  createdAt: number;
}

const JOURNAL = `id, binding_id AS bindingId, rel_path AS rel, size, mtime, sha256, state, client_id AS clientId,
  message_id AS messageId, error, updated_at AS updatedAt`;

export type FoldersStore = ReturnType<typeof createFoldersStore>;

export function createFoldersStore(db: Db) {
  const q = {
    bindings: db.prepare('SELECT id, path, conversation_id AS conversationId, options, paused, created_at AS createdAt FROM folder_bindings ORDER BY created_at'),
    addBinding: db.prepare('INSERT INTO folder_bindings (id, path, conversation_id, options, paused, created_at) VALUES (?, ?, ?, ?, 0, ?)'),
    removeBinding: db.prepare('DELETE FROM folder_bindings WHERE id = ?'),
    removeRows: db.prepare('DELETE FROM folder_journal WHERE binding_id = ?'),
    setPaused: db.prepare('UPDATE folder_bindings SET paused = ? WHERE id = ?'),
    setOptions: db.prepare('UPDATE folder_bindings SET options = ? WHERE id = ?'),
    forRel: db.prepare(`SELECT ${JOURNAL} FROM folder_journal WHERE binding_id = ? AND rel_path = ? ORDER BY id`),
    open: db.prepare(`SELECT ${JOURNAL} FROM folder_journal WHERE binding_id = ? AND state IN ('queued', 'uploading', 'sent') ORDER BY id`),
    byClient: db.prepare(`SELECT ${JOURNAL} FROM folder_journal WHERE client_id = ?`),
    insert: db.prepare(
      `INSERT INTO folder_journal (binding_id, rel_path, size, mtime, sha256, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING RETURNING ${JOURNAL}`,
    ),
    update: db.prepare('UPDATE folder_journal SET state = ?, client_id = ?, message_id = ?, error = ?, updated_at = ? WHERE id = ?'),
    recent: db.prepare(`SELECT ${JOURNAL} FROM folder_journal WHERE binding_id = ? AND state IN ('sent', 'done') ORDER BY updated_at DESC, id DESC LIMIT ?`),
    saveFolder: db.prepare('SELECT dir, scanned_seq AS scannedSeq FROM save_folders WHERE conversation_id = ?'),
    saveFolders: db.prepare('SELECT conversation_id AS conversationId, dir FROM save_folders'),
    setSaveFolder: db.prepare(
      'INSERT INTO save_folders (conversation_id, dir, scanned_seq) VALUES (?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET dir = excluded.dir',
    ),
    removeSaveFolder: db.prepare('DELETE FROM save_folders WHERE conversation_id = ?'),
    scanned: db.prepare('UPDATE save_folders SET scanned_seq = ? WHERE conversation_id = ? AND scanned_seq < ?'),
  };

  /** Watched folders and their journal: main/core/folders/journal.ts is its API for the folder manager. */
  const watched = {
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
      return q.forRel.all(bindingId, rel) as JournalRow[];
    },
    /** Rows not finished: queued, uploading or sent (afterSend still to do). */
    open(bindingId: string): JournalRow[] {
      return q.open.all(bindingId) as JournalRow[];
    },
    byClientId(clientId: string): JournalRow | null {
      return (q.byClient.get(clientId) as JournalRow | undefined) ?? null;
    },
    /** A new version; null when this exact version is already journalled. */
    insert(bindingId: string, rel: string, key: { size: number; mtime: number; sha256: string }, state: JournalState): JournalRow | null {
      return (q.insert.get(bindingId, rel, key.size, key.mtime, key.sha256, state, Date.now()) as JournalRow | undefined) ?? null;
    },
    save(row: JournalRow): void {
      q.update.run(row.state, row.clientId, row.messageId, row.error, Date.now(), row.id);
    },
    recent(bindingId: string, limit: number): JournalRow[] {
      return q.recent.all(bindingId, limit) as JournalRow[];
    },
  };

  /** Save folders: scannedSeq is how far the conversation's messages were looked at (main/core/files/auto-save.ts). */
  const saving = {
    get(conversationId: string): { dir: string; scannedSeq: number } | null {
      return (q.saveFolder.get(conversationId) as { dir: string; scannedSeq: number } | undefined) ?? null;
    },
    all(): Array<{ conversationId: string; dir: string }> {
      return q.saveFolders.all() as Array<{ conversationId: string; dir: string }>;
    },
    /** A new folder starts scanning after scannedSeq; a changed one keeps where it was. */
    set(conversationId: string, dir: string, scannedSeq: number): void {
      q.setSaveFolder.run(conversationId, dir, scannedSeq);
    },
    remove(conversationId: string): void {
      q.removeSaveFolder.run(conversationId);
    },
    /** Moves scannedSeq forward only. */
    scanned(conversationId: string, seq: number): void {
      q.scanned.run(seq, conversationId, seq);
    },
  };

  return { watched, saving };
}
