// The engine's file transfers against a real Parley server, real temp dirs and 127.0.0.1: sendFile
// end to end, tus uploads that stop, die or lose their connection and resume, Range downloads that
// resume, checksums, hostile names, the seed's upload URL protocol against a separate minimal
// server, custom handlers, previews and MIME types. A TCP proxy in front of the server counts the
// bytes that cross it (proof that a resume sent only the rest), slows them, or cuts connections.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, type FileInfo, type FileProgress, type FileTransfer } from '../../main/core/index.js';
import { sanitizeFileName, saveUnique } from '../../main/core/files/file-name.js';
import { makePreview } from '../../main/core/files/preview.js';
import { sniffMime } from '../../main/core/files/sniff.js';
import { cleanup, nextEvent, onCleanup, online, pair, startClient, startTestServer, tempDir, until, type TestClient } from '../support/harness.js';

afterEach(cleanup);

const MiB = 1024 * 1024;

/** Where an engine saves downloads by default. */
const downloadsOf = (client: TestClient) => join(client.dataDir, 'downloads');

/** Every fileProgress of one transfer from now on. */
function progressOf(client: Client, id: () => string | undefined): FileProgress[] {
  const seen: FileProgress[] = [];
  client.on('fileProgress', (p) => p.id === id() && seen.push(p));
  return seen;
}

/** A file of random bytes, written in chunks. */
async function randomFile(path: string, size: number): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  for (let left = size; left > 0; left -= MiB) {
    if (!out.write(randomBytes(Math.min(MiB, left)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A TCP proxy to the server: counts bytes each way, can slow them (so a transfer is still running
 * when a test stops it) and can cut every connection once some bytes have gone up.
 */
async function proxy(target: string, bytesPerSecond = 0) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const stats = { up: 0, down: 0, cutAfter: Infinity };
  const cutAll = () => {
    for (const s of sockets) s.destroy();
  };
  const relay = (from: Socket, to: Socket, count: (n: number) => void) => {
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      to.write(chunk);
      if (bytesPerSecond > 0) {
        from.pause();
        setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000);
      }
      if (stats.up >= stats.cutAfter) {
        stats.cutAfter = Infinity;
        cutAll();
      }
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = createTcpServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, upstream, (n) => (stats.up += n));
    relay(upstream, client, (n) => (stats.down += n));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => {
    cutAll();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, stats };
}

/** Until no bytes have crossed for a while: a cut-off upload still drains what the kernel had buffered. */
async function quiet(stats: { up: number }): Promise<void> {
  for (let last = -1; last !== stats.up; ) {
    last = stats.up;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A plain file host that is not the Parley server: serves bytes and records the headers it got. */
async function foreignHost(files: Record<string, Buffer>) {
  const requests: IncomingMessage['headers'][] = [];
  const url = await listen(
    createServer((req, res) => {
      requests.push(req.headers);
      if (req.url?.startsWith('/moved')) return res.writeHead(302, { location: req.url.slice('/moved'.length) }).end();
      const body = files[req.url ?? ''];
      if (!body) return res.writeHead(404).end('no such file');
      res.writeHead(200, { 'content-length': body.length }).end(body);
    }),
  );
  return { url, requests };
}

describe('file names', () => {
  it('sanitises hostile names so they stay in the folder, visible, and legal on Windows', () => {
    const cases: Array<[string, string]> = [
      ['../../etc/passwd', '_.._etc_passwd'],
      ['/etc/passwd', '_etc_passwd'],
      ['C:\\Windows\\system32\\evil.dll', 'C__Windows_system32_evil.dll'],
      ['..', 'file'],
      ['.bashrc', 'bashrc'],
      ['...', 'file'],
      ['', 'file'],
      ['report.pdf. . ', 'report.pdf'],
      ['CON', '_CON'],
      ['con.txt', '_con.txt'],
      ['LPT9.tar.gz', '_LPT9.tar.gz'],
      ['Nul .log', '_Nul .log'],
      ['CONSOLE.txt', 'CONSOLE.txt'],
      ['a\u0000b\u001fc\u007f.txt', 'abc.txt'],
      ['invoice\u202Egpj.exe', 'invoicegpj.exe'],
      ['what?<>|*":.txt', 'what_______.txt'],
      ['photo.jpg', 'photo.jpg'],
    ];
    for (const [hostile, safe] of cases) expect(sanitizeFileName(hostile), hostile).toBe(safe);

    const long = sanitizeFileName(`${'€'.repeat(200)}.tar`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long.endsWith('€.tar')).toBe(true);
    const noExt = sanitizeFileName('x'.repeat(300));
    expect(noExt).toBe('x'.repeat(255));
  });

  it('saves under a free name and never replaces a file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const saved: string[] = [];
    for (let i = 0; i < 3; i++) {
      const part = join(dir, `.part-${i}`);
      writeFileSync(part, `new ${i}`);
      saved.push(saveUnique(part, dir, 'notes.txt'));
    }
    expect(saved.map((p) => p.slice(dir.length + 1))).toEqual(['notes (1).txt', 'notes (2).txt', 'notes (3).txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    const long = saveUnique((writeFileSync(join(dir, '.p'), 'x'), join(dir, '.p')), dir, `${'n'.repeat(300)}.txt`);
    expect(Buffer.byteLength(long.slice(dir.length + 1))).toBeLessThanOrEqual(255);
  });
});

describe('file content', () => {
  it('takes the MIME type from the content, then the extension', async () => {
    const dir = tempDir();
    const png = join(dir, 'notes.txt');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).png().toFile(png);
    expect(await sniffMime(png, 'notes.txt')).toBe('image/png');
    writeFileSync(join(dir, 'plain.txt'), 'just words');
    expect(await sniffMime(join(dir, 'plain.txt'), 'plain.txt')).toBe('text/plain');
    writeFileSync(join(dir, 'blob.weird'), randomBytes(64));
    expect(await sniffMime(join(dir, 'blob.weird'), 'blob.weird')).toBe('application/octet-stream');
  });

  it('previews images as JPEGs at most 320 px, aspect and EXIF orientation kept, small ones not enlarged', async () => {
    const dir = tempDir();
    const image = (name: string, width: number, height: number, format: 'jpeg' | 'png', orientation?: number) => {
      const path = join(dir, name);
      let s = sharp({ create: { width, height, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 0.5 } } });
      if (orientation) s = s.withMetadata({ orientation });
      return (format === 'png' ? s.png() : s.jpeg()).toFile(path).then(() => path);
    };
    const cases: Array<[string, number, number, 'jpeg' | 'png', number | undefined, number, number]> = [
      ['wide.jpg', 1600, 1200, 'jpeg', undefined, 320, 240],
      ['tall.png', 500, 1000, 'png', undefined, 160, 320],
      ['small.png', 100, 50, 'png', undefined, 100, 50],
      ['rotated.jpg', 1200, 900, 'jpeg', 6, 240, 320], // EXIF says: turn a quarter
    ];
    for (const [name, w, h, format, orientation, pw, ph] of cases) {
      const preview = (await makePreview(await image(name, w, h, format, orientation)))!;
      expect(preview, name).toMatchObject({ width: pw, height: ph });
      const decoded = await sharp(Buffer.from(preview.jpeg, 'base64')).metadata();
      expect(decoded, name).toMatchObject({ format: 'jpeg', width: pw, height: ph });
    }
  });
});

describe('sendFile', () => {
  it('refuses bad paths, folders, files over the limit and bad options with clear errors', async () => {
    const t = await startTestServer();
    const alice = startClient(t.url, await t.user('alice'), { maxFileBytes: 1000 });
    await t.user('bob');
    await online(alice);
    const dir = tempDir();
    writeFileSync(join(dir, 'big.bin'), randomBytes(1001));
    writeFileSync(join(dir, 'ok.txt'), 'hi');
    const to = { peer: 'bob' };
    await expect(alice.sendFile(to, 'relative/file.txt')).rejects.toThrow(/must be absolute/);
    await expect(alice.sendFile(to, join(dir, 'missing.txt'))).rejects.toMatchObject({ code: 'not_found' });
    await expect(alice.sendFile(to, dir)).rejects.toThrow(/is a folder, not a file/);
    await expect(alice.sendFile(to, join(dir, 'big.bin'))).rejects.toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/above the 1000 bytes limit/) });
    await expect(alice.sendFile(to, '')).rejects.toThrow(/path is required/);
    await expect(alice.sendFile(to, join(dir, 'ok.txt'), { title: 'x'.repeat(201) })).rejects.toThrow(/title/);
    await expect(alice.sendFile(to, join(dir, 'ok.txt'), { geolocation: { lat: 91, lon: 0 } })).rejects.toThrow(/lat/);
    await expect(alice.sendFile({ peer: '../x' }, join(dir, 'ok.txt'))).rejects.toThrow(/address/);
    await expect(alice.getFileInstance('download', 'file:///etc/passwd')).rejects.toThrow(/http/);
    await expect(alice.getFileInstance('download', 'https://example.com/unknown')).rejects.toThrow(/FileInfo/);
    expect(() => alice.setDownloadDir(join(dir, 'ok.txt'))).toThrow(/not a folder|is a file/);
    expect(() => alice.setUploadUrl('ftp://x/upload', 't')).toThrow(/http/);
    expect(() => alice.startFileTransfer({ id: 'nope' })).toThrow(/no file transfer/);
    expect(alice.readFileTransfers()).toEqual([]);
  });

  it('shows the message at once, uploads, sends it; bob gets a file event, downloads it and the sha matches', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    const dir = tempDir();
    const photo = join(dir, 'holiday.png');
    await sharp({ create: { width: 1280, height: 640, channels: 3, background: '#3a7' } }).png().toFile(photo);

    const statuses: string[] = [];
    alice.on('messageStatus', (s) => statuses.push(s.status));
    const arrived = nextEvent(bob, 'file');
    const message = await alice.sendFile({ conversationId }, photo, { title: 'Beach', message: 'look!', geolocation: { lat: 43.7, lon: 7.3 } });
    expect(message).toMatchObject({
      kind: 'file',
      status: 'sending',
      body: 'look!',
      file: { name: 'holiday.png', size: statSync(photo).size, mime: 'image/png', title: 'Beach', preview: { width: 320, height: 160 } },
      transfer: { type: 'upload', mode: 'tus', state: 'running', path: photo },
    });
    expect(message.file!.url).toBeUndefined();

    const received = await arrived;
    const file = received.file as FileInfo;
    expect(received).toMatchObject({ kind: 'file', body: 'look!', sender: 'alice' });
    expect(file).toMatchObject({ name: 'holiday.png', mime: 'image/png', sha256: await sha256Of(photo), geolocation: { lat: 43.7, lon: 7.3 } });
    expect(file.url).toMatch(new RegExp(`^${t.url}/files/[0-9a-f]{32}$`));
    await until(() => statuses.includes('sent'), 'sent');
    expect(alice.readMessages(conversationId).at(-1)).toMatchObject({ id: message.id, kind: 'file', file: { url: file.url }, transfer: { state: 'done' } });
    // By id: the same message as in the list, with its file and latest transfer.
    expect(alice.getMessage(message.id)).toEqual(alice.readMessages(conversationId).at(-1));

    // The seed's getFileInstance: the same URL while in progress is the same transfer.
    const download = await bob.getFileInstance('download', file.url);
    expect(download).toMatchObject({ type: 'download', state: 'pending', messageId: received.id, total: file.size });
    expect((await bob.getFileInstance('download', file.url)).id).toBe(download.id);
    const done = await bob.startFileTransfer(download);
    expect(done).toMatchObject({ state: 'done', path: join(downloadsOf(bob), 'holiday.png'), bytes: file.size });
    expect(await sha256Of(done.path!)).toBe(file.sha256);
    expect(readdirSync(downloadsOf(bob))).toEqual(['holiday.png']);
    expect(bob.readMessages(conversationId).at(-1)).toMatchObject({ id: received.id, transfer: { state: 'done', path: done.path } });
    expect(bob.getMessage(received.id)).toEqual(bob.readMessages(conversationId).at(-1));
    expect(bob.getFileTransfer(download.id)).toEqual(done);
    expect(bob.getMessage(`${conversationId}#1`)).toBeNull(); // a written message's id is sender:clientId
    expect([bob.getMessage('nope'), bob.getFileTransfer('nope')]).toEqual([null, null]);
    expect(bob.readFileTransfers()).toEqual([]);
    // An empty file travels too.
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const emptyArrived = nextEvent(bob, 'file');
    await alice.sendFile({ conversationId }, empty);
    const emptyFile = (await emptyArrived).file as FileInfo;
    expect(emptyFile).toMatchObject({ size: 0, mime: 'text/plain', sha256: createHash('sha256').digest('hex') });
    const emptyDone = await bob.startFileTransfer(await bob.getFileInstance('download', emptyFile.url));
    expect(statSync(emptyDone.path!).size).toBe(0);

    // Done: a new instance (a second copy, never over the first).
    const again = await bob.getFileInstance('download', file.url);
    expect(again.id).not.toBe(download.id);
    expect((await bob.startFileTransfer(again)).path).toBe(join(downloadsOf(bob), 'holiday (1).png'));
  });

  it('lets text written after a file pass its upload, and sends the file when its upload is done', async () => {
    const t = await startTestServer();
    const slow = await proxy(t.url, 4 * MiB);
    const { alice, bob, conversationId } = await pair(t, { aliceUrl: slow.url });
    const big = await randomFile(join(tempDir(), 'big.bin'), 4 * MiB);
    const file = await alice.sendFile({ conversationId }, big);
    alice.sendMessage({ conversationId }, 'sent after the file');
    await until(() => bob.readMessages(conversationId).length === 2, 'both at bob', 15_000);
    expect(bob.readMessages(conversationId).map((m) => m.kind)).toEqual(['text', 'file']);
    expect(bob.readMessages(conversationId)[1]).toMatchObject({ id: file.id, file: { sha256: await sha256Of(big), mime: 'application/octet-stream' } });
  });

  it('shares one upload between sends of the same file in progress', async () => {
    const t = await startTestServer();
    const slow = await proxy(t.url, 8 * MiB);
    const { alice, bob, conversationId } = await pair(t, { aliceUrl: slow.url });
    const big = await randomFile(join(tempDir(), 'shared.bin'), 4 * MiB);
    const first = await alice.sendFile({ conversationId }, big);
    const instance = await alice.getFileInstance('upload', big);
    const second = await alice.sendFile({ conversationId }, big, { message: 'again' });
    expect(instance.id).toBe(first.transfer!.id);
    expect(second.transfer!.id).toBe(first.transfer!.id);
    await until(() => bob.readMessages(conversationId).length === 2, 'both at bob', 15_000);
    const [a, b] = bob.readMessages(conversationId);
    expect(a!.file!.url).toBe(b!.file!.url);
    expect(slow.stats.up).toBeLessThan(6 * MiB);
  });
});

describe('resumable uploads', () => {
  it('stops and resumes from the server’s offset', async () => {
    const t = await startTestServer();
    const slow = await proxy(t.url, 8 * MiB);
    // File URLs name the server as the uploader reached it: everyone here goes through the proxy.
    const { alice, bob, conversationId } = await pair(t, { aliceUrl: slow.url, bobUrl: slow.url });
    const big = await randomFile(join(tempDir(), 'video.mp4'), 8 * MiB);
    let id: string | undefined;
    const seen = progressOf(alice, () => id);
    const sent = await alice.sendFile({ conversationId }, big);
    id = sent.transfer!.id;
    await until(() => seen.some((p) => p.bytes > MiB), 'a megabyte up');
    const stopped = await alice.stopFileTransfer(sent.transfer!);
    expect(stopped).toMatchObject({ state: 'stopped' });
    expect(seen.at(-1)).toMatchObject({ state: 'stopped', rate: 0 });
    expect(seen.filter((p) => p.state === 'running').length).toBeGreaterThan(1);
    expect(alice.readMessages(conversationId).at(-1)).toMatchObject({ id: sent.id, status: 'sending', transfer: { state: 'stopped' } });
    expect(alice.getMessage(sent.id)).toEqual(alice.readMessages(conversationId).at(-1));
    expect(alice.getFileTransfer(id)).toEqual(stopped);
    await quiet(slow.stats);
    expect(bob.readMessages(conversationId)).toHaveLength(0);

    const upBefore = slow.stats.up;
    const resumedAt = seen.length;
    expect(await alice.startFileTransfer(sent.transfer!)).toMatchObject({ state: 'done', bytes: 8 * MiB });
    expect(seen[resumedAt + 1]!.bytes).toBeGreaterThan(MiB); // the server's offset
    expect(slow.stats.up - upBefore).toBeLessThan(7 * MiB);
    // Progress at most about ten times a second.
    const running = seen.filter((p) => p.state === 'running');
    expect(running.length).toBeLessThan(40);
    await until(() => bob.readMessages(conversationId).length === 1, 'file at bob');
    const file = bob.readMessages(conversationId)[0]!.file as FileInfo;
    expect(file).toMatchObject({ name: 'video.mp4', sha256: await sha256Of(big) });
    const download = await bob.startFileTransfer(await bob.getFileInstance('download', file.url));
    expect(await sha256Of(download.path!)).toBe(file.sha256);
  });

  it('resumes an upload whose engine died midway, in a new engine on the same data dir', async () => {
    const t = await startTestServer();
    const slow = await proxy(t.url, 8 * MiB);
    const { alice, bob, aliceToken, conversationId } = await pair(t, { aliceUrl: slow.url });
    const big = await randomFile(join(tempDir(), 'archive.tar'), 8 * MiB);
    const sent = await alice.sendFile({ conversationId }, big);
    await until(() => alice.readFileTransfers()[0]!.bytes > 2 * MiB, 'two megabytes up');
    alice.stop();
    await quiet(slow.stats);

    const upBefore = slow.stats.up;
    const again = startClient(slow.url, aliceToken, { dataDir: alice.dataDir });
    const [interrupted] = again.readFileTransfers();
    expect(interrupted).toMatchObject({ id: sent.transfer!.id, state: 'interrupted', type: 'upload' });
    expect(again.readMessages(conversationId).at(-1)).toMatchObject({ id: sent.id, status: 'sending', transfer: { state: 'interrupted' } });
    await online(again);
    const seen = progressOf(again, () => interrupted!.id);
    expect(await again.startFileTransfer(interrupted!)).toMatchObject({ state: 'done' });
    expect(seen[1]!.bytes).toBeGreaterThan(MiB); // the server's offset
    expect(slow.stats.up - upBefore).toBeLessThan(7 * MiB);
    await until(() => bob.readMessages(conversationId).length === 1, 'file at bob');
    expect(bob.readMessages(conversationId)[0]!.file).toMatchObject({ sha256: await sha256Of(big), size: 8 * MiB });
    expect(again.readFileTransfers()).toEqual([]);
  });

  it('resumes by itself after the connection drops midway', async () => {
    const t = await startTestServer();
    const cutter = await proxy(t.url, 16 * MiB);
    const { alice, bob, conversationId } = await pair(t, { aliceUrl: cutter.url });
    const big = await randomFile(join(tempDir(), 'dropped.bin'), 8 * MiB);
    cutter.stats.cutAfter = cutter.stats.up + 3 * MiB;
    await alice.sendFile({ conversationId }, big);
    await until(() => bob.readMessages(conversationId).length === 1, 'file at bob', 20_000);
    expect(cutter.stats.cutAfter).toBe(Infinity); // the cut happened
    expect(cutter.stats.up).toBeLessThan(12 * MiB);
    expect(bob.readMessages(conversationId)[0]!.file).toMatchObject({ sha256: await sha256Of(big) });
  });

  it('marks the message failed with the server’s reason when the upload is refused', async () => {
    const t = await startTestServer({ maxFileSize: 1000 });
    const { alice, conversationId } = await pair(t);
    const path = await randomFile(join(tempDir(), 'big.bin'), 2000);
    const failed = nextEvent(alice, 'messageStatus', (s) => s.status === 'failed');
    const sent = await alice.sendFile({ conversationId }, path);
    expect(await failed).toMatchObject({ id: sent.id, error: expect.stringMatching(/413/) });
    expect(alice.readMessages(conversationId).at(-1)).toMatchObject({ status: 'failed', transfer: { state: 'failed' } });
  });
});

describe('downloads', () => {
  it('resumes a stopped download with a Range request', async () => {
    const t = await startTestServer();
    const { alice, bobToken, conversationId } = await pair(t);
    const big = await randomFile(join(tempDir(), 'movie.mkv'), 8 * MiB);
    await alice.sendFile({ conversationId }, big);
    const slow = await proxy(t.url, 8 * MiB);
    const bob = startClient(slow.url, bobToken);
    await online(bob);
    await until(() => bob.readMessages(conversationId).length === 1, 'file at bob');
    const file = bob.readMessages(conversationId)[0]!.file as FileInfo;
    // Through the proxy, the file's URL is still the server's: ask for it at the proxy's address.
    const viaProxy = { ...file, url: file.url.replace(t.url, slow.url) };
    const download = await bob.getFileInstance('download', viaProxy.url, viaProxy);
    const seen = progressOf(bob, () => download.id);
    const run = bob.startFileTransfer(download);
    await until(() => seen.some((p) => p.bytes > 2 * MiB), 'two megabytes down');
    expect(await bob.stopFileTransfer(download)).toMatchObject({ state: 'stopped' });
    await run;
    const part = readdirSync(downloadsOf(bob)).filter((n) => n.endsWith('.part'));
    expect(part).toHaveLength(1);
    expect(readdirSync(downloadsOf(bob))).toEqual(part); // nothing appears before it is verified

    const downBefore = slow.stats.down;
    const resumed = seen.length;
    const done = await bob.startFileTransfer(download);
    expect(done).toMatchObject({ state: 'done', path: join(downloadsOf(bob), 'movie.mkv') });
    expect(seen[resumed + 1]!.bytes).toBeGreaterThan(2 * MiB); // where it resumed
    expect(slow.stats.down - downBefore).toBeLessThan(6.5 * MiB);
    expect(await sha256Of(done.path!)).toBe(file.sha256);
    expect(readdirSync(downloadsOf(bob))).toEqual(['movie.mkv']);
  });

  it('refuses a file whose bytes do not match the checksum, and sends no token to another host', async () => {
    const t = await startTestServer();
    const bob = startClient(t.url, await t.user('bob'));
    await online(bob);
    const bytes = randomBytes(100_000);
    const host = await foreignHost({ '/f.bin': bytes });
    const url = `${host.url}/f.bin`;
    const info: FileInfo = { url, name: 'f.bin', size: bytes.length, mime: 'application/octet-stream', sha256: 'e'.repeat(64) };
    const failed = await bob.startFileTransfer(await bob.getFileInstance('download', url, info));
    expect(failed).toMatchObject({ state: 'failed', error: expect.stringMatching(/does not match the checksum/), path: null });
    expect(readdirSync(downloadsOf(bob))).toEqual([]);
    expect(host.requests[0]!.authorization).toBeUndefined();

    // Redirects are followed.
    const moved = `${host.url}/moved/f.bin`;
    const good = { ...info, url: moved, sha256: createHash('sha256').update(bytes).digest('hex') };
    const done = await bob.startFileTransfer(await bob.getFileInstance('download', moved, good));
    expect(readFileSync(done.path!).equals(bytes)).toBe(true);
    expect(host.requests.map((h) => h.authorization)).toEqual([undefined, undefined, undefined]);
  });

  it('saves hostile names inside the download folder, never over an existing file', async () => {
    const t = await startTestServer();
    const bob = startClient(t.url, await t.user('bob'));
    await online(bob);
    const bytes = Buffer.from('payload');
    const host = await foreignHost({ '/x': bytes });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const names = ['../../escape.txt', '/etc/passwd', '..\\..\\win.ini', 'CON', 'aux.txt', `${'€'.repeat(200)}.txt`, '..', '.hidden', 'same.txt', 'same.txt'];
    const saved: string[] = [];
    for (const name of names) {
      const info: FileInfo = { url: `${host.url}/x`, name, size: bytes.length, mime: 'text/plain', sha256 };
      const done = await bob.startFileTransfer(await bob.getFileInstance('download', info.url, info));
      expect(done.state, name).toBe('done');
      expect(dirname(done.path!), name).toBe(downloadsOf(bob));
      expect(readFileSync(done.path!).equals(bytes)).toBe(true);
      saved.push(done.path!.slice(downloadsOf(bob).length + 1));
    }
    expect(saved.slice(0, 5)).toEqual(['_.._escape.txt', '_etc_passwd', '_.._win.ini', '_CON', '_aux.txt']);
    expect(Buffer.byteLength(saved[5]!)).toBeLessThanOrEqual(255);
    expect(saved.slice(6)).toEqual(['file', 'hidden', 'same.txt', 'same (1).txt']);
    expect(existsSync(join(bob.dataDir, 'escape.txt'))).toBe(false);
  });

  it('downloads images from others as they arrive when asked to', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    bob.setAutoDownload(1 * MiB);
    const dir = tempDir();
    const small = join(dir, 'small.jpg');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } }).jpeg().toFile(small);
    const doc = await randomFile(join(dir, 'doc.bin'), 1000);
    const done = nextEvent(bob, 'fileProgress', (p) => p.state === 'done');
    await alice.sendFile({ conversationId }, small);
    expect(await done).toMatchObject({ type: 'download', name: 'small.jpg', path: join(downloadsOf(bob), 'small.jpg') });
    await alice.sendFile({ conversationId }, doc);
    await until(() => bob.readMessages(conversationId).length === 2, 'doc at bob');
    expect(bob.readMessages(conversationId)[1]!.transfer).toBeUndefined();
    expect(alice.readFileTransfers()).toEqual([]); // nothing of alice's own is downloaded
  });
});

describe('upload modes', () => {
  /** A server speaking only the seed's upload URL protocol; what it answers depends on the auth field. */
  async function uploadUrlServer() {
    const received: Array<{ fields: Record<string, string>; order: string[]; file: Buffer; authorization?: string }> = [];
    let url = '';
    const answer = async (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'GET') return res.end(received.at(-1)?.file);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type']! } }).formData();
      const fields: Record<string, string> = {};
      let file = Buffer.alloc(0);
      for (const [name, value] of form) {
        if (typeof value === 'string') fields[name] = value;
        else file = Buffer.from(await value.arrayBuffer());
      }
      const order = [...raw.toString('latin1').matchAll(/name="(\w+)"/g)].map((m) => m[1]!);
      received.push({ fields, order, file, authorization: req.headers.authorization });
      switch (fields.auth) {
        case 'refuse':
          return res.end(JSON.stringify({ result: false, error: 'quota exceeded' }));
        case 'broken':
          return res.writeHead(500).end('disk full');
        case 'html':
          return res.end('<html>maintenance</html>');
        default:
          return res.end(JSON.stringify({ result: true, url: `${url}/stored/${fields.mid}` }));
      }
    };
    // A handler that throws answers 500: the engine under test sees a broken server, the test its error.
    url = await listen(
      createServer((req, res) => {
        answer(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
      }),
    );
    return { url: `${url}/upload`, received };
  }

  it('uploads with the seed’s upload URL protocol, and fails with the server’s words', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    const server = await uploadUrlServer();
    const path = await randomFile(join(tempDir(), 'report.pdf'), 300_000);
    alice.setUploadUrl(server.url, 'secret-upload-token');
    const sent = await alice.sendFile({ conversationId }, path);
    expect(sent.transfer).toMatchObject({ mode: 'uploadUrl' });
    await until(() => bob.readMessages(conversationId).length === 1, 'file at bob');
    const [got] = server.received;
    expect(got!.fields).toEqual({ op: 'upload', auth: 'secret-upload-token', uid: 'alice', mid: sent.id, source: 'message' });
    expect(got!.order).toEqual(['op', 'auth', 'uid', 'mid', 'source', 'file']);
    expect(got!.authorization).toBeUndefined();
    expect(got!.file.equals(readFileSync(path))).toBe(true);
    expect(bob.readMessages(conversationId)[0]!.file).toMatchObject({ url: `${server.url.replace('/upload', '')}/stored/${sent.id}`, sha256: await sha256Of(path) });

    for (const [auth, reason] of [
      ['refuse', /did not take the file: \{"result":false,"error":"quota exceeded"\}/],
      ['broken', /answered 500: disk full/],
      ['html', /did not take the file: <html>maintenance<\/html>/],
    ] as const) {
      alice.setUploadUrl(server.url, auth);
      // The failed upload of this file is the one each send resumes: every message waiting on it fails alike.
      const failed = nextEvent(alice, 'messageStatus', (s) => s.status === 'failed' && s.error !== undefined && reason.test(s.error));
      const message = await alice.sendFile({ conversationId }, path, { message: auth });
      await failed;
      expect(alice.readMessages(conversationId).at(-1), auth).toMatchObject({ id: message.id, status: 'failed', error: expect.stringMatching(reason) });
    }
    // Retry sends the last one again, now to a server that takes it.
    alice.setUploadUrl(server.url, 'fine-now');
    const last = alice.readMessages(conversationId).at(-1)!;
    alice.retryMessage(last.id);
    await until(() => bob.readMessages(conversationId).some((m) => m.body === 'html'), 'retried file at bob');
  });

  it('uses the Parley server’s own upload URL endpoint', async () => {
    const t = await startTestServer();
    const { alice, aliceToken, bob, conversationId } = await pair(t);
    const path = await randomFile(join(tempDir(), 'a.bin'), 50_000);
    alice.setUploadUrl(`${t.url}/api/v1/upload`, aliceToken);
    await alice.sendFile({ conversationId }, path);
    await until(() => bob.readMessages(conversationId).length === 1, 'file at bob');
    const file = bob.readMessages(conversationId)[0]!.file as FileInfo;
    const done = await bob.startFileTransfer(await bob.getFileInstance('download', file.url));
    expect(await sha256Of(done.path!)).toBe(await sha256Of(path));
  });

  it('hands uploads and downloads to a FileTransferHandler that reports progress', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    const store = tempDir();
    const host = await foreignHost({});
    expect(alice.isFileTransferEnabled()).toBe(false);
    alice.setUploadHandler(async (transfer) => {
      alice.updateFileTransferProgress({ id: transfer.id, bytes: Math.floor(transfer.total / 2) });
      writeFileSync(join(store, 'kept'), readFileSync(transfer.path!));
      alice.updateFileTransferProgress({ ...transfer, bytes: transfer.total });
      return `${host.url}/kept`;
    });
    expect(alice.isFileTransferEnabled()).toBe(true);
    bob.setFileTransferHandler({
      async download(transfer: FileTransfer, to: string) {
        expect(transfer.url).toBe(`${host.url}/kept`);
        writeFileSync(to, readFileSync(join(store, 'kept')));
        bob.updateFileTransferProgress({ id: transfer.id, bytes: transfer.total });
      },
    });
    const path = await randomFile(join(tempDir(), 'via-handler.bin'), 10_000);
    const arrived = nextEvent(bob, 'file');
    const sent = await alice.sendFile({ conversationId }, path);
    expect(sent.transfer).toMatchObject({ mode: 'handler' });
    const file = (await arrived).file as FileInfo;
    expect(file).toMatchObject({ url: `${host.url}/kept`, sha256: await sha256Of(path) });
    const done = await bob.startFileTransfer(await bob.getFileInstance('download', file.url));
    expect(done).toMatchObject({ state: 'done', mode: 'handler' });
    expect(await sha256Of(done.path!)).toBe(file.sha256);

    alice.setUploadHandler(async (transfer) => {
      alice.updateFileTransferProgress({ id: transfer.id, bytes: 0, error: 'bucket is read-only' });
      return new Promise<string>(() => {});
    });
    const failed = nextEvent(alice, 'messageStatus', (s) => s.status === 'failed');
    await alice.sendFile({ conversationId }, path, { message: 'second' });
    expect(await failed).toMatchObject({ error: 'the upload handler failed: bucket is read-only' });
  });
});

describe('Media Reference Send', () => {
  it('sends a file message through the web service, one request per recipient, not through the Parley server', async () => {
    const t = await startTestServer();
    const { alice, bob, conversationId } = await pair(t);
    const requests: Array<{ method: string; url: string }> = [];
    const service = await listen(
      createServer((req, res) => {
        requests.push({ method: req.method!, url: req.url! });
        const to = new URL(req.url!, 'http://x').searchParams.get('to');
        if (to === 'bob' && requests.length > 1) return res.writeHead(402, { 'content-type': 'application/json' }).end('{"message":"no credit left"}');
        res.end('ok');
      }),
    );
    alice.setMediaRefSend(
      { genericMediaRefSendUrl: `${service}/send?user=%account[username]%&to=%sms_to%&text=%description%&url=%media_url%&ct=%media_content_type%&w=%preview_width%` },
      { username: 'alice@example', password: 'secret' },
    );
    const photo = join(tempDir(), 'sketch.png');
    await sharp({ create: { width: 640, height: 320, channels: 3, background: '#a37' } }).png().toFile(photo);

    const sent = nextEvent(alice, 'messageStatus', (s) => s.status === 'sent');
    const message = await alice.sendFile({ conversationId }, photo, { message: 'a & b' });
    expect(await sent).toMatchObject({ id: message.id, seq: null });
    expect(requests).toHaveLength(1);
    const query = new URL(requests[0]!.url, service).searchParams;
    expect(requests[0]!.method).toBe('GET');
    expect(Object.fromEntries(query)).toMatchObject({ user: 'alice@example', to: 'bob', text: 'a & b', ct: 'image/png', w: '320' });
    expect(query.get('url')).toMatch(new RegExp(`^${t.url}/files/[0-9a-f]{32}$`));
    // Mine, marked sent, on this device only: the server numbered nothing, bob got nothing.
    expect(alice.readMessages(conversationId).at(-1)).toMatchObject({ id: message.id, kind: 'file', status: 'sent', seq: null });
    await alice.caughtUp();
    expect(bob.readMessages(conversationId).filter((m) => m.kind === 'file')).toHaveLength(0);

    // The service's refusal is the error shown; a retry sends again.
    const failed = nextEvent(alice, 'messageStatus', (s) => s.status === 'failed');
    await alice.sendFile({ conversationId }, photo);
    expect(await failed).toMatchObject({ error: 'bob: no credit left' });

    // Unset, file messages go through the Parley server again.
    alice.setMediaRefSend(null);
    const arrived = nextEvent(bob, 'file');
    await alice.sendFile({ conversationId }, photo);
    expect((await arrived).file).toMatchObject({ name: 'sketch.png' });
    await bob.caughtUp();
    expect(bob.readMessages(conversationId).filter((m) => m.kind === 'file')).toHaveLength(1); // only this last one
    expect(() => alice.setMediaRefSend({ genericMediaRefSendUrl: 'ftp://x' }, { username: '', password: '' })).toThrow(/genericMediaRefSendUrl/);
  });
});
