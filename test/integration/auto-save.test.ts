// Incoming files saved by themselves into a folder per conversation, against a real server and real
// folders: only files sent after the setting, under sanitised names that never overwrite, files sent
// while the receiver was closed, images kept out of the download dir, and folders that may not be used.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../main/core/index.js';
import { cleanup, online, pair, startClient, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

/** A file on alice's disk under this name, sent to the conversation; resolves once the server has it. */
async function sendNamed(alice: Client, conversationId: string, name: string, content: string | Buffer): Promise<void> {
  const path = join(tempDir('parley-outgoing-'), name);
  writeFileSync(path, content);
  const message = await alice.sendFile({ conversationId }, path);
  await until(() => alice.readMessages(conversationId).some((m) => m.id === message.id && m.seq !== null), `${name} sent`);
}

const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.')).sort();

describe('saving incoming files into a folder', () => {
  it('saves what others send after the setting, sanitised and never overwriting; not my own, not the history before', async () => {
    const t = await startTestServer();
    const [aliceToken, bobToken] = [await t.user('alice'), await t.user('bob')];
    const alice = startClient(t.url, aliceToken);
    const bob = startClient(t.url, bobToken, { autoDownloadImages: 10_000_000 });
    await Promise.all([online(alice), online(bob)]);
    const { id: conversationId } = await alice.createConversation({ participants: ['bob'], type: 'direct' });
    await sendNamed(alice, conversationId, 'before.txt', 'sent before the setting');
    await until(() => bob.readMessages(conversationId).length === 1, 'history at bob');

    const dir = tempDir('parley-save-');
    expect(bob.setSaveFolder(conversationId, dir)).toBe(dir);
    expect(bob.getSaveFolder(conversationId)).toBe(dir);
    await sendNamed(alice, conversationId, 'Q3: report?.txt', 'first');
    await sendNamed(alice, conversationId, 'Q3: report?.txt', 'second');
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7bd5' } }).png().toBuffer();
    await sendNamed(alice, conversationId, 'photo.png', png);
    const mine = join(tempDir('parley-outgoing-'), 'mine.txt');
    writeFileSync(mine, 'from bob');
    await bob.sendFile({ conversationId }, mine);

    await until(() => visible(dir).length === 3, 'three files saved', 15_000);
    expect(visible(dir)).toEqual(['Q3_ report_ (1).txt', 'Q3_ report_.txt', 'photo.png']);
    expect([readFileSync(join(dir, 'Q3_ report_.txt'), 'utf8'), readFileSync(join(dir, 'Q3_ report_ (1).txt'), 'utf8')].sort()).toEqual(['first', 'second']);
    // The image went to the save folder only: the download dir's auto-download did not take it.
    expect(readdirSync(join(bob.dataDir, 'downloads')).filter((n) => !n.startsWith('.'))).toEqual([]);
    const photo = bob.readMessages(conversationId).find((m) => m.file?.name === 'photo.png')!;
    expect(photo.transfer).toMatchObject({ state: 'done', path: join(dir, 'photo.png') });

    // Stopped: later files stay on the server until someone downloads them.
    expect(bob.setSaveFolder(conversationId, null)).toBeNull();
    await sendNamed(alice, conversationId, 'after.txt', 'not saved');
    await until(() => bob.readMessages(conversationId).some((m) => m.file?.name === 'after.txt'), 'after.txt at bob');
    await bob.idle(); // a save it had started for after.txt would be done by now
    expect(visible(dir)).toHaveLength(3);
  });

  it('saves files that arrived while the app was closed, once it is back', async () => {
    const t = await startTestServer();
    const { alice, bob, bobToken, conversationId } = await pair(t);
    const dir = tempDir('parley-save-');
    bob.setSaveFolder(conversationId, dir);
    bob.stop();
    for (let i = 1; i <= 5; i++) await sendNamed(alice, conversationId, `while-away-${i}.txt`, `file ${i}`);

    startClient(t.url, bobToken, { dataDir: bob.dataDir });
    await until(() => visible(dir).length === 5, 'five files saved at start', 20_000);
    expect(visible(dir)).toEqual([1, 2, 3, 4, 5].map((i) => `while-away-${i}.txt`));
  });

  it('refuses a folder that is watched (its files would be sent back), the app’s own data, or a file', async () => {
    const t = await startTestServer();
    const [aliceToken] = [await t.user('alice'), await t.user('bob')];
    const alice = startClient(t.url, aliceToken);
    await online(alice);
    const { id: conversationId } = await alice.createConversation({ participants: ['bob'], type: 'direct' });
    const watched = tempDir('parley-drop-');
    await alice.watchFolder(watched, conversationId, { includeSubfolders: true });
    expect(() => alice.setSaveFolder(conversationId, watched)).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringMatching(/watched folder/) }));
    expect(() => alice.setSaveFolder(conversationId, join(watched, 'inner'))).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => alice.setSaveFolder(conversationId, join(alice.dataDir, 'downloads'))).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringMatching(/own data/) }));
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect(() => alice.setSaveFolder(conversationId, file)).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => alice.setSaveFolder('no-such-conversation', tempDir())).toThrow(expect.objectContaining({ code: 'not_found' }));
    // And the other way round: a folder incoming files are saved into is not watched.
    const saving = tempDir('parley-save-');
    alice.setSaveFolder(conversationId, saving);
    await expect(alice.watchFolder(saving, conversationId)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/send them back/) });
  });
});
