// Client store migration 9: leads to user_version 9. Shipped: never changes.
export const migration = `
  -- Message actions (issue 14). An action (revise, delete, react) is a conversation event like any
  -- other, stored in messages by its own seq (so have_seq and catch-up see no difference); target
  -- names the message it acts on (on a reply: the message it answers). The target's current state is
  -- kept on its own row, so reads stay one row a message: body is the newest revise's by seq
  -- (edit_seq; each revise row keeps its text, blanked when the message is deleted), deleted once
  -- any delete is stored, hidden once I deleted it for me (on any of my devices).
  ALTER TABLE messages ADD COLUMN target INTEGER;
  ALTER TABLE messages ADD COLUMN edit_seq INTEGER;
  ALTER TABLE messages ADD COLUMN edited_at INTEGER;
  ALTER TABLE messages ADD COLUMN deleted INTEGER;
  ALTER TABLE messages ADD COLUMN hidden INTEGER;
  ALTER TABLE messages ADD COLUMN reply_to TEXT;      -- JSON protocol ReplyTarget: the server's quote
  ALTER TABLE messages ADD COLUMN mentions TEXT;      -- JSON [address]
  ALTER TABLE messages ADD COLUMN mentions_me INTEGER;
  CREATE INDEX messages_by_target ON messages(conversation_id, target) WHERE target IS NOT NULL;

  -- Each (message, person, emoji) as the newest react event by seq left it: applied whether the
  -- message is stored yet or not, so the order events arrive in changes nothing.
  CREATE TABLE reactions (
    conversation_id TEXT NOT NULL,
    target          INTEGER NOT NULL,
    sender          TEXT NOT NULL,
    emoji           TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    on_             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, target, sender, emoji)
  ) WITHOUT ROWID;

  -- My messages deleted for me, stored or not yet (meta 'hidden_version': the server's version of that list).
  CREATE TABLE hidden (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  ) WITHOUT ROWID;

  -- Indexed docs whose text changed (an edit) or that must leave the index (a delete, a hide).
  CREATE TABLE search_redo (doc_id INTEGER PRIMARY KEY);

  -- Unread: messages from others after my read mark (not actions, membership or title events, nor
  -- what is deleted or hidden), kept as counts so the list and the badge read no messages.
  ALTER TABLE conversations ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE conversations ADD COLUMN unread_mentions INTEGER NOT NULL DEFAULT 0;
  UPDATE conversations SET unread = (
    SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.seq > conversations.read_seq
      AND m.kind IN ('text', 'file') AND m.sender <> coalesce((SELECT value FROM meta WHERE key = 'me'), '')
  );

  -- Outbox actions: action is null for a message, else edit | delete | react | unreact | hide; target
  -- is the message's id (sender:clientId or conversation#seq), resolved to its seq when sent;
  -- waits_for is my message still in the outbox that it acts on (sent first). A message carries the
  -- seq it replies to and the people it mentions.
  ALTER TABLE outbox ADD COLUMN action TEXT;
  ALTER TABLE outbox ADD COLUMN target TEXT;
  ALTER TABLE outbox ADD COLUMN waits_for TEXT;
  ALTER TABLE outbox ADD COLUMN reply_to INTEGER;
  ALTER TABLE outbox ADD COLUMN mentions TEXT;
  CREATE INDEX outbox_by_waits_for ON outbox(waits_for) WHERE waits_for IS NOT NULL;
  `;
