// A minimal tus 1.0.0 client (creation, core): create the upload once, then PATCH the rest of the
// file from the offset the server acknowledged, streamed from disk. An upload that was cut off
// (dropped connection, stopped, app restarted) asks the server where it stands (HEAD) and goes on
// from there; only an upload the server no longer knows starts over.
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { CHUNK, tap } from './checksum.js';
import { TransferError, refused, unreachable } from './http.js';

export interface TusUpload {
  /** The Parley server's file routes: uploads at <files>/tus, downloads at <files>/<id>. */
  filesUrl: string;
  headers: Record<string, string>;
  path: string;
  size: number;
  name: string;
  mime: string;
  /** The upload's URL from an earlier attempt; null for a new one. */
  remote: string | null;
  signal: AbortSignal;
  /** The upload's URL, as soon as it exists: kept so a later attempt, or the next run, resumes it. */
  onRemote(url: string): void;
  /** How far the file has got: the server's offset, then bytes as they are sent. */
  onOffset(bytes: number): void;
}

const TUS = { 'tus-resumable': '1.0.0' };
const SERVER = 'the file server';

/** Uploads the file, or the rest of it; resolves with the URL it downloads from. */
export async function tusUpload(o: TusUpload): Promise<string> {
  const headers = { ...TUS, ...o.headers };
  const call = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, { ...init, headers: { ...headers, ...init.headers }, signal: o.signal });
    } catch (error) {
      if (o.signal.aborted) throw error;
      throw unreachable(url, error);
    }
  };

  let remote = o.remote;
  let offset = 0;
  if (remote) {
    const head = await call(remote, { method: 'HEAD' });
    if ([403, 404, 410].includes(head.status)) remote = null; // expired or removed: start over
    else if (!head.ok) throw await refused(head.status, head.body, SERVER);
    else offset = offsetOf(head.headers.get('upload-offset'), o.size);
  }
  if (!remote) {
    const created = await call(`${o.filesUrl}/tus`, {
      method: 'POST',
      headers: { 'upload-length': String(o.size), 'upload-metadata': `filename ${base64(o.name)},filetype ${base64(o.mime)}` },
    });
    if (created.status !== 201) throw await refused(created.status, created.body, SERVER);
    await created.body?.cancel();
    const location = created.headers.get('location');
    if (!location) throw new TransferError(`${SERVER} created the upload but did not say where (no Location)`);
    remote = new URL(location, `${o.filesUrl}/tus`).href;
    o.onRemote(remote);
  }
  o.onOffset(offset);

  let fileUrl: string | null = null;
  if (offset < o.size) {
    const file = createReadStream(o.path, { start: offset, end: o.size - 1, highWaterMark: CHUNK });
    const body = pipeline(file, tap((sent) => o.onOffset(offset + sent)), () => {});
    const patched = await patch(remote, {
      ...headers,
      'content-type': 'application/offset+octet-stream',
      'upload-offset': String(offset),
      'content-length': String(o.size - offset),
    }, body, o.signal).finally(() => body.destroy());
    const status = patched.statusCode ?? 0;
    // 409: the server holds another offset than we sent from; the next attempt asks it (HEAD).
    if (status === 409) throw new TransferError(`${SERVER} is at another offset than this upload`, true);
    if (status < 200 || status > 299) throw await refused(status, patched, SERVER);
    patched.resume();
    if (offsetOf(one(patched.headers['upload-offset']), o.size) !== o.size) throw new TransferError(`${SERVER} did not take the whole file`, true);
    const header = one(patched.headers['parley-file-url']);
    if (header) fileUrl = new URL(header, remote).href;
  }
  // A finished upload downloads from <files>/<id>; said on the last PATCH, derived when that answer was lost.
  return fileUrl ?? `${o.filesUrl}/${new URL(remote).pathname.split('/').pop()}`;
}

/**
 * The PATCH over node:http rather than fetch: the file goes disk → socket without web streams in
 * between (measured faster here, as for downloads), and no redirect is followed, so nothing is kept
 * to replay one (fetch's undici buffers a streamed body for that: nodejs/undici#4058).
 */
function patch(url: string, headers: Record<string, string>, body: Readable, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: 'PATCH', headers, signal }, resolve);
    request.on('error', (error) => reject(signal.aborted ? error : unreachable(url, error)));
    body.on('error', (error) => request.destroy(error));
    body.pipe(request);
  });
}

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

function offsetOf(header: string | null, size: number): number {
  const offset = Number(header ?? NaN);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new TransferError(`${SERVER} answered without a valid Upload-Offset`);
  }
  return offset;
}

const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
