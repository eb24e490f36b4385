// The single byte range of an HTTP Range header (RFC 9110 §14), which is what resuming needs.
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
