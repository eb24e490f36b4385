// Issue 12, the server's file routes, against real servers on 127.0.0.1: the tus owner check holds
// whatever the URL carries (item 3), per-user upload limits (item 7), capability links end with
// their maker's membership and never reach the log (item 8), and the data dir's modes (item 12).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tusUploadId } from '../../server/files/file-url.js';
import { DEFAULT_UPLOAD_LIMITS } from '../../server/files/limits.js';
import { startServer, type RunningServer, type ServerOptions } from '../../server/server.js';
import { APP_TOKEN, cleanup, onCleanup, rawDevice, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

const TUS = { 'tus-resumable': '1.0.0' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const idOf = (url: string) => url.split('/').pop()!;

/** A server with the given options, users made through the backend API, restartable on its port. */
async function fileServer(options: Partial<ServerOptions> = {}) {
  const dataDir = options.dataDir ?? tempDir('parley-files-');
  const open = (port: number) => startServer({ port, host: '127.0.0.1', dataDir, appToken: APP_TOKEN, logger: false, ...options });
  let server: RunningServer = await open(0);
  onCleanup(() => server.close());
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...bearer(APP_TOKEN), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  };
  return {
    dataDir,
    get url() {
      return server.url;
    },
    get storage() {
      return server.storage;
    },
    api,
    async user(address: string) {
      await api('POST', '/users', { address, name: address });
      return (await api<{ token: string }>('POST', `/users/${address}/tokens`, {})).token;
    },
    async restart() {
      await server.close();
      server = await open(server.port);
    },
  };
}
type FileServer = Awaited<ReturnType<typeof fileServer>>;

async function tusCreate(url: string, token: string, length: number, filename = 'file.bin') {
  return fetch(`${url}/files/tus`, {
    method: 'POST',
    headers: { ...TUS, ...bearer(token), 'upload-length': String(length), 'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}` },
  });
}

async function created(url: string, token: string, length: number, filename?: string): Promise<string> {
  const response = await tusCreate(url, token, length, filename);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.headers.get('location')!;
}

async function tusPatch(location: string, token: string, offset: number, bytes: Uint8Array) {
  return fetch(location, {
    method: 'PATCH',
    headers: { ...TUS, ...bearer(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body: bytes,
  });
}

async function tusUpload(url: string, token: string, bytes: Uint8Array): Promise<string> {
  const done = await tusPatch(await created(url, token, bytes.length), token, 0, bytes);
  expect(done.status).toBe(204);
  return done.headers.get('parley-file-url')!;
}

/** A request with this exact request target: no URL parser in between to normalise or drop anything. */
function raw(base: string, method: string, target: string, headers: Record<string, string>, body?: Uint8Array) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, method, path: target, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The seed's upload URL protocol with a small file. */
async function formUpload(url: string, token: string, uid: string, bytes: Uint8Array) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ op: 'upload', auth: token, uid, mid: 'm1', source: 'message' })) form.append(k, v);
  form.append('file', new Blob([bytes]), 'form.bin');
  const response = await fetch(`${url}/api/v1/upload`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as { result: boolean; url?: string; error?: string } };
}

describe('tus owner check (item 3)', () => {
  it('takes the id from exactly /files/tus/<id>: nothing else in the URL reaches another user\'s upload', () => {
    const id = 'a'.repeat(32);
    const other = 'b'.repeat(32);
    expect(tusUploadId(`/files/tus/${id}`)).toBe(id);
    for (const target of [
      `/files/tus/${id}?x=/${other}`,
      `/files/tus/${id}?`,
      `/files/tus/${id}#/${other}`,
      `/files/tus/${id}/${other}`,
      `/files/tus/${id}/`,
      `/files/tus/${id}%2F${other}`,
      `/files/tus/${id};/${other}`,
      `/files/tus/../tus/${id}`,
      `//files/tus/${id}`,
      `http://evil/files/tus/${id}`,
      `/files/tus/${id.toUpperCase()}`,
      undefined,
    ]) {
      expect(tusUploadId(target), String(target)).toBeNull();
    }
  });

  it('refuses HEAD, PATCH and DELETE on an own upload URL that carries another id, leaving the victim\'s upload untouched', async () => {
    const t = await startTestServer();
    const [mallory, victim] = [await t.user('mallory'), await t.user('victim')];
    const own = idOf(await created(t.url, mallory, 10, 'mine.txt'));
    const theirs = idOf(await created(t.url, victim, 10, 'secret-plans.pdf'));
    const theirFile = join(t.dataDir, 'files', theirs);

    const targets = [
      `/files/tus/${own}?x=/${theirs}`,
      `/files/tus/${own}?/${theirs}`,
      `/files/tus/${own}?x=1&y=/${theirs}`,
      `/files/tus/${own}#/${theirs}`,
      `/files/tus/${own}/${theirs}`,
      `/files/tus/${own}%2F${theirs}`,
      `/files/tus/${own}%2f..%2f${theirs}`,
      `/files/tus/${own};/${theirs}`,
    ];
    for (const target of targets) {
      const head = await raw(t.url, 'HEAD', target, { ...TUS, ...bearer(mallory) });
      expect(head.status, `HEAD ${target}`).toBeGreaterThanOrEqual(400);
      expect(head.headers['upload-metadata'], `HEAD ${target}`).toBeUndefined();
      expect(head.headers['upload-offset'], `HEAD ${target}`).toBeUndefined();

      const patch = await raw(t.url, 'PATCH', target, { ...TUS, ...bearer(mallory), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.from('OVERWRITE!'));
      expect(patch.status, `PATCH ${target}`).toBeGreaterThanOrEqual(400);

      const del = await raw(t.url, 'DELETE', target, { ...TUS, ...bearer(mallory) });
      expect(del.status, `DELETE ${target}`).toBeGreaterThanOrEqual(400);
    }
    // The query form names the route's own upload: refused as a request, with a reason.
    const query = await raw(t.url, 'HEAD', `/files/tus/${own}?x=/${theirs}`, { ...TUS, ...bearer(mallory) });
    expect(query.status).toBe(400);
    const said = await raw(t.url, 'PATCH', `/files/tus/${own}?x=/${theirs}`, { ...TUS, ...bearer(mallory), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.from('x'));
    expect(JSON.parse(said.text)).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/no query or further path/) } });

    // The victim's upload: still there, still empty, still theirs to finish; mallory's own works as before.
    expect(statSync(theirFile).size).toBe(0);
    expect(await t.server.storage.getFile(theirs)).toMatchObject({ owner: 'victim', complete: false, name: 'secret-plans.pdf' });
    const victimHead = await raw(t.url, 'HEAD', `/files/tus/${theirs}`, { ...TUS, ...bearer(victim) });
    expect(victimHead.status).toBe(200);
    expect(victimHead.headers['upload-offset']).toBe('0');
    expect((await raw(t.url, 'HEAD', `/files/tus/${theirs}`, { ...TUS, ...bearer(mallory) })).status).toBe(403);
    expect((await raw(t.url, 'HEAD', `/files/tus/${own}`, { ...TUS, ...bearer(mallory) })).status).toBe(200);
    const finished = await tusPatch(`${t.url}/files/tus/${theirs}`, victim, 0, Buffer.from('0123456789'));
    expect(finished.status).toBe(204);
    expect(await t.server.storage.getFile(own)).toMatchObject({ owner: 'mallory', complete: false });
  });
});

describe('per-user upload limits (item 7)', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_UPLOAD_LIMITS).toEqual({ maxUploadsInFlight: 32, maxUploadBytesInFlight: 8 * 1024 ** 3, storageQuota: 20 * 1024 ** 3 });
  });

  it('refuses tus creations past the uploads in flight, per user, and admits again when one finishes or is cancelled', async () => {
    const t = await fileServer({ maxUploadsInFlight: 3 });
    const [alice, bob] = [await t.user('alice'), await t.user('bob')];
    const locations = [await created(t.url, alice, 10), await created(t.url, alice, 10), await created(t.url, alice, 10)];
    const refused = await tusCreate(t.url, alice, 10);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toBe("you have 3 uploads in progress, this server's limit per user is 3; finish or cancel one of them first\n");
    expect(await t.storage.fileUsage('alice')).toEqual({ bytes: 30, uploads: 3, uploadBytes: 30 });
    await created(t.url, bob, 10); // another user's room is their own

    expect((await tusPatch(locations[0]!, alice, 0, new Uint8Array(10))).status).toBe(204);
    const next = await created(t.url, alice, 10);
    expect((await tusCreate(t.url, alice, 10)).status).toBe(429);
    expect((await fetch(next, { method: 'DELETE', headers: { ...TUS, ...bearer(alice) } })).status).toBe(204);
    await until(async () => (await t.storage.fileUsage('alice')).uploads === 2, 'the cancelled upload to go');
    await created(t.url, alice, 10);
  });

  it('admits exactly the limit when a user starts many uploads at once', async () => {
    const t = await fileServer({ maxUploadsInFlight: 5 });
    const alice = await t.user('alice');
    const answers = await Promise.all(Array.from({ length: 20 }, () => tusCreate(t.url, alice, 100)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect((await t.storage.fileUsage('alice')).uploads).toBe(5);
  });

  it('refuses creations past the bytes in flight per user before any byte is stored', async () => {
    const t = await fileServer({ maxUploadBytesInFlight: 1000 });
    const alice = await t.user('alice');
    await created(t.url, alice, 600);
    const filesBefore = readdirSync(join(t.dataDir, 'files'));
    const refused = await tusCreate(t.url, alice, 500);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toMatch(/your uploads in progress hold 600 bytes and this one 500 bytes: over this server's limit of 1000 bytes in progress per user/);
    expect(readdirSync(join(t.dataDir, 'files'))).toEqual(filesBefore);
    await created(t.url, alice, 400);
    // The length must be declared up front, or it could not be counted.
    const deferred = await fetch(`${t.url}/files/tus`, { method: 'POST', headers: { ...TUS, ...bearer(alice), 'upload-defer-length': '1' } });
    expect(deferred.status).toBe(400);
    expect((await t.storage.fileUsage('alice')).uploads).toBe(2);
  });

  it('keeps a storage quota counted from stored files and unfinished uploads, across restarts and both upload paths', async () => {
    const t = await fileServer({ storageQuota: 2000 });
    const alice = await t.user('alice');
    await tusUpload(t.url, alice, randomBytes(1200));
    await created(t.url, alice, 500); // unfinished: counts at its declared length

    const refused = await tusCreate(t.url, alice, 400);
    expect(refused.status).toBe(413);
    expect(await refused.text()).toBe('your files on this server take 1.7 KiB of your 2.0 KiB storage quota; this file needs 400 bytes more\n');
    const form = await formUpload(t.url, alice, 'alice', randomBytes(400));
    expect(form).toEqual({ status: 413, body: { result: false, error: expect.stringMatching(/storage quota/) } });

    await t.restart();
    expect((await tusCreate(t.url, alice, 400)).status).toBe(413);
    const fits = await created(t.url, alice, 300);
    expect(idOf(fits)).toMatch(/^[0-9a-f]{32}$/);
    expect(await t.storage.fileUsage('alice')).toEqual({ bytes: 2000, uploads: 2, uploadBytes: 800 });
  });

  it('counts an upload-URL form while it arrives, then from its record', async () => {
    const t = await fileServer({ maxUploadsInFlight: 1 });
    const alice = await t.user('alice');
    const boundary = 'parley-boundary';
    const field = (name: string, value: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const head =
      Object.entries({ op: 'upload', auth: alice, uid: 'alice', mid: 'm1', source: 'message' }).map(([k, v]) => field(k, v)).join('') +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="slow.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const file = randomBytes(2000);
    const { hostname, port } = new URL(t.url);
    const request = httpRequest({
      host: hostname,
      port,
      method: 'POST',
      path: '/api/v1/upload',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(Buffer.byteLength(head) + file.length + tail.length) },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
    });
    request.write(head);
    request.write(file.subarray(0, 1000));
    // Its bytes reach the disk once it holds its room.
    await until(() => readdirSync(join(t.dataDir, 'files')).length === 1, 'the form upload to start storing');
    expect((await tusCreate(t.url, alice, 10)).status).toBe(429);
    request.end(Buffer.concat([file.subarray(1000), Buffer.from(tail)]));
    expect((await answer).status).toBe(200);
    await created(t.url, alice, 10);
  });
});

describe('capability links (item 8)', () => {
  it('stop working when the member who made one leaves; the uploader\'s go on', async () => {
    const t = await fileServer();
    const [alice, bob] = [await t.user('alice'), await t.user('bob')];
    const bytes = randomBytes(300);
    const url = await tusUpload(t.url, alice, bytes);
    const { group } = await t.api<{ group: { id: string } }>('POST', '/groups', { name: 'Team', members: ['alice', 'bob'] });
    const device = await rawDevice(t.url, alice, 'a');
    const sent = await device.request('message:send', {
      conversationId: group.id,
      clientId: 'c1',
      body: '',
      file: { url, name: 'f.bin', size: bytes.length, mime: 'application/octet-stream', sha256: createHash('sha256').update(bytes).digest('hex') },
    });
    expect(sent, JSON.stringify(sent)).toMatchObject({ ok: true });

    const mint = async (token: string) => {
      const response = await fetch(`${url}/capability`, { method: 'POST', headers: bearer(token) });
      expect(response.status).toBe(200);
      return ((await response.json()) as { url: string }).url;
    };
    const bobLink = await mint(bob);
    const aliceLink = await mint(alice);
    expect(new URL(bobLink).searchParams.get('by')).toBe('bob');
    expect((await fetch(bobLink)).status).toBe(200);

    await t.api('DELETE', `/groups/${group.id}/members`, { members: ['bob'] });
    const after = await fetch(bobLink);
    expect(after.status).toBe(403);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await fetch(aliceLink)).status).toBe(200);

    // The maker is part of the MAC: a link cannot be passed to another user's name, nor lose it.
    const renamed = new URL(bobLink);
    renamed.searchParams.set('by', 'alice');
    expect((await fetch(renamed)).status).toBe(403);
    const anonymous = new URL(aliceLink);
    anonymous.searchParams.delete('by');
    expect((await fetch(anonymous)).status).toBe(403);
  });

  it('never writes a link\'s cap to the log of a real server process, and takes the limits from its flags', async () => {
    const dataDir = tempDir('parley-cli-');
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'server/cli.ts'), '--port', '0', '--data-dir', dataDir, '--max-uploads-in-flight', '1', '--storage-quota', '5000'], {
      env: { ...process.env, PARLEY_APP_TOKEN: APP_TOKEN, PARLEY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onCleanup(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(() => /listening on (http:\/\/\S+)/.test(output), 'the server to listen', 20_000);
    const base = /listening on (http:\/\/\S+)/.exec(output)![1]!;

    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${base}/api/v1${path}`, { method, headers: { ...bearer(APP_TOKEN), 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    await api('POST', '/users', { address: 'alice', name: 'Alice' });
    const { token } = (await (await api('POST', '/users/alice/tokens')).json()) as { token: string };

    const url = await tusUpload(base, token, randomBytes(100));
    await created(base, token, 100);
    const second = await tusCreate(base, token, 100);
    expect(second.status).toBe(429); // --max-uploads-in-flight 1
    const link = ((await (await fetch(`${url}/capability`, { method: 'POST', headers: bearer(token) })).json()) as { url: string }).url;
    const cap = new URL(link).searchParams.get('cap')!;
    expect((await fetch(link)).status).toBe(200);
    // A cap spelled with an encoded key is still a cap to the query parser, and to the redaction.
    expect((await fetch(link.replace('?cap=', '?%63ap='))).status).toBe(200);

    await until(() => output.split('\n').filter((line) => line.includes('[redacted]')).length >= 2, 'both downloads in the log');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toContain(cap);
    const logged = output.split('\n').filter((line) => line.includes('[redacted]')).map((line) => (JSON.parse(line) as { req: { url: string } }).req.url);
    expect(logged).toEqual([`/files/${idOf(url)}?cap=[redacted]&exp=${new URL(link).searchParams.get('exp')}&by=alice`, expect.stringMatching(/^\/files\/[0-9a-f]{32}\?%63ap=\[redacted\]&exp=/)]);
  });
});

describe('file modes on POSIX (item 12)', () => {
  it.skipIf(process.platform === 'win32')('keeps the data dir 0700 and the database, tus files and their sidecars 0600, tightening an older dir', async () => {
    const dataDir = tempDir('parley-modes-');
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'parley.db-wal'), '', { mode: 0o644 }); // left by an older version
    mkdirSync(join(dataDir, 'files'), { mode: 0o755 });
    chmodSync(join(dataDir, 'files'), 0o755);
    const t: FileServer = await fileServer({ dataDir });
    const alice = await t.user('alice');
    const done = await tusUpload(t.url, alice, randomBytes(1000));
    const unfinished = await created(t.url, alice, 1000);
    expect((await tusPatch(unfinished, alice, 0, randomBytes(10))).status).toBe(204);
    expect((await formUpload(t.url, alice, 'alice', randomBytes(10))).body.result).toBe(true);
    await fetch(`${done}/capability`, { method: 'POST', headers: bearer(alice) });

    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    expect(mode(dataDir)).toBe('700');
    expect(mode(join(dataDir, 'files'))).toBe('700');
    const top = readdirSync(dataDir).filter((name) => name !== 'files');
    expect(top).toEqual(expect.arrayContaining(['parley.db', 'parley.db-wal', 'parley.db-shm', 'file-capability-key.json']));
    for (const name of top) expect(mode(join(dataDir, name)), name).toBe('600');
    const files = readdirSync(join(dataDir, 'files'));
    expect(files.filter((name) => name.endsWith('.json'))).toHaveLength(2);
    expect(files).toHaveLength(5);
    for (const name of files) expect(mode(join(dataDir, 'files', name)), name).toBe('600');
  });
});
