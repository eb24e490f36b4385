// How files read to people: sizes, rates, a kind for the icon, and what a transfer lets one do next.
import type { FileTransfer, Message } from '../../contract/types';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** fileProgress payloads carry a rate; a transfer read from the store does not. */
export function rateOf(transfer: FileTransfer): number {
  const rate = (transfer as { rate?: unknown }).rate;
  return typeof rate === 'number' ? rate : 0;
}

export type FileKind = 'image' | 'video' | 'audio' | 'pdf' | 'archive' | 'text' | 'file';

/** Types that say nothing about the file (the sender's system did not know it): its name says more. */
const GENERIC = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/binary', 'application/unknown', 'text/plain']);
const ARCHIVE = /zip|tar|compressed|x-7z|gzip|rar/;

const isGeneric = (mime: string) => GENERIC.has(mime.split(';')[0]!.trim().toLowerCase());
const extensionOf = (name: string) => /\.([a-z0-9]{1,10})$/i.exec(name)?.[1]?.toLowerCase() ?? null;

export function fileKind(mime: string, name: string): FileKind {
  const ext = isGeneric(mime) ? extensionOf(name) : null;
  if (mime === 'application/pdf' || ext === 'pdf') return 'pdf';
  if (ARCHIVE.test(mime) || (ext !== null && /^(zip|tar|tgz|gz|7z|rar|xz|bz2)$/.test(ext))) return 'archive';
  const top = mime.split('/')[0];
  return top === 'image' || top === 'video' || top === 'audio' || top === 'text' ? top : 'file';
}

/**
 * What the file's type is called on its card: the subtype, readable (PNG, PDF, ZIP…); for a generic
 * type the name's extension (a .pdf sent as application/octet-stream is a PDF), else Text or File.
 */
export function typeLabel(mime: string, name: string): string {
  if (isGeneric(mime)) {
    const ext = extensionOf(name);
    if (ext !== null && ext !== 'txt') return ext.toUpperCase();
    return mime.startsWith('text/') ? 'Text' : 'File';
  }
  const sub = mime.split('/')[1] ?? mime;
  return sub.replace(/^(x-|vnd\.)/, '').split(/[.+-]/)[0]!.toUpperCase();
}

export type FileStage = 'none' | 'moving' | 'paused' | 'failed' | 'local';

/** Where the message's file stands on this device. */
export function fileStage(message: Message): FileStage {
  const transfer = message.transfer;
  if (!transfer) return 'none';
  switch (transfer.state) {
    case 'pending':
    case 'running':
      return 'moving';
    case 'stopped':
    case 'interrupted':
      return 'paused';
    case 'failed':
      return 'failed';
    case 'done':
      return transfer.path ? 'local' : 'none';
  }
}
