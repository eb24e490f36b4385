// File ids and the URLs that name them. Ids are always server-generated, so nothing a client
// sends (a file name, a URL) ever decides where bytes are stored.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const FILE_ID = /^[0-9a-f]{32}$/;

export function newFileId(): string {
  return randomBytes(16).toString('hex');
}

/** The server's address as this request reached it: what the engine calls serverUrl. */
export function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function fileUrl(base: string, id: string): string {
  return `${base}/files/${id}`;
}

/**
 * The id in a download URL of this server's shape (…/files/<id>, behind any proxy prefix), else
 * null. The host is not compared: whoever sends it must be able to read that id here anyway.
 */
export function fileIdOf(url: string): string | null {
  const match = /\/files\/([0-9a-f]{32})$/.exec(URL.parse(url)?.pathname ?? '');
  return match ? match[1]! : null;
}

/** Where tus uploads live: POST here, then HEAD/PATCH/DELETE <TUS_PATH>/<id>. */
export const TUS_PATH = '/files/tus';
const TUS_UPLOAD = /^\/files\/tus\/([0-9a-f]{32})$/;

/**
 * The upload a tus request names, from the request line's target as it arrived (the raw request's
 * url): exactly /files/tus/<id>, else null. The route's owner check and @tus/server both take the
 * id from here, so they cannot disagree; a query, a fragment, an encoded character or another path
 * segment (which could move tus's "last segment" to another upload) is no upload URL at all.
 */
export function tusUploadId(target: string | undefined): string | null {
  return TUS_UPLOAD.exec(target ?? '')?.[1] ?? null;
}
