// A sender's file name is untrusted: before it names a file on this disk it loses everything that
// could move it out of the download directory, hide it, spoof its type or trip up Windows.
import { closeSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const MAX_NAME_BYTES = 255;
/** Past this an "extension" is part of the name, and may be cut. */
const MAX_EXT_BYTES = 32;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i;
const utf8 = new TextEncoder();

/**
 * A safe name for a file in a folder: no path separators (they become _), no control or bidi
 * characters, no characters Windows refuses, no leading dots (hidden files, ..), no trailing dots
 * or spaces, no reserved device name, at most 255 bytes with the extension kept; "file" when
 * nothing is left.
 */
export function sanitizeFileName(name: string): string {
  return candidate(name, 0);
}

/**
 * Moves `from` into `dir` under the sanitised `name`, or "name (1).ext", "name (2).ext"… when
 * taken: the name is claimed with an exclusive create first, so no existing file is ever replaced.
 */
export function saveUnique(from: string, dir: string, name: string): string {
  for (let n = 0; n < 10_000; n++) {
    const target = join(dir, candidate(name, n));
    try {
      closeSync(openSync(target, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    renameSync(from, target);
    return target;
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}

function candidate(raw: string, n: number): string {
  const clean = raw
    .normalize('NFC')
    // Controls (C0, DEL, C1) and the invisible marks that reorder text ("gpj.exe" shown as "exe.jpg").
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[/\\<>:"|?*]/g, '_')
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '');
  const dot = clean.lastIndexOf('.');
  const hasExt = dot > 0 && utf8.encode(clean.slice(dot)).length <= MAX_EXT_BYTES;
  let stem = hasExt ? clean.slice(0, dot) : clean;
  const ext = hasExt ? clean.slice(dot) : '';
  if (!stem) stem = 'file';
  // CON, nul.txt, COM1.tar.gz: Windows reads the part before the first dot as a device.
  if (WINDOWS_RESERVED.test(stem.split('.')[0]!.trimEnd())) stem = `_${stem}`;
  const suffix = n === 0 ? '' : ` (${n})`;
  const kept = cut(stem, MAX_NAME_BYTES - utf8.encode(suffix + ext).length);
  // Cut short, a name with nothing after it may end in a dot or space, which Windows drops.
  return `${suffix || ext ? kept : kept.replace(/[. ]+$/, '')}${suffix}${ext}`;
}

/** The longest prefix of `s` within `bytes` UTF-8 bytes, never splitting a character. */
function cut(s: string, bytes: number): string {
  if (utf8.encode(s).length <= bytes) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const size = utf8.encode(ch).length;
    if (used + size > bytes) break;
    out += ch;
    used += size;
  }
  return out;
}
