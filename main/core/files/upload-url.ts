// The seed's upload URL protocol (mesibo setUploadUrl): one multipart POST carrying the form fields
// op=upload, auth, uid, mid and source, then the file; the server answers {"result": true, "url": …}.
// The body is streamed from disk with its length known up front. The protocol has no resume: a
// retry sends the whole file again.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { FileInfo } from '../../../protocol/index.js';
import { CHUNK, tap } from './checksum.js';
import { TransferError, answerText, unreachable } from './http.js';

export interface UploadUrlUpload {
  url: string;
  headers: Record<string, string>;
  fields: { auth: string; uid: string; mid: string; source: 'message' | 'profile' | 'group-profile' };
  path: string;
  size: number;
  name: string;
  mime: string;
  signal: AbortSignal;
  onOffset(bytes: number): void;
}

const SERVER = 'the upload server';

/** Uploads the file; resolves with the URL the server gave for it. */
export async function uploadToUrl(o: UploadUrlUpload): Promise<string> {
  const boundary = `----parley${randomBytes(16).toString('hex')}`;
  const fields = { op: 'upload', ...o.fields };
  const head = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted(o.name)}"\r\n` +
      `Content-Type: ${o.mime}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const file = createReadStream(o.path, { end: Math.max(0, o.size - 1), highWaterMark: CHUNK });
  const bytes = pipeline(file, tap(o.onOffset), () => {});
  async function* body() {
    yield head;
    if (o.size > 0) yield* bytes;
    yield tail;
  }

  let response: Response;
  try {
    response = await fetch(o.url, {
      method: 'POST',
      headers: {
        ...o.headers,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + o.size + tail.length),
      },
      body: body(),
      duplex: 'half',
      // Following redirects makes undici keep every byte sent, to replay them (nodejs/undici#4058).
      redirect: 'error',
      signal: o.signal,
    });
  } catch (error) {
    if (o.signal.aborted) throw error;
    throw unreachable(o.url, error);
  } finally {
    bytes.destroy();
  }
  // Whatever the status, the protocol's answer is final: the server's own words are the reason.
  const text = await answerText(response.body, 8192);
  const said = text ? `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}` : '';
  if (!response.ok) throw new TransferError(`${SERVER} answered ${response.status}${said}`);
  const answer = parseAnswer(text);
  if (answer?.result !== true) {
    throw new TransferError(`${SERVER} did not take the file${said || ' (empty answer)'}`);
  }
  const url = FileInfo.shape.url.safeParse(answer.url);
  if (!url.success) throw new TransferError(`${SERVER} took the file but gave no http(s) URL${said}`);
  return url.data;
}

function parseAnswer(text: string): { result?: unknown; url?: unknown } | null {
  try {
    const answer: unknown = JSON.parse(text);
    return typeof answer === 'object' ? (answer as { result?: unknown; url?: unknown }) : null;
  } catch {
    return null;
  }
}

/** A quoted-string in a form-data header, as browsers write it. */
const quoted = (s: string) => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
