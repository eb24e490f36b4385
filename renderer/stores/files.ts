// What people do with files: send the ones they attach, download, stop, resume, open, save. Progress itself
// arrives as fileProgress events (the messages store); this store only starts things and keeps each
// file message's last error, and the image open in the viewer.
import { defineStore } from 'pinia';
import { ref, shallowReactive } from 'vue';
import { parley } from '../bridge';
import type { Message, OpenFileResult, SaveFileResult } from '../../contract/types';
import { errorText } from '../lib/errors';
import { useMessagesStore } from './messages';

export const useFilesStore = defineStore('files', () => {
  const messages = useMessagesStore();
  /** The last failed action on a file message, by message id. */
  const errors = shallowReactive(new Map<string, string>());
  /**
   * The names of files being staged and sent, by conversation, until each one's message shows: a large
   * file takes seconds to be copied or streamed to the host, and the composer says so meanwhile.
   */
  const preparing = shallowReactive(new Map<string, readonly string[]>());
  /** A full-size image, at the URL its host serves it from (/local in the browser, parley-file: in Electron). */
  const viewing = ref<{ url: string; name: string } | null>(null);

  async function act(messageId: string, action: () => Promise<unknown>): Promise<void> {
    errors.delete(messageId);
    try {
      await action();
    } catch (e) {
      errors.set(messageId, errorText(e));
    }
  }

  /** Adds names to a conversation's files being prepared, or (done) takes one of each away. */
  function tally(conversationId: string, names: readonly string[], done: boolean): void {
    const list = [...(preparing.get(conversationId) ?? [])];
    if (!done) list.push(...names);
    else
      for (const name of names) {
        const at = list.indexOf(name);
        if (at >= 0) list.splice(at, 1);
      }
    if (list.length) preparing.set(conversationId, list);
    else preparing.delete(conversationId);
  }

  /** Stages the files and sends each; the caption goes with the first. Throws if they could not be staged. */
  async function send(conversationId: string, files: File[], caption = ''): Promise<void> {
    if (files.length === 0) return;
    const left = files.map((file) => file.name);
    tally(conversationId, left, false);
    try {
      const staged = await parley.stageFiles(files);
      for (const [i, file] of staged.entries()) {
        messages.receive(await parley.sendFile({ conversationId, stagedId: file.id, ...(i === 0 && caption.trim() ? { message: caption } : {}) }));
        tally(conversationId, left.splice(0, 1), true);
      }
    } finally {
      tally(conversationId, left, true);
    }
  }

  const download = (message: Message) => act(message.id, () => parley.downloadFile({ messageId: message.id }));

  const stop = (message: Message) => act(message.id, () => parley.stopFileTransfer({ id: message.transfer!.id }));

  const resume = (message: Message) => act(message.id, () => parley.startFileTransfer({ id: message.transfer!.id }));

  /** My failed message goes again as a whole (the engine resumes its upload); a failed download restarts. */
  const retry = (message: Message) => (message.mine && message.status === 'failed' ? messages.retry(message.id) : resume(message));

  /** What the host left to the page: a URL to show (Electron opened or saved everything else itself). */
  function show(message: Message, result: OpenFileResult | SaveFileResult, inViewer: boolean): void {
    if (!('url' in result)) return;
    if (inViewer) viewing.value = { url: result.url, name: message.file!.name };
    else window.open(result.url, '_blank', 'noopener');
  }

  const open = (message: Message, inViewer = false) =>
    act(message.id, async () => show(message, await parley.openFile({ messageId: message.id, view: inViewer }), inViewer));

  const showInFolder = (message: Message) => act(message.id, async () => show(message, await parley.showFileInFolder({ messageId: message.id }), false));

  const saveAs = (message: Message) => act(message.id, async () => show(message, await parley.saveFileAs({ messageId: message.id }), false));

  return { errors, preparing, viewing, send, download, stop, resume, retry, open, showInFolder, saveAs };
});
