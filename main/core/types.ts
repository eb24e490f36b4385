// The engine's own types; the data it hands out (messages, conversations, transfers, folders) and
// the events it emits are the contract's (contract/), re-exported here for the engine's modules.
import type { Address, FileTransfer } from '../../contract/types.js';

export type * from '../../contract/types.js';
export type { EngineEvents, FolderEvents } from '../../contract/events.js';

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

export type Destination = { peer: Address } | { conversationId: string };
