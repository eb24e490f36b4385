// Server database migration 3: leads to user_version 3. Shipped: never changes.
// Idempotency is keyed by conversation too: a clientId a device reuses in another conversation is a
// new message there, not the first conversation's (issue 12, item 10).
export const migration = `
  DROP INDEX events_idempotency;
  CREATE UNIQUE INDEX events_idempotency ON events(sender, device_id, client_id, conversation_id) WHERE client_id IS NOT NULL;
  `;
