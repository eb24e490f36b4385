// The files a request names by message id, and the hosts serve by transfer id (/local, parley-file:):
// always found through the engine's by-id reads, so the URL to download and the path to open come
// from the engine, never from the page.
import { ParleyError, type Client, type FileTransfer } from '../core/index.js';

/** A transfer whose file is on this device: the finished download, or the file I sent. */
export type LocalFile = FileTransfer & { path: string };

export const isLocal = (transfer: FileTransfer | null | undefined): transfer is LocalFile => transfer?.state === 'done' && !!transfer.path;

function fileMessage(engine: Client, messageId: string) {
  const message = engine.getMessage(messageId);
  if (!message?.file) throw new ParleyError('not_found', 'there is no file message with that id here');
  return message;
}

/** The file's URL, once it has one (my own file gets it when its upload is done). */
export function fileUrl(engine: Client, messageId: string): string {
  const url = fileMessage(engine, messageId).file?.url;
  if (!url) throw new ParleyError('not_found', 'this file has no download address yet');
  return url;
}

export function localFile(engine: Client, messageId: string): LocalFile {
  const { transfer } = fileMessage(engine, messageId);
  if (!isLocal(transfer)) throw new ParleyError('not_found', 'this file is not on this device yet; download it first');
  return transfer;
}
