// Server database migration 7: leads to user_version 7. Shipped: never changes.
export const migration = `
  -- The profile picture: a file of this server (its id), readable by those who share a conversation.
  ALTER TABLE users ADD COLUMN avatar_file TEXT;
  -- Others see no last-seen time of this user, and the user sees none of theirs.
  ALTER TABLE users ADD COLUMN hide_last_seen INTEGER NOT NULL DEFAULT 0;
  -- When the user's last device went offline (ms since epoch); NULL: never seen since this column exists.
  ALTER TABLE users ADD COLUMN last_seen INTEGER;
  `;
