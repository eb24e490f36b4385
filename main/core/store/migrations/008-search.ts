// Client store migration 8: leads to user_version 8. Shipped: never changes.
export const migration = `
  -- Local full-text search (main/core/search/). search_docs numbers each searchable message (text or
  -- file) as it is stored, in the same transaction; search_text indexes them behind it, in batches,
  -- up to the id kept in meta 'search_indexed'. A message is in search_docs or in the backfill still
  -- to do (meta 'search_backfill'), never lost between them: a crash resumes where the index stopped.
  CREATE TABLE search_docs (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
  );

  -- Its rowid is the search_docs id negated (newest first is the index's forward order).
  -- Contentless: the text stays in messages alone; snippets are cut from it there. text is the
  -- message (or the file's name and caption) with CJK runs written as bigrams; scope carries the
  -- filters as tokens (conversation, sender, has:file, has:link, mentions), searched only as filters.
  -- prefix = 3: three letters typed is one lookup, not a merge of every word that starts with them.
  CREATE VIRTUAL TABLE search_text USING fts5(
    text, scope,
    tokenize = 'unicode61 remove_diacritics 2', prefix = 3,
    content = '', contentless_delete = 1
  );

  -- The messages stored before this version are numbered by the backfill, after the launch.
  INSERT INTO meta (key, value)
    SELECT 'search_backfill', '' WHERE EXISTS (SELECT 1 FROM messages WHERE kind IN ('text', 'file'));
  `;
