// The engine's store opens a database made by an earlier build, migrates it to the latest
// user_version, and reads every row back as that build did. client-v6.sqlite was made by the code
// before the store split (commit fbb21f3); client-v6.expected.json is what that code read from it.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../common/node/sqlite.js';
import { createJournal } from '../../main/core/folders/journal.js';
import { createViews } from '../../main/core/messages/views.js';
import { openStore } from '../../main/core/store/index.js';
import { migrations } from '../../main/core/store/migrations/index.js';
import { cleanup, tempDir } from '../support/harness.js';
import { FIXTURES, fixtureCopy, userVersion } from '../support/sqlite-fixtures.js';


afterEach(cleanup);

describe('client store migrations', () => {
  it('opens a store made by the build before the split and reads back what that build did', () => {
    const file = fixtureCopy('client-v6.sqlite', 'parley-client.db');
    const dir = dirname(file);
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'client-v6.expected.json'), 'utf8'));

    const store = openStore(dir);
    store.init();
    const views = createViews(store);
    const journal = createJournal(store);
    expect(store.me).toBe(expected.me);
    expect(store.prefs.meta('deviceId')).toBe(expected.deviceId);
    // Summaries gained unread mentions in migration 9 (none in a store from before), and tell how far
    // events are stored without a gap (that store held all of them).
    expect(views.conversations()).toEqual((expected.conversations as Array<{ lastSeq: number }>).map((c) => ({ ...c, mentions: 0, haveSeq: c.lastSeq })));
    expect(views.totalUnread()).toBe(expected.totalUnread);
    for (const [id, page] of Object.entries(expected.messages as Record<string, Array<{ id: string }>>)) {
      expect(views.page(id, {}, 50)).toEqual(page);
      for (const message of page) expect(views.byId(message.id)).toEqual(message);
    }
    expect(['t-photo', 't-report', 't-draft'].map((id) => store.transfers.get(id))).toEqual(expected.transfers);
    expect(store.outbox.next()).toMatchObject({ ...expected.nextOutbox, file: null, upload: null, sentAt: null });
    expect(journal.bindings()).toEqual(expected.bindings);
    expect(journal.rowsFor('w-1', 'draft.txt').concat(journal.rowsFor('w-1', 'old.txt'))).toEqual(expected.journal);
    expect(journal.messageState('a-4')).toEqual({ where: 'outbox', error: null });
    const [saved] = expected.saveFolders as Array<{ conversation_id: string; dir: string; scanned_seq: number }>;
    expect(store.folders.saving.get(saved!.conversation_id)).toEqual({ dir: saved!.dir, scannedSeq: saved!.scanned_seq });
    store.close();
    expect(userVersion(file)).toBe(migrations.length);
  });

  it('runs every later migration over a database at the first one, keeping its rows', () => {
    const dir = tempDir();
    const file = join(dir, 'parley-client.db');
    const v1 = openDatabase(file, migrations.slice(0, 1));
    v1.exec(`
      INSERT INTO meta VALUES ('me', 'alice');
      INSERT INTO conversations (id, type, title, participants, last_seq, have_seq, read_seq, last_activity, created_at) VALUES
        ('c1', 'direct', NULL, '[{"address":"alice","role":"member","deliveredSeq":2,"readSeq":2},{"address":"bob","role":"member","deliveredSeq":1,"readSeq":1}]', 2, 2, 2, 2000, 1000);
      INSERT INTO messages VALUES ('c1', 1, 'text', 'alice', 'a-1', 'Hi Bob', 1000), ('c1', 2, 'text', 'bob', 'b-1', 'Hi Alice', 2000);
      INSERT INTO outbox VALUES ('a-2', 'c1', NULL, 'Still there?', 3000, NULL);
    `);
    v1.close();
    expect(userVersion(file)).toBe(1);

    const store = openStore(dir);
    store.init();
    const views = createViews(store);
    expect(views.page('c1', {}, 50).map((m) => [m.id, m.seq, m.body, m.status])).toEqual([
      ['alice:a-1', 1, 'Hi Bob', 'read'],
      ['bob:b-1', 2, 'Hi Alice', null],
      ['alice:a-2', null, 'Still there?', 'sending'],
    ]);
    expect(views.conversation('c1')).toMatchObject({ unread: 0, muted: false, lastMessage: { id: 'alice:a-2' } });
    store.close();
    expect(userVersion(file)).toBe(migrations.length);
  });

  it('refuses a database from a newer build', () => {
    const dir = tempDir();
    const file = join(dir, 'parley-client.db');
    const newer = new Database(file);
    newer.pragma(`user_version = ${migrations.length + 1}`);
    newer.close();
    expect(() => openStore(dir)).toThrow(/newer than this build/);
  });
});
