// Incoming files saved by themselves: a conversation may name a folder on this device into which
// every file others send to it is downloaded (sanitised names, never overwriting, like any download).
// Files from the messages after the setting was made count, not the history before it. The store
// keeps how far each conversation's messages were looked at, up to its gap-free prefix (have_seq),
// so messages a catch-up fills in later, or that arrived while the app was closed, are not missed.
//
// Only what nobody would mind being fetched unasked (issue 12): files on the Parley server's own
// file routes (its origin, a path under /files/) or on a host the user allowed, of at most
// maxBytes (default 100 MiB, checked on the declared size before any request, and on the bytes as
// they stream: a server that lies about the size cannot write more). Anything else waits for a
// click, like a file in a conversation without a save folder. Redirects are held to the same rule.
import { ParleyError, type FileInfo } from '../../../protocol/index.js';
import type { Store } from '../store/index.js';
import type { FileTransfer } from '../types.js';
import { isServerFileUrl, type AutoPolicy } from './http.js';
import { prepareDir } from './local-file.js';

/** Downloads into save folders at once, from all conversations: a month of files does not start together. */
const CONCURRENCY = 3;
const PAGE = 200;

/** What save folders download without asking. */
export interface SaveFolderLimits {
  /** The largest file saved by itself, in bytes (default 100 MiB); bigger ones wait for a click. */
  maxBytes: number;
  /** Origins (https://files.example.com) besides the Parley server's /files/ routes that files are saved from (default none). */
  allowedOrigins: string[];
}

export const DEFAULT_SAVE_FOLDER_LIMITS: SaveFolderLimits = { maxBytes: 100 * 1024 * 1024, allowedOrigins: [] };

/** The limits with `given` over `base`, checked: a whole number of bytes, http(s) origins. */
export function saveFolderLimits(given: Partial<SaveFolderLimits> = {}, base = DEFAULT_SAVE_FOLDER_LIMITS): SaveFolderLimits {
  const maxBytes = given.maxBytes ?? base.maxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new ParleyError('bad_request', 'the save-folder size limit is a whole number of bytes');
  const origins = given.allowedOrigins ?? base.allowedOrigins;
  if (!Array.isArray(origins)) throw new ParleyError('bad_request', 'allowedOrigins is a list of http(s) origins');
  const allowedOrigins = origins.map((origin: unknown) => {
    const url = typeof origin === 'string' && URL.canParse(origin) ? new URL(origin) : null;
    if (!url || !/^https?:$/.test(url.protocol)) throw new ParleyError('bad_request', `${String(origin)} is not an http(s) origin such as https://files.example.com`);
    return url.origin;
  });
  return { maxBytes, allowedOrigins: [...new Set(allowedOrigins)] };
}

export interface AutoSaveDeps {
  store: Store;
  serverUrl: string;
  limits?: Partial<SaveFolderLimits>;
  /** Why incoming files may not be saved there (a watched folder would send them back; the app's own data), or null. */
  refused(dir: string): string | null;
  forDownload(url: string, file: FileInfo, dir: string): FileTransfer;
  start(id: string, auto: AutoPolicy): Promise<FileTransfer>;
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
  let limits = saveFolderLimits(d.limits);
  const policy: AutoPolicy = {
    get maxBytes() {
      return limits.maxBytes;
    },
    allowed: (url) => isServerFileUrl(url, d.serverUrl) || (URL.canParse(url) && limits.allowedOrigins.includes(new URL(url).origin)),
  };

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
      d.start(id, policy)
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
        if (!policy.allowed(file.url) || file.size > limits.maxBytes) {
          d.log(`${file.name} (${file.size} bytes, ${new URL(file.url).host}) is not saved by itself: outside the save-folder limits; it waits for a click`);
          continue;
        }
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

    limits: (): SaveFolderLimits => ({ ...limits, allowedOrigins: [...limits.allowedOrigins] }),
    /** Changes what is saved without asking from now on (files already skipped wait for a click). */
    setLimits(given: Partial<SaveFolderLimits>): SaveFolderLimits {
      limits = saveFolderLimits(given, limits);
      return { ...limits, allowedOrigins: [...limits.allowedOrigins] };
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
