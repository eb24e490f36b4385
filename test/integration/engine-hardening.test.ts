// The engine against servers that drop the link, lie or send too much (issue 12), all on 127.0.0.1:
// a plain-Node host whose link is cut again and again during a large catch-up stays up and catches
// up; save folders fetch only the Parley server's own file routes or allowed hosts, within a size;
// a hostile socket.io server's absurd seqs, oversized bodies and frames and wrong retransmit answers
// are refused with bounded work; the engine's files are its owner's only.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Server as IoServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation, ConversationEvent, FileInfo } from '../../protocol/index.js';
import { openStore } from '../../main/core/store/index.js';
import { startChildHost } from '../support/child-host.js';
import { cleanup, nextEvent, onCleanup, online, pair, rawDevice, startClient, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

const MiB = 1024 * 1024;
const mode = (path: string) => statSync(path).mode & 0o777;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A TCP proxy to `target` that cuts every connection each time `cutEvery` more bytes went down, `cuts` times. */
async function cuttingProxy(target: string, cutEvery: number, cuts: number) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const stats = { cuts: 0, down: 0 };
  let sinceCut = 0;
  const server = createTcpServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      stats.down += chunk.length;
      sinceCut += chunk.length;
      client.write(chunk);
      if (sinceCut >= cutEvery && stats.cuts < cuts) {
        stats.cuts++;
        sinceCut = 0;
        for (const s of sockets) s.destroy();
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, stats };
}


describe('a link that drops during catch-up (item 2)', () => {
  it('never takes a plain-Node host down: cut 12 times during a 30,000-event catch-up, it stays up and catches up', async () => {
    const t = await startTestServer();
    await t.user('sender');
    const token = await t.user('reader');
    const { body } = await t.api<{ group: { id: string } }>('POST', '/groups', { name: 'Busy', members: ['sender', 'reader'] });
    const conversationId = body.group.id;
    const total = 30_000;
    for (let i = 0; i < total; i++) {
      await t.server.storage.appendMessage({ conversationId, sender: 'sender', deviceId: 'seed', clientId: `seed-${i}`, body: `message ${i}: the quick brown fox jumps over the lazy dog`, serverTime: Date.now() });
    }
    // About 6 MB of catch-up; a cut every 256 KiB comes while retransmit pages are in flight.
    const cutter = await cuttingProxy(t.url, 256 * 1024, 12);
    const dataDir = tempDir('parley-host-');
    const host = startChildHost(dataDir, cutter.url, token);
    const { child } = host;

    await until(() => {
      if (host.state.exited !== null) throw new Error(`the host exited with code ${host.state.exited} after ${cutter.stats.cuts} cuts:\n${host.state.stderr}`);
      return cutter.stats.cuts === 12;
    }, 'twelve cuts', 60_000);
    // Every cut after the first connect dropped the link: a reconnect followed each.
    const afterCuts = host.lines.length;
    await host.waitLine('caught up after the last cut', (l) => l.sync === 'done' && l.behind === 0, afterCuts);
    expect(host.lines.filter((l) => l.status === 'offline').length).toBeGreaterThanOrEqual(12);
    const pongs = host.lines.length;
    child.stdin.write('ping\n');
    await host.waitLine('pong', (l) => l.pong === true, pongs);
    child.stdin.write('stop\n');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    const store = openStore(dataDir);
    try {
      expect(store.conversations.get(conversationId)).toMatchObject({ lastSeq: total, haveSeq: total });
    } finally {
      store.close();
    }
  }, 120_000);
});

/** A plain HTTP host that is not the Parley server: records each request's path, serves `routes`. */
async function fileHost(routes: Record<string, (res: ServerResponse) => void>) {
  const requests: string[] = [];
  const server: HttpServer = createServer((req: IncomingMessage, res) => {
    requests.push(req.url ?? '');
    const route = routes[(req.url ?? '').split('?')[0]!];
    if (route) route(res);
    else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

const fileInfo = (url: string, name: string, size: number, hash = '0'.repeat(64)): FileInfo => ({ url, name, size, mime: 'application/octet-stream', sha256: hash });
const parts = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.parley-'));
const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.')).sort();

describe('save folders fetch only what nobody would mind (item 6)', () => {
  it('saves from the server’s /files/ routes within the size limit; anything else waits for a click', async () => {
    const t = await startTestServer();
    const { alice, bob, aliceToken, conversationId } = await pair(t);
    const elsewhere = await fileHost({ '/x.bin': (res) => res.end('not asked for') });
    const dir = tempDir('parley-save-');
    bob.setSaveFolder(conversationId, dir);
    expect(bob.getSaveFolderLimits()).toEqual({ maxBytes: 100 * MiB, allowedOrigins: [] });

    const raw = await rawDevice(t.url, aliceToken, 'alice-raw');
    const send = async (clientId: string, file: FileInfo) => {
      const reply = await raw.request('message:send', { conversationId, clientId, body: '', file });
      expect(reply).toMatchObject({ ok: true });
    };
    await send('foreign', fileInfo(`${elsewhere.url}/x.bin`, 'foreign.bin', 13));
    await send('not-files', fileInfo(`${t.url}/api/v1/stats`, 'stats.json', 10));
    await send('huge', fileInfo(`${t.url}/files/does-not-matter`, 'huge.bin', 2 ** 50));
    // A real file over a limit the user set, then one within it: the last is the signal that the scan went past the others.
    bob.setSaveFolderLimits({ maxBytes: 1000 });
    const big = join(tempDir(), 'big.bin');
    writeFileSync(big, Buffer.alloc(5000, 7));
    await alice.sendFile({ conversationId }, big);
    const small = join(tempDir(), 'small.txt');
    writeFileSync(small, 'small enough');
    await alice.sendFile({ conversationId }, small);

    await until(() => visible(dir).includes('small.txt'), 'small.txt saved', 15_000);
    await bob.idle();
    expect(visible(dir)).toEqual(['small.txt']);
    expect(elsewhere.requests).toEqual([]);
    const messages = bob.readMessages(conversationId).filter((m) => m.file);
    // Sorted: big.bin and small.txt upload side by side, and a file message takes its place when its upload is done.
    expect(messages.map((m) => [m.file!.name, m.transfer?.state ?? null]).sort()).toEqual([
      ['big.bin', null],
      ['foreign.bin', null],
      ['huge.bin', null],
      ['small.txt', 'done'],
      ['stats.json', null],
    ]);
    expect(mode(join(dir, 'small.txt'))).toBe(0o600);

    // A click still downloads the big one (into the download dir): the limit is for what happens unasked.
    const bigMessage = messages.find((m) => m.file!.name === 'big.bin')!;
    const clicked = await bob.startFileTransfer(await bob.getFileInstance('download', bigMessage.file!.url!));
    expect(clicked).toMatchObject({ state: 'done' });
    expect(readFileSync(clicked.path!)).toEqual(Buffer.alloc(5000, 7));
  });

  it('saves from an allowed host, caps what a lying host sends, follows no redirect elsewhere, and leaves no .part files', async () => {
    const t = await startTestServer();
    const { bob, aliceToken, conversationId } = await pair(t);
    const other = await fileHost({ '/leak': (res) => res.end('should never be asked') });
    const good = Buffer.from('a file from an allowed host');
    const host = await fileHost({
      '/good.txt': (res) => res.end(good),
      // Declares nothing and streams 4 MiB for a file said to be 1000 bytes.
      '/liar-stream.bin': (res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(64 * 1024, 1));
        res.end();
      },
      // Announces 4 MiB for the same.
      '/liar-length.bin': (res) => {
        res.writeHead(200, { 'content-length': String(4 * MiB) });
        res.end(Buffer.alloc(4 * MiB, 2));
      },
      '/redirect': (res) => res.writeHead(302, { location: `${other.url}/leak` }).end(),
    });
    const dir = tempDir('parley-save-');
    bob.setSaveFolder(conversationId, dir);
    expect(() => bob.setSaveFolderLimits({ allowedOrigins: ['not a url'] })).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(bob.setSaveFolderLimits({ allowedOrigins: [`${host.url}/any/path`] })).toEqual({ maxBytes: 100 * MiB, allowedOrigins: [host.url] });

    const raw = await rawDevice(t.url, aliceToken, 'alice-raw');
    const files = [
      fileInfo(`${host.url}/liar-stream.bin`, 'liar-stream.bin', 1000),
      fileInfo(`${host.url}/liar-length.bin`, 'liar-length.bin', 1000),
      fileInfo(`${host.url}/redirect`, 'redirected.bin', 10),
      fileInfo(`${host.url}/good.txt`, 'good.txt', good.length, sha256(good)),
    ];
    for (const [i, file] of files.entries()) {
      expect(await raw.request('message:send', { conversationId, clientId: `f${i}`, body: '', file })).toMatchObject({ ok: true });
    }
    await until(() => bob.readMessages(conversationId).filter((m) => m.transfer).length === 4, 'four transfers at bob', 15_000);
    await bob.idle();
    const states = Object.fromEntries(bob.readMessages(conversationId).filter((m) => m.file).map((m) => [m.file!.name, m.transfer?.state]));
    expect(states).toEqual({ 'liar-stream.bin': 'failed', 'liar-length.bin': 'failed', 'redirected.bin': 'failed', 'good.txt': 'done' });
    expect(visible(dir)).toEqual(['good.txt']);
    expect(readFileSync(join(dir, 'good.txt'))).toEqual(good);
    expect(parts(dir)).toEqual([]);
    expect(other.requests).toEqual([]);
    expect(host.requests.sort()).toEqual(['/good.txt', '/liar-length.bin', '/liar-stream.bin', '/redirect']);
  });
});

/** A hostile server speaking the engine's protocol: answers sync and retransmit as told, pushes what a test sends. */
async function hostileServer(options: { lastSeq: number; events: (from: number, to: number, conversationId: string) => ConversationEvent[] }) {
  const http = createServer();
  const io = new IoServer(http, { transports: ['websocket'] });
  const retransmits: Array<{ fromSeq: number; toSeq: number }> = [];
  const now = Date.now();
  const conversation: Conversation = {
    id: 'c1',
    type: 'group',
    title: 'Lies',
    participants: [
      { address: 'me', role: 'member', deliveredSeq: 0, readSeq: 0 },
      { address: 'liar', role: 'admin', deliveredSeq: 0, readSeq: 0 },
    ],
    lastSeq: options.lastSeq,
    lastActivity: now,
    createdAt: now,
  };
  const ok = (data: unknown) => ({ ok: true, data });
  io.on('connection', (socket) => {
    socket.on('sync', (_p: unknown, ack: (reply: unknown) => void) => ack(ok({ me: { address: 'me', name: 'Me' }, conversations: [conversation], serverTime: now })));
    socket.on('retransmit', (p: { conversationId: string; fromSeq: number; toSeq: number }, ack: (reply: unknown) => void) => {
      retransmits.push({ fromSeq: p.fromSeq, toSeq: p.toSeq });
      ack(ok({ events: options.events(p.fromSeq, p.toSeq, p.conversationId) }));
    });
    // The engine sends receipts without asking for an answer; one that asks gets it.
    socket.on('receipt', (p: { seq: number }, ack?: (reply: unknown) => void) => ack?.(ok({ seq: p.seq })));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  onCleanup(async () => {
    await io.close();
  });
  return { url: `http://127.0.0.1:${(http.address() as { port: number }).port}`, io, retransmits };
}

const text = (seq: number, body = `honest ${seq}`): ConversationEvent => ({ type: 'message', conversationId: 'c1', seq, sender: 'liar', clientId: `m${seq}`, body, serverTime: Date.now() });

describe('bounds on what a server sends (item 11)', () => {
  it('takes no absurd seq: a lastSeq and a push at 2^53 − 2 cost a few requests, store nothing and leave a plausible badge', async () => {
    const have = new Map<number, ConversationEvent>([1, 2, 3, 4, 5].map((seq) => [seq, text(seq)]));
    const liar = await hostileServer({ lastSeq: 2 ** 53 - 2, events: (from, to) => [...have.values()].filter((e) => e.seq >= from && e.seq <= to) });
    const logs: string[] = [];
    const me = startClient(liar.url, 'any-token', { log: (message) => logs.push(message) });
    await online(me);
    await me.idle();
    expect(me.readConversations()[0]).toMatchObject({ lastSeq: 5, unread: 5 });
    expect(liar.retransmits.length).toBeLessThanOrEqual(10);

    // A push far ahead is not stored; a 5 MiB body is refused; an honest one after them arrives as usual.
    liar.io.emit('event', text(2 ** 53 - 2));
    liar.io.emit('event', text(6, 'x'.repeat(5 * MiB)));
    have.set(6, text(6));
    liar.io.emit('event', have.get(6));
    await until(() => me.readMessages('c1').some((m) => m.seq === 6), 'the honest event 6');
    await me.idle();
    expect(me.readMessages('c1').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(me.readConversations()[0]).toMatchObject({ lastSeq: 6, unread: 6 });
    expect(me.unreadTotal()).toBe(6);
    expect(liar.retransmits.length).toBeLessThanOrEqual(16);
    expect(logs).toEqual(expect.arrayContaining([expect.stringMatching(/seq 9007199254740990 is more than 1000000 past/), expect.stringMatching(/malformed "event".*body exceeds/s)]));
  });

  it('bounds a legitimately long catch-up in pages per pass, and goes on while passes make progress', async () => {
    const liar = await hostileServer({ lastSeq: 3500, events: (from, to) => Array.from({ length: Math.min(to, 3500) - from + 1 }, (_, i) => text(from + i)) });
    const me = startClient(liar.url, 'any-token', { limits: { pagesPerPass: 2 } });
    const passes: number[] = [];
    me.on('sync', (s) => s.state === 'running' && passes.push(s.behind));
    await online(me);
    await me.idle();
    expect(me.readConversations()[0]).toMatchObject({ lastSeq: 3500, unread: 3500 });
    expect(passes.length).toBe(2); // four pages, two a pass
    expect(liar.retransmits).toHaveLength(4);
  });

  it('refuses retransmit answers outside what was asked (another conversation, another range, a seq twice)', async () => {
    for (const lie of [
      (from: number) => [{ ...text(from), conversationId: 'c2' }],
      (_from: number, to: number) => [text(to + 1)],
      (from: number) => [text(from), text(from)],
    ]) {
      const liar = await hostileServer({ lastSeq: 10, events: lie });
      const logs: Array<{ message: string; detail: unknown }> = [];
      const me = startClient(liar.url, 'any-token', { log: (message, detail) => logs.push({ message, detail }) });
      await online(me).catch(() => {}); // caughtUp() rejects with the pass
      await me.idle();
      expect(me.readMessages('c1')).toEqual([]);
      expect(liar.retransmits.length).toBeLessThanOrEqual(4);
      // The sync on connect runs catch-up and reports its failure.
      expect(logs).toContainEqual({ message: expect.stringMatching(/^(sync|catch-up) failed$/), detail: expect.objectContaining({ message: expect.stringMatching(/answer to retransmit 1\.\.10 of c1 holds/) }) });
      me.stop();
    }
  });

  it('closes the link on a frame over maxFrameBytes before buffering it, and reconnects', async () => {
    const liar = await hostileServer({ lastSeq: 0, events: () => [] });
    const me = startClient(liar.url, 'any-token', { limits: { maxFrameBytes: MiB } });
    await online(me);
    const dropped = nextEvent(me, 'connectionStatus', (s) => s.state === 'offline');
    liar.io.emit('typing', { conversationId: 'c1', address: 'x'.repeat(2 * MiB) });
    expect(await dropped).toMatchObject({ state: 'offline' });
    await online(me);
  });
});

describe('files at rest are the owner’s only (item 12, POSIX)', () => {
  it.skipIf(process.platform === 'win32')('creates the data dir 0700 and the database, its -wal and -shm, and downloads 0600; tightens an older install', async () => {
    const t = await startTestServer();
    const dataDir = join(tempDir(), 'nested', 'engine');
    const { alice, conversationId, bobToken } = await pair(t);
    const bob = startClient(t.url, bobToken, { dataDir });
    await online(bob);
    expect(mode(dataDir)).toBe(0o700);
    for (const file of ['parley-client.db', 'parley-client.db-wal', 'parley-client.db-shm']) expect(mode(join(dataDir, file))).toBe(0o600);
    expect(mode(join(dataDir, 'downloads'))).toBe(0o700);
    expect(mode(join(t.dataDir, 'parley.db'))).toBe(0o600);

    const path = join(tempDir(), 'note.txt');
    writeFileSync(path, 'private');
    await alice.sendFile({ conversationId }, path);
    await until(() => bob.readMessages(conversationId).some((m) => m.file), 'file at bob');
    const message = bob.readMessages(conversationId).find((m) => m.file)!;
    const done = await bob.startFileTransfer(await bob.getFileInstance('download', message.file!.url!));
    expect(mode(done.path!)).toBe(0o600);
    bob.stop();

    // An install made before: a world-readable folder and database are tightened when opened.
    const old = join(tempDir(), 'old');
    mkdirSync(old, { mode: 0o755 });
    writeFileSync(join(old, 'parley-client.db'), '', { mode: 0o644 });
    const reopened = startClient(t.url, bobToken, { dataDir: old });
    await online(reopened);
    expect(mode(old)).toBe(0o700);
    expect(mode(join(old, 'parley-client.db'))).toBe(0o600);
    expect(existsSync(join(old, 'parley-client.db-wal'))).toBe(true);
    expect(mode(join(old, 'parley-client.db-wal'))).toBe(0o600);
  });
});
