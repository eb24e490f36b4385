// Argument schemas of the contract in preload/api.ts: the runtime check the host applies to every
// call (the renderer is untrusted) and, through z.infer, each argument's TypeScript type. Kept apart
// from api.ts so the renderer and preload bundles, which only need the names, carry no zod.
import { z } from 'zod';
import { Address, Body, Caption, ConversationId, ConversationType, FileInfo, Seq, Title } from '../protocol/schemas.js';

const Url = z
  .string()
  .trim()
  .max(2048)
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'the server URL is an http:// or https:// address');

const Nothing = z.undefined();
const Id = z.string().min(1).max(200);
const MessageId = z.strictObject({ messageId: Id });
const ById = z.strictObject({ id: Id });
/** One line: the upload URL protocol sends it as a form field. */
const UploadAuthToken = z.string().max(4096).regex(/^[^\r\n]*$/, 'the token is one line');
const MAX_FILE_BYTES = 2 * 1024 ** 3;
/** A watched folder's options that can change after it is bound. */
const FolderOptions = z.strictObject({
  includeSubfolders: z.boolean().optional(),
  afterSend: z.enum(['keep', 'move', 'delete']).optional(),
  resendChanged: z.boolean().optional(),
});

/** Host-level settings of the desktop integration, also the schema its settings file is read with. */
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

/** Every request the renderer may make: its argument's schema. */
export const requestArgs = {
  getAppInfo: Nothing,
  getSession: Nothing,
  /** Signs in with a user access token, checked with the server before the session is kept. */
  signIn: z.strictObject({ serverUrl: Url, token: z.string().trim().min(1).max(512) }),
  /** Signs in as one of the embedded server's demo users. */
  signInDemo: z.strictObject({ address: Address }),
  signOut: Nothing,
  listConversations: Nothing,
  createConversation: z.strictObject({
    type: ConversationType,
    participants: z.array(Address).min(1).max(256),
    title: Title.optional(),
  }),
  /** The newest `limit` messages, or those before `beforeSeq`, oldest first. */
  readMessages: z.strictObject({
    conversationId: ConversationId,
    beforeSeq: Seq.optional(),
    limit: z.number().int().min(1).max(500).optional(),
  }),
  sendMessage: z.strictObject({ conversationId: ConversationId, text: Body }),
  retryMessage: z.strictObject({ id: z.string().min(1).max(200) }),
  markRead: z.strictObject({ conversationId: ConversationId, seq: Seq.min(1) }),
  setTyping: z.strictObject({ conversationId: ConversationId }),
  searchUsers: z.strictObject({ query: z.string().max(64) }),
  /** Sends a file the user staged (picked, dropped or pasted): never a path, only a staged id. */
  sendFile: z.strictObject({
    conversationId: ConversationId,
    stagedId: Id,
    message: Caption.optional(),
    title: FileInfo.shape.title,
  }),
  startFileTransfer: ById,
  stopFileTransfer: ById,
  /** Downloads a file message's file into the download directory. */
  downloadFile: MessageId,
  /**
   * Opens (or, in the browser host, answers a URL for) the file a message's transfer saved or sent.
   * `view`: the page shows it in its own image viewer, so an image is answered as a URL in both hosts.
   */
  openFile: z.strictObject({ messageId: Id, view: z.boolean().optional() }),
  showFileInFolder: MessageId,
  /** Saves a copy of that file where the user chooses (the browser host answers a download URL). */
  saveFileAs: MessageId,
  getFileSettings: Nothing,
  /** The signed-in account's file settings, kept for it and applied to its engine. */
  setFileSettings: z
    .strictObject({
      uploadMode: z.enum(['parley', 'uploadUrl']),
      uploadUrl: Url.optional(),
      uploadAuthToken: UploadAuthToken.optional(),
      /** Bytes; 0 downloads no image by itself. */
      autoDownloadImagesUnder: z.number().int().min(0).max(MAX_FILE_BYTES).optional(),
      /** The seed's Account XML keys (checked by the engine's parser) and the account they expand. */
      mediaRefSend: z
        .strictObject({
          keys: z.record(z.string().max(64), z.string().max(64 * 1024)),
          account: z.strictObject({ username: z.string().max(256), password: z.string().max(256) }),
        })
        .nullable()
        .optional(),
    })
    .refine((s) => s.uploadMode !== 'uploadUrl' || !!s.uploadUrl, { message: 'an upload URL is needed', path: ['uploadUrl'] }),
  /**
   * The host's folder chooser: Electron's own dialog (no argument), or, in the browser host, which
   * has no dialog and is reached only with its launch key, the full path the user typed.
   */
  chooseFolder: z.strictObject({ path: z.string().trim().min(1).max(4096).optional() }).optional(),
  listWatchedFolders: Nothing,
  /** Binds a folder the user chose or dropped (its staged id) to a conversation. */
  watchFolder: z.strictObject({
    conversationId: ConversationId,
    folderId: Id,
    options: FolderOptions.extend({ includeExisting: z.boolean().optional() }).optional(),
  }),
  updateWatchedFolder: z.strictObject({ id: Id, options: FolderOptions }),
  pauseWatchedFolder: ById,
  resumeWatchedFolder: ById,
  unwatchFolder: ById,
  getSaveFolder: z.strictObject({ conversationId: ConversationId }),
  /** Saves the files others send to the conversation into a folder the user chose (its staged id), or stops (null). */
  setSaveFolder: z.strictObject({ conversationId: ConversationId, folderId: Id.nullable() }),
  /** Mutes or unmutes a conversation on this device. */
  setConversationMuted: z.strictObject({ conversationId: ConversationId, muted: z.boolean() }),
  /** The desktop integration's settings (the Electron host only; the browser host answers unavailable). */
  getDesktopSettings: Nothing,
  setDesktopSettings: DesktopSettings,
} satisfies Record<string, z.ZodType>;
