// PostgreSQL migration 2: message actions (issue 14), as SQLite's migration 8. Shipped: never changes.
// Replies, edits (revise), deletes for everyone and reactions are events of the conversation's log;
// delete for me is a per-user hidden list.
export const migration = `
  -- The seq of the message an event acts on (revise, delete, react) or replies to (message).
  ALTER TABLE events ADD COLUMN target BIGINT;
  -- JSON of the fields only one kind has: a message's {replyTo, mentions}, a revise's {mentions}, a react's {emoji, on}.
  ALTER TABLE events ADD COLUMN extra TEXT;
  -- A message deleted for everyone: its body, file and extra are erased in the same write.
  ALTER TABLE events ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;
  -- The file of this server a message linked to its conversation (file_links): when the last live
  -- message carrying it is deleted, the link goes.
  ALTER TABLE events ADD COLUMN file_id TEXT COLLATE "C";
  UPDATE events e SET file_id = right(e.file::json->>'url', 32)
    WHERE e.file IS NOT NULL AND (e.file::json->>'url') ~ '/files/[0-9a-f]{32}$'
    AND EXISTS (SELECT 1 FROM file_links l WHERE l.file_id = right(e.file::json->>'url', 32) AND l.conversation_id = e.conversation_id);
  CREATE INDEX events_by_target ON events(conversation_id, target) WHERE target IS NOT NULL;
  CREATE INDEX events_by_file ON events(conversation_id, file_id) WHERE file_id IS NOT NULL;

  -- The emoji on each message now: who reacted with what (a row while the reaction is on).
  CREATE TABLE reactions (
    conversation_id TEXT COLLATE "C" NOT NULL,
    seq             BIGINT NOT NULL,
    emoji           TEXT COLLATE "C" NOT NULL,
    address         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (conversation_id, seq, emoji, address)
  );

  -- Delete for me: each user's hidden list, a batch of one conversation's seqs per version.
  ALTER TABLE users ADD COLUMN hidden_version BIGINT NOT NULL DEFAULT 0;
  CREATE TABLE hidden (
    address         TEXT COLLATE "C" NOT NULL REFERENCES users(address),
    version         BIGINT NOT NULL,
    conversation_id TEXT COLLATE "C" NOT NULL,
    -- JSON array of seqs, ascending.
    seqs            TEXT NOT NULL,
    PRIMARY KEY (address, version)
  );
  `;
