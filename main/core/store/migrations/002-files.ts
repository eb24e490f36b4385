// Client store migration 2: leads to user_version 2. Shipped: never changes.
export const migration = `
  -- File messages: the file's metadata (protocol FileInfo as JSON) on stored messages and on my
  -- outbox; an outbox message with an upload is sent once that transfer is done.
  ALTER TABLE messages ADD COLUMN file TEXT;
  CREATE INDEX messages_by_file_url ON messages(json_extract(file, '$.url')) WHERE file IS NOT NULL;
  ALTER TABLE outbox ADD COLUMN file TEXT;
  ALTER TABLE outbox ADD COLUMN upload TEXT;

  -- File transfers, so one cut off by a quit or a crash shows as interrupted and resumes.
  CREATE TABLE transfers (
    id              TEXT PRIMARY KEY,
    direction       TEXT NOT NULL,          -- upload | download
    mode            TEXT NOT NULL,          -- tus | uploadUrl | handler | http
    state           TEXT NOT NULL,          -- pending | running | stopped | interrupted | failed | done
    path            TEXT,                   -- upload: the file sent; download: the saved file, once done
    url             TEXT,                   -- download: the source; upload: the file's URL, once done
    remote          TEXT,                   -- tus: the upload's URL on the server, to resume it
    part            TEXT,                   -- download: the temporary file being written
    name            TEXT NOT NULL,
    mime            TEXT NOT NULL,
    total           INTEGER NOT NULL,
    bytes           INTEGER NOT NULL DEFAULT 0, -- progress when last saved; on resume the server or the part file says
    sha256          TEXT,                   -- download: expected; upload: computed, once done
    source_mtime    INTEGER,                -- upload: the file's mtime when sent, to notice it changed since
    message_id      TEXT,
    conversation_id TEXT,
    error           TEXT,
    created_at      INTEGER NOT NULL
  );
  CREATE INDEX transfers_by_message ON transfers(message_id);
  CREATE INDEX transfers_by_path ON transfers(path) WHERE direction = 'upload';
  CREATE INDEX transfers_by_url ON transfers(url) WHERE direction = 'download';
  `;
