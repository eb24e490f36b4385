// The client engine: a local store that answers at once, a connection that keeps it in step with
// the server, and the seeds' API on top (sendMessage, sendFile, readConversations, onMessage…).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { Address, Body, Caption, FileInfo, ParleyError, invalidPayload, type ConversationEvent, type Receipt } from '../../protocol/index.js';
import { Emitter, type Unsubscribe } from '../../common/emitter.js';
import { createAutoSave } from './files/auto-save.js';
import { inspectFile, prepareDir } from './files/local-file.js';
import { parseMediaRefSend, type MediaRefSendAccount, type MediaRefSendKeys } from './files/media-ref-send.js';
import { canPreview, makePreview } from './files/preview.js';
import { sniffMime } from './files/sniff.js';
import { createTransfers } from './files/transfers.js';
import { createJournal } from './folders/journal.js';
import { createFolders, within, type FolderTuning } from './folders/manager.js';
import { createConnection } from './net/connection.js';
import { createOutbox, type MediaRefSetting } from './outbox.js';
import { clientIdOf, writtenId } from './messages/id.js';
import { createViews } from './messages/views.js';
import { openStore } from './store/index.js';
import { createCatchUp } from './sync/catch-up.js';
import type {
  ConversationSummary,
  ConversationType,
  Destination,
  EngineEvents,
  FileTransfer,
  FileTransferHandler,
  FolderSentFile,
  Message,
  MessageFile,
  SendFileOptions,
  WatchedFolder,
  WatchFolderOptions,
} from './types.js';

export interface ClientOptions {
  dataDir: string;
  serverUrl: string;
  token: string;
  /** Reconnect backoff bounds in ms (defaults 500 and 30,000). */
  backoff?: { minDelay: number; maxDelay: number };
  /** Where engine problems are reported (default console.warn). */
  log?: (message: string, detail?: unknown) => void;
  /** Where downloads are saved (default <dataDir>/downloads); setDownloadDir changes it. */
  downloadDir?: string;
  /** The largest file sendFile takes, in bytes (default 2 GiB, the server's default limit). */
  maxFileBytes?: number;
  /** Images from others up to this many bytes download as they arrive (default 0: none). */
  autoDownloadImages?: number;
  /** Watched folders: stability window, files sent at once, folder check interval. */
  folders?: FolderTuning;
}

const SendFileOptionsSchema = z.strictObject({
  title: FileInfo.shape.title,
  message: Caption.optional(),
  geolocation: FileInfo.shape.geolocation,
});
/** An upload URL and the token the seed's protocol sends with each file (as a form field: one line). */
const UploadUrl = z.strictObject({
  url: FileInfo.shape.url,
  authToken: z.string().max(4096).regex(/^[^\r\n]*$/, 'the token is one line'),
});

const DELIVERED_FLUSH_MS = 30;
const TYPING_EVERY_MS = 3000;
const MAX_PAGE = 500;
const MAX_FILE_BYTES = 2 * 1024 ** 3;

export type Client = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const log = options.log ?? ((message, detail) => console.warn(`[parley] ${message}`, detail ?? ''));
  const events = new Emitter<EngineEvents>((error) => log('an event listener threw', error));
  const downloadDir = prepareDir(options.downloadDir ?? join(options.dataDir, 'downloads'));
  const store = openStore(options.dataDir);
  store.init();
  const views = createViews(store);
  let deviceId = store.prefs.meta('deviceId');
  if (!deviceId) store.prefs.setMeta('deviceId', (deviceId = randomUUID()));

  let stopped = false;
  /** The sync that follows each connect, while it runs: idle() waits for it. */
  let syncing: Promise<void> | null = null;
  const pendingDelivered = new Map<string, number>();
  let deliveredTimer: NodeJS.Timeout | null = null;
  const lastTyping = new Map<string, number>();

  const connection = createConnection({
    serverUrl: options.serverUrl,
    token: options.token,
    deviceId,
    ...options.backoff,
    onStatus: (status) => events.emit('connectionStatus', status),
    onOnline: () => {
      syncing = onOnline()
        .catch((error: unknown) => log('sync failed', error))
        .finally(() => (syncing = null));
    },
    onInvalidPush: (name, problem) => log(`ignored a malformed "${name}" from the server: ${problem}`),
  });

  const emitConversation = (id: string) => {
    const summary = views.conversation(id);
    if (!summary) return;
    events.emit('conversation', summary);
    events.emit('unread', { conversationId: id, unread: summary.unread, total: views.totalUnread() });
  };

  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const transfers = createTransfers({
    store,
    serverUrl: options.serverUrl,
    token: options.token,
    downloadDir,
    autoDownloadImages: options.autoDownloadImages ?? 0,
    log,
    progress: (progress) => events.emit('fileProgress', progress),
    changed: (transfer) => {
      if (transfer.type !== 'upload') return;
      // My file messages follow their upload: failed with it, sending again when it runs, sent once done.
      if (transfer.state === 'running') for (const r of store.outbox.resumeUpload(transfer.id)) emitStatus(views.pending(r));
      if (transfer.state === 'failed') for (const r of store.outbox.failUpload(transfer.id, transfer.error!)) emitStatus(views.pending(r));
      if (transfer.state === 'done') outbox.kick();
    },
  });
  const emitStatus = (m: Message) =>
    events.emit('messageStatus', { id: m.id, conversationId: m.conversationId, seq: m.seq, status: m.status!, ...(m.error ? { error: m.error } : {}) });

  let mediaRef: MediaRefSetting | null = null;
  const outbox = createOutbox(store, views, connection, {
    sent: (message) => {
      events.emit('messageStatus', { id: message.id, conversationId: message.conversationId, seq: message.seq, status: 'sent' });
      emitConversation(message.conversationId!);
    },
    sentElsewhere: (message) => {
      events.emit('messageStatus', { id: message.id, conversationId: message.conversationId, seq: null, status: 'sent' });
      emitConversation(message.conversationId!);
    },
    mediaRef: () => mediaRef,
    failed: (item, reason) =>
      events.emit('messageStatus', {
        id: writtenId(store.me, item.clientId),
        conversationId: item.conversationId,
        seq: null,
        status: 'failed',
        error: reason,
      }),
    conversationCreated: emitConversation,
    log,
  });

  const catchUp = createCatchUp(store, connection, {
    stored: (conversationId, haveSeq, last) => {
      scheduleDelivered(conversationId, haveSeq);
      autoSave.scan(conversationId);
      if (last) emitConversation(conversationId);
    },
    progress: (state, behind) => events.emit('sync', { state, behind }),
  });

  /** "A device stored it": one cumulative receipt per conversation, coalesced over a few ms. */
  function scheduleDelivered(conversationId: string, seq: number) {
    if (seq <= (pendingDelivered.get(conversationId) ?? 0)) return;
    pendingDelivered.set(conversationId, seq);
    deliveredTimer ??= setTimeout(() => {
      deliveredTimer = null;
      for (const [id, upTo] of pendingDelivered) {
        connection.request('receipt', { conversationId: id, type: 'delivered', seq: upTo }).catch(() => {
          /* sent again after the next catch-up */
        });
      }
      pendingDelivered.clear();
    }, DELIVERED_FLUSH_MS);
  }

  async function onOnline() {
    try {
      const { me, conversations } = await connection.request('sync', {});
      if (stopped) return;
      if (store.me && store.me !== me.address) {
        connection.stop();
        events.emit('connectionStatus', {
          state: 'authFailed',
          reason: `this data directory belongs to ${store.me}, but the token is ${me.address}'s`,
        });
        return;
      }
      if (!store.me) store.setMe(me.address);
      const localRead = new Map(store.conversations.all().map((c) => [c.id, c.readSeq]));
      store.upsertConversations(conversations);
      for (const c of conversations) {
        const mine = c.participants.find((p) => p.address === me.address);
        const read = localRead.get(c.id) ?? 0;
        // Read here while offline: tell the server (and through it my other devices).
        if (read > (mine?.readSeq ?? 0)) sendRead(c.id, read);
        // A delivered receipt lost with the connection is sent again.
        const have = store.conversations.haveSeq(c.id) ?? 0;
        if (have > (mine?.deliveredSeq ?? 0)) scheduleDelivered(c.id, have);
        emitConversation(c.id);
      }
      outbox.kick();
      autoSave.resume();
      await catchUp.run();
    } catch (error) {
      if (!stopped && !(error instanceof ParleyError && error.code === 'unavailable')) log('sync failed', error);
    }
  }

  function sendRead(conversationId: string, seq: number): void {
    connection.request('receipt', { conversationId, type: 'read', seq }).catch(() => {
      /* the next sync compares read marks again */
    });
  }

  /**
   * Starts catch-up without waiting on it. It rejects when the link drops mid-pass (issue 12: left
   * unhandled, that took the host process down): the reconnect's onOnline runs catch-up again, and
   * any other failure is logged and retried by the next push that finds a gap.
   */
  function catchUpSoon(): void {
    catchUp.run().catch((error: unknown) => {
      if (!stopped && !(error instanceof ParleyError && error.code === 'unavailable')) log('catch-up failed', error);
    });
  }

  /** Starts a transfer without waiting on it; its failures arrive as its state (fileProgress, changed). */
  function startTransfer(id: string): void {
    transfers.start(id).catch((error: unknown) => log(`file transfer ${id} did not start`, error));
  }

  function onEvent(event: ConversationEvent) {
    const known = store.conversations.get(event.conversationId);
    const { inserted, have } = store.ingest([event], true);
    if (!known) return catchUpSoon(); // added to a conversation we have not heard of yet
    if (inserted.length === 0) return;
    const haveSeq = have.get(event.conversationId) ?? 0;
    if (haveSeq < event.seq - 1 || event.seq > known.lastSeq + 1) catchUpSoon();
    if (event.type === 'message') {
      const message = views.message(event.conversationId, event.seq);
      if (message) events.emit('message', message);
      if (message?.file) {
        events.emit('file', message);
        // A conversation that saves its files gets this one in its folder, not the download dir.
        if (autoSave.covers(event.conversationId)) autoSave.scan(event.conversationId);
        else transfers.arrived(message);
      }
      if (event.sender !== store.me) scheduleDelivered(event.conversationId, haveSeq);
    }
    emitConversation(event.conversationId);
  }

  function onReceipt(receipt: Receipt) {
    for (const message of views.applyReceipt(receipt)) {
      events.emit('messageStatus', {
        id: message.id,
        conversationId: message.conversationId,
        seq: message.seq,
        status: message.status!,
      });
    }
    if (receipt.address === store.me && receipt.type === 'read') emitConversation(receipt.conversationId);
  }

  connection.onPush('event', onEvent);
  connection.onPush('receipt', onReceipt);
  connection.onPush('conversation', (conversation) => {
    store.upsertConversations([conversation]);
    emitConversation(conversation.id);
    if (conversation.lastSeq > 0) catchUpSoon();
  });
  connection.onPush('typing', (typing) => events.emit('typing', typing));
  connection.onPush('protocol:error', (error) => log(`the server refused a message: ${error.code}: ${error.message}`));

  /** Requests a person is waiting on ride out a connection attempt in progress instead of failing at once. */
  function whenOnline(timeoutMs = 10_000): Promise<void> {
    const offline = () => new ParleyError('unavailable', 'Parley is offline; this needs the server');
    if (connection.online) return Promise.resolve();
    if (connection.status.state !== 'connecting') return Promise.reject(offline());
    return new Promise((resolve, reject) => {
      const off = events.on('connectionStatus', (status) => {
        if (status.state === 'connecting') return;
        settle();
        if (status.state === 'online') resolve();
        else reject(offline());
      });
      const timer = setTimeout(() => {
        settle();
        reject(offline());
      }, timeoutMs);
      const settle = () => {
        off();
        clearTimeout(timer);
      };
    });
  }

  function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw invalidPayload(what, parsed.error);
    return parsed.data;
  }

  /** A known conversation, or a peer whose direct conversation may not exist yet. */
  function destination(to: Destination): { conversationId: string | null; peer: string | null } {
    if ('conversationId' in to) {
      if (!store.conversations.get(to.conversationId)) {
        throw new ParleyError('not_found', `no conversation ${to.conversationId} on this device`);
      }
      return { conversationId: to.conversationId, peer: null };
    }
    const peer = check(Address, to.peer, 'peer');
    if (peer === store.me) throw new ParleyError('bad_request', 'a direct conversation needs someone else');
    return { conversationId: store.conversations.findDirect(peer), peer };
  }

  const transferId = (file: unknown): string => {
    const id = (file as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw new ParleyError('bad_request', 'pass a file transfer (an object with its id)');
    return id;
  };

  /** sendFile with the clientId given: watched folders journal it before the message is stored. */
  async function sendFileAs(to: Destination, path: string, options: SendFileOptions, clientId: string): Promise<Message> {
    const { message: caption = '', ...extra } = check(SendFileOptionsSchema, options, 'file options');

    const { conversationId, peer } = destination(to);
    const file = await inspectFile(path, maxFileBytes);
    const mime = await sniffMime(file.path, file.name);
    // No preview is no reason not to send: the receiver shows a type icon instead.
    const preview = canPreview(mime)
      ? await makePreview(file.path).catch((error: unknown) => {
          log(`no preview for ${file.name}`, error);
          return undefined;
        })
      : undefined;
    if (stopped) throw new ParleyError('bad_request', 'this client was stopped; create a new one');
    const upload = transfers.forUpload(file, mime, { messageId: writtenId(store.me, clientId), conversationId });
    const info: MessageFile = { name: file.name, size: file.size, mime, ...extra, ...(preview ? { preview } : {}) };
    store.outbox.add({ clientId, conversationId, peer, body: caption, createdAt: Date.now(), file: { info, upload: upload.id } });
    startTransfer(upload.id);
    // Read after the start: the message shows its upload running.
    const message = views.pending(store.outbox.get(clientId)!);
    events.emit('messageStatus', { id: message.id, conversationId, seq: null, status: 'sending' });
    return message;
  }

  /** Folders that hold the engine's store, downloads and staging: never watched, never saved into. */
  const ownData = (path: string) =>
    within(path, options.dataDir) || within(options.dataDir, path) ? `${path} holds this app's own data; choose another folder` : null;

  const autoSave = createAutoSave({
    store,
    refused: (dir) => {
      const watched = folders.covering(dir);
      return watched ? `${dir} is a watched folder: files saved there would be sent back` : ownData(dir);
    },
    forDownload: (url, file, dir) => transfers.forDownload(url, file, dir),
    start: (id) => transfers.start(id),
    unfinished: () => transfers.unfinished(),
    log,
  });

  const folders = createFolders({
    journal: createJournal(store),
    emit: (event, payload) => events.emit(event, payload as EngineEvents[typeof event]),
    me: () => store.me,
    conversationExists: (id) => store.conversations.get(id) !== null,
    sendFileAs: async (conversationId, path, clientId) => void (await sendFileAs({ conversationId }, path, {}, clientId)),
    resumeOutbox: (clientId) => {
      const retried = store.outbox.retry(clientId);
      if (retried?.upload && transfers.get(retried.upload)?.state !== 'done') startTransfer(retried.upload);
      outbox.kick();
    },
    reserved: (path, subfolders) => {
      const saving = autoSave.all().find(({ dir }) => dir === path || (subfolders && within(path, dir)));
      if (saving) return `incoming files are saved into ${saving.dir}: watching it would send them back`;
      return ownData(path);
    },
    log,
    ...(options.folders ? { tuning: options.folders } : {}),
  });
  events.on('messageStatus', (change) => folders.messageStatus(change));

  return {
    on<K extends keyof EngineEvents>(event: K, listener: (payload: EngineEvents[K]) => void): Unsubscribe {
      return events.on(event, listener);
    },
    get status() {
      return connection.status;
    },
    get me() {
      return store.me;
    },
    get deviceId() {
      return deviceId!;
    },
    start(): void {
      if (stopped) throw new ParleyError('bad_request', 'this client was stopped; create a new one');
      connection.start();
      folders.start();
    },
    /** Disconnects and closes the store; anything unsent stays in the outbox for next time. */
    stop(): void {
      if (stopped) return;
      stopped = true;
      folders.stop();
      autoSave.stop();
      outbox.stop();
      transfers.close();
      if (deliveredTimer) clearTimeout(deliveredTimer);
      connection.stop();
      events.clear();
      store.close();
    },

    /** Stores the message and returns it with status "sending"; the outbox delivers it. */
    sendMessage(to: Destination, text: string): Message {
      const body = check(Body, text, 'message');
      const { conversationId, peer } = destination(to);
      const message = views.pending(store.outbox.add({ clientId: randomUUID(), conversationId, peer, body, createdAt: Date.now() }));
      events.emit('messageStatus', { id: message.id, conversationId, seq: null, status: 'sending' });
      outbox.kick();
      return message;
    },

    /**
     * The seed's sendFile: the message is stored and returned with status "sending" and its upload
     * running (fileProgress tells how far); once the upload is done the outbox sends it with the
     * file's URL, name, size, MIME type (from its content), sha256 and, for images, a preview.
     * Messages written meanwhile do not wait for the upload (see outbox.ts).
     */
    sendFile(to: Destination, path: string, options: SendFileOptions = {}): Promise<Message> {
      return sendFileAs(to, path, options, randomUUID());
    },

    /**
     * Binds a folder to a conversation: files that land there (complete, under a final name) are
     * sent once each, then kept, moved into its Sent subfolder (the default) or deleted.
     */
    watchFolder(path: string, conversationId: string, options: WatchFolderOptions = {}): Promise<WatchedFolder> {
      return folders.watch(path, conversationId, options);
    },
    /** Stops watching; files not yet sent stay in the folder. */
    unwatchFolder(id: string): Promise<void> {
      return folders.unwatch(id);
    },
    listWatchedFolders(): WatchedFolder[] {
      return folders.list();
    },
    /** Changes includeSubfolders, afterSend or resendChanged of a binding. */
    updateWatchedFolder(id: string, options: Omit<WatchFolderOptions, 'includeExisting'>): Promise<WatchedFolder> {
      return folders.update(id, options);
    },
    /** The files a binding sent most recently, newest first. */
    recentFolderFiles(id: string, limit?: number): FolderSentFile[] {
      return folders.recent(id, limit);
    },
    pauseWatchedFolder(id: string): Promise<WatchedFolder> {
      return folders.pause(id);
    },
    resumeWatchedFolder(id: string): WatchedFolder {
      return folders.resume(id);
    },
    /** Resolves once the watched folders have nothing pending (no file stabilising, queued, sending or due for a retry). */
    whenFoldersIdle(): Promise<void> {
      return folders.whenIdle();
    },

    /**
     * Saves the files others send to this conversation from now on into `dir` on this device (sanitised
     * names, never overwriting), or stops with null. Answers the folder used.
     */
    setSaveFolder(conversationId: string, dir: string | null): string | null {
      return autoSave.set(conversationId, dir);
    },
    getSaveFolder(conversationId: string): string | null {
      return autoSave.get(conversationId);
    },

    /** Sends a failed message again, with the same clientId; a file whose upload failed resumes it. */
    retryMessage(id: string): void {
      const clientId = clientIdOf(id);
      const retried = clientId === null ? null : store.outbox.retry(clientId);
      if (!retried) throw new ParleyError('not_found', `no failed message ${id}`);
      if (retried.upload && transfers.get(retried.upload)?.state !== 'done') startTransfer(retried.upload);
      events.emit('messageStatus', { id, conversationId: null, seq: null, status: 'sending' });
      outbox.kick();
    },

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
      if (keys === null) return void (mediaRef = null);
      parseMediaRefSend(keys, account); // throws, naming the key at fault; each send expands the keys as given
      mediaRef = { keys: keys as MediaRefSendKeys, account: account! };
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

    readConversations(): ConversationSummary[] {
      return views.conversations();
    },
    readConversation(id: string): ConversationSummary | null {
      return views.conversation(id);
    },
    /** Unread over the conversations that are not muted (the app badge); unread events carry it as it changes. */
    unreadTotal(): number {
      return views.totalUnread();
    },

    /** Mutes or unmutes a conversation on this device; conversation and unread events follow. */
    setConversationMuted(conversationId: string, muted: boolean): ConversationSummary {
      if (!store.conversations.get(conversationId)) throw new ParleyError('not_found', `no conversation ${conversationId} on this device`);
      store.prefs.setMuted(conversationId, muted);
      emitConversation(conversationId);
      return views.conversation(conversationId)!;
    },

    readMessages(conversationId: string, options: { beforeSeq?: number; limit?: number } = {}): Message[] {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), MAX_PAGE);
      return views.page(conversationId, options.beforeSeq, limit);
    },
    /** A message by its id, as readMessages gives it (with its file and latest transfer); null when not on this device. */
    getMessage(id: string): Message | null {
      return views.byId(id);
    },

    markRead(conversationId: string, seq: number): void {
      if (!Number.isSafeInteger(seq) || seq < 1) throw new ParleyError('bad_request', 'seq is a positive integer');
      const conversation = store.conversations.get(conversationId);
      if (!conversation || seq <= conversation.readSeq) return;
      store.conversations.setRead(conversationId, Math.min(seq, conversation.lastSeq));
      emitConversation(conversationId);
      const readSeq = store.conversations.get(conversationId)!.readSeq;
      if (connection.online) sendRead(conversationId, readSeq);
    },

    async createConversation(request: {
      participants: string[];
      type: ConversationType;
      title?: string;
      distinct?: boolean;
    }): Promise<ConversationSummary> {
      await whenOnline();
      const conversation = await connection.request('conversation:create', request);
      store.upsertConversations([conversation]);
      emitConversation(conversation.id);
      if (conversation.lastSeq > 0) catchUpSoon();
      return views.conversation(conversation.id)!;
    },

    setTyping(conversationId: string): void {
      const now = Date.now();
      if (now - (lastTyping.get(conversationId) ?? 0) < TYPING_EVERY_MS) return;
      lastTyping.set(conversationId, now);
      connection.signal('typing', { conversationId });
    },

    async searchUsers(query: string, limit = 20) {
      await whenOnline();
      return (await connection.request('users:search', { query, limit })).users;
    },

    /** Resolves when no catch-up pass is running (or at once when offline). */
    caughtUp(): Promise<void> {
      return connection.online ? catchUp.run() : Promise.resolve();
    },

    /**
     * Resolves once the engine has nothing in hand: the sync after connecting done, no catch-up pass
     * running, no outbox pass sending, no save-folder download running. What a test waits for before
     * it asserts that nothing else happened; not a promise that nothing will (a push may come next).
     */
    async idle(): Promise<void> {
      while (syncing) await syncing;
      await (connection.online ? catchUp.run() : undefined);
      await outbox.idle();
      await autoSave.idle();
    },
  };
}
