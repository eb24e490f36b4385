// The engine's public types: what the host (Electron main, browser host) and the bridge see.
import type { Address, ConversationType, Participant } from '../../protocol/index.js';

export type { Address, ConversationType, Participant };

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
  kind: 'text' | 'members' | 'edit';
  sender: Address;
  mine: boolean;
  /** The text; for members and edit events, a JSON description of the change. */
  body: string;
  time: number;
  /** For my own messages only. */
  status: MessageStatus | null;
  error?: string;
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
  unread: { conversationId: string; unread: number; total: number };
  typing: { conversationId: string; address: Address };
  /** Catch-up progress: conversations still behind the server. */
  sync: { state: 'running' | 'done'; behind: number };
}

export type Destination = { peer: Address } | { conversationId: string };
