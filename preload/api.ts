// The one contract between the renderer and the host (Electron main or the browser host), exposed as
// `window.parley`: every request with its argument and result, every event with its payload.
// Argument types come from their schemas in api-args.ts; results and events are the engine's types.
import type { z } from 'zod';
import type { Address, ErrorCode, User } from '../protocol/index.js';
import type { requestArgs } from './api-args.js';
import type {
  ClientEvents,
  ConnectionStatus,
  ConversationSummary,
  FileEvents,
  FileTransfer,
  FolderEvents,
  FolderSentFile,
  Message,
  WatchedFolder,
} from '../main/core/types.js';

export type {
  ConnectionStatus,
  ConversationSummary,
  FileProgress,
  FileTransfer,
  FolderFileSent,
  FolderSentFile,
  FolderStatus,
  Message,
  MessageFile,
  MessageStatus,
  MessageStatusChange,
  WatchedFolder,
  WatchFolderOptions,
} from '../main/core/types.js';
export type { Address, ErrorCode, User };

export type RequestName = keyof typeof requestArgs;
export type RequestArg<K extends RequestName> = z.infer<(typeof requestArgs)[K]>;

export interface AppInfo {
  version: string;
  platform: string;
  host: 'electron' | 'browser';
}

export interface DemoUser {
  address: Address;
  name: string;
}

export type SessionState =
  | {
      state: 'signedOut';
      /** Why the last session ended (token revoked, signed out), for the sign-in screen. */
      reason: string | null;
      /** The server URL to offer, e.g. the embedded server's. */
      serverUrl: string | null;
      /** The embedded server's demo users, when there is one. */
      demoUsers: DemoUser[];
    }
  | {
      state: 'signedIn';
      me: Address;
      serverUrl: string;
      demoUsers: DemoUser[];
      /** The engine's link to the server right now; connectionStatus events follow its changes. */
      connection: ConnectionStatus;
    };

/** A file the user picked, dropped or pasted, held by the host until sendFile names its id. */
export interface StagedFile {
  id: string;
  name: string;
  size: number;
}

/**
 * A folder the user picked (the host's own dialog, or a typed path in the browser host) or dropped,
 * held by the host until watchFolder or setSaveFolder names its id. The path is there to show.
 */
export interface StagedFolder {
  id: string;
  name: string;
  path: string;
}

/** How many recently sent files a watched folder carries (and the renderer keeps as more are sent). */
export const RECENT_FOLDER_FILES = 8;

/** A watched folder with the files it sent most recently (newest first). */
export interface WatchedFolderView extends WatchedFolder {
  recent: FolderSentFile[];
}

/** Electron opens the file itself (or answers a URL for the viewer); the browser host answers a URL for the page to open. */
export type OpenFileResult = { opened: true } | { url: string };

/** Electron saves the copy where the user picked (or they canceled); the browser host answers a download URL. */
export type SaveFileResult = { saved: true } | { canceled: true } | { url: string };

export type FileSettings = RequestArg<'setFileSettings'>;
export type DesktopSettings = RequestArg<'setDesktopSettings'>;

/** What each request answers. */
export interface RequestResults {
  getAppInfo: AppInfo;
  getSession: SessionState;
  signIn: SessionState;
  signInDemo: SessionState;
  signOut: SessionState;
  listConversations: ConversationSummary[];
  createConversation: ConversationSummary;
  readMessages: Message[];
  sendMessage: Message;
  retryMessage: void;
  markRead: void;
  setTyping: void;
  searchUsers: User[];
  sendFile: Message;
  startFileTransfer: void;
  stopFileTransfer: FileTransfer;
  downloadFile: FileTransfer;
  openFile: OpenFileResult;
  showFileInFolder: OpenFileResult;
  saveFileAs: SaveFileResult;
  getFileSettings: FileSettings;
  setFileSettings: FileSettings;
  chooseFolder: StagedFolder | null;
  listWatchedFolders: WatchedFolderView[];
  watchFolder: WatchedFolderView;
  updateWatchedFolder: WatchedFolderView;
  pauseWatchedFolder: WatchedFolderView;
  resumeWatchedFolder: WatchedFolderView;
  unwatchFolder: void;
  getSaveFolder: string | null;
  setSaveFolder: string | null;
  setConversationMuted: ConversationSummary;
  getDesktopSettings: DesktopSettings;
  setDesktopSettings: DesktopSettings;
}

/** Every event the renderer may subscribe to. */
export interface BridgeEvents extends ClientEvents, FileEvents, FolderEvents {
  session: SessionState;
  /** The host asks to show a conversation: a parley:// link or a notification was clicked. */
  openConversation: { conversationId: string };
}
export type EventName = keyof BridgeEvents;

export const requestNames = [
  'getAppInfo',
  'getSession',
  'signIn',
  'signInDemo',
  'signOut',
  'listConversations',
  'createConversation',
  'readMessages',
  'sendMessage',
  'retryMessage',
  'markRead',
  'setTyping',
  'searchUsers',
  'sendFile',
  'startFileTransfer',
  'stopFileTransfer',
  'downloadFile',
  'openFile',
  'showFileInFolder',
  'saveFileAs',
  'getFileSettings',
  'setFileSettings',
  'chooseFolder',
  'listWatchedFolders',
  'watchFolder',
  'updateWatchedFolder',
  'pauseWatchedFolder',
  'resumeWatchedFolder',
  'unwatchFolder',
  'getSaveFolder',
  'setSaveFolder',
  'setConversationMuted',
  'getDesktopSettings',
  'setDesktopSettings',
] as const satisfies readonly RequestName[];
export const eventNames = [
  'session',
  'connectionStatus',
  'message',
  'messageStatus',
  'conversation',
  'unread',
  'typing',
  'sync',
  'file',
  'fileProgress',
  'folderStatus',
  'folderFileSent',
  'openConversation',
] as const satisfies readonly EventName[];
// A request or event added to the contract and not to these lists fails here.
const allListed: [Exclude<RequestName, (typeof requestNames)[number]>, Exclude<EventName, (typeof eventNames)[number]>] extends [never, never]
  ? true
  : never = true;
void allListed;

/** How a request's outcome crosses the bridge: errors keep their code, whichever host carries them. */
export type BridgeReply<T> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string } };

export type Unsubscribe = () => void;

type Arg<K extends RequestName> = undefined extends RequestArg<K> ? [arg?: RequestArg<K>] : [arg: RequestArg<K>];
type Subscribe = <E extends EventName>(event: E, listener: (payload: BridgeEvents[E]) => void) => Unsubscribe;

/**
 * Hands files the user picked, dropped or pasted to the host, which keeps them under ids for sendFile.
 * Not a request: it carries File objects (their paths stay in the preload, their bytes go to the host).
 */
type StageFiles = (files: File[]) => Promise<BridgeReply<StagedFile[]>>;
/** The same for a folder dragged from the file manager (a File whose path is a folder): only Electron has its path. */
type StageFolder = (folder: File) => Promise<BridgeReply<StagedFolder>>;

/**
 * What the preload exposes as `window.parley` (and the browser host's client provides): replies, not
 * thrown errors, because an Error crossing contextBridge loses everything but its message.
 */
export type ParleyBridge = {
  readonly [K in RequestName]: (...arg: Arg<K>) => Promise<BridgeReply<RequestResults[K]>>;
} & { readonly on: Subscribe; readonly stageFiles: StageFiles; readonly stageFolder: StageFolder };

/** What the renderer uses: each request resolves with its result or rejects with a BridgeError. */
export type ParleyApi = {
  readonly [K in RequestName]: (...arg: Arg<K>) => Promise<RequestResults[K]>;
} & {
  /** Subscribes to one event; the returned function unsubscribes. */
  readonly on: Subscribe;
  readonly stageFiles: (files: File[]) => Promise<StagedFile[]>;
  readonly stageFolder: (folder: File) => Promise<StagedFolder>;
};

/** The error a request rejects with: the host's error code and message. */
export class BridgeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

function unwrap<T>(reply: BridgeReply<T>): T {
  if (reply.ok) return reply.data;
  throw new BridgeError(reply.error.code, reply.error.message);
}

export function toApi(bridge: ParleyBridge): ParleyApi {
  const api: Record<string, unknown> = {
    on: bridge.on,
    stageFiles: async (files: File[]) => unwrap(await bridge.stageFiles(files)),
    stageFolder: async (folder: File) => unwrap(await bridge.stageFolder(folder)),
  };
  for (const name of requestNames) {
    api[name] = async (arg?: unknown) => unwrap(await (bridge[name] as (arg?: unknown) => Promise<BridgeReply<unknown>>)(arg));
  }
  return api as ParleyApi;
}
