// The server's storage boundary. Everything is async so a PostgreSQL implementation can replace
// SQLite without touching the services; every multi-row change is atomic inside one method.
import type { UserLimits } from '../realtime/rate-limit.js';
import type { ConversationMembers } from './membership-cache.js';
import { MAX_QUOTE_CHARS, type Address, type Conversation, type ConversationEvent, type ConversationType, type FileInfo, type Participant, type PushPayload, type ReceiptType, type Role, type User } from '../../protocol/index.js';

export interface TokenRecord {
  address: Address;
  expiresAt: number;
  revoked: boolean;
}

export interface ConversationRecord {
  id: string;
  type: ConversationType;
  title: string | null;
  description: string | null;
  lastSeq: number;
  lastActivity: number;
  createdAt: number;
}

export type { ConversationMembers } from './membership-cache.js';

export interface NewConversation {
  id: string;
  type: ConversationType;
  title: string | null;
  /** Same key, same conversation: direct and distinct conversations are found again by it. */
  distinctKey: string | null;
  members: Array<{ address: Address; role: Role }>;
  createdAt: number;
}

/**
 * A rule checked inside a write, against the members as that write sees them (a removal or a
 * demotion committed just before it counts): it throws to refuse. Membership itself is always checked.
 */
export type Authorize = (members: ConversationMembers) => void;

/** Members added and removed, roles set (to admin or member), in one event. */
export interface MembershipChange {
  add: Array<{ address: Address; role: Role }>;
  remove: Address[];
  roles?: Array<{ address: Address; role: Role }>;
}

/** A title, a description ('' clears it), or both. */
export interface ConversationDetails {
  title?: string;
  description?: string;
}

/** A conversation someone was removed from (or left), and the seq of that event. */
export interface Departure {
  conversationId: string;
  seq: number;
}

export interface NewMessage {
  conversationId: string;
  sender: Address;
  deviceId: string;
  clientId: string;
  body: string;
  file?: FileInfo | undefined;
  /** A file of this server the message carries: linked to the conversation if the sender may read it. */
  fileId?: string | null;
  serverTime: number;
  /** Beyond being a member, e.g. only admins post in a channel. */
  authorize?: Authorize | undefined;
  /**
   * The seq of the message this one replies to: it must be a message of the conversation (else
   * not_found, bad_request). Storage stores its ReplyTarget: its sender and replyQuote of its current
   * text (newest revise) or file name; a target deleted for everyone is quoted deleted, not refused.
   */
  replyTo?: number | undefined;
  /** The people the text mentions: those who are not members when the write commits are dropped, not refused. */
  mentions?: readonly Address[] | undefined;
}

/** What an action does to its target message. */
export type ActionChange =
  | { type: 'revise'; body: string; mentions?: readonly Address[] | undefined }
  | { type: 'delete' }
  | { type: 'react'; emoji: string; on: boolean };

/** The message an action names, as the write sees it: what the action's rules look at. */
export interface ActionTarget {
  sender: Address;
  /** It carries a file (a caption may be emptied). */
  hasFile: boolean;
  /** The distinct emoji on it now; filled for a reaction only (empty otherwise). */
  emoji: readonly string[];
}

/** A revise, delete or react event to append; idempotent by (sender, deviceId, clientId, conversation) like a message. */
export interface NewAction {
  conversationId: string;
  sender: Address;
  deviceId: string;
  clientId: string;
  /** The seq of the message acted on. */
  target: number;
  change: ActionChange;
  serverTime: number;
  /** The action's own rules (whose message, admins, limits): throws to refuse. Membership is always checked. */
  authorize: (members: ConversationMembers, target: ActionTarget) => void;
}

/** One delete-for-me: messages of one conversation, at one version of the user's hidden list. */
export type HiddenBatch = PushPayload<'hidden'>;

/** A reply's quote of its target: the start of its text, at most MAX_QUOTE_CHARS UTF-16 units, never half a surrogate pair. */
export function replyQuote(text: string): string {
  if (text.length <= MAX_QUOTE_CHARS) return text;
  const cut = text.slice(0, MAX_QUOTE_CHARS);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** What one user's files hold on this server, for the upload limits. */
export interface FileUsage {
  bytes: number;
  /** Uploads not finished yet, and the bytes they declare. */
  uploads: number;
  uploadBytes: number;
}

/** A file on this server: the bytes are in a FileStore under the same id. */
export interface FileRecord {
  id: string;
  owner: Address;
  /** The uploader's name for it, untrusted: sanitised wherever it is used. */
  name: string;
  /** Bytes: the declared length until the upload is complete. */
  size: number;
  mime: string;
  sha256: string | null;
  createdAt: number;
  /** False while a resumable upload is in progress. */
  complete: boolean;
}

export interface AppendResult {
  event: ConversationEvent;
  /** True when (sender, device, clientId, conversation) was already stored: nothing new was written. */
  duplicate: boolean;
  /** The conversation's members as this write left them: whom the event goes to. */
  members: readonly Address[];
}

export interface Stats {
  users: number;
  conversations: number;
  messages: number;
}

/** A user's profile and presence settings as stored. */
export interface UserProfile {
  user: User;
  hideLastSeen: boolean;
  /** When their last device went offline; null: not since the server kept it. */
  lastSeen: number | null;
  /** The version of their hidden list (delete for me): 0 while it is empty. */
  hiddenVersion: number;
}

/** Someone who shares a conversation with a user, with what their presence needs. */
export interface Contact {
  address: Address;
  hideLastSeen: boolean;
  lastSeen: number | null;
}

export interface ProfileChange {
  name?: string | undefined;
  /** A file id, or null to remove the avatar. */
  avatar?: string | null | undefined;
  hideLastSeen?: boolean | undefined;
}

export interface Storage {
  createUser(user: User): Promise<User>;
  getUser(address: Address): Promise<User | null>;
  searchUsers(query: string, limit: number): Promise<User[]>;
  /** The addresses among these that have no user. */
  missingUsers(addresses: readonly Address[]): Promise<Address[]>;
  /** A user's own rate limits ({} when they have none); null when there is no such user. */
  getUserLimits(address: Address): Promise<UserLimits | null>;
  /** Replaces them; false when there is no such user. */
  setUserLimits(address: Address, limits: UserLimits): Promise<boolean>;
  getProfile(address: Address): Promise<UserProfile | null>;
  /** Changes the fields given, together; null when there is no such user. */
  setProfile(address: Address, change: ProfileChange): Promise<UserProfile | null>;
  /** Up to limit people who share a conversation with the user (never the user). */
  contactsOf(address: Address, limit: number): Promise<Contact[]>;
  /** When each of these users was last online (a mark never moves back), in one write. */
  setLastSeen(seen: ReadonlyArray<readonly [Address, number]>): Promise<void>;

  createToken(address: Address, hash: string, expiresAt: number): Promise<void>;
  findToken(hash: string): Promise<(TokenRecord & { hash: string }) | null>;
  revokeTokens(address: Address): Promise<number>;
  /** Those of these token hashes that are stored and not revoked (expiry is the caller's to check). */
  liveTokens(hashes: readonly string[]): Promise<Set<string>>;

  /** Creates it, or returns the existing one with the same distinct key (created: false). */
  createConversation(conversation: NewConversation): Promise<{ id: string; created: boolean }>;
  getConversation(id: string): Promise<ConversationRecord | null>;
  getParticipants(conversationId: string): Promise<Participant[]>;
  /** Its type and current members, from a cache kept exact on every change; null if it does not exist. */
  getMembers(conversationId: string): Promise<ConversationMembers | null>;
  listConversations(address: Address): Promise<Conversation[]>;

  /** Refuses a sender who is no longer a member when the write commits (not_member). */
  appendMessage(message: NewMessage): Promise<AppendResult>;
  /**
   * Appends a revise, delete or react event in the same write path as messages, after checking
   * inside the write: a retry of the same (sender, deviceId, clientId, conversation) answers the
   * stored event (duplicate; conflict when that clientId named another kind of event); the sender is
   * a member (not_member); the target exists (not_found), is a message (bad_request) and is not
   * deleted (bad_request); then `authorize`. A revise's mentions are kept of current members only.
   * A react adds or removes the (target, emoji, sender) reaction. A delete erases in the same write
   * the target's body, file and extra (served as a tombstone from then on), the bodies of its
   * revises, the quotes of its replies (served deleted), its reactions, and its file's link to the
   * conversation unless another live message there carries that file. Sender's read marks stay.
   */
  appendAction(action: NewAction): Promise<AppendResult>;
  /**
   * Delete for me: appends one batch to the user's hidden list and answers it with its new version.
   * The seqs (deduplicated, ascending) must be messages (not_found, bad_request) of a conversation the
   * user is a member of, or was up to their departure (not_member past it).
   */
  hideMessages(address: Address, conversationId: string, seqs: readonly number[]): Promise<HiddenBatch>;
  /** The user's hidden batches with a version above `after`, oldest first, at most limit. */
  hiddenAfter(address: Address, after: number, limit: number): Promise<HiddenBatch[]>;
  /**
   * The event (null when nothing changed) and the members just before it, as the write saw them. A
   * member's change (sender and authorize given) checks membership and `authorize` inside the write.
   * Removing the last admin of a group or channel that keeps members makes the longest-standing
   * remaining member admin, in the same event. Those removed keep the events up to it (departure).
   */
  changeMembers(
    conversationId: string,
    change: MembershipChange,
    sender: Address | null,
    serverTime: number,
    authorize?: Authorize,
  ): Promise<{ event: ConversationEvent | null; before: readonly Address[] }>;
  /** A member's edit checks membership and `authorize` inside the write; the operator's (sender null) none. */
  editConversation(conversationId: string, details: ConversationDetails, sender: Address | null, serverTime: number, authorize?: Authorize): Promise<ConversationEvent>;
  /** The seq of the event that removed this former member (the last they may fetch); null when none. */
  departure(conversationId: string, address: Address): Promise<number | null>;
  /** The conversations this user was removed from, most recent first, at most limit. */
  departures(address: Address, limit: number): Promise<Departure[]>;
  /**
   * Events fromSeq..toSeq in order, at most limit of them and, past the first, at most maxBytes of
   * text (UTF-8 of bodies and file info, plus a little per event): a page may stop short of toSeq.
   */
  getEvents(conversationId: string, fromSeq: number, toSeq: number, limit: number, maxBytes?: number): Promise<ConversationEvent[]>;

  /**
   * Moves a participant's delivered or read mark forward (never back); returns the old and new marks.
   * Refuses a seq beyond the conversation's last (bad_request) and a non-member (not_member).
   */
  advanceReceipt(
    conversationId: string,
    address: Address,
    type: ReceiptType,
    seq: number,
  ): Promise<{ previous: number; current: number }>;
  /** Who sent messages with previous < seq <= current and is still a member: the people a receipt concerns. */
  sendersBetween(conversationId: string, previous: number, current: number): Promise<Address[]>;
  /**
   * Another node wrote this event (sender: of a message; null for any other kind), as its push told
   * this node: sendersBetween answers ranges of it from memory instead of asking the database.
   */
  writtenElsewhere(conversationId: string, seq: number, sender: Address | null): void;

  createFile(file: FileRecord): Promise<void>;
  getFile(id: string): Promise<FileRecord | null>;
  completeFile(id: string, size: number, sha256: string): Promise<void>;
  /** Removes the record and its links. */
  deleteFile(id: string): Promise<void>;
  /** Uploads begun before this time and never finished: abandoned. */
  staleUploads(before: number): Promise<string[]>;
  /** The uploader, and the current participants of every conversation the file was sent in. */
  mayReadFile(id: string, address: Address): Promise<boolean>;
  /** A user's files: all their bytes (unfinished uploads at their declared length), and the unfinished ones. */
  fileUsage(owner: Address): Promise<FileUsage>;

  stats(): Promise<Stats>;
  /** Resolves when the database answers (readiness, /readyz); rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
