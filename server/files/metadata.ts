// What an uploader says about a file (its name, its type) is kept as metadata only, never as a path
// on the server, and made safe here before it is stored or leaves in a header for someone's disk.
import { FileInfo } from '../../protocol/index.js';

const MAX_NAME = 180;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// Controls, characters Windows refuses in names, and bidi overrides that disguise an extension.
const UNSAFE = /[\u0000-\u001f\u007f<>:"|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The name as sent, bounded like FileInfo.name; 'file' when there is none. */
export function storedName(name: string | null | undefined): string {
  return shorten(name || 'file', 255);
}

/** A well-formed MIME type as sent, else application/octet-stream. */
export function storedType(mime: string | null | undefined): string {
  return FileInfo.shape.mime.safeParse(mime).success ? mime! : 'application/octet-stream';
}

/** The last path segment, without unsafe characters, leading or trailing dots, or a reserved device name. */
function safeFileName(name: string): string {
  let base = (name.split(/[/\\]/).pop() ?? '').replace(UNSAFE, '_').replace(/^[.\s]+|[.\s]+$/g, '');
  if (RESERVED.test(base)) base = `_${base}`;
  return shorten(base, MAX_NAME) || 'file';
}

/** At most max characters (code points), keeping a short extension. */
function shorten(name: string, max: number): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return chars.slice(0, max - ext.length).join('') + ext;
}

/** `attachment` with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987). */
export function contentDisposition(name: string): string {
  const safe = safeFileName(name);
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_'); // safeFileName already removed " and \
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
