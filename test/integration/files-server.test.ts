// The server's file routes against a real server and real temp dirs: tus resumable uploads, the
// seed's upload URL protocol, downloads with ranges, who may download, capability URLs, and file
// messages round-tripping through the real-time API. The tus client here is a few fetch calls.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation, ConversationEvent, FileInfo } from '../../protocol/index.js';
import { loadCapabilities } from '../../server/files/capability.js';
import { cleanup, rawDevice, startTestServer, until, type RawDevice, type TestServer } from '../support/harness.js';
import { TUS, bearer, sha256, tusCreate, tusPatch, tusUpload } from '../support/tus.js';

afterEach(cleanup);

const filesDir = (t: TestServer) => join(t.dataDir, 'files');
/** What the files dir holds besides tus's <id>.json info files. */
const storedFiles = (t: TestServer) => readdirSync(filesDir(t)).filter((name) => !name.endsWith('.json'));

async function tusHead(location: string, token: string) {
  return fetch(location, { method: 'HEAD', headers: { ...TUS, ...bearer(token) } });
}

interface UploadAnswer {
  result: boolean;
  url?: string;
  error?: string;
}

/** The seed's upload URL protocol; `order` puts the fields before or after the file. */
async function formUpload(
  t: TestServer,
  fields: Record<string, string>,
  file: { bytes: Uint8Array; name: string; type?: string } | null,
  order: 'fields-first' | 'file-first' = 'fields-first',
) {
  const form = new FormData();
  const addFile = () => file && form.append('file', new Blob([file.bytes], { type: file.type ?? '' }), file.name);
  if (order === 'file-first') addFile();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (order === 'fields-first') addFile();
  const response = await fetch(`${t.url}/api/v1/upload`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as UploadAnswer };
}

const seedFields = (token: string, uid: string) => ({ op: 'upload', auth: token, uid, mid: 'msg-1', source: 'message' });

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(url, { method, headers });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

function fileInfo(url: string, bytes: Uint8Array, name = 'report.pdf'): FileInfo {
  return { url, name, size: bytes.length, mime: 'application/pdf', sha256: sha256(bytes) };
}

async function conversation(device: RawDevice, participants: string[], type: 'direct' | 'group' = 'direct') {
  const created = await device.request<Conversation>('conversation:create', { participants, type, ...(type === 'group' ? { title: 'Files' } : {}) });
  if (!created.ok) throw new Error(created.error.message);
  return created.data.id;
}

async function send(device: RawDevice, conversationId: string, clientId: string, file: FileInfo | undefined, body = '') {
  const sent = await device.request<{ seq: number }>('message:send', { conversationId, clientId, body, file });
  if (!sent.ok) throw new Error(sent.error.message);
  return sent.data.seq;
}

describe('tus resumable uploads', () => {
  it('uploads in two PATCHes, survives a dropped connection, and records size, type and sha256', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const bytes = randomBytes(300 * 1024);

    const created = await tusCreate(t, alice, bytes.length, { filename: 'holiday.jpg', filetype: 'image/jpeg' });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${t.url}/files/tus/[0-9a-f]{32}$`));
    const id = location.split('/').pop()!;

    const first = await tusPatch(location, alice, 0, bytes.subarray(0, 100 * 1024));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(100 * 1024));

    // The second PATCH drops after its first 64 KiB reached the server's disk.
    const drop = new AbortController();
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    const dropped = tusPatch(location, alice, 100 * 1024, stream, drop.signal).catch((error: Error) => error);
    feed.enqueue(bytes.subarray(100 * 1024, 164 * 1024));
    await until(() => statSync(join(filesDir(t), id)).size >= 164 * 1024, 'the first bytes of the second PATCH on disk');
    drop.abort();
    expect(await dropped).toBeInstanceOf(Error);

    let offset = 0;
    await until(async () => {
      const head = await tusHead(location, alice);
      offset = Number(head.headers.get('upload-offset'));
      return head.status === 200 && offset === statSync(join(filesDir(t), id)).size;
    }, 'HEAD to report what the server kept');
    expect(offset).toBeGreaterThanOrEqual(164 * 1024);
    expect(offset).toBeLessThan(bytes.length);

    const resumed = await tusPatch(location, alice, offset, bytes.subarray(offset));
    expect(resumed.status).toBe(204);
    expect(resumed.headers.get('upload-offset')).toBe(String(bytes.length));
    const url = resumed.headers.get('parley-file-url');
    expect(url).toBe(`${t.url}/files/${id}`);

    const downloaded = await get(url!, bearer(alice));
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(downloaded.bytes).equals(bytes)).toBe(true);
    expect(downloaded.headers.get('content-type')).toBe('image/jpeg');
    expect(downloaded.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expect(await t.server.storage.getFile(id)).toMatchObject({
      owner: 'alice',
      name: 'holiday.jpg',
      size: bytes.length,
      mime: 'image/jpeg',
      sha256: sha256(bytes),
      complete: true,
    });
  });

  it('recomputes the sha256 of an upload resumed after a server restart', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const bytes = randomBytes(50_000);
    const created = await tusCreate(t, alice, bytes.length);
    const location = created.headers.get('location')!;
    expect((await tusPatch(location, alice, 0, bytes.subarray(0, 20_000))).status).toBe(204);
    await t.restart();
    expect((await tusHead(location, alice)).headers.get('upload-offset')).toBe('20000');
    const done = await tusPatch(location, alice, 20_000, bytes.subarray(20_000));
    expect(done.status).toBe(204);
    expect(await t.server.storage.getFile(location.split('/').pop()!)).toMatchObject({ sha256: sha256(bytes), complete: true });
  });

  it("refuses other users' uploads, missing or wrong tokens, and lengths over the limit before any body", async () => {
    const t = await startTestServer({ maxFileSize: 1000 });
    const alice = await t.user('alice');
    const bob = await t.user('bob');
    const created = await tusCreate(t, alice, 10);
    const location = created.headers.get('location')!;

    expect((await tusPatch(location, bob, 0, new Uint8Array(10))).status).toBe(403);
    expect((await tusHead(location, bob)).status).toBe(403);
    expect((await fetch(location, { method: 'DELETE', headers: { ...TUS, ...bearer(bob) } })).status).toBe(403);
    expect((await tusHead(`${t.url}/files/tus/${'0'.repeat(32)}`, alice)).status).toBe(404);

    const anonymous = await fetch(`${t.url}/files/tus`, { method: 'POST', headers: { ...TUS, 'upload-length': '10' } });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await tusCreate(t, 'plu_wrong', 10)).status).toBe(401);
    expect((await tusPatch(location, 'plu_wrong', 0, new Uint8Array(10))).status).toBe(401);

    const before = readdirSync(filesDir(t));
    const tooLarge = await tusCreate(t, alice, 1001);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toMatch(/larger than this server's limit of 1000 bytes/);
    expect(readdirSync(filesDir(t))).toEqual(before);

    // Termination cancels an upload in progress; its record goes with it.
    const terminated = await fetch(location, { method: 'DELETE', headers: { ...TUS, ...bearer(alice) } });
    expect(terminated.status).toBe(204);
    await until(async () => (await t.server.storage.getFile(location.split('/').pop()!)) === null, 'the record to go');
    expect(storedFiles(t)).toEqual([]);
  });
});

describe('abandoned uploads', () => {
  it('sweeps an upload left unfinished past its expiry, bytes and record, and keeps finished ones', async () => {
    const t = await startTestServer({ uploadExpiryMs: 300 });
    const alice = await t.user('alice');
    const created = await tusCreate(t, alice, 100);
    const location = created.headers.get('location')!;
    expect((await tusPatch(location, alice, 0, new Uint8Array(40))).status).toBe(204);
    const finished = await tusUpload(t, alice, new Uint8Array(10).fill(7));
    const finishedId = finished.split('/').pop()!;

    await until(async () => (await t.server.storage.getFile(location.split('/').pop()!)) === null, 'the abandoned record to go', 5000);
    expect((await tusHead(location, alice)).status).toBe(404);
    expect(storedFiles(t)).toEqual([finishedId]);
    expect((await fetch(finished, { headers: bearer(alice) })).status).toBe(200);
  });
});

describe('upload URL protocol', () => {
  it('answers {"result": true, "url"} and serves the file it stored', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const bytes = randomBytes(10_000);
    const answer = await formUpload(t, seedFields(alice, 'alice'), { bytes, name: 'notes.txt', type: 'text/plain' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ result: true, url: expect.stringMatching(new RegExp(`^${t.url}/files/[0-9a-f]{32}$`)) });
    const downloaded = await get(answer.body.url!, bearer(alice));
    expect(Buffer.from(downloaded.bytes).equals(bytes)).toBe(true);
    expect(downloaded.headers.get('content-type')).toBe('text/plain');
    expect(downloaded.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
  });

  it('refuses a wrong token, someone else\'s uid, bad fields, and fields after the file, storing nothing', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    await t.user('bob');
    const file = { bytes: randomBytes(1000), name: 'a.bin' };
    const refused = async (fields: Record<string, string>, status: number, error: RegExp, order?: 'file-first') => {
      const answer = await formUpload(t, fields, file, order);
      expect(answer).toEqual({ status, body: { result: false, error: expect.stringMatching(error) } });
    };
    await refused({ ...seedFields(alice, 'alice'), auth: 'plu_wrong' }, 401, /access token is not valid/);
    await refused(seedFields(alice, 'bob'), 403, /uid bob is not the user of this auth token/);
    await refused({ ...seedFields(alice, 'alice'), op: 'download' }, 400, /op must be "upload"/);
    await refused({ ...seedFields(alice, 'alice'), source: 'desktop' }, 400, /source must be message, profile or group-profile/);
    await refused({ ...seedFields(alice, 'alice'), mid: 'm'.repeat(65) }, 400, /longer than 64/);
    await refused({ ...seedFields(alice, 'alice'), mid: '' }, 400, /mid .* is empty/);
    await refused(seedFields(alice, 'alice'), 400, /must come before the file/, 'file-first');
    expect(await formUpload(t, seedFields(alice, 'alice'), null)).toMatchObject({ status: 400, body: { result: false, error: expect.stringMatching(/no file/) } });

    // A field after a complete file: refused, and the file already on disk is removed.
    const form = new FormData();
    for (const [k, v] of Object.entries(seedFields(alice, 'alice'))) form.append(k, v);
    form.append('file', new Blob([file.bytes]), 'a.bin');
    form.append('extra', 'late');
    const late = await fetch(`${t.url}/api/v1/upload`, { method: 'POST', body: form });
    expect(late.status).toBe(400);
    expect(await late.json()).toEqual({ result: false, error: 'the file must be the last part of the form' });

    const twoFiles = new FormData();
    for (const [k, v] of Object.entries(seedFields(alice, 'alice'))) twoFiles.append(k, v);
    twoFiles.append('file', new Blob([file.bytes]), 'a.bin');
    twoFiles.append('file', new Blob([file.bytes]), 'b.bin');
    const two = await fetch(`${t.url}/api/v1/upload`, { method: 'POST', body: twoFiles });
    expect(two.status).toBe(400);
    expect(await two.json()).toMatchObject({ result: false, error: expect.stringMatching(/exactly one file|last part/) });

    const json = await fetch(`${t.url}/api/v1/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ result: false, error: 'send the form as multipart/form-data' });
    expect(storedFiles(t)).toEqual([]);
  });

  it('refuses files over the limit by Content-Length up front and while streaming, leaving no partial file', async () => {
    const t = await startTestServer({ maxFileSize: 1000 });
    const alice = await t.user('alice');
    const huge = await formUpload(t, seedFields(alice, 'alice'), { bytes: randomBytes(200_000), name: 'big.bin' });
    expect(huge).toEqual({ status: 413, body: { result: false, error: "the file is larger than this server's limit of 1000 bytes" } });
    // Content-Length within the allowance for the form around it: caught by the stream's limit.
    const over = await formUpload(t, seedFields(alice, 'alice'), { bytes: randomBytes(1500), name: 'over.bin' });
    expect(over).toEqual({ status: 413, body: { result: false, error: "the file is larger than this server's limit of 1000 bytes" } });
    expect(storedFiles(t)).toEqual([]);
    const exact = await formUpload(t, seedFields(alice, 'alice'), { bytes: randomBytes(1000), name: 'exact.bin' });
    expect(exact.body.result).toBe(true);
    expect(storedFiles(t)).toHaveLength(1);
  });

  it('stores hostile names only as metadata and sends them back sanitised', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const cases: Array<[string, RegExp]> = [
      ['../../etc/passwd', /^attachment; filename="passwd"; filename\*=UTF-8''passwd$/],
      ['..\\..\\windows\\win.ini', /filename="win.ini"/],
      ['/abs/path/shadow', /filename="shadow"/],
      ['CON', /filename="_CON"/],
      ['lpt1.txt', /filename="_lpt1.txt"/],
      ['..', /filename="file"/],
      ['evil\u202egnp.exe', /filename="evil_gnp.exe"/],
      [`${'x'.repeat(400)}.txt`, new RegExp(`filename="${'x'.repeat(176)}\\.txt"`)],
      ['naïve résumé.pdf', /filename="na_ve r_sum_.pdf"; filename\*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9\.pdf/],
    ];
    for (const [name, disposition] of cases) {
      const answer = await formUpload(t, seedFields(alice, 'alice'), { bytes: new Uint8Array([1, 2, 3]), name });
      expect(answer.body.result, name).toBe(true);
      const head = await get(answer.body.url!, bearer(alice), 'HEAD');
      expect(head.headers.get('content-disposition'), name).toMatch(disposition);
    }
    // A NUL and a path in tus metadata, which no multipart parser trims first.
    const url = await tusUpload(t, alice, new Uint8Array([4, 5]), { filename: '../../a\u0000b.sh' });
    expect((await get(url, bearer(alice), 'HEAD')).headers.get('content-disposition')).toMatch(/filename="a_b.sh"/);
    expect(storedFiles(t).every((name) => /^[0-9a-f]{32}$/.test(name))).toBe(true);
    expect(storedFiles(t)).toHaveLength(cases.length + 1);
  });
});

describe('downloads', () => {
  it('serves single ranges, 416 past the end, and HEAD without a body', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const bytes = randomBytes(1000);
    const url = await tusUpload(t, alice, bytes, { filename: 'data.bin' });
    const range = async (header: string) => get(url, { ...bearer(alice), range: header });

    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 9],
      ['bytes=100-199', 100, 199],
      ['bytes=-10', 990, 999],
      ['bytes=500-', 500, 999],
      ['bytes=900-5000', 900, 999],
    ];
    for (const [header, start, end] of cases) {
      const r = await range(header);
      expect(r.status, header).toBe(206);
      expect(r.headers.get('content-range'), header).toBe(`bytes ${start}-${end}/1000`);
      expect(r.headers.get('content-length'), header).toBe(String(end - start + 1));
      expect(Buffer.from(r.bytes).equals(bytes.subarray(start, end + 1)), header).toBe(true);
    }
    const past = await range('bytes=1000-');
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
    expect((await range('bytes=0-1,5-6')).status).toBe(200); // several ranges: the whole file
    expect((await get(url, { ...bearer(alice), range: 'bytes=0-9', 'if-range': '"stale"' })).status).toBe(200);

    const head = await get(url, bearer(alice), 'HEAD');
    expect(head.status).toBe(200);
    expect(head.bytes.length).toBe(0);
    expect(Object.fromEntries(head.headers)).toMatchObject({
      'accept-ranges': 'bytes',
      'content-length': '1000',
      'content-type': 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      etag: `"${sha256(bytes)}"`,
    });
    expect((await get(url)).status).toBe(401);
    expect((await get(`${t.url}/files/${'0'.repeat(32)}`, bearer(alice))).status).toBe(404);
    expect((await get(`${t.url}/files/..%2F..%2Fparley.db`, bearer(alice))).status).toBe(404);
  });

  it('lets the participants of a conversation it was sent in download, and follows forwards and membership', async () => {
    const t = await startTestServer();
    const [alice, bob, carol, dave] = [await t.user('alice'), await t.user('bob'), await t.user('carol'), await t.user('dave')];
    const [aliceDevice, bobDevice, carolDevice] = await Promise.all([rawDevice(t.url, alice, 'a'), rawDevice(t.url, bob, 'b'), rawDevice(t.url, carol, 'c')]);
    const bytes = randomBytes(2000);
    const url = await tusUpload(t, alice, bytes);
    const status = async (token: string) => (await get(url, bearer(token))).status;

    expect(await status(bob)).toBe(403);
    const direct = await conversation(aliceDevice, ['bob']);
    await send(aliceDevice, direct, 'f1', fileInfo(url, bytes));
    expect(await status(bob)).toBe(200);
    expect(await status(carol)).toBe(403);

    // Carol cannot make it hers by sending its URL herself.
    await send(carolDevice, await conversation(carolDevice, ['dave']), 'f2', fileInfo(url, bytes));
    expect(await status(dave)).toBe(403);

    const { body } = await t.api<{ group: { id: string } }>('POST', '/groups', { name: 'Team', members: ['alice', 'bob'] });
    await send(aliceDevice, body.group.id, 'f3', fileInfo(url, bytes));
    expect(await status(carol)).toBe(403);
    await t.api('POST', `/groups/${body.group.id}/members`, { members: ['carol'] });
    expect(await status(carol)).toBe(200);
    await t.api('DELETE', `/groups/${body.group.id}/members`, { members: ['carol'] });
    expect(await status(carol)).toBe(403);

    // Bob may read it, so his forward opens it to the conversation he forwards it to.
    await send(bobDevice, await conversation(bobDevice, ['dave']), 'f4', fileInfo(url, bytes));
    expect(await status(dave)).toBe(200);
  });

  it('gives capability URLs that need no token, and refuses them tampered or expired', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const bob = await t.user('bob');
    const bytes = randomBytes(500);
    const url = await tusUpload(t, alice, bytes);
    const id = url.split('/').pop()!;

    const capability = await fetch(`${url}/capability`, { method: 'POST', headers: bearer(alice) });
    expect(capability.status).toBe(200);
    const { url: link, expiresAt } = (await capability.json()) as { url: string; expiresAt: number };
    expect(expiresAt).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(link.startsWith(`${url}?cap=`)).toBe(true);
    const fetched = await get(link);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(fetched.bytes).equals(bytes)).toBe(true);
    expect((await get(link, { range: 'bytes=-5' })).status).toBe(206);

    const parsed = new URL(link);
    const cap = parsed.searchParams.get('cap')!;
    const tampered = (name: string, value: string) => {
      const u = new URL(link);
      u.searchParams.set(name, value);
      return u.toString();
    };
    expect((await get(tampered('cap', (cap[0] === 'A' ? 'B' : 'A') + cap.slice(1)))).status).toBe(403);
    expect((await get(tampered('exp', String(expiresAt + 1)))).status).toBe(403);
    expect((await get(`${url}?cap=${cap}`)).status).toBe(403);
    const past = Date.now() - 1000;
    const expired = await fetch(`${url}?cap=${loadCapabilities(t.dataDir).sign(id, past, 'alice')}&exp=${past}&by=alice`);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(/expired/);

    expect((await fetch(`${url}/capability`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${url}/capability`, { method: 'POST', headers: bearer(bob) })).status).toBe(403);
    const custom = await fetch(`${url}/capability`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 120 }),
    });
    expect(((await custom.json()) as { expiresAt: number }).expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  it('refuses a download until the upload is complete', async () => {
    const t = await startTestServer();
    const alice = await t.user('alice');
    const created = await tusCreate(t, alice, 100);
    const id = created.headers.get('location')!.split('/').pop()!;
    const early = await get(`${t.url}/files/${id}`, bearer(alice));
    expect(early.status).toBe(409);
    expect((await fetch(`${t.url}/files/${id}/capability`, { method: 'POST', headers: bearer(alice) })).status).toBe(409);
  });
});

describe('file messages', () => {
  it('round-trip FileInfo through live fan-out and retransmit, with an empty body', async () => {
    const t = await startTestServer();
    const [alice, bob] = await Promise.all([t.user('alice'), t.user('bob')]);
    const [aliceDevice, bobDevice] = await Promise.all([rawDevice(t.url, alice, 'a'), rawDevice(t.url, bob, 'b')]);
    const bytes = randomBytes(100);
    const url = await tusUpload(t, alice, bytes);
    const id = await conversation(aliceDevice, ['bob']);
    const file: FileInfo = {
      ...fileInfo(url, bytes, 'photo.jpg'),
      mime: 'image/jpeg',
      title: 'At the lake',
      preview: { jpeg: Buffer.from('not really a jpeg').toString('base64'), width: 320, height: 240 },
      geolocation: { lat: 46.5, lon: 6.6 },
    };
    const seq = await send(aliceDevice, id, 'f1', file);
    await send(aliceDevice, id, 't1', undefined, 'plain text');

    await until(() => bobDevice.pushes.filter((p) => p.name === 'event').length === 2, 'fan-out of both messages');
    const live = bobDevice.pushes.filter((p) => p.name === 'event').map((p) => p.payload as ConversationEvent);
    expect(live[0]).toMatchObject({ type: 'message', seq, sender: 'alice', body: '', file });
    expect(live[1]).not.toHaveProperty('file');

    const again = await bobDevice.request<{ events: ConversationEvent[] }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 10 });
    if (!again.ok) throw new Error(again.error.message);
    expect(again.data.events[0]).toEqual(live[0]);
    expect(again.data.events[1]).toEqual(live[1]);

    const empty = await aliceDevice.request('message:send', { conversationId: id, clientId: 'e1', body: '  ' });
    expect(empty).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
