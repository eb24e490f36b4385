// Client store migration 5: leads to user_version 5. Shipped: never changes.
export const migration = `
  -- This device's own preferences per conversation, never sent to the server (mute is per device).
  CREATE TABLE conversation_prefs (
    conversation_id TEXT PRIMARY KEY,
    muted           INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  `;
