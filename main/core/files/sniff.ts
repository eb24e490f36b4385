// A file's MIME type from what it holds (file-type reads only its first bytes), else from its
// extension, else application/octet-stream: a PNG named notes.txt is image/png.
import { extname } from 'node:path';
import { fileTypeFromFile } from 'file-type';

/** Text and other types that carry no magic number for file-type to find. */
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  ts: 'text/plain',
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  svg: 'image/svg+xml',
  ics: 'text/calendar',
  vcf: 'text/vcard',
  rtf: 'application/rtf',
};
const MIME = /^[\w.+-]+\/[\w.+-]+$/;

export async function sniffMime(path: string, name: string): Promise<string> {
  const found = await fileTypeFromFile(path).catch(() => undefined);
  if (found && MIME.test(found.mime)) return found.mime;
  return BY_EXTENSION[extname(name).slice(1).toLowerCase()] ?? 'application/octet-stream';
}
