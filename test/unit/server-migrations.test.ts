// The server's SQLite storage opens a database made by an earlier build, migrates it to the latest
// user_version and serves its rows. server-v2.sqlite was made by the code of commit fbb21f3.
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../common/node/sqlite.js';
import { migrations } from '../../server/storage/sqlite/migrations/index.js';
import { openSqliteStorage } from '../../server/storage/sqlite/sqlite-storage.js';
import { cleanup, tempDir } from '../support/harness.js';
import { fixtureCopy, userVersion } from '../support/sqlite-fixtures.js';


afterEach(cleanup);

describe('server database migrations', () => {
  it('opens a database made by the build before the re-layout and serves its rows', async () => {
    const file = fixtureCopy('server-v2.sqlite', 'parley.db');
    const storage = openSqliteStorage(dirname(file));
    const T = 1_750_000_000_000;
    expect(await storage.stats()).toEqual({ users: 2, conversations: 2, messages: 2 });
    expect(await storage.findToken('d'.repeat(64))).toEqual({ hash: 'd'.repeat(64), address: 'alice', expiresAt: T + 86_400_000, revoked: false });
    expect((await storage.listConversations('bob')).map((c) => [c.id, c.title, c.lastSeq, c.participants.map((p) => [p.address, p.readSeq])])).toEqual(
      expect.arrayContaining([
        ['c-direct', null, 2, [['alice', 1], ['bob', 2]]],
        ['c-group', 'Team Parley', 2, [['alice', 0], ['bob', 0]]],
      ]),
    );
    const events = await storage.getEvents('c-direct', 1, 10, 10);
    expect(events.map((e) => [e.seq, e.type === 'message' ? e.body : e.type])).toEqual([[1, 'Hi Bob'], [2, 'A photo']]);
    expect(events[1]).toMatchObject({ sender: 'bob', clientId: 'b-2', file: { url: 'http://127.0.0.1:8080/files/f-photo', name: 'photo.jpg', title: 'Beach' } });
    expect((await storage.getEvents('c-group', 1, 10, 10)).map((e) => e.type)).toEqual(['members', 'edit']);
    expect(await storage.getFile('f-photo')).toMatchObject({ owner: 'bob', size: 2048, complete: true });
    expect(await storage.mayReadFile('f-photo', 'alice')).toBe(true);
    expect(await storage.staleUploads(T + 3000)).toEqual(['f-partial']);
    // Idempotency survives: the same (sender, device, clientId) is found, not stored again.
    expect(await storage.appendMessage({ conversationId: 'c-direct', sender: 'alice', deviceId: 'device-1', clientId: 'a-1', body: 'Hi Bob', serverTime: T + 9000 })).toMatchObject({ duplicate: true, event: { seq: 1 } });
    // Migration 3 keys it by conversation too: the same clientId in another conversation is a new message.
    const elsewhere = { conversationId: 'c-group', sender: 'alice', deviceId: 'device-1', clientId: 'a-1', body: 'Hi team', serverTime: T + 9001 };
    expect(await storage.appendMessage(elsewhere)).toMatchObject({ duplicate: false, event: { seq: 3, body: 'Hi team' } });
    expect(await storage.appendMessage(elsewhere)).toMatchObject({ duplicate: true, event: { seq: 3 } });
    expect((await storage.stats()).messages).toBe(3);
    await storage.close();
    expect(userVersion(file)).toBe(migrations.length);
  });

  it('runs every later migration over a database at the first one, keeping its rows', async () => {
    const dir = tempDir();
    const file = join(dir, 'parley.db');
    const v1 = openDatabase(file, migrations.slice(0, 1));
    v1.exec(`
      INSERT INTO users VALUES ('alice', 'Alice', 1000), ('bob', 'Bob', 1000);
      INSERT INTO conversations VALUES ('c1', 'direct', NULL, 'direct:alice:bob', 1, 2000, 1000);
      INSERT INTO members VALUES ('c1', 'alice', 'member', 1, 1), ('c1', 'bob', 'member', 0, 0);
      INSERT INTO events VALUES ('c1', 1, 'message', 'alice', 'device-1', 'a-1', 'Hi Bob', 2000);
    `);
    v1.close();
    expect(userVersion(file)).toBe(1);

    const storage = openSqliteStorage(dir);
    expect(await storage.getEvents('c1', 1, 10, 10)).toEqual([
      { type: 'message', conversationId: 'c1', seq: 1, sender: 'alice', clientId: 'a-1', body: 'Hi Bob', serverTime: 2000 },
    ]);
    expect(await storage.getParticipants('c1')).toEqual([
      { address: 'alice', role: 'member', deliveredSeq: 1, readSeq: 1, name: 'Alice' },
      { address: 'bob', role: 'member', deliveredSeq: 0, readSeq: 0, name: 'Bob' },
    ]);
    await storage.close();
    expect(userVersion(file)).toBe(migrations.length);
  });

  it('gives groups made before migration 6 no description and members who all joined first, and hands admin on by address among them', async () => {
    const dir = tempDir();
    const file = join(dir, 'parley.db');
    const v5 = openDatabase(file, migrations.slice(0, 5));
    v5.exec(`
      INSERT INTO users VALUES ('ann', 'Ann', 1000, NULL), ('bob', 'Bob', 1000, NULL), ('cat', 'Cat', 1000, NULL);
      INSERT INTO conversations VALUES ('g', 'group', 'Old team', NULL, 0, 1000, 1000);
      INSERT INTO members VALUES ('g', 'cat', 'member', 0, 0), ('g', 'ann', 'admin', 0, 0), ('g', 'bob', 'member', 0, 0);
    `);
    v5.close();

    const storage = openSqliteStorage(dir);
    expect(await storage.getConversation('g')).toMatchObject({ title: 'Old team', description: null });
    const { event } = await storage.changeMembers('g', { add: [], remove: ['ann'] }, 'ann', 2000, () => {});
    expect(event).toMatchObject({ type: 'members', seq: 1, removed: ['ann'], promoted: ['bob'] });
    expect(await storage.departures('ann', 10)).toEqual([{ conversationId: 'g', seq: 1 }]);
    expect(await storage.departure('g', 'ann')).toBe(1);
    await storage.close();
  });

  it('gives a database at migration 7 message actions: old events served as before, an old file message’s link dropped with its last live carrier', async () => {
    const dir = tempDir();
    const file = join(dir, 'parley.db');
    const fileId = 'ab'.repeat(16);
    const info = JSON.stringify({ url: `http://127.0.0.1:7300/files/${fileId}`, name: 'plan.pdf', size: 3, mime: 'application/pdf', sha256: 'c'.repeat(64) });
    const v7 = openDatabase(file, migrations.slice(0, 7));
    v7.exec(`
      INSERT INTO users (address, name, created_at) VALUES ('ann', 'Ann', 1000), ('bob', 'Bob', 1000);
      INSERT INTO conversations (id, type, title, distinct_key, last_seq, last_activity, created_at) VALUES ('g', 'group', 'Team', NULL, 3, 2000, 1000);
      INSERT INTO members (conversation_id, address, role, delivered_seq, read_seq, joined_at) VALUES ('g', 'ann', 'admin', 3, 3, 1000), ('g', 'bob', 'member', 0, 0, 1000);
      INSERT INTO files (id, owner, name, size, mime, sha256, created_at, complete) VALUES ('${fileId}', 'ann', 'plan.pdf', 3, 'application/pdf', '${'c'.repeat(64)}', 1500, 1);
      INSERT INTO file_links (file_id, conversation_id) VALUES ('${fileId}', 'g');
      INSERT INTO events (conversation_id, seq, type, sender, device_id, client_id, body, server_time, file) VALUES
        ('g', 1, 'message', 'ann', 'd1', 'a-1', 'the plan', 2000, '${info}'),
        ('g', 2, 'message', 'ann', 'd1', 'a-2', 'again', 2001, '${info}'),
        ('g', 3, 'message', 'bob', 'd2', 'b-1', 'thanks', 2002, NULL);
    `);
    v7.close();

    const storage = openSqliteStorage(dir);
    expect(await storage.getEvents('g', 1, 3, 10)).toEqual([
      { type: 'message', conversationId: 'g', seq: 1, sender: 'ann', clientId: 'a-1', body: 'the plan', file: JSON.parse(info) as object, serverTime: 2000 },
      { type: 'message', conversationId: 'g', seq: 2, sender: 'ann', clientId: 'a-2', body: 'again', file: JSON.parse(info) as object, serverTime: 2001 },
      { type: 'message', conversationId: 'g', seq: 3, sender: 'bob', clientId: 'b-1', body: 'thanks', serverTime: 2002 },
    ]);
    expect(await storage.getProfile('bob')).toMatchObject({ hiddenVersion: 0 });
    const action = { conversationId: 'g', sender: 'ann', deviceId: 'd1', serverTime: 3000, authorize: () => {} };
    expect(await storage.appendAction({ ...action, clientId: 'x-1', target: 3, change: { type: 'react', emoji: '👍', on: true } })).toMatchObject({ event: { type: 'react', seq: 4, target: 3 } });
    expect(await storage.appendMessage({ ...action, clientId: 'x-2', body: 'yes', replyTo: 1 })).toMatchObject({ event: { seq: 5, replyTo: { seq: 1, sender: 'ann', quote: 'the plan' } } });
    // The links of messages sent before migration 8 were found: deleting one carrier keeps the file shared, the last ends it.
    await storage.appendAction({ ...action, clientId: 'x-3', target: 1, change: { type: 'delete' } });
    expect(await storage.mayReadFile(fileId, 'bob')).toBe(true);
    await storage.appendAction({ ...action, clientId: 'x-4', target: 2, change: { type: 'delete' } });
    expect(await storage.mayReadFile(fileId, 'bob')).toBe(false);
    expect((await storage.getEvents('g', 5, 5, 1))[0]).toMatchObject({ replyTo: { seq: 1, quote: '', deleted: true } });
    expect(await storage.hideMessages('bob', 'g', [3])).toEqual({ version: 1, conversationId: 'g', seqs: [3] });
    await storage.close();
    expect(userVersion(file)).toBe(migrations.length);
  });
});

