// The one handler table behind the contract, shared by the Electron host and the browser host.
// Arguments arrive already checked against contract/requests.ts's schemas (see dispatch.ts).
import type { DesktopSettings, RequestArg, RequestName, RequestResult } from '../../contract/requests.js';
import { RECENT_FOLDER_FILES, type AppInfo, type OpenFileResult, type SaveFileResult, type UpdateState, type WatchedFolderView } from '../../contract/types.js';
import { ParleyError, type Client, type FileTransfer, type WatchedFolder } from '../core/index.js';
import { fileUrl, localFile, type LocalFile } from './local-files.js';
import type { Session } from './session.js';
import type { Staging } from './staging.js';

export type Handlers = {
  [K in RequestName]: (arg: RequestArg<K>) => RequestResult<K> | Promise<RequestResult<K>>;
};

/**
 * How the host shows a file on this device (always a path the engine saved or sent). Electron opens
 * it with the shell, or for 'view' answers a URL to an image the page shows itself; the browser host
 * cannot open files, so the page gets a URL to the host's copy.
 */
export type RevealFile = (transfer: LocalFile, how: 'open' | 'view' | 'folder') => OpenFileResult | Promise<OpenFileResult>;

/** How the host saves a copy of such a file: Electron asks where and copies it; the browser host answers a download URL. */
export type SaveFileAs = (transfer: LocalFile) => SaveFileResult | Promise<SaveFileResult>;

/**
 * How the host lets the user choose a folder: Electron shows its own dialog (null when canceled) and
 * refuses a typed path; the browser host, which has no dialog, takes the path the user typed.
 */
export type ChooseFolder = (typedPath: string | undefined) => Promise<string | null>;

/** The desktop integration's settings, which only the Electron host has. */
export interface DesktopHost {
  settings(): DesktopSettings;
  setSettings(settings: DesktopSettings): DesktopSettings;
}

/** The app's own update, which only the Electron host has (main/electron/updates.ts). */
export interface UpdateHost {
  state(): UpdateState;
  check(): Promise<UpdateState>;
  download(): Promise<UpdateState>;
  install(): void;
}

export interface HandlerDeps {
  session: Session;
  appInfo: AppInfo;
  staging: Staging;
  reveal: RevealFile;
  saveAs: SaveFileAs;
  chooseFolder: ChooseFolder;
  desktop?: DesktopHost;
  updates?: UpdateHost;
  log(message: string, detail?: unknown): void;
}

export function createHandlers({ session, appInfo, staging, reveal, saveAs, chooseFolder, desktop, updates, log }: HandlerDeps): Handlers {
  const client = () => session.client();
  // Answers once started (an unknown id throws here, at once); the transfer reports its own failure
  // as its state, so a rejection left is a bug to log, not one to crash on.
  const startSoon = (engine: Client, transfer: Pick<FileTransfer, 'id'>): void => {
    engine.startFileTransfer(transfer).catch((error: unknown) => log(`file transfer ${transfer.id} broke`, error));
  };
  const withRecent = (engine: Client, folder: WatchedFolder): WatchedFolderView => ({ ...folder, recent: engine.recentFolderFiles(folder.id, RECENT_FOLDER_FILES) });
  const folderView = async (change: (engine: Client) => WatchedFolder | Promise<WatchedFolder>) => {
    const engine = client();
    return withRecent(engine, await change(engine));
  };
  const desktopHost = () => {
    if (!desktop) throw new ParleyError('unavailable', 'desktop settings exist only in the Parley desktop app');
    return desktop;
  };
  const updateHost = () => {
    if (!updates) throw new ParleyError('unavailable', 'only an installed Parley desktop app updates itself; this one runs from its sources');
    return updates;
  };
  return {
    getAppInfo: () => appInfo,
    getSession: () => session.state(),
    signIn: ({ serverUrl, token }) => session.signIn(serverUrl, token),
    signInDemo: ({ address }) => session.signInDemo(address),
    signOut: () => session.signOut(),
    listConversations: () => client().readConversations(),
    createConversation: (request) => client().createConversation(request),
    editConversation: ({ conversationId, ...details }) => client().editConversation(conversationId, details),
    addMembers: ({ conversationId, members }) => client().addMembers(conversationId, members),
    removeMembers: ({ conversationId, members }) => client().removeMembers(conversationId, members),
    leaveConversation: ({ conversationId }) => client().leaveConversation(conversationId),
    setMemberRole: ({ conversationId, address, role }) => client().setMemberRole(conversationId, address, role),
    readMessages: ({ conversationId, ...page }) => client().readMessages(conversationId, page),
    sendMessage: ({ conversationId, text, replyTo }) => client().sendMessage({ conversationId }, text, replyTo === undefined ? {} : { replyTo }),
    editMessage: ({ messageId, text }) => client().editMessage(messageId, text),
    deleteMessage: ({ messageId, forEveryone }) => client().deleteMessage(messageId, forEveryone),
    react: ({ messageId, emoji, on }) => client().react(messageId, emoji, on),
    retryMessage: ({ id }) => client().retryMessage(id),
    search: ({ query, ...page }) => client().search(query, page),
    markRead: ({ conversationId, seq }) => client().markRead(conversationId, seq),
    setTyping: ({ conversationId }) => client().setTyping(conversationId),
    searchUsers: ({ query }) => client().searchUsers(query),
    sendFile: ({ conversationId, stagedId, ...options }) => client().sendFile({ conversationId }, staging.take(stagedId).path, options),
    // Answers once started (an unknown id throws at once); fileProgress events tell the rest.
    startFileTransfer: ({ id }) => startSoon(client(), { id }),
    stopFileTransfer: ({ id }) => client().stopFileTransfer({ id }),
    downloadFile: async ({ messageId }) => {
      const engine = client();
      const transfer = await engine.getFileInstance('download', fileUrl(engine, messageId));
      startSoon(engine, transfer);
      return transfer;
    },
    openFile: ({ messageId, view }) => reveal(localFile(client(), messageId), view ? 'view' : 'open'),
    showFileInFolder: ({ messageId }) => reveal(localFile(client(), messageId), 'folder'),
    saveFileAs: ({ messageId }) => saveAs(localFile(client(), messageId)),
    getFileSettings: () => session.fileSettings(),
    setFileSettings: (settings) => session.setFileSettings(settings),
    chooseFolder: async (arg) => {
      const path = await chooseFolder(arg?.path);
      return path === null ? null : staging.registerFolder(path);
    },
    listWatchedFolders: () => {
      const engine = client();
      return engine.listWatchedFolders().map((folder) => withRecent(engine, folder));
    },
    watchFolder: ({ conversationId, folderId, options }) => folderView((engine) => engine.watchFolder(staging.takeFolder(folderId), conversationId, options)),
    updateWatchedFolder: ({ id, options }) => folderView((engine) => engine.updateWatchedFolder(id, options)),
    pauseWatchedFolder: ({ id }) => folderView((engine) => engine.pauseWatchedFolder(id)),
    resumeWatchedFolder: ({ id }) => folderView((engine) => engine.resumeWatchedFolder(id)),
    unwatchFolder: ({ id }) => client().unwatchFolder(id),
    getSaveFolder: ({ conversationId }) => client().getSaveFolder(conversationId),
    setSaveFolder: ({ conversationId, folderId }) => {
      const engine = client();
      return engine.setSaveFolder(conversationId, folderId === null ? null : staging.takeFolder(folderId));
    },
    setConversationMuted: ({ conversationId, muted }) => client().setConversationMuted(conversationId, muted),
    getPresence: () => client().readPresence(),
    setActivity: ({ active }) => client().setActivity(active),
    getProfile: () => client().getProfile(),
    setProfile: (change) => client().setProfile(change),
    setAvatar: ({ stagedId }) => client().setAvatar(stagedId === null ? null : staging.take(stagedId).path),
    getAvatars: () => client().readAvatars(),
    getDesktopSettings: () => desktopHost().settings(),
    setDesktopSettings: (settings) => desktopHost().setSettings(settings),
    getUpdateState: () => updateHost().state(),
    checkForUpdate: () => updateHost().check(),
    downloadUpdate: () => updateHost().download(),
    installUpdate: () => updateHost().install(),
  };
}
