// What the bridge knows of file messages it has handed the renderer: each one's URL and latest
// transfer. The renderer names files by message id only; the URL to download and the path to open
// always come from the engine, never from the page. (The engine has no lookup by message id.)
import { ParleyError, type FileProgress, type FileTransfer, type Message } from '../core/index.js';

interface Known {
  url: string | null;
  transfer: FileTransfer | null;
}

export type FileIndex = ReturnType<typeof createFileIndex>;

export function createFileIndex() {
  const byMessage = new Map<string, Known>();

  function known(messageId: string): Known {
    const entry = byMessage.get(messageId);
    if (!entry) throw new ParleyError('not_found', 'there is no file message with that id here');
    return entry;
  }

  return {
    noteMessage(message: Message): void {
      if (!message.file) return;
      const before = byMessage.get(message.id);
      byMessage.set(message.id, { url: message.file.url ?? before?.url ?? null, transfer: message.transfer ?? before?.transfer ?? null });
    },
    noteProgress({ rate: _rate, ...transfer }: FileProgress): void {
      const entry = transfer.messageId ? byMessage.get(transfer.messageId) : undefined;
      if (entry) entry.transfer = transfer;
    },
    /** The file's URL, once it has one (my own file gets it when its upload is done). */
    url(messageId: string): string {
      const url = known(messageId).url;
      if (!url) throw new ParleyError('not_found', 'this file has no download address yet');
      return url;
    },
    /** The file on this device: the finished download, or the file I sent. */
    localFile(messageId: string): FileTransfer & { path: string } {
      const transfer = known(messageId).transfer;
      if (transfer?.state !== 'done' || !transfer.path) throw new ParleyError('not_found', 'this file is not on this device yet; download it first');
      return transfer as FileTransfer & { path: string };
    },
    /** The same, by transfer id (the browser host's /local URLs, Electron's parley-file: ones). */
    localTransfer(transferId: string): (FileTransfer & { path: string }) | null {
      for (const { transfer } of byMessage.values()) {
        if (transfer?.id === transferId && transfer.state === 'done' && transfer.path) return transfer as FileTransfer & { path: string };
      }
      return null;
    },
    clear(): void {
      byMessage.clear();
    },
  };
}
