// The engine's public types: what the host (Electron main, browser host) and the bridge see.
import type { Address, ConversationType, FileInfo, Participant } from '../../protocol/index.js';

export type { Address, ConversationType, FileInfo, Participant };

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

/**
 * The seed's FileTransferHandler: the host moves the bytes itself. Each method reports progress
 * with client.updateFileTransferProgress and stops when the signal aborts (stopFileTransfer).
 */
export interface FileTransferHandler {
  /** Uploads transfer.path and resolves with the URL it can be downloaded from. */
  upload?(transfer: FileTransfer, signal: AbortSignal): Promise<string>;
  /** Writes the file at transfer.url to `to` (a temporary file the engine verifies and names). */
  download?(transfer: FileTransfer, to: string, signal: AbortSignal): Promise<void>;
}

export interface SendFileOptions {
  title?: string;
  /** The message text sent with the file. */
  message?: string;
  geolocation?: { lat: number; lon: number };
}

export interface ConversationSummary {
  id: string;
  type: ConversationType;
  title: string | null;
  participants: Participant[];
  lastMessage: Message | null;
  unread: number;
  lastSeq: number;
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

export interface ClientEvents {
  connectionStatus: ConnectionStatus;
  /** A new message: live from others, or mine from another device. Catch-up history is not replayed here. */
  message: Message;
  messageStatus: MessageStatusChange;
  /** A conversation was created, changed, or caught up. */
  conversation: ConversationSummary;
  /** total: unread over the conversations that are not muted. */
  unread: { conversationId: string; unread: number; total: number };
  typing: { conversationId: string; address: Address };
  /** Catch-up progress: conversations still behind the server. */
  sync: { state: 'running' | 'done'; behind: number };
}

/**
 * File transfer events, kept apart from ClientEvents while the bridge's event lists (preload/api.ts
 * eventNames, which must name every ClientEvents key) do not carry them yet; client.on takes both.
 */
export interface FileEvents {
  /** A file message arrived (the seed's mesibo_onFile), after its message event. */
  file: Message;
  fileProgress: FileProgress;
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

/** Watched drop folders (main/core/folders), kept apart from ClientEvents like FileEvents. */
export interface FolderEvents {
  folderStatus: WatchedFolder;
  folderFileSent: FolderFileSent;
}

export type EngineEvents = ClientEvents & FileEvents & FolderEvents;

export type Destination = { peer: Address } | { conversationId: string };
