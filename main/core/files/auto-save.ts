// Incoming files saved by themselves: a conversation may name a folder on this device into which
// every file others send to it is downloaded (sanitised names, never overwriting, like any download).
// Files from the messages after the setting was made count, not the history before it. The store
// keeps how far each conversation's messages were looked at, up to its gap-free prefix (have_seq),
// so messages a catch-up fills in later, or that arrived while the app was closed, are not missed.
import { ParleyError, type FileInfo } from '../../../protocol/index.js';
import type { Store } from '../store/index.js';
import type { FileTransfer } from '../types.js';
import { prepareDir } from './local-file.js';

/** Downloads into save folders at once, from all conversations: a month of files does not start together. */
const CONCURRENCY = 3;
const PAGE = 200;

export interface AutoSaveDeps {
  store: Store;
  /** Why incoming files may not be saved there (a watched folder would send them back; the app's own data), or null. */
  refused(dir: string): string | null;
  forDownload(url: string, file: FileInfo, dir: string): FileTransfer;
  start(id: string): Promise<FileTransfer>;
  /** Transfers not done, to resume the interrupted downloads of conversations that save by themselves. */
  unfinished(): FileTransfer[];
  log(message: string, detail?: unknown): void;
}

export type AutoSave = ReturnType<typeof createAutoSave>;

export function createAutoSave(d: AutoSaveDeps) {
  const { store } = d;
  const folders = store.folders.saving;
  const haveSeq = (conversationId: string) => store.conversations.haveSeq(conversationId) ?? 0;
  const queue: string[] = [];
  const queued = new Set<string>();
  let running = 0;
  let stopped = false;
  /** idle() callers, told when no download is queued or running. */
  const idleWaiters: Array<() => void> = [];
  const settle = () => {
    if (stopped || (running === 0 && queue.length === 0)) for (const resolve of idleWaiters.splice(0)) resolve();
  };
  let resumed = false;

  function enqueue(id: string): void {
    if (queued.has(id)) return;
    queued.add(id);
    queue.push(id);
    pump();
  }

  function pump(): void {
    while (!stopped && running < CONCURRENCY && queue.length > 0) {
      const id = queue.shift()!;
      running++;
      // Failures show on the file's message (failed, with retry), like any download.
      d.start(id)
        .catch((error: unknown) => d.log('could not save an incoming file', error))
        .finally(() => {
          running--;
          queued.delete(id);
          pump();
          settle();
        });
    }
  }

  /** Starts the downloads of files not yet looked at in this conversation, up to its gap-free prefix. */
  function scan(conversationId: string): void {
    if (stopped) return;
    const folder = folders.get(conversationId);
    if (!folder) return;
    const upTo = haveSeq(conversationId);
    let from = folder.scannedSeq;
    while (from < upTo) {
      const rows = store.messages.filesBetween(conversationId, from, upTo, PAGE);
      for (const row of rows) {
        if (row.sender === store.me) continue;
        const file = row.file!;
        try {
          const transfer = d.forDownload(file.url, file, folder.dir);
          if (transfer.state !== 'done') enqueue(transfer.id);
        } catch (error) {
          d.log(`could not save ${file.name}`, error);
        }
      }
      // Recorded after the transfers are: a crash in between finds them again (by URL), not twice.
      from = rows.length < PAGE ? upTo : rows.at(-1)!.seq;
      folders.scanned(conversationId, from);
    }
  }

  return {
    /**
     * Once online after the client starts: interrupted downloads of saving conversations resume, and
     * what was stored but not yet looked at (a crash, a restart) is saved.
     */
    resume(): void {
      if (resumed || stopped) return;
      resumed = true;
      const saving = new Set(folders.all().map((r) => r.conversationId));
      for (const transfer of d.unfinished()) {
        if (transfer.type === 'download' && transfer.state === 'interrupted' && transfer.conversationId && saving.has(transfer.conversationId)) enqueue(transfer.id);
      }
      for (const id of saving) scan(id);
    },

    scan,

    /** Whether the conversation saves incoming files (its images then skip the download dir's auto-download). */
    covers: (conversationId: string): boolean => folders.get(conversationId) !== null,

    get: (conversationId: string): string | null => folders.get(conversationId)?.dir ?? null,

    all: folders.all,

    /** Saves the conversation's incoming files from now on into `dir`, or stops with null. */
    set(conversationId: string, dir: string | null): string | null {
      if (!store.conversations.get(conversationId)) throw new ParleyError('not_found', `no conversation ${conversationId} on this device`);
      if (dir === null) {
        folders.remove(conversationId);
        return null;
      }
      const where = prepareDir(dir);
      const refused = d.refused(where);
      if (refused) throw new ParleyError('conflict', refused);
      // From here on: the history before the setting is not downloaded.
      folders.set(conversationId, where, haveSeq(conversationId));
      return where;
    },

    stop(): void {
      stopped = true;
      queue.length = 0;
      settle();
    },

    /** Resolves when no save-folder download is queued or running (at once when stopped). */
    idle(): Promise<void> {
      if (stopped || (running === 0 && queue.length === 0)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
