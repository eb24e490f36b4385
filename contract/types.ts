// The data the renderer sees, owned by the contract: the engine produces exactly these shapes and
// the renderer reads them, so neither can change one without the type-check noticing on both sides.
import type { Address, ConversationType, FileInfo, Participant } from '../protocol/index.js';

export type { Address, ConversationType, FileInfo, Participant };
export type { ErrorCode, Presence, PresenceState, User } from '../protocol/index.js';

export type ConnectionStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'online' }
  | { state: 'offline'; reason: string; nextRetryAt: number }
  | { state: 'authFailed'; reason: string }
  | { state: 'stopped' };

export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Message {
  /** Stable across sending and sent: sender and clientId for messages, conversation and seq for the rest. */
  id: string;
  /** Null while a first message to a peer waits for its direct conversation. */
  conversationId: string | null;
  seq: number | null;
  kind: 'text' | 'file' | 'members' | 'edit';
  sender: Address;
  mine: boolean;
  /** The text (a file's caption, maybe empty); for members and edit events, a JSON description of the change. */
  body: string;
  time: number;
  /** For my own messages only. */
  status: MessageStatus | null;
  error?: string;
  /** File messages: what the file is. */
  file?: MessageFile;
  /**
   * File messages: the file on this device. My message while sending: its upload. Otherwise the
   * latest download of it (path set once saved), or the upload that sent it from here; absent when none.
   */
  transfer?: FileTransfer;
  /** Deleted for everyone: a tombstone ("This message was deleted"), body '' and no file. */
  deleted?: boolean;
  /** When the newest edit was made (mine waiting in the outbox too): the body shown is that edit's. */
  editedAt?: number;
  /** The message this one answers. */
  replyTo?: ReplyPreview;
  /** The emoji on it, in the order each was first added. */
  reactions?: ReactionSummary[];
  /** The people the text mentions (`@address` tokens resolved when it was written or last edited). */
  mentions?: Address[];
}

/** What a reply shows of its target: the stored message where this device has it, else the server's quote. */
export interface ReplyPreview {
  seq: number;
  sender: Address;
  /** The start of its text, or its file's name. */
  text: string;
  deleted?: boolean;
}

/** One emoji on a message: how many reacted, whether I did, and who (at most the first 20). */
export interface ReactionSummary {
  emoji: string;
  count: number;
  mine: boolean;
  by: Address[];
}

/** A file message's metadata: url and sha256 are absent only on my message while its upload runs. */
export type MessageFile = Omit<FileInfo, 'url' | 'sha256'> & Partial<Pick<FileInfo, 'url' | 'sha256'>>;

/** Where a transfer is: interrupted means the engine stopped (quit, crash) while it ran; start it again to resume. */
export type FileTransferState = 'pending' | 'running' | 'stopped' | 'interrupted' | 'failed' | 'done';

/** tus: the Parley server's resumable upload; uploadUrl: setUploadUrl's protocol; handler: the host's FileTransferHandler. */
export type FileTransferMode = 'tus' | 'uploadUrl' | 'handler' | 'http';

/** The seed's FileInfo object of a transfer: what getFileInstance returns and the transfer calls take. */
export interface FileTransfer {
  id: string;
  type: 'upload' | 'download';
  /** How the last attempt ran (chosen when it starts); http for a download from its URL. */
  mode: FileTransferMode;
  state: FileTransferState;
  /** Upload: the file sent. Download: where it was saved, once done. */
  path: string | null;
  /** Download: where it comes from. Upload: where the file can be fetched, once done. */
  url: string | null;
  /** The file's name as the sender gave it (sanitised only where a download is saved). */
  name: string;
  mime: string;
  bytes: number;
  total: number;
  /** Download: the checksum the bytes must match. Upload: the file's, once done. */
  sha256: string | null;
  /** The message the file belongs to; null for a transfer started on its own. */
  messageId: string | null;
  conversationId: string | null;
  /** Why it failed (or why it was interrupted). */
  error: string | null;
}

/** The seed's FileTransferProgressListener: a running transfer about 10 times a second, then its final state. */
export interface FileProgress extends FileTransfer {
  /** Bytes per second, recently. */
  rate: number;
}

export interface ConversationSummary {
  id: string;
  type: ConversationType;
  title: string | null;
  /** A group's or channel's description; absent when it has none. */
  description?: string;
  participants: Participant[];
  lastMessage: Message | null;
  /** Messages from others after my read mark (not edits, reactions, deletes or membership events). */
  unread: number;
  /** Unread messages that mention me: the list shows an @ marker, and they notify even when muted. */
  mentions: number;
  lastSeq: number;
  /**
   * Events stored here without a gap up to this seq: a seq readMessages skips at or below it is an
   * event not shown (a reaction, an edit, a delete, a message deleted for me), not one still to come.
   */
  haveSeq: number;
  readSeq: number;
  lastActivity: number;
  /** Muted on this device (a local preference): no notifications, not in the badge total. */
  muted: boolean;
}

export interface MessageStatusChange {
  id: string;
  conversationId: string | null;
  seq: number | null;
  status: MessageStatus;
  error?: string;
}

export interface WatchFolderOptions {
  /** Files in subfolders too (default off; the Sent subfolder never). */
  includeSubfolders?: boolean;
  /** Send the files already there when the binding is made (default off). */
  includeExisting?: boolean;
  /** After the server has the message: leave the file, move it into Sent (default), or delete it. */
  afterSend?: 'keep' | 'move' | 'delete';
  /** With afterSend 'keep': a file modified after it was sent is sent again as a new version (default off). */
  resendChanged?: boolean;
}

export type FolderStatus =
  | { state: 'watching' }
  | { state: 'sending'; sent: number; total: number }
  | { state: 'error'; reason: string; nextRetryAt: number | null }
  | { state: 'paused' };

export interface WatchedFolder {
  id: string;
  path: string;
  conversationId: string;
  options: Required<WatchFolderOptions>;
  status: FolderStatus;
  /** The last upload error, until that file is sent. */
  lastError: string | null;
}

/** A file a watched folder sent, for the binding's "recently sent" list. */
export interface FolderSentFile {
  /** Relative to the watched folder. */
  path: string;
  size: number;
  messageId: string;
  sentAt: number;
}

export interface FolderFileSent extends FolderSentFile {
  folderId: string;
  conversationId: string;
  /** Where the file is now: its place in the folder (keep), in Sent (move), or null (delete). */
  movedTo: string | null;
}


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

/**
 * The desktop app's own update, from the update feed of the server it is signed in to (README:
 * Updates). Downloading starts when the user asks; installing restarts Parley, which the user asks
 * for too, and never while a file transfer runs.
 */
export type UpdateState =
  | { state: 'idle'; /** When the feed last said this is the newest version (ms since epoch); null: not asked yet. */ checkedAt: number | null }
  | { state: 'checking' }
  | { state: 'available'; version: string }
  | { state: 'downloading'; version: string; percent: number; transferred: number; total: number; bytesPerSecond: number }
  | { state: 'ready'; version: string }
  | { state: 'failed'; message: string };

/** My own profile as this device knows it (README: Presence and profiles). */
export interface Profile {
  address: Address;
  name: string;
  /** My avatar as a data: URL (a small JPEG or WebP), null when I have none or it is not here yet. */
  avatar: string | null;
  /** Others see no last-seen time of mine, and I see none of theirs. */
  hideLastSeen: boolean;
}

/** Someone's avatar on this device: a data: URL of a small image, null when they have none. */
export interface AvatarChange {
  address: Address;
  url: string | null;
}

/** A piece of a message's text around what a search matched; highlights are [start, end) offsets into text. */
export interface Snippet {
  text: string;
  highlights: [number, number][];
}

/** One message a search found. */
export interface SearchHit {
  conversationId: string;
  seq: number;
  messageId: string;
  sender: Address;
  time: number;
  kind: 'text' | 'file';
  snippet: Snippet;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Pass back for the next page; null when there is none. */
  cursor: string | null;
  /** in: and from: values that name no conversation or person on this device. */
  unknown: string[];
  /** The index's progress: while indexed < total, older history is not searchable yet. */
  indexed: number;
  total: number;
}

export interface SearchProgress {
  indexed: number;
  total: number;
}
