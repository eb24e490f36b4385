// The renderer → host half of the contract, in one table: each request's argument schema (the
// runtime check the host applies to every call, the renderer being untrusted, and through z.infer
// the argument's type) and the type it answers. Adding a request is one entry here and one handler
// in main/bridge/handlers.ts, which fails the type-check until it exists. Only the host imports
// this module at run time; the renderer and preload take its types, so their bundles carry no zod.
import { z } from 'zod';
import { Address, Body, Caption, ConversationId, Emoji, ConversationType, DEFAULT_MAX_FILE_BYTES, Description, DisplayName, FileInfo, Role, Seq, Title, UploadAuthToken, type Presence, type User } from '../protocol/index.js';
import type {
  AppInfo,
  ConversationSummary,
  FileTransfer,
  Message,
  OpenFileResult,
  Profile,
  SaveFileResult,
  SearchResult,
  SessionState,
  StagedFolder,
  UpdateState,
  WatchedFolderView,
} from './types.js';

/** A table entry: the argument's schema, and the result's type (carried in the type only). */
interface Request<Args extends z.ZodType, Result> {
  readonly args: Args;
  readonly result?: Result;
}
const result = <T>(): T | undefined => undefined;
const request = <Args extends z.ZodType, Result>(args: Args, _result: Result | undefined): Request<Args, Result> => ({ args });

/** An http(s) address: a server's to sign in to (also the hosts' launch options'), an upload form's, a save folder's origin. */
export const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'an http:// or https:// address');

const Nothing = z.undefined();
const Id = z.string().min(1).max(200);
const MessageId = z.strictObject({ messageId: Id });
const ById = z.strictObject({ id: Id });
const InConversation = z.strictObject({ conversationId: ConversationId });
const Members = InConversation.extend({ members: z.array(Address).min(1).max(256) });
/** A watched folder's options that can change after it is bound. */
const FolderOptions = z.strictObject({
  includeSubfolders: z.boolean().optional(),
  afterSend: z.enum(['keep', 'move', 'delete']).optional(),
  resendChanged: z.boolean().optional(),
});

/** Host-level settings of the desktop integration (its settings file derives its own schema from these fields). */
export const DesktopSettings = z.strictObject({
  /** Closing the window leaves Parley running in the tray. */
  closeToTray: z.boolean(),
  startAtLogin: z.boolean(),
  /** Started at login: only the tray icon, no window. */
  startMinimised: z.boolean(),
  notifications: z.boolean(),
  /** Notifications show the message text (else only who wrote). */
  showMessagePreview: z.boolean(),
});
export type DesktopSettings = z.infer<typeof DesktopSettings>;

/** An account's file settings (upload mode, auto-download, Media Reference Send). */
export const FileSettings = z
  .strictObject({
    uploadMode: z.enum(['parley', 'uploadUrl']),
    uploadUrl: HttpUrl.optional(),
    uploadAuthToken: UploadAuthToken.optional(),
    /** Bytes; 0 downloads no image by itself. */
    autoDownloadImagesUnder: z.number().int().min(0).max(DEFAULT_MAX_FILE_BYTES).optional(),
    /** Save folders: the largest file saved by itself, in bytes (bigger ones wait for a click); the engine's default when absent. */
    saveFolderMaxBytes: z.number().int().min(0).max(DEFAULT_MAX_FILE_BYTES).optional(),
    /** Save folders: origins besides the Parley server's own file routes that files are saved from. */
    saveFolderOrigins: z.array(HttpUrl).max(20).optional(),
    /** The seed's Account XML keys (checked by the engine's parser) and the account they expand. */
    mediaRefSend: z
    .strictObject({
      keys: z.record(z.string().max(64), z.string().max(64 * 1024)),
      account: z.strictObject({ username: z.string().max(256), password: z.string().max(256) }),
    })
    .nullable()
    .optional(),
  })
  .refine((s) => s.uploadMode !== 'uploadUrl' || !!s.uploadUrl, { message: 'an upload URL is needed', path: ['uploadUrl'] });
export type FileSettings = z.infer<typeof FileSettings>;

/** Every request the renderer may make: its argument's schema and what it answers. */
export const requests = {
  getAppInfo: request(Nothing, result<AppInfo>()),
  getSession: request(Nothing, result<SessionState>()),
  /** Signs in with a user access token, checked with the server before the session is kept. */
  signIn: request(z.strictObject({ serverUrl: HttpUrl, token: z.string().trim().min(1).max(512) }), result<SessionState>()),
  /** Signs in as one of the embedded server's demo users. */
  signInDemo: request(z.strictObject({ address: Address }), result<SessionState>()),
  signOut: request(Nothing, result<SessionState>()),
  listConversations: request(Nothing, result<ConversationSummary[]>()),
  createConversation: request(z.strictObject({
    type: ConversationType,
    participants: z.array(Address).min(1).max(256),
    title: Title.optional(),
  }), result<ConversationSummary>()),
  // Groups and channels: admins change them (the server says no otherwise), anyone leaves.
  editConversation: request(
    InConversation.extend({ title: Title.optional(), description: Description.optional() }).refine((a) => a.title !== undefined || a.description !== undefined, {
      message: 'give a title, a description or both',
    }),
    result<ConversationSummary>(),
  ),
  addMembers: request(Members, result<ConversationSummary>()),
  removeMembers: request(Members, result<ConversationSummary>()),
  /** Leaves a group or channel; its history stays on this device. */
  leaveConversation: request(InConversation, result<ConversationSummary>()),
  setMemberRole: request(InConversation.extend({ address: Address, role: Role }), result<ConversationSummary>()),
  /**
   * The newest `limit` messages, or those before `beforeSeq`, after `afterSeq`, or around `aroundSeq`
   * (half the limit before it, the rest from it on), oldest first. Fewer numbered messages than the
   * limit after a seq means the page reached the newest, and then it ends with my unsent messages.
   */
  readMessages: request(z.strictObject({
    conversationId: ConversationId,
    beforeSeq: Seq.optional(),
    afterSeq: Seq.optional(),
    aroundSeq: Seq.min(1).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  }).refine((a) => [a.beforeSeq, a.afterSeq, a.aroundSeq].filter((seq) => seq !== undefined).length <= 1, 'give at most one of beforeSeq, afterSeq and aroundSeq'), result<Message[]>()),
  /** `@address` tokens of participants in the text become the message's mentions. */
  sendMessage: request(z.strictObject({ conversationId: ConversationId, text: Body, replyTo: Seq.min(1).optional() }), result<Message>()),
  /** My own message's new text (a file message's caption may be emptied); shown at once, sent when online. */
  editMessage: request(z.strictObject({ messageId: Id, text: Caption }), result<Message>()),
  /** For everyone (my own, or any as a group's or channel's admin), or for me only, on all my devices. */
  deleteMessage: request(z.strictObject({ messageId: Id, forEveryone: z.boolean() }), result<void>()),
  /** Adds my emoji to a message, or takes it back. */
  react: request(z.strictObject({ messageId: Id, emoji: Emoji, on: z.boolean() }), result<Message>()),
  retryMessage: request(z.strictObject({ id: z.string().min(1).max(200) }), result<void>()),
  markRead: request(z.strictObject({ conversationId: ConversationId, seq: Seq.min(1) }), result<void>()),
  setTyping: request(z.strictObject({ conversationId: ConversationId }), result<void>()),
  /** Full-text search over this device's messages (see main/core/search/query.ts for the query language). */
  search: request(z.strictObject({
    query: z.string().max(2048),
    limit: z.number().int().min(1).max(100).optional(),
    cursor: z.string().max(200).optional(),
  }), result<SearchResult>()),
  searchUsers: request(z.strictObject({ query: z.string().max(64) }), result<User[]>()),
  /** Sends a file the user staged (picked, dropped or pasted): never a path, only a staged id. */
  sendFile: request(z.strictObject({
    conversationId: ConversationId,
    stagedId: Id,
    message: Caption.optional(),
    title: FileInfo.shape.title,
  }), result<Message>()),
  startFileTransfer: request(ById, result<void>()),
  stopFileTransfer: request(ById, result<FileTransfer>()),
  /** Downloads a file message's file into the download directory. */
  downloadFile: request(MessageId, result<FileTransfer>()),
  /**
   * Opens (or, in the browser host, answers a URL for) the file a message's transfer saved or sent.
   * `view`: the page shows it in its own image viewer, so an image is answered as a URL in both hosts.
   */
  openFile: request(z.strictObject({ messageId: Id, view: z.boolean().optional() }), result<OpenFileResult>()),
  showFileInFolder: request(MessageId, result<OpenFileResult>()),
  /** Saves a copy of that file where the user chooses (the browser host answers a download URL). */
  saveFileAs: request(MessageId, result<SaveFileResult>()),
  getFileSettings: request(Nothing, result<FileSettings>()),
  /** The signed-in account's file settings, kept for it and applied to its engine. */
  setFileSettings: request(FileSettings, result<FileSettings>()),
  /**
   * The host's folder chooser: Electron's own dialog (no argument), or, in the browser host, which
   * has no dialog and is reached only with its launch key, the full path the user typed.
   */
  chooseFolder: request(z.strictObject({ path: z.string().trim().min(1).max(4096).optional() }).optional(), result<StagedFolder | null>()),
  listWatchedFolders: request(Nothing, result<WatchedFolderView[]>()),
  /** Binds a folder the user chose or dropped (its staged id) to a conversation. */
  watchFolder: request(z.strictObject({
    conversationId: ConversationId,
    folderId: Id,
    options: FolderOptions.extend({ includeExisting: z.boolean().optional() }).optional(),
  }), result<WatchedFolderView>()),
  updateWatchedFolder: request(z.strictObject({ id: Id, options: FolderOptions }), result<WatchedFolderView>()),
  pauseWatchedFolder: request(ById, result<WatchedFolderView>()),
  resumeWatchedFolder: request(ById, result<WatchedFolderView>()),
  unwatchFolder: request(ById, result<void>()),
  getSaveFolder: request(z.strictObject({ conversationId: ConversationId }), result<string | null>()),
  /** Saves the files others send to the conversation into a folder the user chose (its staged id), or stops (null). */
  setSaveFolder: request(z.strictObject({ conversationId: ConversationId, folderId: Id.nullable() }), result<string | null>()),
  /** Mutes or unmutes a conversation on this device. */
  setConversationMuted: request(z.strictObject({ conversationId: ConversationId, muted: z.boolean() }), result<ConversationSummary>()),
  /** The desktop integration's settings (the Electron host only; the browser host answers unavailable). */
  getDesktopSettings: request(Nothing, result<DesktopSettings>()),
  setDesktopSettings: request(DesktopSettings, result<DesktopSettings>()),
  /** The presence of the people I share a conversation with, as last told (presence events follow). */
  getPresence: request(Nothing, result<Presence[]>()),
  /** This device is in use or idle (the page hidden); the Electron host reports it itself from the system. */
  setActivity: request(z.strictObject({ active: z.boolean() }), result<void>()),
  getProfile: request(Nothing, result<Profile | null>()),
  setProfile: request(z.strictObject({ name: DisplayName.optional(), hideLastSeen: z.boolean().optional() }), result<Profile>()),
  /** Sets my avatar from an image the user picked or dropped (its staged id), or removes it (null). */
  setAvatar: request(z.strictObject({ stagedId: Id.nullable() }), result<Profile>()),
  /** Every avatar this device has, by address (data: URLs); avatar events follow. */
  getAvatars: request(Nothing, result<Record<Address, string>>()),
  /** The app's own update (the Electron host only; the browser host answers unavailable). */
  getUpdateState: request(Nothing, result<UpdateState>()),
  checkForUpdate: request(Nothing, result<UpdateState>()),
  downloadUpdate: request(Nothing, result<UpdateState>()),
  /** Restarts into the downloaded version; refused (conflict) while a file transfer runs. */
  installUpdate: request(Nothing, result<void>()),
};

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type RequestArg<K extends RequestName> = z.infer<Requests[K]['args']>;
export type RequestResult<K extends RequestName> = Exclude<Requests[K]['result'], undefined>;
export const isRequestName = (name: unknown): name is RequestName => typeof name === 'string' && Object.hasOwn(requests, name);
