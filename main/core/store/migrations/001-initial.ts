// Client store migration 1: leads to user_version 1. Shipped: never changes.
export const migration = `
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
  `;
