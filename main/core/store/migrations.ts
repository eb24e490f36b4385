// Numbered migrations of the local store; index + 1 is the user_version it leads to. Append only.
export const migrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    title         TEXT,
    participants  TEXT NOT NULL,              -- JSON: [{address, role, deliveredSeq, readSeq}]
    last_seq      INTEGER NOT NULL DEFAULT 0, -- the highest seq the server has told of
    have_seq      INTEGER NOT NULL DEFAULT 0, -- every event up to here is stored
    read_seq      INTEGER NOT NULL DEFAULT 0, -- my read mark
    last_activity INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Conversation events as the server numbered them; kind is text, members or edit.
  CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    sender          TEXT NOT NULL,
    client_id       TEXT,
    body            TEXT NOT NULL,
    server_time     INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  ) WITHOUT ROWID;

  -- My messages not yet acknowledged by the server, resent in rowid order with the same client_id
  -- until they are. error is set when the server refused one for good (until a retry).
  CREATE TABLE outbox (
    client_id       TEXT NOT NULL UNIQUE,
    conversation_id TEXT,
    peer            TEXT,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    error           TEXT
  );
  CREATE INDEX outbox_by_conversation ON outbox(conversation_id);
  `,
  `
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
  `,
  `
  -- A file message sent through the account's Media Reference Send web service (seed 004) instead
  -- of the Parley server: it never gets a seq, so it stays here, marked sent, as my record of it.
  ALTER TABLE outbox ADD COLUMN sent_at INTEGER;
  `,
  `
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
  `,
  `
  -- This device's own preferences per conversation, never sent to the server (mute is per device).
  CREATE TABLE conversation_prefs (
    conversation_id TEXT PRIMARY KEY,
    muted           INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  `,
  `
  -- Incoming files a conversation saves by themselves into a folder on this device
  -- (main/core/files/auto-save.ts). scanned_seq: its messages up to here have been looked at.
  CREATE TABLE save_folders (
    conversation_id TEXT PRIMARY KEY,
    dir             TEXT NOT NULL,
    scanned_seq     INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];
