// Server database migration 6: leads to user_version 6. Shipped: never changes.
// Groups run from the app (issue 15): a description, when each member joined (the longest-standing
// one takes over as admin when the last admin leaves), and where a removed member's history ends.
export const migration = `
  ALTER TABLE conversations ADD COLUMN description TEXT;

  -- Server time the member was added; 0 for those who were there before this migration.
  ALTER TABLE members ADD COLUMN joined_at INTEGER NOT NULL DEFAULT 0;

  -- A member removed (or who left) may still fetch the events up to seq, the event that removed them.
  CREATE TABLE departures (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    address         TEXT NOT NULL REFERENCES users(address),
    seq             INTEGER NOT NULL,
    left_at         INTEGER NOT NULL,
    PRIMARY KEY (address, conversation_id)
  ) WITHOUT ROWID;
  `;
