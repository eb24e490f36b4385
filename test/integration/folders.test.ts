// Watched drop folders against a real server, real chokidar and real temp folders: files written
// slowly or under temporary names, a burst of 1,000, restarts in the middle, files added while the
// engine was stopped, a folder that goes away and comes back, and the options.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../main/core/index.js';
import { cleanup, nextEvent, pair, startClient, startTestServer, tempDir, until, type TestServer } from '../support/harness.js';

afterEach(cleanup);

const TUNING = { stabilityMs: 150, concurrency: 4, recoverMs: 100 };
/** Only to pace a file written slowly; waiting for the engine is whenFoldersIdle() or an event. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An engine with the folder tuning above (stopped at cleanup), on its own data dir or the one given. */
const engine = (url: string, token: string, dataDir?: string) => startClient(url, token, { folders: TUNING, ...(dataDir ? { dataDir } : {}) });
const folderPair = (t: TestServer) => pair(t, { engine: { folders: TUNING } });

/** File names of the file messages bob has, oldest first. */
async function namesAt(bob: Client, conversationId: string): Promise<string[]> {
  await bob.caughtUp();
  const out: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = bob.readMessages(conversationId, { limit: 500, ...(before ? { beforeSeq: before } : {}) });
    if (page.length === 0) break;
    out.unshift(...page.filter((m) => m.file).map((m) => m.file!.name));
    before = page[0]!.seq!;
    if (page.length < 500) break;
  }
  return out;
}

const waitNames = async (bob: Client, conversationId: string, count: number, timeout = 20_000) => {
  let names: string[] = [];
  await until(async () => (names = await namesAt(bob, conversationId)).length >= count, `${count} files at bob`, timeout);
  return names;
};

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('watched folders', () => {
  it('sends a file written slowly in chunks once, complete, and moves it into Sent', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    const folder = await alice.watchFolder(dir, conversationId);
    expect(folder.options).toEqual({ includeSubfolders: false, includeExisting: false, afterSend: 'move', resendChanged: false });
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    const sent = nextEvent(alice, 'folderFileSent');
    const data = randomBytes(256 * 1024);
    const path = join(dir, 'scan.bin');
    for (let at = 0; at < data.length; at += 32 * 1024) {
      appendFileSync(path, data.subarray(at, at + 32 * 1024));
      await sleep(40); // shorter than the stability window: still one file being written
    }
    const event = await sent;
    expect(event.path).toBe('scan.bin');
    expect(event.movedTo).toBe(join(dir, 'Sent', 'scan.bin'));
    expect(existsSync(path)).toBe(false);
    const names = await waitNames(bob, conversationId, 1);
    await alice.whenFoldersIdle();
    expect(await namesAt(bob, conversationId)).toEqual(['scan.bin']);
    const message = bob.readMessages(conversationId).find((m) => m.file)!;
    expect(message.file!.size).toBe(data.length);
    expect(message.file!.sha256).toBe(sha(data));
    expect(names).toEqual(['scan.bin']);
  });

  it('ignores temporary names until the file is renamed, then sends it once under its final name', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId, { afterSend: 'keep' });
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    writeFileSync(join(dir, 'report.pdf.part'), randomBytes(10_000));
    writeFileSync(join(dir, '.hidden'), 'x');
    writeFileSync(join(dir, '~$doc.docx'), 'x');
    writeFileSync(join(dir, 'x.crdownload'), 'x');
    // Written after them: once it is sent and the folder is idle, any of them taken for a file to send would have gone too.
    writeFileSync(join(dir, 'marker.txt'), 'marker');
    await waitNames(bob, conversationId, 1);
    await alice.whenFoldersIdle();
    expect(await namesAt(bob, conversationId)).toEqual(['marker.txt']);
    renameSync(join(dir, 'report.pdf.part'), join(dir, 'report.pdf'));
    await waitNames(bob, conversationId, 2);
    await alice.whenFoldersIdle();
    expect(await namesAt(bob, conversationId)).toEqual(['marker.txt', 'report.pdf']);
  });

  it('sends a burst of files exactly once, with coalesced progress', { timeout: 90_000 }, async () => {
    // Big enough that files queue behind the 4 in flight; bench:folders times a burst of 1,000.
    const BURST = 400;
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId, { afterSend: 'delete' });
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    let sentEvents = 0;
    let statusEvents = 0;
    alice.on('folderFileSent', () => sentEvents++);
    alice.on('folderStatus', () => statusEvents++);
    for (let i = 0; i < BURST; i++) writeFileSync(join(dir, `f${String(i).padStart(4, '0')}.txt`), `file ${i}`);
    await until(() => sentEvents >= BURST, 'the burst sent', 80_000);
    const names = await waitNames(bob, conversationId, BURST, 20_000);
    expect(names.length).toBe(BURST);
    expect(new Set(names).size).toBe(BURST);
    expect(readdirSync(dir).filter((n) => n !== 'Sent')).toEqual([]);
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'back to watching');
    // "Sending N of M" is coalesced: not one status per file queued and sent (2 × BURST).
    expect(statusEvents).toBeLessThan(BURST / 2);
  });

  it('stopped in the middle of a burst and restarted: sends the rest, nothing twice; files added while stopped too', { timeout: 60_000 }, async () => {
    const t = await startTestServer();
    const { alice, bob, aliceToken, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId);
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    let sent = 0;
    alice.on('folderFileSent', () => sent++);
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, `a${i}.txt`), `a ${i}`);
    await until(() => sent >= 20, 'some sent', 20_000);
    alice.stop();
    for (let i = 0; i < 30; i++) writeFileSync(join(dir, `b${i}.txt`), `b ${i}`);
    const again = engine(t.url, aliceToken, alice.dataDir);
    expect(again.listWatchedFolders()).toHaveLength(1);
    const names = await waitNames(bob, conversationId, 230, 40_000);
    await again.whenFoldersIdle();
    const final = await namesAt(bob, conversationId);
    expect(final.length).toBe(230);
    expect(new Set(final).size).toBe(230);
    expect(names.length).toBe(230);
    await until(() => readdirSync(dir).filter((n) => n !== 'Sent').length === 0, 'all moved', 10_000);
    expect(readdirSync(join(dir, 'Sent')).length).toBe(230);
  });

  it('a removed folder shows an error and recovers when it comes back; nothing sent twice', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId);
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    const moved = nextEvent(alice, 'folderFileSent');
    writeFileSync(join(dir, 'one.txt'), 'one');
    await waitNames(bob, conversationId, 1);
    await moved; // into Sent: the folder is removed after, not while the engine finishes with it
    const failed = nextEvent(alice, 'folderStatus', (f) => f.status.state === 'error');
    rmSync(dir, { recursive: true });
    expect((await failed).status).toMatchObject({ state: 'error', reason: expect.stringContaining('gone') });
    mkdirSync(dir);
    writeFileSync(join(dir, 'two.txt'), 'two');
    await waitNames(bob, conversationId, 2);
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'recovered');
    await alice.whenFoldersIdle();
    expect(await namesAt(bob, conversationId)).toEqual(['one.txt', 'two.txt']);
  });

  it('includeExisting, afterSend keep and resendChanged, and unwatch', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const plain = tempDir('parley-drop-');
    const existing = tempDir('parley-drop-');
    writeFileSync(join(plain, 'old.txt'), 'old');
    writeFileSync(join(existing, 'old2.txt'), 'old2');
    await alice.watchFolder(plain, conversationId, { afterSend: 'keep' });
    const resend = await alice.watchFolder(existing, conversationId, { includeExisting: true, afterSend: 'keep', resendChanged: true });
    await waitNames(bob, conversationId, 1);
    expect(await namesAt(bob, conversationId)).toEqual(['old2.txt']); // old.txt was there before: not sent
    // keep without resendChanged: modified after sending is not sent again; touched neither
    writeFileSync(join(plain, 'k.txt'), 'v1');
    await waitNames(bob, conversationId, 2);
    writeFileSync(join(plain, 'k.txt'), 'v2 changed');
    const now = new Date();
    utimesSync(join(existing, 'old2.txt'), now, now); // same content, new mtime: not a new version
    // New files after those changes, one in each folder: once they are sent and all is idle, the changes were decided on.
    writeFileSync(join(plain, 'mark1.txt'), 'after the change');
    writeFileSync(join(existing, 'mark2.txt'), 'after the touch');
    await waitNames(bob, conversationId, 4);
    await alice.whenFoldersIdle();
    expect((await namesAt(bob, conversationId)).sort()).toEqual(['k.txt', 'mark1.txt', 'mark2.txt', 'old2.txt']);
    expect(existsSync(join(plain, 'k.txt'))).toBe(true);
    // resendChanged: a changed file goes again as a new version
    writeFileSync(join(existing, 'old2.txt'), 'old2 but changed');
    await waitNames(bob, conversationId, 5);
    const last = bob.readMessages(conversationId).filter((m) => m.file).at(-1)!;
    expect(last.file!.sha256).toBe(sha(readFileSync(join(existing, 'old2.txt'))));
    await alice.unwatchFolder(resend.id);
    expect(alice.listWatchedFolders().map((f) => f.path)).toEqual([plain]);
    writeFileSync(join(existing, 'after.txt'), 'not watched');
    writeFileSync(join(plain, 'mark3.txt'), 'still watched');
    await waitNames(bob, conversationId, 6);
    await alice.whenFoldersIdle();
    expect(await namesAt(bob, conversationId)).not.toContain('after.txt');
    expect(await namesAt(bob, conversationId)).toHaveLength(6);
  });

  it('afterSend move never overwrites in Sent', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId);
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    writeFileSync(join(dir, 'same.txt'), 'first');
    await waitNames(bob, conversationId, 1);
    await until(() => existsSync(join(dir, 'Sent', 'same.txt')), 'moved');
    writeFileSync(join(dir, 'same.txt'), 'second');
    await waitNames(bob, conversationId, 2);
    await until(() => existsSync(join(dir, 'Sent', 'same (1).txt')), 'moved beside');
    expect(readFileSync(join(dir, 'Sent', 'same.txt'), 'utf8')).toBe('first');
    expect(readFileSync(join(dir, 'Sent', 'same (1).txt'), 'utf8')).toBe('second');
  });

  it('a crash after the server took the message but before the journal or the move: finished at start, not resent', async () => {
    const t = await startTestServer();
    const { alice, bob, aliceToken, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId);
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    writeFileSync(join(dir, 'crash.txt'), 'once only');
    await nextEvent(alice, 'folderFileSent');
    alice.stop();
    // Rewind to the crash point: the file back in place (same mtime), the journal still "uploading".
    renameSync(join(dir, 'Sent', 'crash.txt'), join(dir, 'crash.txt'));
    const db = new Database(join(alice.dataDir, 'parley-client.db'));
    expect(db.prepare("UPDATE folder_journal SET state = 'uploading', message_id = NULL WHERE rel_path = 'crash.txt'").run().changes).toBe(1);
    db.close();
    const again = engine(t.url, aliceToken, alice.dataDir);
    await until(() => existsSync(join(dir, 'Sent', 'crash.txt')) && !existsSync(join(dir, 'crash.txt')), 'moved at start');
    await again.whenFoldersIdle();
    expect(await namesAt(bob, conversationId)).toEqual(['crash.txt']);
    expect(existsSync(join(dir, 'Sent', 'crash (1).txt'))).toBe(false);
    expect(again.listWatchedFolders()[0]!.status.state).toBe('watching');
  });

  it('refuses a folder watched twice, inside one watched with its subfolders, or holding the app’s data; options change; recent files', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    const outer = await alice.watchFolder(`${dir}/`, conversationId, { includeSubfolders: true, afterSend: 'keep' });
    expect(outer.path).toBe(dir);
    const refused = (path: string, code: string, message: RegExp, options = {}) =>
      expect(alice.watchFolder(path, conversationId, options), path).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    await refused(join(inner, '..'), 'conflict', /watched already/);
    await refused(inner, 'conflict', /inside .* watched with its subfolders/);
    await refused(alice.dataDir, 'conflict', /own data/);
    await refused(join(alice.dataDir, 'downloads'), 'conflict', /own data/);
    await refused('relative/dir', 'bad_request', /absolute/);
    await refused(tempDir('parley-drop-'), 'bad_request', /afterSend/, { afterSend: 'shred' });
    await expect(alice.watchFolder(tempDir('parley-drop-'), 'no-such-conversation')).rejects.toMatchObject({ code: 'not_found' });

    writeFileSync(join(inner, 'a.txt'), 'a');
    await waitNames(bob, conversationId, 1);
    await until(() => alice.recentFolderFiles(outer.id).length === 1, 'recent file');
    expect(alice.recentFolderFiles(outer.id)).toEqual([{ path: join('inner', 'a.txt'), size: 1, messageId: expect.stringMatching(/^alice:/), sentAt: expect.any(Number) }]);

    // Without subfolders, the inner folder is free to be watched on its own; with them again, it is not.
    const updated = await alice.updateWatchedFolder(outer.id, { includeSubfolders: false, afterSend: 'move' });
    expect(updated.options).toEqual({ includeSubfolders: false, includeExisting: false, afterSend: 'move', resendChanged: false });
    await alice.watchFolder(inner, conversationId);
    await expect(alice.updateWatchedFolder(outer.id, { includeSubfolders: true })).rejects.toMatchObject({ code: 'conflict' });
    await expect(alice.updateWatchedFolder('nope', {})).rejects.toMatchObject({ code: 'not_found' });
    await until(() => alice.listWatchedFolders().every((f) => f.status.state === 'watching'), 'both watching');
    writeFileSync(join(dir, 'b.txt'), 'b');
    await until(() => existsSync(join(dir, 'Sent', 'b.txt')), 'moved under the new option');
    expect(await waitNames(bob, conversationId, 2)).toEqual(['a.txt', 'b.txt']);
    expect(alice.recentFolderFiles(outer.id).map((f) => f.path)).toEqual(['b.txt', join('inner', 'a.txt')]);

    // The options are kept: a restart finds them.
    alice.stop();
    const again = engine(t.url, await t.user('alice'), alice.dataDir);
    expect(again.listWatchedFolders().find((f) => f.id === outer.id)!.options.afterSend).toBe('move');
  });

  it('a file changed after its upload failed: the new version is sent once, the failed message stays failed', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await folderPair(t);
    const dir = tempDir('parley-drop-');
    await alice.watchFolder(dir, conversationId, { afterSend: 'keep' });
    await until(() => alice.listWatchedFolders()[0]?.status.state === 'watching', 'watching');
    alice.setUploadHandler(async () => {
      throw new Error('the upload service is down');
    });
    const failed = nextEvent(alice, 'messageStatus', (change) => change.status === 'failed');
    writeFileSync(join(dir, 'report.txt'), 'version 1');
    expect((await failed).error).toMatch(/upload service is down/);
    await until(() => !!alice.listWatchedFolders()[0]?.lastError, 'the binding shows the error');
    alice.setUploadHandler(null);
    writeFileSync(join(dir, 'report.txt'), 'version 2, edited after the failure');
    const names = await waitNames(bob, conversationId, 1);
    await alice.whenFoldersIdle(); // retries due count: the old version is dealt with by now
    expect(await namesAt(bob, conversationId)).toEqual(['report.txt']);
    expect(names).toEqual(['report.txt']);
    const [received] = bob.readMessages(conversationId).filter((m) => m.file);
    expect(received!.file!.sha256).toBe(sha(Buffer.from('version 2, edited after the failure')));
    expect(alice.readMessages(conversationId).filter((m) => m.status === 'failed')).toHaveLength(1);
  });
});
