// Media Reference Send (seed 004) against a real local HTTP listener that records every request.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildMediaRefRequest,
  recipientsFor,
  sendToRecipients,
  sendViaMediaRef,
  type MediaRefSendKeys,
  type MediaRefValues,
} from '../../main/core/files/media-ref-send.js';
import { ParleyError } from '../../protocol/index.js';

interface Recorded {
  /** The request line as it came over the wire. */
  line: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
interface Answer {
  status: number;
  type?: string;
  body?: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

/** A listener on 127.0.0.1: records each request and answers with `answer(request)` (default 200, empty). */
async function listen(answer: (request: Recorded) => Answer | null = () => ({ status: 200 })) {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        line: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = answer(recorded);
      if (!reply) return; // never answer: the client's timeout must fire
      res.writeHead(reply.status, reply.type ? { 'Content-Type': reply.type } : {});
      res.end(reply.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

// The seed's sample values.
const account = { username: 'johndow', password: '12345678' };
const media = { url: 'http://media.server.com/video_1234567890.mp4', contentType: 'video/mp4' };
const shared = { description: 'Hello World', media, preview: { width: 180, height: 120, jpegBase64: 'A64FBB8....7237==' } };
const values: MediaRefValues = { ...shared, to: '+15551231234' };
const ALL_VARIABLES =
  'from=%account[username]%&password=%account[password]%&sms_to=%sms_to%&description=%description%&w=%preview_width%&h=%preview_height%&pct=%preview_content_type%&pc=%preview_content%&ct=%media_content_type%&url=%media_url%';

async function failure(promise: Promise<unknown>): Promise<ParleyError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ParleyError);
  return error as ParleyError;
}

describe('Media Reference Send: the seed examples', () => {
  it('reproduces the seed GET example request', async () => {
    const { base, requests } = await listen();
    await sendViaMediaRef({ genericMediaRefSendUrl: `${base}/send_media_message/?${ALL_VARIABLES}` }, account, values);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.line).toBe(
      'GET /send_media_message/?from=johndow&password=12345678&sms_to=%2B15551231234&description=Hello%20World&w=180&h=120&pct=image/jpeg&pc=A64FBB8....7237%3D%3D&ct=video/mp4&url=http%3A%2F%2Fmedia.server.com%2Fvideo_1234567890.mp4 HTTP/1.1',
    );
    expect(request!.headers).toMatchObject({ host: base.slice(7), connection: 'close', 'cache-control': 'max-age=0' });
    expect(request!.headers['user-agent']).toBe('Parley');
    expect(request!.headers['content-type']).toBeUndefined();
    expect(request!.body).toBe('');
  });

  it('reproduces the seed JSON POST example request', async () => {
    // The seed's body, byte for byte: its missing commas included (templates are sent as written, never re-parsed).
    const seedBody = `{
    "from"        : "johndow",
    "password"    : "12345678",
    "sms_to"      : "+1(555)123-1234",
    "description" : "Hello World",
    "w"           : 180,
    "h"           : 120,
    "pct"         : "image/jpeg",
    "pc"          : "A64FBB8....7237%3D%3D=="
    "ct"          : "video/mp4"
    "url"         : "http://media.server.com/video_1234567890.mp4"

}`;
    const template = `{
    "from"        : "%account[username]%",
    "password"    : "%account[password]%",
    "sms_to"      : "%sms_to%",
    "description" : "%description%",
    "w"           : %preview_width%,
    "h"           : %preview_height%,
    "pct"         : "%preview_content_type%",
    "pc"          : "%preview_content%"
    "ct"          : "%media_content_type%"
    "url"         : "%media_url%"

}`;
    const { base, requests } = await listen();
    const keys = {
      genericMediaRefSendUrl: `${base}/send_message/`,
      genericMediaRefSendPostData: template,
      genericMediaRefSendContentType: 'application/json',
    };
    await sendViaMediaRef(keys, account, {
      ...values,
      to: '+1(555)123-1234',
      preview: { width: 180, height: 120, jpegBase64: 'A64FBB8....7237%3D%3D==' },
    });
    const [request] = requests;
    expect(request!.line).toBe('POST /send_message/ HTTP/1.1');
    expect(request!.headers).toMatchObject({ connection: 'close', 'cache-control': 'max-age=0', 'content-type': 'application/json' });
    expect(request!.body).toBe(seedBody);
    expect(request!.headers['content-length']).toBe(String(Buffer.byteLength(seedBody)));
  });

  it('answers the seed error examples with their message', async () => {
    const { base } = await listen((r) =>
      r.url.includes('xml')
        ? { status: 402, type: 'text/xml', body: '<response><message>Not enough credit</message></response>' }
        : { status: 406, type: 'application/json', body: '{\n    "message"        : "Invalid recipient"\n}' },
    );
    const xml = await failure(sendViaMediaRef({ genericMediaRefSendUrl: `${base}/xml?to=%sms_to%` }, account, values));
    expect(xml).toMatchObject({ code: 'unavailable', message: 'Not enough credit' });
    const json = await failure(sendViaMediaRef({ genericMediaRefSendUrl: `${base}/json?to=%sms_to%` }, account, values));
    expect(json).toMatchObject({ code: 'unavailable', message: 'Invalid recipient' });
  });

  it('expands the seed Account XML examples, leaving its un-delimited names as text', async () => {
    const { base, requests } = await listen();
    // The Account XML URL example, with its default method (GET: no post data).
    await sendViaMediaRef(
      { genericMediaRefSendUrl: `${base}/send_media_message?from=%account[username]%&password=%account[password]%&to=%sms_to%` },
      account,
      values,
    );
    expect(requests[0]!.line).toBe('GET /send_media_message?from=johndow&password=12345678&to=%2B15551231234 HTTP/1.1');
    // Its JSON example writes "preview_content_type" and the three after it without % signs: literal text.
    const jsonExample = `{   "from"          : "%account[username]%",
    "password"      : "%account[password]%",
    "to"            : "%sms_to%",
    "description"   : "%description%",
    "w"             : "%preview_width%",
    "h"             : "%preview_height%",
    "pct"           : "preview_content_type",
    "pc"            : "preview_content",
    "ct"            : "media_content_type",
    "url"           : "media_url"
}`;
    await sendViaMediaRef(
      { genericMediaRefSendUrl: base, genericMediaRefSendPostData: jsonExample, genericMediaRefSendContentType: 'application/json' },
      account,
      values,
    );
    expect(JSON.parse(requests[1]!.body)).toEqual({
      from: 'johndow',
      password: '12345678',
      to: '+15551231234',
      description: 'Hello World',
      w: '180',
      h: '120',
      pct: 'preview_content_type',
      pc: 'preview_content',
      ct: 'media_content_type',
      url: 'media_url',
    });
  });
});

describe('Media Reference Send: methods, content types and headers', () => {
  it('sends every method; post data only with POST and PUT', async () => {
    const { base, requests } = await listen();
    for (const method of ['GET', 'HEAD', 'POST', 'PUT']) {
      await sendViaMediaRef(
        { genericMediaRefSendUrl: `${base}/m?to=%sms_to%`, genericMediaRefSendMethod: method, genericMediaRefSendPostData: 'to=%sms_to%' },
        account,
        values,
      );
    }
    expect(requests.map((r) => [r.line, r.body, r.headers['content-type']])).toEqual([
      ['GET /m?to=%2B15551231234 HTTP/1.1', '', undefined],
      ['HEAD /m?to=%2B15551231234 HTTP/1.1', '', undefined],
      ['POST /m?to=%2B15551231234 HTTP/1.1', 'to=%2B15551231234', 'application/x-www-form-urlencoded'],
      ['PUT /m?to=%2B15551231234 HTTP/1.1', 'to=%2B15551231234', 'application/x-www-form-urlencoded'],
    ]);
  });

  it('defaults: GET without post data, POST with it, form content type, method in any case', async () => {
    const { base, requests } = await listen();
    const url = `${base}/d`;
    await sendViaMediaRef({ genericMediaRefSendUrl: url, genericMediaRefSendPostData: '', genericMediaRefSendMethod: '' }, account, values);
    await sendViaMediaRef({ genericMediaRefSendUrl: url, genericMediaRefSendPostData: 'to=%sms_to%' }, account, values);
    // The seed's Account XML example writes the method in lower case ("post").
    await sendViaMediaRef({ genericMediaRefSendUrl: url, genericMediaRefSendMethod: 'post' }, account, values);
    expect(requests.map((r) => [r.method, r.headers['content-type'], r.body])).toEqual([
      ['GET', undefined, ''],
      ['POST', 'application/x-www-form-urlencoded', 'to=%2B15551231234'],
      ['POST', 'application/x-www-form-urlencoded', ''],
    ]);
  });

  it('sends custom headers: several lines, blank lines ignored, the defaults replaceable', async () => {
    const { base, requests } = await listen();
    await sendViaMediaRef(
      {
        genericMediaRefSendUrl: base,
        genericMediaRefSendCustomHeaders: 'X-Preview-Width:180\nX-Preview-Height:120\n\n   \nAuthorization: Bearer a:b \r\nUser-Agent: CloudSoftphone/1.5.6\n',
      },
      account,
      values,
    );
    expect(requests[0]!.headers).toMatchObject({
      'x-preview-width': '180',
      'x-preview-height': '120',
      authorization: 'Bearer a:b',
      'user-agent': 'CloudSoftphone/1.5.6',
    });
  });

  it('refuses bad keys with errors naming the key', async () => {
    const bad = (keys: Partial<MediaRefSendKeys>) =>
      failure(sendViaMediaRef({ genericMediaRefSendUrl: 'https://example.com/', ...keys } as MediaRefSendKeys, account, values));
    expect(await bad({ genericMediaRefSendUrl: 'ftp://example.com/' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/genericMediaRefSendUrl: an http\(s\) URL/) });
    expect((await bad({ genericMediaRefSendUrl: 'send?to=%sms_to%' })).message).toMatch(/genericMediaRefSendUrl/);
    expect((await bad({ genericMediaRefSendMethod: 'DELETE' })).message).toBe('media reference send: genericMediaRefSendMethod: GET, HEAD, POST or PUT');
    expect((await bad({ genericMediaRefSendContentType: 'json\r\nX-Evil: 1' })).message).toMatch(/genericMediaRefSendContentType: a content type/);
    expect((await bad({ genericMediaRefSendContentType: 'text/plain\r\n; X-Evil: 1' })).message).toMatch(/genericMediaRefSendContentType/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'X-Ok: 1\nX-A: 1\rX-Evil: 2' })).message).toMatch(/X-A holds a control character/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'Bad Name: 1' })).message).toMatch(/"Bad Name: 1" is not a header line/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'NoColon' })).message).toMatch(/not a header line/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'X-A: 1\r' })).message).toMatch(/X-A holds a control character/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'X-A\r: 1' })).message).toMatch(/"X-A\\r: 1" is not a header line/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'Content-Type: text/plain' })).message).toMatch(/use genericMediaRefSendContentType/);
    expect((await bad({ genericMediaRefSendCustomHeaders: 'Content-Length: 5' })).message).toMatch(/set by the request itself/);
    expect((await bad({ genericMediaRefSendPostdata: 'typo' } as Partial<MediaRefSendKeys>)).message).toMatch(/genericMediaRefSendPostdata/);
    const noAccount = await failure(sendViaMediaRef({ genericMediaRefSendUrl: 'https://example.com/' }, { username: 'a' } as never, values));
    expect(noAccount.message).toMatch(/account: password/);
    const noUrl = await failure(sendViaMediaRef({ genericMediaRefSendUrl: 'https://example.com/' }, account, { ...values, media: { ...media, url: 'file:///etc/passwd' } }));
    expect(noUrl.message).toMatch(/media\.url/);
  });
});

describe('Media Reference Send: encoding each value for where it stands', () => {
  const tricky = `a&b=c+d "q" 'x' \\ back\nline ünï 😀 100% %sms_to%`;
  const trickyValues: MediaRefValues = { ...values, description: tricky, to: 'bob@sip.example.com' };

  it('percent-encodes values in the URL (RFC 3986 unreserved characters only)', async () => {
    const { base, requests } = await listen();
    await sendViaMediaRef({ genericMediaRefSendUrl: `${base}/u?d=%description%&to=%sms_to%&pct=%preview_content_type%` }, account, trickyValues);
    expect(requests[0]!.url).toBe(
      '/u?d=a%26b%3Dc%2Bd%20%22q%22%20%27x%27%20%5C%20back%0Aline%20%C3%BCn%C3%AF%20%F0%9F%98%80%20100%25%20%25sms_to%25&to=bob%40sip.example.com&pct=image/jpeg',
    );
    expect(new URL(requests[0]!.url, base).searchParams.get('d')).toBe(tricky);
  });

  it('form-encodes values in a form body', async () => {
    const { base, requests } = await listen();
    await sendViaMediaRef(
      { genericMediaRefSendUrl: base, genericMediaRefSendPostData: 'd=%description%&ct=%media_content_type%&u=%media_url%' },
      account,
      { ...trickyValues, media: { url: 'https://m.example.com/a b?x=1&y=2', contentType: 'image/svg+xml' } },
    );
    expect(requests[0]!.body).toBe(
      'd=a%26b%3Dc%2Bd+%22q%22+%27x%27+%5C+back%0Aline+%C3%BCn%C3%AF+%F0%9F%98%80+100%25+%25sms_to%25&ct=image/svg%2Bxml&u=https%3A%2F%2Fm.example.com%2Fa+b%3Fx%3D1%26y%3D2',
    );
    const form = new URLSearchParams(requests[0]!.body);
    expect([form.get('d'), form.get('ct'), form.get('u')]).toEqual([tricky, 'image/svg+xml', 'https://m.example.com/a b?x=1&y=2']);
  });

  it('escapes values as JSON strings in a JSON body (any content type naming json)', async () => {
    const { base, requests } = await listen();
    await sendViaMediaRef(
      {
        genericMediaRefSendUrl: base,
        genericMediaRefSendPostData: '{"d": "%description%", "user": "%account[username]%"}',
        genericMediaRefSendContentType: 'application/vnd.api+json; charset=utf-8',
      },
      { username: 'a"b\\c', password: '' },
      trickyValues,
    );
    expect(requests[0]!.body).toBe(`{"d": "a&b=c+d \\"q\\" 'x' \\\\ back\\nline ünï 😀 100% %sms_to%", "user": "a\\"b\\\\c"}`);
    expect(JSON.parse(requests[0]!.body)).toEqual({ d: tricky, user: 'a"b\\c' });
    expect(requests[0]!.headers['content-type']).toBe('application/vnd.api+json; charset=utf-8');
  });

  it('puts values raw into any other body, and leaves unknown %variables% as written', async () => {
    const { base, requests } = await listen();
    await sendViaMediaRef(
      { genericMediaRefSendUrl: `${base}/r?x=%installid%&y=a%20b`, genericMediaRefSendPostData: '<d>%description%</d><i>%installid%</i>', genericMediaRefSendContentType: 'text/plain' },
      account,
      trickyValues,
    );
    expect(requests[0]!.url).toBe('/r?x=%installid%&y=a%20b');
    expect(requests[0]!.body).toBe(`<d>${tricky}</d><i>%installid%</i>`);
  });

  it('refuses a broken UTF-16 text clearly, as the protocol does (issue 12: the sender’s copy never differs)', () => {
    const keys = { genericMediaRefSendUrl: 'https://example.com/?d=%description%', genericMediaRefSendMethod: 'PUT', genericMediaRefSendPostData: 'd=%description%' };
    expect(() => buildMediaRefRequest(keys, account, { ...values, description: 'x\uD800y' })).toThrow(/lone surrogate/);
  });

  it('leaves the preview variables empty when there is no preview', () => {
    const request = buildMediaRefRequest(
      { genericMediaRefSendUrl: `https://example.com/?${ALL_VARIABLES}` },
      account,
      { to: 'bob', media: { url: 'https://m.example.com/f.pdf', contentType: 'application/pdf' } },
    );
    expect(request).toEqual({
      url: 'https://example.com/?from=johndow&password=12345678&sms_to=bob&description=&w=&h=&pct=&pc=&ct=application/pdf&url=https%3A%2F%2Fm.example.com%2Ff.pdf',
      method: 'GET',
      headers: { Connection: 'close', 'Cache-Control': 'max-age=0', 'User-Agent': 'Parley' },
    });
  });
});

describe('Media Reference Send: answers', () => {
  it('takes any 2xx as sent', async () => {
    const statuses = [200, 201, 202, 204];
    const { base } = await listen((r) => ({ status: statuses[Number(new URL(r.url, 'http://x').searchParams.get('i'))]!, body: '' }));
    for (let i = 0; i < statuses.length; i++) {
      await expect(sendViaMediaRef({ genericMediaRefSendUrl: `${base}/?i=${i}` }, account, values)).resolves.toBeUndefined();
    }
  });

  it('shows the body message of a JSON or XML error, else a generic error', async () => {
    const answers: Record<string, Answer> = {
      xmlEntities: { status: 400, type: 'application/xml', body: '<?xml version="1.0"?><response code="7"><message lang="en">Tom &amp; Jerry &#x2713;</message></response>' },
      cdata: { status: 400, type: 'text/xml', body: '<response><message><![CDATA[<b>no</b>]]></message></response>' },
      sniffedJson: { status: 400, type: 'text/plain', body: '{"message":"Quota exceeded"}' },
      noMessage: { status: 404, type: 'application/json', body: '{"error":"nope"}' },
      emptyMessage: { status: 400, type: 'application/json', body: '{"message":"  "}' },
      brokenJson: { status: 400, type: 'application/json', body: '{"message":' },
      plain: { status: 500, type: 'text/plain', body: 'Internal error' },
      nothing: { status: 503 },
      tooMany: { status: 429, type: 'application/json', body: '{"message":"Slow down"}' },
      notModified: { status: 304 },
    };
    const { base } = await listen((r) => answers[r.url.slice(1)]!);
    const send = async (name: string) => {
      const error = await failure(sendViaMediaRef({ genericMediaRefSendUrl: `${base}/${name}` }, account, values));
      return [error.code, error.message];
    };
    expect(await send('xmlEntities')).toEqual(['unavailable', 'Tom & Jerry ✓']);
    expect(await send('cdata')).toEqual(['unavailable', '<b>no</b>']);
    expect(await send('sniffedJson')).toEqual(['unavailable', 'Quota exceeded']);
    expect(await send('noMessage')).toEqual(['unavailable', 'the media reference service answered 404']);
    expect(await send('emptyMessage')).toEqual(['unavailable', 'the media reference service answered 400']);
    expect(await send('brokenJson')).toEqual(['unavailable', 'the media reference service answered 400']);
    expect(await send('plain')).toEqual(['unavailable', 'the media reference service answered 500']);
    expect(await send('nothing')).toEqual(['unavailable', 'the media reference service answered 503']);
    expect(await send('tooMany')).toEqual(['rate_limited', 'Slow down']);
    expect(await send('notModified')).toEqual(['unavailable', 'the media reference service answered 304']);
  });

  it('answers a HEAD error with the generic error', async () => {
    const { base } = await listen(() => ({ status: 403, type: 'application/json', body: '{"message":"never sent on HEAD"}' }));
    const error = await failure(sendViaMediaRef({ genericMediaRefSendUrl: base, genericMediaRefSendMethod: 'HEAD' }, account, values));
    expect(error.message).toBe('the media reference service answered 403');
  });

  it('reports an unreachable service and a timeout clearly, without the URL and its password', async () => {
    const closed = await listen();
    const server = servers.pop()!;
    await new Promise((done) => server.close(done));
    const refused = await failure(sendViaMediaRef({ genericMediaRefSendUrl: `${closed.base}/?p=%account[password]%` }, account, values));
    expect(refused.code).toBe('unavailable');
    expect(refused.message).toMatch(/^the media reference service could not be reached: .*ECONNREFUSED/);
    const { base } = await listen(() => null);
    const slow = await failure(sendViaMediaRef({ genericMediaRefSendUrl: `${base}/?p=%account[password]%` }, account, values, { timeoutMs: 300 }));
    expect(slow).toMatchObject({ code: 'unavailable', message: 'the media reference service did not answer within 0.3 s' });
    for (const error of [refused, slow]) expect(error.message).not.toContain('12345678');
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const fake: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response('<message>Fake</message>', { status: 400 });
    };
    const error = await failure(sendViaMediaRef({ genericMediaRefSendUrl: 'https://example.com/?to=%sms_to%' }, account, values, { fetch: fake }));
    expect([seen, error.message]).toEqual([['https://example.com/?to=%2B15551231234'], 'Fake']);
  });
});

describe('Media Reference Send: recipients', () => {
  it('sends a group message once per participant but yourself, and says which failed', async () => {
    const { base, requests } = await listen((r) =>
      r.url.endsWith('=cat') ? { status: 402, type: 'text/xml', body: '<response><message>Not enough credit</message></response>' } : { status: 200 },
    );
    const recipients = recipientsFor(['ann', 'cat', 'bob', 'me', 'bob', 'dan'], 'me');
    expect(recipients).toEqual(['ann', 'cat', 'bob', 'dan']);
    const outcomes = await sendToRecipients({ genericMediaRefSendUrl: `${base}/send?to=%sms_to%` }, account, recipients, shared);
    expect(requests.map((r) => r.url).sort()).toEqual(['/send?to=ann', '/send?to=bob', '/send?to=cat', '/send?to=dan']);
    expect(outcomes.map((o) => (o.ok ? [o.to, 'sent'] : [o.to, o.error.message]))).toEqual([
      ['ann', 'sent'],
      ['cat', 'Not enough credit'],
      ['bob', 'sent'],
      ['dan', 'sent'],
    ]);
  });

  it('keeps going after failures, and a bad recipient fails alone', async () => {
    const { base, requests } = await listen((r) => (r.url.endsWith('=a') ? { status: 500 } : { status: 204 }));
    const outcomes = await sendToRecipients({ genericMediaRefSendUrl: `${base}/?to=%sms_to%` }, account, ['a', ' ', 'b'], shared);
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(requests).toHaveLength(2);
  });

  it('refuses bad keys once, before any request', async () => {
    await expect(sendToRecipients({ genericMediaRefSendUrl: 'mailto:x@example.com' }, account, ['a'], shared)).rejects.toThrow(/genericMediaRefSendUrl/);
  });
});
