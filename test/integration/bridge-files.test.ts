// File transfers through the host side of the contract against a real server: files reach the engine
// only as staged ids (never a path from the renderer), the browser host's /stage and /local routes
// with their key and Origin checks, a staged file sent by one user and downloaded by another, and
// watched folders bound by a staged folder id, never a path the renderer names.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../main/browser/host.js';
import type { Bridge } from '../../main/bridge/index.js';
import type { FileSettings } from '../../contract/requests.js';
import type { StagedFile } from '../../contract/types.js';
import { call, callRaw, eventsOf, openBridge } from '../support/bridge.js';
import { cleanup, startTestServer, tempDir, until } from '../support/harness.js';

const hosts: BrowserHost[] = [];
afterEach(async () => {
  while (hosts.length) await hosts.pop()!.close();
  await cleanup();
});

async function startHost(bridge: Bridge) {
  const rendererDir = tempDir('parley-renderer-');
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Parley</title>');
  const host = await startBrowserHost({ bridge, rendererDir, log: () => {} });
  hosts.push(host);
  return { host, origin: `http://127.0.0.1:${host.port}`, key: new URL(host.url).hash.slice('#key='.length) };
}

describe('staged files', () => {
  it('sends only a staged id, once; a path or an unknown id is refused', async () => {
    const server = await startTestServer();
    const bridge = openBridge();
    await call(bridge, 'signIn', { serverUrl: server.url, token: await server.user('alice') });
    await server.user('bob');
    const { id: conversationId } = await call(bridge, 'createConversation', { type: 'direct', participants: ['bob'] });

    const secret = join(tempDir(), 'secret.txt');
    writeFileSync(secret, 'not for the renderer');
    expect(await callRaw(bridge, 'sendFile', { conversationId, path: secret })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await callRaw(bridge, 'sendFile', { conversationId, stagedId: secret })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await callRaw(bridge, 'sendFile', { conversationId, stagedId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringMatching(/no longer staged/) },
    });

    const staged = await bridge.staging.write('../../notes.txt', new TextEncoder().encode('hello'));
    expect(staged).toMatchObject({ name: 'notes.txt', size: 5 });
    const sent = await call(bridge, 'sendFile', { conversationId, stagedId: staged.id, message: 'see attached' });
    expect(sent).toMatchObject({ kind: 'file', body: 'see attached', file: { name: 'notes.txt', size: 5 }, status: 'sending' });
    expect(await callRaw(bridge, 'sendFile', { conversationId, stagedId: staged.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('keeps file settings per account, checks the Media Reference Send keys, and needs a sign-in', async () => {
    const server = await startTestServer();
    const bridge = openBridge();
    expect(await callRaw(bridge, 'getFileSettings', undefined)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    await call(bridge, 'signIn', { serverUrl: server.url, token: await server.user('alice') });
    expect(await call(bridge, 'getFileSettings')).toEqual({ uploadMode: 'parley', autoDownloadImagesUnder: 0, mediaRefSend: null });

    expect(await callRaw(bridge, 'setFileSettings', { uploadMode: 'uploadUrl' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('uploadUrl') } });
    const badKeys = await callRaw(bridge, 'setFileSettings', {
      uploadMode: 'parley',
      mediaRefSend: { keys: { genericMediaRefSendUrl: 'ftp://x', genericMediaRefSendMethod: 'PATCH' }, account: { username: 'u', password: 'p' } },
    });
    expect(badKeys).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/genericMediaRefSend/) } });

    const settings: FileSettings = {
      uploadMode: 'uploadUrl',
      uploadUrl: 'http://127.0.0.1:9/upload',
      uploadAuthToken: 'secret',
      autoDownloadImagesUnder: 5_000_000,
      saveFolderMaxBytes: 10_000_000,
      saveFolderOrigins: ['https://files.example.com'],
      mediaRefSend: { keys: { genericMediaRefSendUrl: 'https://sms.example/send?to=%sms_to%' }, account: { username: 'u', password: 'p' } },
    };
    expect(await callRaw(bridge, 'setFileSettings', { uploadMode: 'parley', saveFolderOrigins: ['ftp://files.example.com'] })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    await call(bridge, 'setFileSettings', settings);
    expect(await call(bridge, 'getFileSettings')).toEqual(settings);
  });
});

describe('browser host file routes', () => {
  it('/stage takes a file only with the key and from the page’s origin', async () => {
    const { origin, key } = await startHost(openBridge());
    const post = (query: string, headers: Record<string, string> = { Origin: origin }) =>
      fetch(`${origin}/stage?${query}`, { method: 'POST', body: 'file bytes', headers });
    expect((await post(`key=wrong&name=a.txt`)).status).toBe(403);
    expect((await post(`name=a.txt`)).status).toBe(403);
    expect((await post(`key=${key}&name=a.txt`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(`key=${key}&name=a.txt`, {})).status).toBe(403);
    expect((await fetch(`${origin}/stage?key=${key}`, { headers: { Origin: origin } })).status).toBe(405);
    // Refused on its declared size, before any byte of the body is sent.
    const huge = await new Promise<number>((resolve, reject) => {
      const req = request(`${origin}/stage?key=${key}&name=huge.bin`, { method: 'POST', headers: { Origin: origin, 'Content-Length': 3 * 1024 ** 3 } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(huge).toBe(413);
    const ok = await post(`key=${key}&name=${encodeURIComponent('../a.txt')}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: expect.any(String), name: 'a.txt', size: 10 });
  });

  it('a staged upload reaches the other user, who downloads it and gets it from /local with the key only', async () => {
    const server = await startTestServer();
    const alice = openBridge();
    const bob = openBridge();
    await call(alice, 'signIn', { serverUrl: server.url, token: await server.user('alice') });
    await call(bob, 'signIn', { serverUrl: server.url, token: await server.user('bob') });
    const { id: conversationId } = await call(alice, 'createConversation', { type: 'direct', participants: ['bob'] });
    const { origin, key } = await startHost(alice);
    const bobHost = await startHost(bob);

    const body = 'the report, in full\n'.repeat(1000);
    const response = await fetch(`${origin}/stage?key=${key}&name=report.txt`, { method: 'POST', body, headers: { Origin: origin } });
    const staged = (await response.json()) as StagedFile;
    const sent = await call(alice, 'sendFile', { conversationId, stagedId: staged.id });
    await until(() => eventsOf(alice, 'messageStatus').some((s) => s.id === sent.id && s.status === 'sent'), 'sent');

    await until(() => eventsOf(bob, 'file').length > 0, 'the file at bob');
    const received = eventsOf(bob, 'file')[0]!;
    expect(received).toMatchObject({ kind: 'file', mine: false, file: { name: 'report.txt', size: body.length, mime: 'text/plain' } });
    expect(await callRaw(bob, 'openFile', { messageId: received.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await callRaw(bob, 'downloadFile', { messageId: 'alice:unknown' })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    await call(bob, 'downloadFile', { messageId: received.id });
    await until(
      () => eventsOf(bob, 'fileProgress').some((p) => p.messageId === received.id && p.state === 'done'),
      'downloaded',
    );
    const opened = await call(bob, 'openFile', { messageId: received.id });
    expect(opened).toEqual({ url: expect.stringMatching(/^\/local\//) });
    const url = (opened as { url: string }).url;
    expect((await fetch(`${bobHost.origin}${url}`)).status).toBe(403);
    expect((await fetch(`${bobHost.origin}/local/unknown?key=${bobHost.key}`)).status).toBe(404);
    const local = await fetch(`${bobHost.origin}${url}?key=${bobHost.key}`);
    expect(local.status).toBe(200);
    expect(local.headers.get('content-disposition')).toMatch(/^inline; filename\*=UTF-8''report\.txt/);
    expect(await local.text()).toBe(body);

    // Save: the same file as an attachment.
    const saved = await call(bob, 'saveFileAs', { messageId: received.id });
    expect(saved).toEqual({ url: `${url}?download=1` });
    const attachment = await fetch(`${bobHost.origin}${(saved as { url: string }).url}&key=${bobHost.key}`);
    expect(attachment.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''report\.txt/);
    expect(await attachment.text()).toBe(body);
  });
});

describe('watched folders through the bridge', () => {
  it('binds only a staged folder (typed into the browser host and checked), and carries status and sent-file events', async () => {
    const server = await startTestServer();
    const bridge = openBridge();
    await call(bridge, 'signIn', { serverUrl: server.url, token: await server.user('alice') });
    await server.user('bob');
    const { id: conversationId } = await call(bridge, 'createConversation', { type: 'direct', participants: ['bob'] });
    const dir = tempDir('parley-watched-');
    writeFileSync(join(dir, 'not-a-folder.txt'), 'x');

    // The renderer never names a path to watch: only an id the host's chooser staged.
    expect(await callRaw(bridge, 'watchFolder', { conversationId, path: dir })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await callRaw(bridge, 'watchFolder', { conversationId, folderId: dir })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    for (const [path, code] of [
      ['relative/dir', 'bad_request'],
      [join(dir, 'missing'), 'not_found'],
      [join(dir, 'not-a-folder.txt'), 'not_found'],
    ] as const)
      expect(await callRaw(bridge, 'chooseFolder', { path }), path).toMatchObject({ ok: false, error: { code } });
    expect(await callRaw(bridge, 'chooseFolder', undefined)).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/type the folder/) } });

    const staged = (await call(bridge, 'chooseFolder', { path: `${dir}/.` }))!;
    expect(staged).toMatchObject({ path: dir, name: dir.split('/').pop() });
    // A staged file id is not a folder id, and a folder id is not a file to send.
    expect(await callRaw(bridge, 'sendFile', { conversationId, stagedId: staged.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const again = (await call(bridge, 'chooseFolder', { path: dir }))!;
    const folder = await call(bridge, 'watchFolder', { conversationId, folderId: again.id, options: { afterSend: 'keep' } });
    expect(folder).toMatchObject({ path: dir, conversationId, options: { afterSend: 'keep' }, recent: [] });
    expect(await callRaw(bridge, 'watchFolder', { conversationId, folderId: again.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    writeFileSync(join(dir, 'scan.txt'), 'scanned');
    await until(() => eventsOf(bridge, 'folderFileSent').length > 0, 'folderFileSent forwarded', 15_000);
    expect(eventsOf(bridge, 'folderFileSent')[0]).toMatchObject({ folderId: folder.id, path: 'scan.txt', size: 7 });
    expect(eventsOf(bridge, 'folderStatus').some((f) => f.id === folder.id)).toBe(true);
    const [listed] = await call(bridge, 'listWatchedFolders');
    expect(listed!.recent).toEqual([expect.objectContaining({ path: 'scan.txt', size: 7, messageId: expect.stringMatching(/^alice:/) })]);

    const inner = join(dir, 'inner');
    mkdirSync(inner);
    expect(await call(bridge, 'updateWatchedFolder', { id: folder.id, options: { includeSubfolders: true } })).toMatchObject({ options: { includeSubfolders: true } });
    const innerStaged = (await call(bridge, 'chooseFolder', { path: inner }))!;
    expect(await callRaw(bridge, 'watchFolder', { conversationId, folderId: innerStaged.id })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await call(bridge, 'pauseWatchedFolder', { id: folder.id })).toMatchObject({ status: { state: 'paused' } });
    expect(await call(bridge, 'resumeWatchedFolder', { id: folder.id })).toMatchObject({ status: { state: 'watching' } });
    await call(bridge, 'unwatchFolder', { id: folder.id });
    expect(await call(bridge, 'listWatchedFolders')).toEqual([]);
    expect(await callRaw(bridge, 'unwatchFolder', { id: folder.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    // Incoming files saved into a folder: again only by a staged id.
    expect(await callRaw(bridge, 'setSaveFolder', { conversationId, folderId: dir })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call(bridge, 'getSaveFolder', { conversationId })).toBeNull();
    const saveTo = (await call(bridge, 'chooseFolder', { path: inner }))!;
    expect(await call(bridge, 'setSaveFolder', { conversationId, folderId: saveTo.id })).toBe(inner);
    expect(await call(bridge, 'getSaveFolder', { conversationId })).toBe(inner);
    expect(await call(bridge, 'setSaveFolder', { conversationId, folderId: null })).toBeNull();
  });
});
