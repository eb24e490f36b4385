// Fuzzing the HTTP side: the backend API under /api/v1 and the file routes (/files/<id>, capability
// links, tus under /files/tus, the upload URL protocol at /api/v1/upload), with mutated methods,
// paths (traversal, encoded slashes, bad escapes, huge), query strings, headers (tokens, content
// types, Content-Length lies, ranges, tus headers) and bodies (schema-drawn JSON and mutations of
// it, invalid UTF-8, junk), written byte for byte on a raw TCP socket to a real server on 127.0.0.1.
// No answer may be a 5xx; a JSON refusal must be a clear error; the server keeps serving another
// user; another user's file and unfinished upload stay as they were.
// Replay a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS to run longer).
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Address, Title, type Conversation } from '../../protocol/index.js';
import { APP_TOKEN, cleanup, rawDevice, startTestServer, type RawDevice, type TestServer } from '../support/harness.js';
import { assertNoPollution, clearError, fuzzParams, preview, validOrMutated, type KeyHints, fuzzTimeout } from './arbitraries.js';

const RUNS = 100;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes one request as it is and reads the answer. Null when the server closed the connection
 * without one, which it may do to a request it cannot read (a body shorter than its Content-Length).
 */
function rawHttp(port: number, head: string, body: Buffer, halfClose: boolean, timeoutMs = 10_000): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that answers early (413) and closes while the body is still going: keep what it said.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!match) return resolve(null);
      const headers: Record<string, string> = {};
      for (const line of match[2]!.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      // Bytes the server did not read as this request's body may have been answered as another request.
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      const body = Buffer.from(match[3]!, 'latin1').subarray(0, length);
      resolve({ status: Number(match[1]), headers, body: body.toString('utf8') });
    });
    socket.on('connect', () => {
      socket.write(head);
      // Node aborts the requests of a client that half-closes: only a request that lies about its
      // length ends its side, so the server does not wait for bytes that never come.
      if (halfClose) socket.end(body);
      else socket.write(body);
    });
  });
}

let server: TestServer;
let port: number;
let watcher: RawDevice;
let aliceToken: string;
let bobToken: string;
let malloryToken: string;
/** alice's file, sent to bob: neither mallory nor the fuzzing may change or read it. */
let victimFile: { id: string; sha256: string };
/** alice's unfinished upload: its offset must not move. */
let victimUpload: string;
let malloryUpload: string;
let malloryFile: string;
let fuzzGroup: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const TUS = { 'tus-resumable': '1.0.0' };

async function tusCreate(token: string, length: number): Promise<string> {
  const response = await fetch(`${server.url}/files/tus`, { method: 'POST', headers: { ...TUS, ...bearer(token), 'upload-length': String(length) } });
  if (response.status !== 201) throw new Error(`tus create answered ${response.status}`);
  return response.headers.get('location')!.split('/').pop()!;
}

async function tusPatch(token: string, id: string, offset: number, bytes: Buffer): Promise<number> {
  const response = await fetch(`${server.url}/files/tus/${id}`, {
    method: 'PATCH',
    headers: { ...TUS, ...bearer(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body: bytes,
  });
  return response.status;
}

async function victimState(): Promise<{ file: string; uploadOffset: string | null }> {
  const download = await fetch(`${server.url}/files/${victimFile.id}`, { headers: bearer(bobToken) });
  const bytes = Buffer.from(await download.arrayBuffer());
  const head = await fetch(`${server.url}/files/tus/${victimUpload}`, { method: 'HEAD', headers: { ...TUS, ...bearer(aliceToken) } });
  return { file: `${download.status} ${createHash('sha256').update(bytes).digest('hex')}`, uploadOffset: head.headers.get('upload-offset') };
}

async function stillServing(): Promise<void> {
  const health = await fetch(`${server.url}/health`);
  if (health.status !== 200) throw new Error(`/health answered ${health.status}`);
  const reply = await watcher.request('sync', {});
  if (!reply.ok) throw new Error(`another user's sync answered ${preview(reply)}`);
}

beforeAll(async () => {
  server = await startTestServer({ maxFileSize: 1024 * 1024 });
  port = server.server.port;
  [aliceToken, bobToken, malloryToken] = [await server.user('alice'), await server.user('bob'), await server.user('mallory')];
  await server.user('fz-a');
  await server.user('fz-b');
  watcher = await rawDevice(server.url, await server.user('watcher'), 'watcher');
  const alice = await rawDevice(server.url, aliceToken, 'alice');
  const direct = await alice.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
  if (!direct.ok) throw new Error(preview(direct.error));
  const bytes = Buffer.from('the victim file\n');
  const fileId = await tusCreate(aliceToken, bytes.length);
  expect(await tusPatch(aliceToken, fileId, 0, bytes)).toBe(204);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  victimFile = { id: fileId, sha256 };
  const sent = await alice.request('message:send', {
    conversationId: direct.data.id,
    clientId: 'file',
    body: '',
    file: { url: `${server.url}/files/${fileId}`, name: 'victim.txt', size: bytes.length, mime: 'text/plain', sha256 },
  });
  if (!sent.ok) throw new Error(preview(sent.error));
  victimUpload = await tusCreate(aliceToken, 100);
  expect(await tusPatch(aliceToken, victimUpload, 0, Buffer.from('half'))).toBe(204);
  malloryUpload = await tusCreate(malloryToken, 100);
  malloryFile = await tusCreate(malloryToken, 4);
  expect(await tusPatch(malloryToken, malloryFile, 0, Buffer.from('mine'))).toBe(204);
  const group = await server.api<{ group: { id: string } }>('POST', '/groups', { name: 'fuzz group', members: ['fz-a', 'fz-b'] });
  fuzzGroup = group.body.group.id;
}, 30_000);

afterAll(cleanup);

// ---- What a request is made of ----

const hostilePathSegments = [
  '..', '%2e%2e', '..%2f..%2f..%2fetc%2fpasswd', '..%5c..%5cwindows', '%2F', '%00', '%', '%E0%A4%A', '%ZZ', '%C0%AE%C0%AE',
  '\u00e9', 'é%20é', '//', ';', ';jsessionid=1', 'a'.repeat(5_000), '~', '\\..\\', '.', '__proto__', 'constructor', '%F0%9F%98',
];

/** Stands for mallory's current unfinished upload, made again when a request ended it. */
const MALLORY_UPLOAD = '{mallory-upload}';
const fileIds = () => fc.constantFrom(victimFile.id, victimUpload, MALLORY_UPLOAD, malloryFile, '0'.repeat(32), 'F'.repeat(32), `${victimFile.id}.json`);
const segment = (valid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: fc.constantFrom(...hostilePathSegments) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map(encodeURIComponent) });

const queryPart = () =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    // Issue 12 finding 3: another user's upload named in the query string must not be the one acted on.
    { weight: 2, arbitrary: fc.constantFrom(`x=/${victimUpload}`, `x=/files/tus/${victimUpload}`, `/${victimUpload}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        `cap=&exp=`, `cap=x&exp=99999999999999999999`, `exp=1e400`,
        '__proto__[polluted]=yes', 'constructor[prototype][polluted]=yes', 'limit=-1', 'limit=1e9', 'limit=NaN', 'query=%', 'query=%25',
        'limit=1&limit=2', 'query[]=a', 'query=' + 'q'.repeat(70), 'a=%E0%A4%A', '%00=%00', `download=1&download=0`,
      ),
    },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }).map((q) => new URLSearchParams(q).toString()) },
  );

interface Template {
  name: string;
  methods: string[];
  path: fc.Arbitrary<string>;
  auth: 'app' | 'user';
  body?: z.ZodType;
  contentType?: string;
  /** Headers the route expects, mostly sent right, so requests get past the first check. */
  expects?: fc.Arbitrary<Array<[string, string]>>;
}

const address = () => segment(fc.constantFrom('fz-a', 'fz-b', 'nobody', 'FZ-A', 'fz-a@x'));
const DAY = 24 * 3600;

const tusHeaders = (offset: boolean) =>
  fc.tuple(
    fc.constantFrom<Array<[string, string]>>([['tus-resumable', '1.0.0']], [['tus-resumable', '1.0.0']], [['tus-resumable', '1.0.0']], []),
    offset ? fc.constantFrom<Array<[string, string]>>([['upload-offset', '0']], [['upload-offset', '4']], []) : fc.constantFrom<Array<[string, string]>>([['upload-length', '4']], [['upload-length', '100']], []),
  ).map(([a, b]) => [...a, ...b]);

function templates(): Template[] {
  const members = z.object({ members: z.array(Address).min(1).max(1000) });
  return [
    { name: 'POST /api/v1/users', methods: ['POST'], path: fc.constant('/api/v1/users'), auth: 'app', body: z.object({ address: Address, name: z.string().trim().min(1).max(200) }) },
    { name: 'GET /api/v1/users', methods: ['GET'], path: fc.constant('/api/v1/users'), auth: 'app' },
    { name: 'POST /api/v1/users/:address/tokens', methods: ['POST'], path: address().map((a) => `/api/v1/users/${a}/tokens`), auth: 'app', body: z.object({ ttlSeconds: z.number().int().min(60).max(365 * DAY) }) },
    { name: 'DELETE /api/v1/users/:address/tokens', methods: ['DELETE'], path: address().map((a) => `/api/v1/users/${a}/tokens`), auth: 'app' },
    {
      name: 'POST /api/v1/groups',
      methods: ['POST'],
      path: fc.constant('/api/v1/groups'),
      auth: 'app',
      body: z.object({ name: Title, members: z.array(Address).min(1).max(1000), admins: z.array(Address).max(1000).optional(), type: z.enum(['group', 'channel']).optional() }),
    },
    { name: '/api/v1/groups/:id/members', methods: ['POST', 'DELETE'], path: segment(fc.constant(fuzzGroup)).map((id) => `/api/v1/groups/${id}/members`), auth: 'app', body: members },
    { name: 'GET /api/v1/stats', methods: ['GET'], path: fc.constant('/api/v1/stats'), auth: 'app' },
    { name: 'GET|HEAD /files/:id', methods: ['GET', 'HEAD'], path: segment(fileIds()).map((id) => `/files/${id}`), auth: 'user' },
    { name: 'POST /files/:id/capability', methods: ['POST'], path: segment(fileIds()).map((id) => `/files/${id}/capability`), auth: 'user', body: z.object({ ttlSeconds: z.number().int().min(60).max(30 * DAY) }) },
    { name: 'POST /files/tus', methods: ['POST', 'OPTIONS'], path: fc.constant('/files/tus'), auth: 'user', expects: tusHeaders(false) },
    { name: 'HEAD|PATCH|DELETE /files/tus/:id', methods: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'], path: segment(fc.oneof({ weight: 2, arbitrary: fc.constant(MALLORY_UPLOAD) }, { weight: 1, arbitrary: fileIds() })).map((id) => `/files/tus/${id}`), auth: 'user', contentType: 'application/offset+octet-stream', expects: tusHeaders(true) },
    { name: 'POST /api/v1/upload', methods: ['POST'], path: fc.constant('/api/v1/upload'), auth: 'user', contentType: 'multipart/form-data; boundary=XyZ' },
  ];
}

const authHeader = (template: Template) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Bearer ${template.auth === 'app' ? APP_TOKEN : malloryToken}`) },
    { weight: 1, arbitrary: fc.constantFrom(`Bearer ${APP_TOKEN}`, `Bearer ${malloryToken}`, 'Bearer', 'Bearer ', 'Basic YTpi', `bearer ${APP_TOKEN}`, `Bearer  ${APP_TOKEN}`, `Bearer ${'t'.repeat(20_000)}`, 'Bearer plu_\u00ff', 'Bearer __proto__') },
    { weight: 1, arbitrary: fc.constant(null) },
  );

const extraHeaders = fc.array(
  fc.constantFrom<[string, string]>(
    ['range', 'bytes=0-3'], ['range', 'bytes=-1'], ['range', 'bytes=5-2'], ['range', 'bytes=0-,0-'], ['range', 'bytes=99999999999999999999-'], ['range', 'bytes=-0'], ['range', 'items=0-1'],
    ['if-range', '"nope"'], ['if-range', `"${'0'.repeat(64)}"`],
    ['tus-resumable', '1.0.0'], ['tus-resumable', '0.2.2'], ['tus-resumable', ''],
    ['upload-length', '4'], ['upload-length', '-1'], ['upload-length', '1e30'], ['upload-length', 'NaN'], ['upload-length', '9007199254740993'], ['upload-length', '99999999999999999999999'],
    ['upload-offset', '0'], ['upload-offset', '4'], ['upload-offset', '-4'], ['upload-offset', '1e3'], ['upload-offset', '99999999999999999999'],
    ['upload-defer-length', '1'], ['upload-concat', 'final;/files/tus/' + '0'.repeat(32)],
    ['upload-metadata', 'filename Li4vLi4vZXRjL3Bhc3N3ZA==,filetype dGV4dC9odG1s'], ['upload-metadata', 'filename !!!notbase64'], ['upload-metadata', `filename ${Buffer.from('x'.repeat(5000)).toString('base64')}`], ['upload-metadata', 'a,a,a,a'],
    ['x-http-method-override', 'DELETE'], ['x-forwarded-host', 'evil.example'], ['x-forwarded-proto', 'javascript'], ['host', 'evil.example'],
    ['transfer-encoding', 'chunked'], ['transfer-encoding', 'gzip, chunked'], ['content-encoding', 'gzip'], ['expect', '100-continue'],
    ['content-type', 'application/json; charset=utf-16'], ['content-type', 'text/plain'], ['content-type', 'multipart/form-data'], ['content-type', 'multipart/form-data; boundary='],
    ['content-type', 'application/x-www-form-urlencoded'], ['content-type', ''], ['content-type', 'application/json'],
    ['x-\u00ff', '\u00ff'],
  ),
  { maxLength: 4 },
);

const contentLength = fc.oneof(
  { weight: 8, arbitrary: fc.constant('honest') },
  { weight: 1, arbitrary: fc.constantFrom('0', '-1', 'abc', '1e3', '99999999999999999999', String(2 ** 53), String(10 * 1024 ** 4), '5, 6', '') },
  { weight: 1, arbitrary: fc.constant('none') },
);

function multipartBody(fields: Record<string, string>, file: Buffer | null): Buffer {
  const parts = Object.entries(fields).map(([name, value]) => `--XyZ\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const head = Buffer.from(parts.join('') + (file ? '--XyZ\r\ncontent-disposition: form-data; name="file"; filename="../../a.txt"\r\ncontent-type: text/plain\r\n\r\n' : ''));
  return Buffer.concat([head, file ?? Buffer.alloc(0), Buffer.from(`${file ? '\r\n' : ''}--XyZ--\r\n`)]);
}

function bodyFor(template: Template, hints: KeyHints): fc.Arbitrary<{ how: string; bytes: Buffer }> {
  const junk = fc.oneof(
    fc.constant(Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80])),
    fc.constant(Buffer.from('{"a":')),
    fc.constant(Buffer.from('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}')),
    fc.constant(Buffer.from(`${'['.repeat(5_000)}${']'.repeat(5_000)}`)),
    fc.integer({ min: 0, max: 1_200_000 }).map((n) => Buffer.alloc(n, 0x61)),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  );
  const schemaBodies = template.body
    ? [validOrMutated(template.body, hints, { hugeChars: 300_000 }).map(({ how, value }) => ({ how, bytes: Buffer.from(JSON.stringify(value) ?? '') }))]
    : [];
  const forms =
    template.name === 'POST /api/v1/upload'
      ? [
          fc
            .record({
              op: fc.constantFrom('upload', 'UPLOAD', ''),
              auth: fc.constantFrom(malloryToken, aliceToken.slice(0, -1), '', 'x\r\ny'),
              uid: fc.constantFrom('mallory', 'alice', '../x', ''),
              mid: fc.constantFrom('m1', '', 'm'.repeat(70)),
              source: fc.constantFrom('message', 'profile', 'x'),
              constructor: fc.constant('polluted'),
            }, { requiredKeys: [] })
            .chain((fields) => fc.option(fc.uint8Array({ maxLength: 32 }), { nil: null }).map((file) => ({ how: `form ${preview(fields)}`, bytes: multipartBody(fields as Record<string, string>, file && Buffer.from(file)) }))),
        ]
      : [];
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ how: 'no body', bytes: Buffer.alloc(0) }) },
    { weight: 1, arbitrary: junk.map((bytes) => ({ how: `junk ${preview(bytes.subarray(0, 40).toString('latin1'))} (${bytes.length} bytes)`, bytes })) },
    ...schemaBodies.map((arbitrary) => ({ weight: 4, arbitrary })),
    ...forms.map((arbitrary) => ({ weight: 4, arbitrary })),
  );
}

interface Built {
  route: string;
  head: string;
  body: Buffer;
  lie: boolean;
  describe: string;
}

function requestFor(template: Template, hints: KeyHints): fc.Arbitrary<Built> {
  const method = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...template.methods) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'TRACE', 'PROPFIND', 'FOO') });
  return fc
    .record({ method, path: template.path, query: queryPart(), auth: authHeader(template), expected: template.expects ?? fc.constant([]), extra: extraHeaders, length: contentLength, body: bodyFor(template, hints) })
    .map(({ method, path, query, auth, expected, extra, length, body }) => {
      const headers: Array<[string, string]> = [['host', `127.0.0.1:${port}`], ['connection', 'close']];
      if (auth !== null) headers.push(['authorization', auth]);
      if (body.bytes.length > 0) headers.push(['content-type', template.body ? 'application/json' : (template.contentType ?? 'application/octet-stream')]);
      headers.push(...expected, ...extra);
      const chunked = headers.some(([name, value]) => name === 'transfer-encoding' && value.includes('chunked'));
      if (length === 'honest' && !chunked) headers.push(['content-length', String(body.bytes.length)]);
      else if (length !== 'none') headers.push(['content-length', length]);
      const target = `${path}${query ? `?${query}` : ''}`;
      const head = `${method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`;
      return {
        route: template.name,
        head,
        body: body.bytes,
        lie: length !== 'honest' || chunked,
        describe: `${method} ${preview(target, 200)} headers ${preview(extra)} length ${length} auth ${preview(auth, 40)} body ${body.how.slice(0, 300)}`,
      };
    });
}

/** Why the answer is a finding, or null. */
function judge(request: Built, answer: Answer | null): string | null {
  if (answer === null) {
    // A request whose length it lied about may be dropped; an honest one deserves an answer.
    return request.lie ? null : 'the server closed the connection without answering';
  }
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400 || request.head.startsWith('HEAD ')) return null;
  if (!(answer.headers['content-type'] ?? '').includes('application/json')) {
    // tus and Node's own parser answer in text; a refusal still says something, or is a bare 400/4xx of the parser.
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return `a JSON ${answer.status} that is not JSON: ${answer.body.slice(0, 200)}`;
  }
  const b = body as { error?: unknown; result?: unknown };
  // The upload URL protocol's own shape: {"result": false, "error": "<text>"}.
  if (b.result === false) return typeof b.error === 'string' && b.error.length > 0 ? null : `an upload refusal without a reason: ${answer.body}`;
  return clearError(b.error);
}

describe('fuzz: HTTP routes', { timeout: fuzzTimeout(60_000) }, () => {
  it('answers what it cannot read as HTTP, and bad escapes in a path, in its own error shape', async () => {
    // Found by the property below: these were Fastify's {"error": "Bad Request", "message": …}.
    const auth = `authorization: Bearer ${APP_TOKEN}\r\nconnection: close\r\n`;
    const unreadable = await rawHttp(port, `GET /api/v1/stats HTTP/1.1\r\nhost: x\r\n${auth}a header without a colon\r\n\r\n`, Buffer.alloc(0), false);
    expect(unreadable?.status).toBe(400);
    expect(JSON.parse(unreadable!.body)).toEqual({ error: { code: 'bad_request', message: expect.stringContaining('could not be read as HTTP') } });
    const badEscape = await rawHttp(port, `GET /api/v1/groups/%C0%AE%C0%AE/members HTTP/1.1\r\nhost: x\r\n${auth}\r\n`, Buffer.alloc(0), false);
    expect(badEscape?.status).toBe(400);
    expect(JSON.parse(badEscape!.body)).toEqual({ error: { code: 'bad_request', message: expect.stringContaining('not a valid url component') } });
  });

  it('backend API and file routes: no 5xx, clear refusals, the server keeps serving, others untouched', async () => {
    const before = await victimState();
    const hints: KeyHints = {
      address: fc.constantFrom('fz-a', 'fz-b', 'fz-new'),
      members: fc.array(fc.constantFrom('fz-a', 'fz-b', 'nobody'), { minLength: 1, maxLength: 3 }),
      admins: fc.array(fc.constantFrom('fz-a', 'fz-b', 'alice'), { maxLength: 2 }),
    };
    // The tus routes weigh more: they hold the most state (another user's upload) and parse the most headers.
    const route = fc.oneof(...templates().map((t) => ({ weight: t.name.startsWith('HEAD|PATCH|DELETE /files/tus') ? 3 : 1, arbitrary: fc.constant(t) })));
    await fc.assert(
      fc.asyncProperty(route.chain((t) => requestFor(t, hints)), async (r) => {
        const head = await fetch(`${server.url}/files/tus/${malloryUpload}`, { method: 'HEAD', headers: { ...TUS, ...bearer(malloryToken) } });
        if (head.status !== 200) malloryUpload = await tusCreate(malloryToken, 100);
        const answer = await rawHttp(port, r.head.replaceAll(MALLORY_UPLOAD, malloryUpload), r.body, r.lie);
        const finding = judge(r, answer);
        if (finding) throw new Error(`${r.route}: ${finding}\nanswer: ${preview(answer)}\nrequest: ${r.describe}`);
        await stillServing();
        const after = await victimState();
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          throw new Error(`${r.route} changed another user's file or upload: ${preview(before)} → ${preview(after)}\nanswer: ${preview(answer)}\nrequest: ${preview(r.head.replaceAll(MALLORY_UPLOAD, '<mallory upload>'), 600)}`);
        }
      }),
      fuzzParams(RUNS * 3),
    );
    expect(await victimState()).toEqual(before);
    assertNoPollution();
  });
});
