// The transfers in this engine: one record per upload or download, kept in the store so a quit or a
// crash leaves it "interrupted" and resumable; one run at a time per record, in the mode chosen as
// it starts (a FileTransferHandler, the upload URL protocol, or tus to the Parley server; downloads
// over HTTP unless a handler takes them). Network failures and 5xx answers are retried with
// backoff, from where the server or the part file stands; anything else fails with its reason.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileInfo, ParleyError } from '../../../protocol/index.js';
import { writtenId } from '../messages/id.js';
import { publicTransfer as view, type Store, type TransferRecord } from '../store/index.js';
import type { FileProgress, FileTransfer, FileTransferHandler, FileTransferMode, FileTransferState, Message } from '../types.js';
import { sha256File } from './checksum.js';
import { httpDownload, verifyPart } from './download.js';
import { saveUnique } from './file-name.js';
import { TransferError, authFor, isServerFileUrl, type AutoPolicy } from './http.js';
import { inspectFile, prepareDir, type LocalFile } from './local-file.js';
import { tusUpload } from './tus-upload.js';
import { uploadToUrl } from './upload-url.js';

/** At most this often per transfer a fileProgress event (about 10 a second). */
const PROGRESS_MS = 100;
/** At most this often the progress is written to the store. */
const SAVE_MS = 1000;
/** Attempts in a row without progress before a transfer fails; the delay doubles from RETRY_MS. */
const MAX_ATTEMPTS = 6;
const RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

export interface TransfersOptions {
  store: Store;
  serverUrl: string;
  token: string;
  downloadDir: string;
  autoDownloadImages: number;
  log(message: string, detail?: unknown): void;
  progress(progress: FileProgress): void;
  /** A transfer changed state: the client ties my messages to their uploads here. */
  changed(transfer: FileTransfer): void;
}

interface Active {
  record: TransferRecord;
  controller: AbortController;
  /** Why the run is being aborted: stopFileTransfer, or a handler's reported error (close() has its own flag). */
  stopAs: { state: 'stopped' | 'failed'; error: string | null };
  /** Started by the engine itself (auto-download, save folders): what the run may fetch. */
  auto: AutoPolicy | null;
  done: Promise<FileTransfer>;
  lastEmit: number;
  /** Bytes at the last event; -1 until the run knows where it starts. */
  lastBytes: number;
  rate: number;
  lastSaved: number;
}

export type Transfers = ReturnType<typeof createTransfers>;

export function createTransfers(o: TransfersOptions) {
  const records = o.store.transfers;
  const active = new Map<string, Active>();
  let uploadUrl: { url: string; authToken: string } | null = null;
  let handler: FileTransferHandler | null = null;
  let downloadDir = o.downloadDir;
  let autoDownloadImages = o.autoDownloadImages;
  let closed = false;
  const serverFile = (url: string) => isServerFileUrl(url, o.serverUrl);

  function emit(a: Active): void {
    o.progress({ ...view(a.record), rate: Math.round(a.rate) });
  }

  /** Progress from a run: the first report of an attempt is where it resumed, then throttled. */
  function report(a: Active, bytes: number): void {
    if (a.controller.signal.aborted) return;
    a.record.bytes = bytes;
    const now = performance.now();
    if (a.lastBytes >= 0) {
      if (now - a.lastEmit < PROGRESS_MS) return;
      const instant = ((bytes - a.lastBytes) * 1000) / (now - a.lastEmit);
      a.rate = a.rate === 0 ? instant : (a.rate + instant) / 2;
    }
    a.lastEmit = now;
    a.lastBytes = bytes;
    emit(a);
    if (now - a.lastSaved >= SAVE_MS) {
      a.lastSaved = now;
      records.save(a.record);
    }
  }

  function modeFor(type: FileTransfer['type']): FileTransferMode {
    if (type === 'download') return handler?.download ? 'handler' : 'http';
    return handler?.upload ? 'handler' : uploadUrl ? 'uploadUrl' : 'tus';
  }

  function create(fields: Omit<TransferRecord, 'id' | 'mode' | 'state' | 'bytes' | 'error' | 'remote' | 'part'> & { dir?: string }): FileTransfer {
    const { dir, ...rest } = fields;
    const id = randomUUID();
    // The part file is written where the file is to land: the download dir, or the folder asked for.
    const part = dir ? join(dir, `.parley-${id}.part`) : null;
    const record: TransferRecord = { id, mode: modeFor(rest.type), state: 'pending', bytes: 0, error: null, remote: null, part, ...rest };
    records.add(record);
    return view(record);
  }


  async function upload(a: Active): Promise<void> {
    const r = a.record;
    const signal = a.controller.signal;
    const source = await unchanged(r, 'since it was sent');
    const onOffset = (bytes: number) => report(a, bytes);
    const file = { path: source, size: r.total, name: r.name, mime: r.mime, signal, onOffset };
    const send = async (): Promise<string> => {
      if (r.mode === 'handler') {
        const url = await handlerCall(a, 'upload', (h) => h.upload!(view(r), signal));
        const checked = FileInfo.shape.url.safeParse(url);
        if (!checked.success) throw new TransferError(`the upload handler gave no http(s) URL (${String(url)})`);
        return checked.data;
      }
      if (r.mode === 'uploadUrl') {
        if (!uploadUrl) throw new TransferError('the upload URL was unset while this upload waited; send the file again');
        if (!o.store.me) throw new TransferError('the upload URL protocol needs my address: connect to the server once first');
        return uploadToUrl({
          ...file,
          url: uploadUrl.url,
          headers: authFor(uploadUrl.url, o.serverUrl, o.token),
          fields: { auth: uploadUrl.authToken, uid: o.store.me, mid: r.messageId ?? r.id, source: 'message' },
        });
      }
      return tusUpload({
        ...file,
        filesUrl: `${o.serverUrl.replace(/\/+$/, '')}/files`,
        headers: authFor(o.serverUrl, o.serverUrl, o.token),
        remote: r.remote,
        onRemote: (remote) => {
          r.remote = remote;
          records.save(r);
        },
      });
    };
    // The checksum is the file's, whichever way its bytes go; computed alongside, stopped with the run.
    const hashing = new AbortController();
    try {
      [r.url, r.sha256] = await Promise.all([send(), sha256File(source, r.total, AbortSignal.any([signal, hashing.signal]))]);
    } finally {
      hashing.abort();
    }
    await unchanged(r, 'while it was being sent');
  }

  /** The source's path, while it is the file that was sent: same size, same modification time. */
  async function unchanged(r: TransferRecord, when: string): Promise<string> {
    const now = await inspectFile(r.path, Number.MAX_SAFE_INTEGER);
    if (now.size !== r.total || now.mtimeMs !== r.sourceMtime) throw new TransferError(`${r.name} changed ${when}; send it again`);
    return now.path;
  }

  async function download(a: Active): Promise<void> {
    const r = a.record;
    const signal = a.controller.signal;
    // The part file stays where the download began; the saved file lands beside it.
    if (!r.part) {
      r.part = join(downloadDir, `.parley-${r.id}.part`);
      records.save(r);
    }
    const dir = dirname(r.part);
    mkdirSync(dir, { recursive: true });
    if (a.auto) {
      if (r.total > a.auto.maxBytes) throw new TransferError(`${r.name} is ${r.total} bytes, above the ${a.auto.maxBytes} bytes downloaded without asking`);
      if (!a.auto.allowed(r.url!)) throw new TransferError(`${new URL(r.url!).host} is neither the Parley server's file route nor an allowed host, so it is not fetched without asking`);
    }
    if (r.mode === 'handler') {
      await handlerCall(a, 'download', (h) => h.download!(view(r), r.part!, signal));
      await verifyPart(r.part, r.total, r.sha256!);
    } else {
      await httpDownload({
        url: r.url!,
        headersFor: (url) => authFor(url, o.serverUrl, o.token),
        part: r.part,
        size: r.total,
        sha256: r.sha256!,
        signal,
        onOffset: (bytes) => report(a, bytes),
        ...(a.auto ? { allowed: a.auto.allowed } : {}),
      });
    }
    r.path = saveUnique(r.part, dir, r.name);
    r.part = null;
  }

  /** A handler's failure is final: its own retries are its business. A stop does not wait for it to notice. */
  async function handlerCall<T>(a: Active, what: 'upload' | 'download', call: (h: FileTransferHandler) => Promise<T>): Promise<T> {
    if (!handler?.[what]) throw new TransferError(`the ${what} handler was removed while this transfer waited`);
    const signal = a.controller.signal;
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    aborted.catch(() => {}); // a stop after the handler answered is nobody's error
    try {
      return await Promise.race([call(handler), aborted]);
    } catch (error) {
      if (a.controller.signal.aborted) throw error;
      throw new TransferError(`the ${what} handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function run(a: Active): Promise<void> {
    const r = a.record;
    for (let attempt = 1; ; attempt++) {
      if (a.controller.signal.aborted) return finish(a, a.stopAs.state, a.stopAs.error);
      const before = r.bytes;
      a.lastBytes = -1;
      try {
        await (r.type === 'upload' ? upload(a) : download(a));
        r.bytes = r.total;
        return finish(a, 'done', null);
      } catch (error) {
        if (a.controller.signal.aborted) return finish(a, a.stopAs.state, a.stopAs.error);
        const reason = error instanceof Error ? error.message : String(error);
        const retry = error instanceof TransferError && error.retry;
        if (r.bytes > before) attempt = 1; // it moved: the network is there, keep going
        if (!retry || attempt >= MAX_ATTEMPTS) return finish(a, 'failed', reason);
        o.log(`${r.type} of ${r.name}: ${reason}; trying again`);
        await sleep(Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** (attempt - 1)), a.controller.signal);
      }
    }
  }

  function finish(a: Active, state: FileTransferState, error: string | null): void {
    if (closed) return; // close() has recorded it as interrupted
    active.delete(a.record.id);
    a.record.state = state;
    a.record.error = error;
    // A failed download leaves nothing behind: its part is of no use to a retry, which starts over.
    if (state === 'failed' && a.record.type === 'download' && a.record.part) {
      rmSync(a.record.part, { force: true });
      a.record.part = null;
    }
    records.save(a.record);
    if (state !== 'done') a.rate = 0;
    emit(a);
    o.changed(view(a.record));
  }

  /**
   * The seed's getFileInstance for a download: the URL's transfer not yet done, else a new one,
   * saved into `dir` when given (else the download dir).
   */
  function forDownload(url: string, file: FileInfo | null, dir?: string): FileTransfer {
    const message = o.store.messages.byFileUrl(url);
    const info = file ?? message?.file;
    if (!info) throw new ParleyError('not_found', 'no file message here has this URL; pass the file’s FileInfo to download it');
    if (info.url !== url) throw new ParleyError('bad_request', 'the FileInfo is for another URL');
    const open = records.open('download', url);
    if (open && open.sha256 === info.sha256 && open.total === info.size) return view(active.get(open.id)?.record ?? open);
    return create({
      type: 'download',
      path: null,
      url,
      name: info.name,
      mime: info.mime,
      total: info.size,
      sha256: info.sha256,
      sourceMtime: null,
      messageId: message ? writtenId(message.sender, message.clientId!) : null,
      conversationId: message?.conversationId ?? null,
      ...(dir ? { dir } : {}),
    });
  }

  /** Runs a transfer; `auto` when the engine starts it by itself (what it may fetch, how much). */
  function start(id: string, auto: AutoPolicy | null = null): Promise<FileTransfer> {
    if (closed) throw new ParleyError('bad_request', 'this client was stopped; create a new one');
    const running = active.get(id);
    if (running) return running.done;
    const record = records.get(id);
    if (!record) throw new ParleyError('not_found', `no file transfer ${id}`);
    if (record.state === 'done') return Promise.resolve(view(record));
    record.mode = modeFor(record.type);
    record.state = 'running';
    record.error = null;
    const a: Active = {
      record,
      controller: new AbortController(),
      stopAs: { state: 'stopped', error: null },
      auto,
      done: Promise.resolve(view(record)),
      lastEmit: performance.now(),
      lastBytes: -1,
      rate: 0,
      lastSaved: performance.now(),
    };
    active.set(id, a);
    records.save(record);
    emit(a);
    o.changed(view(record));
    a.done = run(a).then(
      () => view(a.record),
      (error: unknown) => {
        // run() handles every failure; this is a bug guard, not a path.
        o.log(`file transfer ${id} broke`, error);
        return view(a.record);
      },
    );
    return a.done;
  }

  return {
    /** The seed's getFileInstance for an upload: the file's transfer not yet done, else a new one. */
    forUpload(file: LocalFile, mime: string, bound: { messageId: string | null; conversationId: string | null }): FileTransfer {
      const open = records.open('upload', file.path);
      if (open && open.total === file.size && open.sourceMtime === file.mtimeMs) return view(active.get(open.id)?.record ?? open);
      return create({
        type: 'upload',
        path: file.path,
        url: null,
        name: file.name,
        mime,
        total: file.size,
        sha256: null,
        sourceMtime: file.mtimeMs,
        ...bound,
      });
    },

    forDownload,

    start,

    stop(id: string): Promise<FileTransfer> {
      const a = active.get(id);
      if (!a) {
        const record = records.get(id);
        if (!record) throw new ParleyError('not_found', `no file transfer ${id}`);
        return Promise.resolve(view(record));
      }
      a.stopAs = { state: 'stopped', error: null };
      a.controller.abort();
      return a.done;
    },

    /** The seed's updateFileTransferProgress, for a FileTransferHandler: bytes so far, or the error that ended it. */
    update(progress: { id: string; bytes: number; error?: string | null }): void {
      const a = active.get(progress.id);
      if (!a || a.record.mode !== 'handler') throw new ParleyError('not_found', `no file transfer ${progress.id} is running in a handler`);
      if (progress.error) {
        a.stopAs = { state: 'failed', error: `the ${a.record.type} handler failed: ${progress.error}` };
        a.controller.abort();
        return;
      }
      if (!Number.isSafeInteger(progress.bytes) || progress.bytes < 0 || progress.bytes > a.record.total) {
        throw new ParleyError('bad_request', `bytes is a whole number from 0 to ${a.record.total}`);
      }
      report(a, progress.bytes);
    },

    get(id: string): FileTransfer | null {
      const a = active.get(id);
      const record = a?.record ?? records.get(id);
      return record && view(record);
    },

    /** Transfers not done (running, stopped, interrupted, failed), oldest first. */
    unfinished(): FileTransfer[] {
      return records.unfinished().map((t) => view(active.get(t.id)?.record ?? t));
    },

    /**
     * Images from others under the limit download as they arrive, from the Parley server only: a URL
     * elsewhere is fetched when someone asks, not because a message named it.
     */
    arrived(message: Message): void {
      const file = message.file as FileInfo;
      if (message.mine || !file.mime.startsWith('image/') || file.size > autoDownloadImages) return;
      if (!serverFile(file.url)) return;
      const failed = (error: unknown) => o.log(`could not download ${file.name}`, error);
      try {
        start(forDownload(file.url, file).id, { maxBytes: autoDownloadImages, allowed: serverFile }).catch(failed);
      } catch (error) {
        failed(error);
      }
    },

    isHandlerSet: () => handler !== null,
    setHandler(next: FileTransferHandler | null): void {
      handler = next;
    },
    setUploadUrl(next: { url: string; authToken: string } | null): void {
      uploadUrl = next;
    },
    setDownloadDir(dir: unknown): void {
      downloadDir = prepareDir(dir);
    },
    setAutoDownloadImages(maxBytes: number): void {
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new ParleyError('bad_request', 'the auto-download limit is a whole number of bytes');
      autoDownloadImages = maxBytes;
    },

    /** The engine stops: running transfers are recorded as interrupted, then cut off. */
    close(): void {
      closed = true;
      for (const a of active.values()) {
        a.record.state = 'interrupted';
        records.save(a.record);
        a.controller.abort();
      }
      active.clear();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
