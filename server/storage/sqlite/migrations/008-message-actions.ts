// Server database migration 8: leads to user_version 8. Shipped: never changes.
// Message actions (issue 14): replies, edits (revise), deletes for everyone and reactions are events
// of the conversation's log; delete for me is a per-user hidden list.
const HEX32 = '[0-9a-f]'.repeat(32);
export const migration = `
  -- The seq of the message an event acts on (revise, delete, react) or replies to (message).
  ALTER TABLE events ADD COLUMN target INTEGER;
  -- JSON of the fields only one kind has: a message's {replyTo: {sender, quote, deleted?}, mentions},
  -- a revise's {mentions}, a react's {emoji, on}.
  ALTER TABLE events ADD COLUMN extra TEXT;
  -- A message deleted for everyone: its body, file and extra are erased in the same write.
  ALTER TABLE events ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  -- The file of this server a message linked to its conversation (file_links): when the last live
  -- message carrying it is deleted, the link goes.
  ALTER TABLE events ADD COLUMN file_id TEXT;
  UPDATE events SET file_id = substr(json_extract(file, '$.url'), -32)
    WHERE file IS NOT NULL AND json_extract(file, '$.url') GLOB '*/files/${HEX32}'
    AND EXISTS (SELECT 1 FROM file_links l WHERE l.file_id = substr(json_extract(events.file, '$.url'), -32)
                AND l.conversation_id = events.conversation_id);
  CREATE INDEX events_by_target ON events(conversation_id, target) WHERE target IS NOT NULL;
  CREATE INDEX events_by_file ON events(conversation_id, file_id) WHERE file_id IS NOT NULL;

  -- The emoji on each message now: who reacted with what (a row while the reaction is on).
  CREATE TABLE reactions (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    emoji           TEXT NOT NULL,
    address         TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq, emoji, address)
  ) WITHOUT ROWID;

  -- Delete for me: each user's hidden list, a batch of one conversation's seqs per version.
  ALTER TABLE users ADD COLUMN hidden_version INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE hidden (
    address         TEXT NOT NULL REFERENCES users(address),
    version         INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    -- JSON array of seqs, ascending.
    seqs            TEXT NOT NULL,
    PRIMARY KEY (address, version)
  ) WITHOUT ROWID;
  `;
