// Every event the renderer may subscribe to, in one table: name → payload type. The table is real
// data (the hosts forward, and the preload accepts, exactly its names) yet carries no zod, so the
// preload and renderer bundles stay small; payloads come from the host, which the renderer trusts.
import type { Address, Participant, Presence } from '../protocol/index.js';
import type {
  AvatarChange,
  ConnectionStatus,
  ConversationSummary,
  FileProgress,
  FolderFileSent,
  Message,
  MessageStatusChange,
  Profile,
  SearchProgress,
  SessionState,
  UpdateState,
  WatchedFolder,
} from './types.js';

/** A table entry: the payload's type, carried in the type only. */
interface Payload<T> {
  readonly payload?: T;
}
const payload = <T>(): Payload<T> => ({});
type PayloadsOf<Table> = { [K in keyof Table]: Table[K] extends Payload<infer T> ? T : never };

/** What the engine emits (main/core), forwarded to the renderer as it is. */
export const engineEvents = {
  connectionStatus: payload<ConnectionStatus>(),
  /** A new message: live from others, or mine from another device. Catch-up history is not replayed here. */
  message: payload<Message>(),
  messageStatus: payload<MessageStatusChange>(),
  /** A stored message changed: edited, deleted for everyone, reacted to, or its reply's target arrived. */
  messageChanged: payload<Message>(),
  /** Messages deleted for me (here or on another of my devices): gone from this device. */
  messagesRemoved: payload<{ conversationId: string; ids: string[] }>(),
  /** A conversation was created, changed, or caught up. */
  conversation: payload<ConversationSummary>(),
  /** total: unread over the conversations that are not muted. */
  unread: payload<{ conversationId: string; unread: number; total: number }>(),
  typing: payload<{ conversationId: string; address: Address }>(),
  /** A group member's delivered and read marks moved: who has my messages and who has read them. */
  marks: payload<{ conversationId: string; participant: Participant }>(),
  /** Catch-up progress: conversations still behind the server. */
  sync: payload<{ state: 'running' | 'done'; behind: number }>(),
  /** A file message arrived (the seed's mesibo_onFile), after its message event. */
  file: payload<Message>(),
  /** The seed's FileTransferProgressListener: a running transfer about 10 times a second, then its final state. */
  fileProgress: payload<FileProgress>(),
  /** A watched folder's status or options changed. */
  folderStatus: payload<WatchedFolder>(),
  folderFileSent: payload<FolderFileSent>(),
  /** People's presence changed (or, after a connect, everyone's as the server told it). */
  presence: payload<Presence[]>(),
  /** My own profile changed (here, on another device, or as the server told it at connect). */
  profile: payload<Profile>(),
  /** Someone's avatar arrived on this device, or was removed. */
  avatar: payload<AvatarChange>(),
  /** The search index is catching up with the stored history (after catch-up, or a store from before search). */
  searchProgress: payload<SearchProgress>(),
};

/** What the host itself emits. */
export const hostEvents = {
  /** Signed in, out, or as someone else. */
  session: payload<SessionState>(),
  /** The host asks to show a conversation, at a message when there is a seq: a parley:// link or a notification was clicked. */
  openConversation: payload<{ conversationId: string; seq?: number }>(),
  /** The app's own update changed state (the Electron host only). */
  update: payload<UpdateState>(),
};

export const events = { ...engineEvents, ...hostEvents };

export type EngineEvents = PayloadsOf<typeof engineEvents>;
export type EngineEventName = keyof EngineEvents;
export type BridgeEvents = PayloadsOf<typeof events>;
export type EventName = keyof BridgeEvents;
export type FolderEvents = Pick<EngineEvents, 'folderStatus' | 'folderFileSent'>;

export const engineEventNames = Object.keys(engineEvents) as EngineEventName[];
export const eventNames = Object.keys(events) as EventName[];
export const isEventName = (name: unknown): name is EventName => typeof name === 'string' && Object.hasOwn(events, name);
