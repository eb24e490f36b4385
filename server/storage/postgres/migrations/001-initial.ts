// PostgreSQL migration 1: the schema of SQLite's migrations 1–7 at once, plus what several nodes on
// one database need (members_version). Shipped: never changes.
//
// Text that is compared or sorted (addresses, ids) uses the "C" collation: byte order, as SQLite
// sorts, whatever the database's locale, and cheaper to compare. Times are ms since the epoch.
// fillfactor leaves room in each page so the updates of every message and receipt (last_seq, the
// marks) stay HOT: no index touched.
export const migration = `
  CREATE TABLE users (
    address        TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    -- A user's own rate limits over the server's: UserLimits JSON, or NULL.
    limits         TEXT,
    -- The profile picture: a file of this server (its id).
    avatar_file    TEXT COLLATE "C",
    hide_last_seen BOOLEAN NOT NULL DEFAULT false,
    -- When the user's last device went offline; NULL: never seen.
    last_seen      BIGINT
  );

  -- Whose picture a file is: the file's readers are those who share a conversation with them.
  CREATE INDEX users_by_avatar ON users(avatar_file) WHERE avatar_file IS NOT NULL;

  -- Only the SHA-256 of a user access token is kept; the token itself is shown once.
  CREATE TABLE tokens (
    hash       TEXT COLLATE "C" PRIMARY KEY,
    address    TEXT COLLATE "C" NOT NULL REFERENCES users(address),
    expires_at BIGINT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT false,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX tokens_by_address ON tokens(address);

  CREATE TABLE conversations (
    id              TEXT COLLATE "C" PRIMARY KEY,
    type            TEXT NOT NULL,
    title           TEXT,
    description     TEXT,
    distinct_key    TEXT COLLATE "C" UNIQUE,
    -- Every event takes last_seq + 1 in the transaction that writes it: gap-free, no SEQUENCE.
    last_seq        BIGINT NOT NULL DEFAULT 0,
    -- Moves with every change of members or roles: a write checked against the members a node
    -- holds in memory commits only if they are still current.
    members_version BIGINT NOT NULL DEFAULT 0,
    last_activity   BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
  ) WITH (fillfactor = 80);

  CREATE TABLE members (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id),
    address         TEXT COLLATE "C" NOT NULL REFERENCES users(address),
    role            TEXT NOT NULL,
    delivered_seq   BIGINT NOT NULL DEFAULT 0,
    read_seq        BIGINT NOT NULL DEFAULT 0,
    -- Server time the member was added: the longest-standing takes over as admin.
    joined_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, address)
  ) WITH (fillfactor = 80);
  CREATE INDEX members_by_address ON members(address, conversation_id);

  -- Every conversation event; body is the message text, or JSON for membership and edit events;
  -- file the FileInfo JSON of a message that carries one.
  CREATE TABLE events (
    conversation_id TEXT COLLATE "C" NOT NULL,
    seq             BIGINT NOT NULL,
    type            TEXT NOT NULL,
    sender          TEXT COLLATE "C",
    device_id       TEXT COLLATE "C",
    client_id       TEXT COLLATE "C",
    body            TEXT NOT NULL,
    file            TEXT,
    server_time     BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  );
  -- A send is one message however often it is retried, on whichever node.
  CREATE UNIQUE INDEX events_idempotency ON events(client_id, sender, device_id, conversation_id) WHERE client_id IS NOT NULL;

  -- Files on this server; the bytes live in a FileStore under the same id.
  CREATE TABLE files (
    id         TEXT COLLATE "C" PRIMARY KEY,
    owner      TEXT COLLATE "C" NOT NULL REFERENCES users(address),
    name       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    mime       TEXT NOT NULL,
    sha256     TEXT,
    created_at BIGINT NOT NULL,
    complete   BOOLEAN NOT NULL DEFAULT false
  );
  CREATE INDEX files_by_owner ON files(owner);
  CREATE INDEX files_unfinished ON files(created_at) WHERE NOT complete;

  -- The conversations a file was sent in: their members may download it.
  CREATE TABLE file_links (
    file_id         TEXT COLLATE "C" NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id),
    PRIMARY KEY (file_id, conversation_id)
  );

  -- A member removed (or who left) may still fetch the events up to seq, the event that removed them.
  CREATE TABLE departures (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id),
    address         TEXT COLLATE "C" NOT NULL REFERENCES users(address),
    seq             BIGINT NOT NULL,
    left_at         BIGINT NOT NULL,
    PRIMARY KEY (address, conversation_id)
  );
  `;
