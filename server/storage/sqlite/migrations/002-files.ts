// Server database migration 2: leads to user_version 2. Shipped: never changes.
export const migration = `
  -- The FileInfo JSON of a message that carries a file.
  ALTER TABLE events ADD COLUMN file TEXT;

  -- Files on this server; the bytes live in a FileStore under the same id.
  CREATE TABLE files (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL REFERENCES users(address),
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    mime       TEXT NOT NULL,
    sha256     TEXT,
    created_at INTEGER NOT NULL,
    complete   INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;

  -- The conversations a file was sent in: their members may download it.
  CREATE TABLE file_links (
    file_id         TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    PRIMARY KEY (file_id, conversation_id)
  ) WITHOUT ROWID;
  `;
