// Media Reference Send (seed 004): when an account configures it, a file message goes out as one HTTP
// request per recipient to the account's web service, carrying the uploaded media's URL and a JPEG
// preview, instead of through the Parley server. The media itself is uploaded first (by the engine's
// upload mode); this module only expands the seed's templates, sends, and reads the answer.
import { z } from 'zod';
import { Caption, FileInfo, ParleyError, invalidPayload, type ErrorCode } from '../../../protocol/index.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT'] as const;
export type MediaRefMethod = (typeof METHODS)[number];

const FORM = 'application/x-www-form-urlencoded';
const DEFAULT_TIMEOUT_MS = 30_000;
/** Enough for any error answer worth showing; the rest of a hostile body is never read. */
const MAX_ERROR_BODY = 64 * 1024;
const MAX_MESSAGE_CHARS = 500;
/** Concurrent requests in a group fan-out. */
const FAN_OUT = 4;

// RFC 9110: a header name is a token; a value holds no control character but HTAB (so no CR/LF injection).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const ows = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');
/** Headers the request itself owns: Content-Type comes from genericMediaRefSendContentType. */
const OWN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'content-type']);

function isHttpUrl(template: string): boolean {
  return URL.canParse(template) && /^https?:$/.test(new URL(template).protocol);
}

function parseHeaderLines(text: string, ctx: z.RefinementCtx): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  // The seed separates headers with "\n" and writes them without a space ("X-Preview-Width:180").
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : ows(line.slice(0, colon));
    const value = ows(line.slice(colon + 1));
    const problem =
      colon < 0 || !HEADER_NAME.test(name)
        ? `${JSON.stringify(line)} is not a header line "Name: value"`
        : CONTROL.test(value)
          ? `the value of ${name} holds a control character (CR, LF…)`
          : OWN_HEADERS.has(name.toLowerCase())
            ? `${name} is set by the request itself${name.toLowerCase() === 'content-type' ? ': use genericMediaRefSendContentType' : ''}`
            : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else headers.push([name, value]);
  }
  return headers;
}

/** The seed's Account XML keys. An empty key is an unset one, as in Account XML. */
export const MediaRefSendKeys = z
  .strictObject({
    genericMediaRefSendUrl: z
      .string()
      .trim()
      .max(8192)
      .refine(isHttpUrl, 'an http(s) URL template such as https://example.com/send?to=%sms_to%'),
    genericMediaRefSendMethod: z
      .string()
      .trim()
      .toUpperCase()
      .pipe(z.enum(['', ...METHODS], { error: 'GET, HEAD, POST or PUT' }))
      .optional(),
    genericMediaRefSendPostData: z.string().max(64 * 1024).optional(),
    genericMediaRefSendContentType: z
      .string()
      .trim()
      .max(255)
      .regex(/^([\w!#$&^.+-]+\/[\w!#$&^.+-]+([ \t]*;[^\x00-\x1f\x7f]*)?)?$/, 'a content type such as application/json')
      .optional(),
    genericMediaRefSendCustomHeaders: z.string().max(16 * 1024).transform(parseHeaderLines).optional(),
  })
  .transform((keys) => {
    const postData = keys.genericMediaRefSendPostData ?? '';
    return {
      url: keys.genericMediaRefSendUrl,
      // The seed: "The default is GET if genericMediaRefSendPostData is empty and POST if [it] is non-empty."
      method: keys.genericMediaRefSendMethod || (postData ? 'POST' : 'GET'),
      postData,
      contentType: keys.genericMediaRefSendContentType || FORM,
      headers: keys.genericMediaRefSendCustomHeaders ?? [],
    };
  });
export type MediaRefSendKeys = z.input<typeof MediaRefSendKeys>;

export const MediaRefSendAccount = z.strictObject({ username: z.string().max(256), password: z.string().max(256) });
export type MediaRefSendAccount = z.infer<typeof MediaRefSendAccount>;

export type MediaRefSendConfig = z.output<typeof MediaRefSendKeys> & { account: MediaRefSendAccount };

/** Validates an account's keys once (the engine's setMediaRefSend), with errors that name the key. */
export function parseMediaRefSend(keys: unknown, account: unknown): MediaRefSendConfig {
  const parsedKeys = MediaRefSendKeys.safeParse(keys);
  if (!parsedKeys.success) throw invalidPayload('media reference send', parsedKeys.error);
  const parsedAccount = MediaRefSendAccount.safeParse(account);
  if (!parsedAccount.success) throw invalidPayload('media reference send account', parsedAccount.error);
  return { ...parsedKeys.data, account: parsedAccount.data };
}

/** One recipient's message. */
export const MediaRefValues = z.strictObject({
  /** sms_to: a phone number or SIP address, as the account writes it ("+1(555)123-1234"). */
  to: z.string().trim().min(1).max(256),
  description: Caption.optional(),
  media: z.strictObject({ url: FileInfo.shape.url, contentType: FileInfo.shape.mime }),
  // Not checked as base64: FileInfo already did, and the seed's own samples are elided ("A64FBB8....7237==").
  preview: z
    .strictObject({ width: z.number().int().positive(), height: z.number().int().positive(), jpegBase64: z.string() })
    .optional(),
});
export type MediaRefValues = z.input<typeof MediaRefValues>;

export interface MediaRefRequest {
  url: string;
  method: MediaRefMethod;
  headers: Record<string, string>;
  body?: string;
}

type Context = 'url' | 'form' | 'json' | 'raw';

const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
const ENCODE: Record<Context, (value: string) => string> = {
  // RFC 3986 unreserved characters only: the WHATWG URL parser would otherwise re-encode a bare ' as %27.
  url: (v) => encodeURIComponent(v).replace(/[!'()*]/g, hex),
  form: (v) => new URLSearchParams({ v }).toString().slice(2),
  // The template writes the quotes: "from" : "%account[username]%".
  json: (v) => JSON.stringify(v).slice(1, -1),
  raw: (v) => v,
};

// Only the seed's variables are expanded; anything else between % signs (another app's variable, a
// percent-encoded byte such as %20 in the URL) is left as written.
const PLACEHOLDER =
  /%(account\[(?:username|password)\]|sms_to|description|preview_width|preview_height|preview_content_type|preview_content|media_url|media_content_type)%/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function expand(template: string, vars: Record<string, string>, context: Context): string {
  // One pass: a value that itself reads "%sms_to%" is sent as text, never expanded again.
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = ENCODE[context](vars[name]!.replace(LONE_SURROGATE, '\uFFFD'));
    // The seed's GET example keeps a content type's "/" (pct=image/jpeg, ct=video/mp4) while it encodes
    // media_url's (url=http%3A%2F%2F…); "/" is legal in a query (RFC 3986 §3.4).
    const keepSlash = name.endsWith('content_type') && (context === 'url' || context === 'form');
    return keepSlash ? value.replaceAll('%2F', '/') : value;
  });
}

function bodyContext(contentType: string): Context {
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return essence === FORM ? 'form' : essence.includes('json') ? 'json' : 'raw';
}

function requestFor(config: MediaRefSendConfig, values: z.output<typeof MediaRefValues>): MediaRefRequest {
  const { preview } = values;
  // Without a preview there is no preview to describe: all four preview variables are empty.
  const vars: Record<string, string> = {
    'account[username]': config.account.username,
    'account[password]': config.account.password,
    sms_to: values.to,
    description: values.description ?? '',
    preview_width: preview ? String(preview.width) : '',
    preview_height: preview ? String(preview.height) : '',
    preview_content_type: preview ? 'image/jpeg' : '',
    preview_content: preview?.jpegBase64 ?? '',
    media_url: values.media.url,
    media_content_type: values.media.contentType,
  };
  // The seed: "If the method is either GET or HEAD, [the post data] is not used."
  const body =
    config.method === 'POST' || config.method === 'PUT' ? expand(config.postData, vars, bodyContext(config.contentType)) : undefined;
  // The seed's example requests carry Connection, Cache-Control and User-Agent; custom headers may replace the last two.
  const headers: Record<string, string> = {
    ...(body !== undefined && { 'Content-Type': config.contentType }),
    Connection: 'close',
    'Cache-Control': 'max-age=0',
    'User-Agent': 'Parley',
  };
  for (const [name, value] of config.headers) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    headers[name] = value;
  }
  return { url: new URL(expand(config.url, vars, 'url')).href, method: config.method, headers, ...(body !== undefined && { body }) };
}

function parseValues(values: unknown): z.output<typeof MediaRefValues> {
  const parsed = MediaRefValues.safeParse(values);
  if (!parsed.success) throw invalidPayload('media reference send', parsed.error);
  return parsed.data;
}

/** The request the seed describes for one recipient: pure, so tests can compare it with the seed's examples. */
export function buildMediaRefRequest(keys: MediaRefSendKeys, account: MediaRefSendAccount, values: MediaRefValues): MediaRefRequest {
  return requestFor(parseMediaRefSend(keys, account), parseValues(values));
}

export interface MediaRefSendOptions {
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function xmlText(inner: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(inner);
  if (cdata) return cdata[1]!;
  return inner.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, ref: string) => {
    if (ref[0] !== '#') return XML_ENTITIES[ref] ?? entity;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/** The seed: on a non-2xx answer, the body's "message" field is the error shown to the user (JSON or XML, as its examples). */
function serviceMessage(contentType: string | null, body: string): string | null {
  const type = contentType?.toLowerCase() ?? '';
  const text = body.trim();
  let message: unknown = null;
  if (type.includes('json') || (!type.includes('xml') && text.startsWith('{'))) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') message = (parsed as { message?: unknown }).message;
    } catch {
      // not JSON after all: the generic error
    }
  } else if (type.includes('xml') || text.startsWith('<')) {
    const element = /<message(?:\s[^>]*)?>([\s\S]*?)<\/message\s*>/.exec(text);
    if (element) message = xmlText(element[1]!);
  }
  if (typeof message !== 'string' || !message.trim()) return null;
  return message.trim().slice(0, MAX_MESSAGE_CHARS);
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ERROR_BODY) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short (timeout, reset) still yields what arrived
  } finally {
    void reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY));
}

function codeFor(status: number): ErrorCode {
  return status === 413 ? 'payload_too_large' : status === 429 ? 'rate_limited' : 'unavailable';
}

// Errors never quote the URL: the seed's templates put the password in it.
async function send(request: MediaRefRequest, options: MediaRefSendOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      throw new ParleyError('unavailable', `the media reference service did not answer within ${timeoutMs / 1000} s`);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ParleyError('unavailable', `the media reference service could not be reached: ${reason}`);
  }
  // The seed: "The response will be considered successful if the HTTP response code is 2xx."
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const message = serviceMessage(response.headers.get('content-type'), await readCapped(response));
  throw new ParleyError(codeFor(response.status), message ?? `the media reference service answered ${response.status}`);
}

/** Sends one recipient's message: resolves on a 2xx answer, else throws a ParleyError with the service's message. */
export async function sendViaMediaRef(
  keys: MediaRefSendKeys,
  account: MediaRefSendAccount,
  values: MediaRefValues,
  options: MediaRefSendOptions = {},
): Promise<void> {
  await send(buildMediaRefRequest(keys, account, values), options);
}

export type MediaRefOutcome = { to: string; ok: true } | { to: string; ok: false; error: ParleyError };

/** A group's recipients: every participant but yourself, once each. */
export function recipientsFor(participants: readonly string[], me: string): string[] {
  return [...new Set(participants)].filter((address) => address !== me);
}

/**
 * The seed: "the web service will be called for every recipient separately." Every recipient is tried,
 * whatever happened to the others; the outcomes come back in the recipients' order. Bad keys throw at once.
 */
export async function sendToRecipients(
  keys: MediaRefSendKeys,
  account: MediaRefSendAccount,
  recipients: readonly string[],
  values: Omit<MediaRefValues, 'to'>,
  options: MediaRefSendOptions = {},
): Promise<MediaRefOutcome[]> {
  const config = parseMediaRefSend(keys, account);
  const outcomes: MediaRefOutcome[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < recipients.length; i = next++) {
      const to = recipients[i]!;
      try {
        await send(requestFor(config, parseValues({ ...values, to })), options);
        outcomes[i] = { to, ok: true };
      } catch (error) {
        outcomes[i] = { to, ok: false, error: error instanceof ParleyError ? error : new ParleyError('internal', String(error)) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FAN_OUT, recipients.length) }, worker));
  return outcomes;
}
