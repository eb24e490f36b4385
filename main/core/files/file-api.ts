// The seed's file transfer helper API (mesibo: getFileInstance, startFileTransfer, stopFileTransfer,
// updateFileTransferProgress, isFileTransferEnabled; setUploadUrl, a FileTransferHandler for hosts
// that move the bytes themselves; Media Reference Send from seed 004), over the engine's transfers.
// Every method takes what a host passes, so each argument is checked before it reaches a transfer.
import { z } from 'zod';
import { FileInfo, ParleyError, UploadAuthToken } from '../../../protocol/index.js';
import { check } from '../check.js';
import type { Outbox } from '../outbox.js';
import type { FileTransfer, FileTransferHandler } from '../types.js';
import { inspectFile } from './local-file.js';
import { parseMediaRefSend, type MediaRefSendAccount, type MediaRefSendKeys } from './media-ref-send.js';
import { sniffMime } from './sniff.js';
import type { Transfers } from './transfers.js';

/** An upload URL and the token the seed's protocol sends with each file (as a form field: one line). */
const UploadUrl = z.strictObject({
  url: FileInfo.shape.url,
  authToken: UploadAuthToken,
});

const transferId = (file: unknown): string => {
  const id = (file as { id?: unknown } | null)?.id;
  if (typeof id !== 'string') throw new ParleyError('bad_request', 'pass a file transfer (an object with its id)');
  return id;
};

export function createFileApi(transfers: Transfers, outbox: Outbox, maxFileBytes: number) {
  return {
    /**
     * The seed's getFileInstance: the transfer of this file (upload) or URL (download) that is not
     * done yet, else a new one, pending until startFileTransfer. A download of a URL that no stored
     * message carries needs the file's FileInfo (its sha256 is what the bytes are checked against).
     */
    async getFileInstance(type: 'upload' | 'download', urlOrPath: string, file?: FileInfo): Promise<FileTransfer> {
      if (type === 'upload') {
        const local = await inspectFile(urlOrPath, maxFileBytes);
        return transfers.forUpload(local, await sniffMime(local.path, local.name), { messageId: null, conversationId: null });
      }
      if (type !== 'download') throw new ParleyError('bad_request', 'the transfer type is upload or download');
      const url = check(FileInfo.shape.url, urlOrPath, 'url');
      return transfers.forDownload(url, file === undefined ? null : check(FileInfo, file, 'file'));
    },
    /** Starts or resumes a transfer; resolves with its final state (done, stopped or failed). */
    startFileTransfer(file: Pick<FileTransfer, 'id'>): Promise<FileTransfer> {
      return transfers.start(transferId(file));
    },
    /** Stops a running transfer, keeping what it has for a later start; resolves once stopped. */
    stopFileTransfer(file: Pick<FileTransfer, 'id'>): Promise<FileTransfer> {
      return transfers.stop(transferId(file));
    },
    /** For a FileTransferHandler: bytes moved so far, or the error that ended the transfer. */
    updateFileTransferProgress(file: Pick<FileTransfer, 'id' | 'bytes'> & { error?: string | null }): void {
      transfers.update({ id: transferId(file), bytes: file.bytes, error: file.error ?? null });
    },
    /** The seed's: whether the host installed a FileTransferHandler (files move without one, over tus or the upload URL). */
    isFileTransferEnabled(): boolean {
      return transfers.isHandlerSet();
    },
    /** A transfer by its id, with its progress if it runs; null when there is none. */
    getFileTransfer(id: string): FileTransfer | null {
      return transfers.get(id);
    },
    /** Transfers not done: running, stopped, interrupted by a quit, or failed. */
    readFileTransfers(): FileTransfer[] {
      return transfers.unfinished();
    },
    /**
     * Seed 004: file messages go through this Media Reference Send web service instead of the Parley
     * server (after the upload, for its media_url); null sends them through the server again.
     */
    setMediaRefSend(keys: Record<string, string> | null, account?: MediaRefSendAccount): void {
      if (keys === null) return outbox.setMediaRef(null);
      parseMediaRefSend(keys, account); // throws, naming the key at fault; each send expands the keys as given
      outbox.setMediaRef({ keys: keys as MediaRefSendKeys, account: account! });
    },
    /** The seed's setUploadUrl: uploads go to this URL by its protocol; null returns to the Parley server. */
    setUploadUrl(url: string | null, authToken = ''): void {
      transfers.setUploadUrl(url === null ? null : check(UploadUrl, { url, authToken }, 'upload URL'));
    },
    /** The seed's FileTransferHandler: the host moves the bytes; its upload comes before any upload URL. */
    setFileTransferHandler(handler: FileTransferHandler | null): void {
      transfers.setHandler(handler);
    },
    /** The seed's setUploadHandler (JavaScript): a handler for uploads only. */
    setUploadHandler(upload: FileTransferHandler['upload'] | null): void {
      transfers.setHandler(upload ? { upload } : null);
    },
    setDownloadDir(dir: string): void {
      transfers.setDownloadDir(dir);
    },
    /** Images from others up to this many bytes download as they arrive; 0 turns it off. */
    setAutoDownload(maxImageBytes: number): void {
      transfers.setAutoDownloadImages(maxImageBytes);
    },
  };
}
