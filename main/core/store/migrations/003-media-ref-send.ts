// Client store migration 3: leads to user_version 3. Shipped: never changes.
export const migration = `
  -- A file message sent through the account's Media Reference Send web service (seed 004) instead
  -- of the Parley server: it never gets a seq, so it stays here, marked sent, as my record of it.
  ALTER TABLE outbox ADD COLUMN sent_at INTEGER;
  `;
