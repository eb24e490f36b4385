// The client engine's composition root: a local store that answers at once, a connection that keeps
// it in step with the server, and the seeds' API on top (sendMessage, sendFile, readConversations,
// the file transfer helpers, onMessage…). Each subsystem gets what it needs by name; the public API
// is their APIs side by side. Nothing here depends on the order the subsystems are made in, but for
// the one pair that asks each other about folders (watched folders and save folders).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Emitter, type Unsubscribe } from '../../common/emitter.js';
import { DEFAULT_MAX_FILE_BYTES, ParleyError } from '../../protocol/index.js';
import { createAnnounce } from './announce.js';
import { createConversationApi } from './conversations.js';
import { createGroupApi } from './groups.js';
import type { EngineContext } from './context.js';
import { createAutoSave, type SaveFolderLimits } from './files/auto-save.js';
import { createFileApi } from './files/file-api.js';
import { prepareDir } from './files/local-file.js';
import { createTransfers } from './files/transfers.js';
import { createFolderApi } from './folders/api.js';
import { createJournal } from './folders/journal.js';
import { engineLimits, type EngineLimits } from './limits.js';
import { createFolders, within, type FolderTuning } from './folders/manager.js';
import { createMessageActions } from './messages/actions.js';
import { writtenId } from './messages/id.js';
import { createSending } from './messages/send.js';
import { createViews } from './messages/views.js';
import { createConnection } from './net/connection.js';
import { createOutbox } from './outbox.js';
import { openStore } from './store/index.js';
import { createCatchUp } from './sync/catch-up.js';
import { createHiddenSync } from './sync/hidden.js';
import { followPushes } from './sync/live.js';
import { syncOnConnect } from './sync/on-connect.js';
import { createReceipts } from './sync/receipts.js';
import { createAvatars } from './people/avatars.js';
import { createPresenceTracker } from './people/presence.js';
import { createProfiles } from './people/profile.js';
import type { Participant } from '../../protocol/index.js';
import { createIndexer } from './search/indexer.js';
import { createSearch } from './search/search.js';
import type { EngineEvents } from './types.js';

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
  /** What save folders download without asking (default: up to 100 MiB, from the Parley server's /files/ only); setSaveFolderLimits changes it. */
  saveFolders?: Partial<SaveFolderLimits>;
  /** Bounds on what the engine takes from a server (max seq jump, pages per catch-up pass, frame size). */
  limits?: Partial<EngineLimits>;
}

export type Client = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const log = options.log ?? ((message, detail) => console.warn(`[parley] ${message}`, detail ?? ''));
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const limits = engineLimits(options.limits);
  let stopped = false;
  const isStopped = () => stopped;

  const events = new Emitter<EngineEvents>((error) => log('an event listener threw', error));
  const store = openStore(options.dataDir);
  store.init();
  const views = createViews(store);
  const announce = createAnnounce(events, views);
  let deviceId = store.prefs.meta('deviceId');
  if (!deviceId) store.prefs.setMeta('deviceId', (deviceId = randomUUID()));

  const connection = createConnection({
    serverUrl: options.serverUrl,
    token: options.token,
    deviceId,
    ...options.backoff,
    maxFrameBytes: limits.maxFrameBytes,
    onStatus: (status) => events.emit('connectionStatus', status),
    onInvalidPush: (name, problem) => log(`ignored a malformed "${name}" from the server: ${problem}`),
    idle: () => !presence.active,
  });
  const context: EngineContext = { store, views, events, announce, connection, stopped: isStopped, log };
  const receipts = createReceipts(connection);
  const presence = createPresenceTracker(context);
  const avatars = createAvatars({ ...context, dir: join(options.dataDir, 'avatars'), serverUrl: options.serverUrl, token: options.token });
  const profiles = createProfiles({ ...context, avatars, serverUrl: options.serverUrl, token: options.token, dir: join(options.dataDir, 'avatars') });
  // Who has which avatar comes with the participants of every conversation stored or announced.
  const learnAvatars = (participants: readonly Participant[]) => participants.forEach((p) => avatars.learn(p.address, p.avatar));
  for (const c of store.conversations.all()) learnAvatars(c.participants);
  events.on('conversation', (c) => learnAvatars(c.participants));

  // The outbox's hooks name messageActions and hidden, made after it (they need the outbox to queue).
  const outbox = createOutbox(store, views, connection, {
    sent: (message) => {
      announce.status({ id: message.id, conversationId: message.conversationId, seq: message.seq, status: 'sent' });
      announce.conversation(message.conversationId!);
    },
    sentElsewhere: (message) => {
      announce.status({ id: message.id, conversationId: message.conversationId, seq: null, status: 'sent' });
      announce.conversation(message.conversationId!);
    },
    failed: (item, error, dropped) => {
      if (item.action !== null) return messageActions.refused(item.target!, item.action, error);
      // The actions that waited for it went with it: the message shows without them.
      if (dropped) messageActions.changed(writtenId(store.me, item.clientId));
      announce.status({ id: writtenId(store.me, item.clientId), conversationId: item.conversationId, seq: null, status: 'failed', error: error.message });
    },
    // The message as stored now (the action applied, or passed over when it came too late), no longer from the outbox.
    actionSent: (item) => {
      if (item.target !== null && views.byId(item.target)) messageActions.changed(item.target);
      if (item.conversationId) announce.conversation(item.conversationId);
    },
    hidden: (version, conversationId, seqs) => hidden.acked(version, conversationId, seqs),
    conversationCreated: announce.conversation,
    log,
  });

  const transfers = createTransfers({
    store,
    serverUrl: options.serverUrl,
    token: options.token,
    // The default download dir is inside the data dir and private like it (0700); one the host names is its own.
    downloadDir: options.downloadDir ? prepareDir(options.downloadDir) : prepareDir(join(options.dataDir, 'downloads'), 0o700),
    autoDownloadImages: options.autoDownloadImages ?? 0,
    log,
    progress: (progress) => events.emit('fileProgress', progress),
    changed: (transfer) => {
      if (transfer.type !== 'upload') return;
      // My file messages follow their upload: failed with it, sending again when it runs, sent once done.
      if (transfer.state === 'running') for (const r of store.outbox.resumeUpload(transfer.id)) announce.statusOf(views.pending(r));
      if (transfer.state === 'failed') for (const r of store.outbox.failUpload(transfer.id, transfer.error!)) announce.statusOf(views.pending(r));
      if (transfer.state === 'done') outbox.kick();
    },
  });
  const sending = createSending({ ...context, outbox, transfers, maxFileBytes });
  const messageActions = createMessageActions({ ...context, outbox });
  const hidden = createHiddenSync({ ...context, actions: messageActions });

  /** Folders that hold the engine's store, downloads and staging: never watched, never saved into. */
  const ownData = (path: string) =>
    within(path, options.dataDir) || within(options.dataDir, path) ? `${path} holds this app's own data; choose another folder` : null;
  // Watched folders and save folders refuse each other's folders (a saved file would be sent back):
  // each asks the other only when a person chooses a folder, long after both exist.
  const autoSave = createAutoSave({
    store,
    serverUrl: options.serverUrl,
    ...(options.saveFolders ? { limits: options.saveFolders } : {}),
    refused: (dir) => (folders.covering(dir) ? `${dir} is a watched folder: files saved there would be sent back` : ownData(dir)),
    forDownload: (url, file, dir) => transfers.forDownload(url, file, dir),
    start: (id, auto) => transfers.start(id, auto),
    unfinished: () => transfers.unfinished(),
    log,
  });
  const folders = createFolders({
    journal: createJournal(store),
    emit: (event, payload) => events.emit(event, payload as EngineEvents[typeof event]),
    me: () => store.me,
    conversationExists: (id) => store.conversations.get(id) !== null,
    sendFileAs: async (conversationId, path, clientId) => void (await sending.sendFileAs({ conversationId }, path, {}, clientId)),
    resumeOutbox: sending.resumeOutbox,
    reserved: (path, subfolders) => {
      const saving = autoSave.all().find(({ dir }) => dir === path || (subfolders && within(path, dir)));
      return saving ? `incoming files are saved into ${saving.dir}: watching it would send them back` : ownData(path);
    },
    log,
    ...(options.folders ? { tuning: options.folders } : {}),
  });
  events.on('messageStatus', (change) => folders.messageStatus(change));

  const catchUp = createCatchUp(store, connection, {
    stored: (conversationId, haveSeq, last) => {
      receipts.delivered(conversationId, haveSeq);
      autoSave.scan(conversationId);
      if (last) announce.conversation(conversationId);
    },
    progress: (state, behind) => events.emit('sync', { state, behind }),
    log,
  }, limits);
  followPushes({ ...context, maxSeqJump: limits.maxSeqJump, receipts, catchUp, autoSave, transfers, hidden });
  const indexer = createIndexer({ store, busy: catchUp.busy, progress: (progress) => events.emit('searchProgress', progress), log });
  // Every path that stores messages announces their conversation; catch-up's end lets the index follow.
  events.on('conversation', () => indexer.kick());
  events.on('sync', (s) => s.state === 'done' && indexer.kick());
  const { search } = createSearch(store, indexer);
    const onConnect = syncOnConnect({ ...context, receipts, outbox, autoSave, catchUp, presence, profiles, hidden });

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
      return deviceId;
    },
    start(): void {
      if (stopped) throw new ParleyError('bad_request', 'this client was stopped; create a new one');
      connection.start();
      folders.start();
      indexer.kick();
    },
    /** Disconnects and closes the store; anything unsent stays in the outbox for next time. */
    stop(): void {
      if (stopped) return;
      stopped = true;
      folders.stop();
      indexer.stop();
      autoSave.stop();
      outbox.stop();
      transfers.close();
      receipts.stop();
      connection.stop();
      events.clear();
      store.close();
    },
    sendMessage: sending.sendMessage,
    editMessage: messageActions.editMessage,
    deleteMessage: messageActions.deleteMessage,
    react: messageActions.react,
    sendFile: sending.sendFile,
    retryMessage: sending.retryMessage,
    ...createConversationApi({ ...context, receipts, catchUp }),
    ...createGroupApi({ ...context, catchUp }),
    ...createFileApi(transfers, outbox, maxFileBytes),
    ...createFolderApi(folders, autoSave),
    /** Local full-text search over this device's history; nothing about the query leaves it. */
    search,
    /** Resolves once every stored message is in the search index. */
    searchSettled: () => indexer.settled(),

    /** The presence of the people I share a conversation with, as last told. */
    readPresence: presence.read,
    /** This device is in use (true) or idle: presence follows. */
    setActivity: presence.setActivity,
    getProfile: profiles.getProfile,
    setProfile: profiles.setProfile,
    setAvatar: profiles.setAvatar,
    readAvatars: avatars.all,

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
      await onConnect.idle();
      await catchUp.idle();
      await outbox.idle();
      await autoSave.idle();
      await avatars.idle();
    },
  };
}
