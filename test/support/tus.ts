// A tus client of a few fetch calls, for tests that upload to a real server.
import { createHash } from 'node:crypto';
import type { TestServer } from './harness.js';

export const TUS = { 'tus-resumable': '1.0.0' };
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const b64 = (s: string) => Buffer.from(s).toString('base64');

export async function tusCreate(t: TestServer, token: string, length: number, metadata: Record<string, string> = {}) {
  const meta = Object.entries(metadata).map(([k, v]) => `${k} ${b64(v)}`).join(',');
  return fetch(`${t.url}/files/tus`, {
    method: 'POST',
    headers: { ...TUS, ...bearer(token), 'upload-length': String(length), ...(meta ? { 'upload-metadata': meta } : {}) },
  });
}

export function tusPatch(location: string, token: string, offset: number, body: Uint8Array | ReadableStream<Uint8Array>, signal?: AbortSignal) {
  return fetch(location, {
    method: 'PATCH',
    headers: { ...TUS, ...bearer(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body,
    signal,
    duplex: 'half',
  } as RequestInit);
}

/** A complete tus upload in one PATCH; returns the download URL the server announced. */
export async function tusUpload(t: TestServer, token: string, bytes: Uint8Array, metadata: Record<string, string> = {}) {
  const created = await tusCreate(t, token, bytes.length, metadata);
  if (created.status !== 201) throw new Error(`tus creation answered ${created.status}`);
  const done = await tusPatch(created.headers.get('location')!, token, 0, bytes);
  if (done.status !== 204) throw new Error(`tus PATCH answered ${done.status}`);
  return done.headers.get('parley-file-url')!;
}
