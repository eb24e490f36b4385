// Client store migration 4: leads to user_version 4. Shipped: never changes.
export const migration = `
  -- Watched drop folders (main/core/folders): a folder bound to a conversation, and a journal of
  -- each file version seen there, keyed by path, size, mtime and content hash, so every file is sent
  -- once across restarts and crashes. state: queued | uploading | sent | done | skipped | gone.
  CREATE TABLE folder_bindings (
    id              TEXT PRIMARY KEY,
    path            TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    options         TEXT NOT NULL,            -- JSON WatchFolderOptions
    paused          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE folder_journal (
    id          INTEGER PRIMARY KEY,
    binding_id  TEXT NOT NULL,
    rel_path    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime       INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    state       TEXT NOT NULL,
    client_id   TEXT,                         -- recorded before sendFile stores the outbox message
    message_id  TEXT,
    error       TEXT,
    updated_at  INTEGER NOT NULL,
    UNIQUE (binding_id, rel_path, size, mtime, sha256)
  );
  CREATE INDEX folder_journal_open ON folder_journal(binding_id, state) WHERE state IN ('queued', 'uploading', 'sent');
  CREATE INDEX folder_journal_by_client ON folder_journal(client_id) WHERE client_id IS NOT NULL;
  CREATE INDEX messages_by_client_id ON messages(client_id) WHERE client_id IS NOT NULL;
  `;
