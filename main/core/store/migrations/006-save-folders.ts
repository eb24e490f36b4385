// Client store migration 6: leads to user_version 6. Shipped: never changes.
export const migration = `
  -- Incoming files a conversation saves by themselves into a folder on this device
  -- (main/core/files/auto-save.ts). scanned_seq: its messages up to here have been looked at.
  CREATE TABLE save_folders (
    conversation_id TEXT PRIMARY KEY,
    dir             TEXT NOT NULL,
    scanned_seq     INTEGER NOT NULL
  ) WITHOUT ROWID;
  `;
