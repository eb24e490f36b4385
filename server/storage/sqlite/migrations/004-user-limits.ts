// Server database migration 4: leads to user_version 4. Shipped: never changes.
export const migration = `
  -- A user's own rate limits over the server's (a bot's, an integration's): UserLimits JSON, or NULL.
  ALTER TABLE users ADD COLUMN limits TEXT;
  `;
