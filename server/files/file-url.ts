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
