// Server database migration 5: leads to user_version 5. Shipped: never changes.
// The idempotency index keyed by clientId first: clients make time-ordered clientIds (UUIDv7), so new
// entries go to one end of the index and a batch of sends writes a few of its pages, not one each.
// The same four columns, so the same sends are one message.
export const migration = `
  DROP INDEX events_idempotency;
  CREATE UNIQUE INDEX events_idempotency ON events(client_id, sender, device_id, conversation_id) WHERE client_id IS NOT NULL;
  `;
