// Client store migration 7: leads to user_version 7. Shipped: never changes.
// A group's or channel's description, as the server tells it (issue 15).
export const migration = `
  ALTER TABLE conversations ADD COLUMN description TEXT;
  `;
