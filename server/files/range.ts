// The single byte range of an HTTP Range header (RFC 9110 §14), which is what resuming needs, and
// the answer's range headers, for every route that serves a file's bytes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ByteRange } from './file-store.js';

/**
 * The range asked for within size bytes; null to send the whole file (no header, several ranges or
 * a malformed one, all of which a server may ignore); 'unsatisfiable' when it starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '') {
    // bytes=-n: the last n bytes.
    const n = Number(last);
    return n === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Number(last);
  return end < start ? null : { start, end: Math.min(end, size - 1) };
}

/**
 * Sets the answer's length and range headers for a file of size bytes (206 and content-range for a
 * range; a range of another version, per If-Range, is no range of this one). Returns the bytes to
 * send (null: all of them), or the body of a 416 answer, status and headers already set.
 */
export function rangeOf(
  request: FastifyRequest,
  reply: FastifyReply,
  size: number,
  etag: string | undefined,
): ByteRange | null | { unsatisfiable: { error: { code: 'bad_request'; message: string } } } {
  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, size) : null;
  reply.header('accept-ranges', 'bytes');
  if (range === 'unsatisfiable') {
    reply.code(416).header('content-range', `bytes */${size}`);
    return { unsatisfiable: { error: { code: 'bad_request', message: `the range is outside the file's ${size} bytes` } } };
  }
  reply.header('content-length', range ? range.end - range.start + 1 : size);
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
  return range;
}
