// The server's group commit on a real SQLite file: the writes of one event-loop turn share one
// transaction, a caller hears only after the commit, one refused write leaves the others alone,
// and a batch whose commit fails stores nothing and answers every caller in it with the error.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../common/node/sqlite.js';
import { MAX_BATCH, MAX_WAITING, createWriteQueue } from '../../server/storage/sqlite/write-queue.js';
import { cleanup, onCleanup, tempDir } from '../support/temp.js';

afterEach(cleanup);

// A deferred foreign key is checked at COMMIT: a write that breaks it makes the whole commit fail.
const SCHEMA = `
  CREATE TABLE parents (id INTEGER PRIMARY KEY);
  CREATE TABLE rows (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);
  INSERT INTO parents (id) VALUES (1);
`;

function open(): { db: Db; reader: Database.Database; count: () => number } {
  const file = join(tempDir('parley-write-queue-'), 'queue.db');
  const db = openDatabase(file, [SCHEMA]);
  // Another connection sees only what is committed.
  const reader = new Database(file, { readonly: true });
  onCleanup(() => {
    reader.close();
    db.close();
  });
  const counter = reader.prepare('SELECT count(*) FROM rows').pluck();
  return { db, reader, count: () => counter.get() as number };
}

describe('group commit', () => {
  it('commits the writes of one turn together and answers each caller only after the commit', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const insert = db.prepare('INSERT INTO rows (id, parent) VALUES (?, 1)');
    const seenDuringWrites: number[] = [];
    const seenByCallers: number[] = [];
    const writes = [1, 2, 3].map((id) =>
      queue
        .run(() => {
          insert.run(id);
          seenDuringWrites.push(count());
          return id;
        })
        .then((value) => {
          seenByCallers.push(count());
          return value;
        }),
    );
    expect(count()).toBe(0); // nothing runs before the turn ends
    expect(await Promise.all(writes)).toEqual([1, 2, 3]);
    expect(seenDuringWrites).toEqual([0, 0, 0]); // one transaction, not yet committed while it ran
    expect(seenByCallers).toEqual([3, 3, 3]); // every caller hears after all three are on disk
  });

  it('rolls back one write that throws and commits the rest of its batch', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const insert = db.prepare('INSERT INTO rows (id, parent) VALUES (?, 1)');
    const results = await Promise.allSettled([
      queue.run(() => insert.run(1)),
      queue.run(() => {
        insert.run(2);
        throw new Error('refused after writing');
      }),
      queue.run(() => insert.run(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused after writing' });
    expect(db.prepare('SELECT id FROM rows ORDER BY id').pluck().all()).toEqual([1, 3]);
    expect(count()).toBe(2);
  });

  it('stores nothing of a batch whose commit fails, answers every caller in it with the error, and goes on', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const rollbacks: unknown[] = [];
    queue.onRollback((error) => rollbacks.push(error));
    const insert = db.prepare('INSERT INTO rows (id, parent) VALUES (?, ?)');
    const results = await Promise.allSettled([
      queue.run(() => insert.run(1, 1)),
      queue.run(() => insert.run(2, 99)), // no parent 99: the deferred check fails the COMMIT
      queue.run(() => insert.run(3, 1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(rollbacks).toHaveLength(1);
    expect(count()).toBe(0);
    expect(db.inTransaction).toBe(false);

    await queue.run(() => insert.run(4, 1));
    expect(count()).toBe(1);
  });

  it('stores nothing of a batch when a full disk ends its transaction, and answers each caller with that error', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const insert = db.prepare('INSERT INTO rows (id, parent) VALUES (?, 1)');
    db.exec('CREATE TABLE blobs (data BLOB)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`); // the disk is full: no page more
    const results = await Promise.allSettled([
      queue.run(() => insert.run(1)),
      queue.run(() => db.prepare('INSERT INTO blobs (data) VALUES (?)').run(Buffer.alloc(100_000))),
      queue.run(() => insert.run(3)), // would commit on its own, unasked, if the queue went on
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_FULL' });
    expect(count()).toBe(0);
    expect(db.inTransaction).toBe(false);

    db.pragma('max_page_count = 1073741823');
    await queue.run(() => insert.run(4));
    expect(count()).toBe(1);
  });

  it('splits a long queue into bounded transactions and answers every write', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const insert = db.prepare('INSERT INTO rows (id, parent) VALUES (?, 1)');
    const total = MAX_BATCH * 2 + 7;
    // What another connection sees stays put during one transaction: one value per transaction.
    const committedBefore = new Set<number>();
    const ids = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        queue.run(() => {
          committedBefore.add(count());
          insert.run(i + 1);
          return i + 1;
        }),
      ),
    );
    expect(ids).toHaveLength(total);
    expect(count()).toBe(total);
    expect([...committedBefore]).toEqual([0, MAX_BATCH, 2 * MAX_BATCH]);
  });

  it('refuses a write as busy past the writes it holds waiting, and takes writes again once they are committed', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const insert = db.prepare('INSERT INTO rows (id, parent) VALUES (?, 1)');
    const held = Array.from({ length: MAX_WAITING }, (_, i) => queue.run(() => insert.run(i + 1)));
    await expect(queue.run(() => insert.run(0))).rejects.toMatchObject({ code: 'rate_limited' });
    await Promise.all(held);
    expect(count()).toBe(MAX_WAITING);
    await queue.run(() => insert.run(MAX_WAITING + 1));
    expect(count()).toBe(MAX_WAITING + 1);
  });

  it('commits what waits when flushed at once (the storage closing)', async () => {
    const { db, count } = open();
    const queue = createWriteQueue(db);
    const write = queue.run(() => db.prepare('INSERT INTO rows (id, parent) VALUES (1, 1)').run());
    queue.flush();
    expect(count()).toBe(1);
    await write;
  });
});
