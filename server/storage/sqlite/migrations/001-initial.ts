// Server database migration 1: leads to user_version 1. Shipped: never changes.
export const migration = `
  CREATE TABLE users (
    address    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Only the SHA-256 of a user access token is kept; the token itself is shown once.
  CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    address    TEXT NOT NULL REFERENCES users(address),
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX tokens_by_address ON tokens(address);

  CREATE TABLE conversations (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    title        TEXT,
    distinct_key TEXT UNIQUE,
    last_seq     INTEGER NOT NULL DEFAULT 0,
    last_activity INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    address         TEXT NOT NULL REFERENCES users(address),
    role            TEXT NOT NULL,
    delivered_seq   INTEGER NOT NULL DEFAULT 0,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, address)
  ) WITHOUT ROWID;
  CREATE INDEX members_by_address ON members(address, conversation_id);

  -- Every conversation event; body is the message text, or JSON for membership and edit events.
  CREATE TABLE events (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    sender          TEXT,
    device_id       TEXT,
    client_id       TEXT,
    body            TEXT NOT NULL,
    server_time     INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX events_idempotency ON events(sender, device_id, client_id) WHERE client_id IS NOT NULL;
  `;
