// The rows both storages read (SQLite and PostgreSQL keep the same columns) and what they become:
// one mapping, so the two backends answer alike.
import { ParleyError } from '../../protocol/index.js';
import type { Address, ConversationEvent, FileInfo, Participant, ReplyTarget, Role, User } from '../../protocol/index.js';
import type { ConversationMembers } from './membership-cache.js';
import { replyQuote, type ActionChange, type ConversationRecord, type FileRecord, type UserProfile } from './storage.js';

/** A yes/no column: SQLite's 0 or 1, PostgreSQL's boolean. */
export type Flag = number | boolean;

export interface EventRow {
  conversation_id: string;
  seq: number;
  type: string;
  sender: string | null;
  client_id: string | null;
  body: string;
  file: string | null;
  target: number | null;
  /** JSON: MessageExtra, ReviseExtra or ReactExtra by type. */
  extra: string | null;
  deleted: Flag;
  server_time: number;
}

export interface MessageExtra {
  replyTo?: ReplyTarget;
  mentions?: Address[];
}
export interface ReviseExtra {
  mentions?: Address[];
}
export interface ReactExtra {
  emoji: string;
  on: boolean;
}

/** A row an action or a reply names, as the write sees it. */
export interface TargetRow {
  type: string;
  sender: string | null;
  body: string;
  file: string | null;
  file_id: string | null;
  deleted: Flag;
}

export interface FileRow {
  id: string;
  owner: string;
  name: string;
  size: number;
  mime: string;
  sha256: string | null;
  created_at: number;
  complete: Flag;
}

export interface MemberRow {
  conversation_id: string;
  address: string;
  role: Role;
  delivered_seq: number;
  read_seq: number;
  name: string | null;
  avatar_file: string | null;
}

export interface UserRow {
  address: string;
  name: string;
  avatar_file: string | null;
}

export interface ProfileRow extends UserRow {
  hide_last_seen: Flag;
  last_seen: number | null;
  hidden_version: number;
}

export interface ConversationRow {
  id: string;
  type: string;
  title: string | null;
  description: string | null;
  last_seq: number;
  last_activity: number;
  created_at: number;
}

export interface TokenRow {
  hash: string;
  address: Address;
  expires_at: number;
  revoked: Flag;
}

/** A user row as the protocol's User: the avatar only when there is one. */
export function toUser(row: UserRow): User {
  return row.avatar_file === null ? { address: row.address, name: row.name } : { address: row.address, name: row.name, avatar: row.avatar_file };
}

export const toProfile = (row: ProfileRow): UserProfile => ({
  user: toUser(row),
  hideLastSeen: Boolean(row.hide_last_seen),
  lastSeen: row.last_seen,
  hiddenVersion: row.hidden_version,
});

export function toEvent(row: EventRow): ConversationEvent {
  // Built field by field, not by spreading a base: retransmit maps 1,000 rows a call.
  const { conversation_id: conversationId, seq, server_time: serverTime } = row;
  switch (row.type) {
    case 'message': {
      const event: ConversationEvent = { type: 'message', conversationId, seq, sender: row.sender!, clientId: row.client_id!, body: row.body, serverTime };
      // Deleted for everyone: body, file and extra were erased by the delete.
      if (row.deleted) event.deleted = true;
      if (row.file !== null) event.file = JSON.parse(row.file) as FileInfo;
      if (row.extra !== null) {
        const extra = JSON.parse(row.extra) as MessageExtra;
        if (extra.replyTo) event.replyTo = extra.replyTo;
        if (extra.mentions) event.mentions = extra.mentions;
      }
      return event;
    }
    case 'revise': {
      const event: ConversationEvent = { type: 'revise', conversationId, seq, sender: row.sender!, clientId: row.client_id!, target: row.target!, body: row.body, serverTime };
      if (row.extra !== null) {
        const extra = JSON.parse(row.extra) as ReviseExtra;
        if (extra.mentions) event.mentions = extra.mentions;
      }
      return event;
    }
    case 'delete':
      return { type: 'delete', conversationId, seq, sender: row.sender!, clientId: row.client_id!, target: row.target!, serverTime };
    case 'react': {
      const { emoji, on } = JSON.parse(row.extra!) as ReactExtra;
      return { type: 'react', conversationId, seq, sender: row.sender!, clientId: row.client_id!, target: row.target!, emoji, on, serverTime };
    }
    case 'members': {
      const change = JSON.parse(row.body) as { added: string[]; removed: string[]; promoted?: string[]; demoted?: string[] };
      return { type: 'members', conversationId, seq, sender: row.sender, ...change, serverTime };
    }
    case 'edit': {
      const change = JSON.parse(row.body) as { title?: string; description?: string };
      return { type: 'edit', conversationId, seq, sender: row.sender, ...change, serverTime };
    }
    default:
      throw new Error(`unknown event type ${row.type} in ${conversationId}#${seq}`);
  }
}

/** An event's size on the wire, near enough: its text in UTF-8 and room for the fields around it. */
export function eventBytes(row: Pick<EventRow, 'body' | 'file' | 'extra'>): number {
  return (
    EVENT_OVERHEAD_BYTES +
    Buffer.byteLength(row.body) +
    (row.file === null ? 0 : Buffer.byteLength(row.file)) +
    (row.extra === null ? 0 : Buffer.byteLength(row.extra))
  );
}

/** What eventBytes counts for an event's fields besides its body, file and extra. */
export const EVENT_OVERHEAD_BYTES = 160;

/** The people mentioned who are members now, each once, in the order given; undefined when none. */
export function currentMentions(mentions: readonly Address[] | undefined, members: ConversationMembers): Address[] | undefined {
  const kept = [...new Set(mentions ?? [])].filter((a) => members.roles.has(a));
  return kept.length > 0 ? kept : undefined;
}

/** The message event a row holds: not_found when there is none, bad_request when the event is of another kind. */
export function messageRow(row: TargetRow | undefined, conversationId: string, seq: number): TargetRow {
  if (!row) throw new ParleyError('not_found', `there is no message ${seq} in conversation ${conversationId}`);
  if (row.type !== 'message') throw new ParleyError('bad_request', `event ${seq} of conversation ${conversationId} is not a message (it is ${row.type})`);
  return row;
}

/** What a reply to the message at seq shows of it: its sender and the start of its current text (`revised`: its newest revise), or its file's name. */
export function replyTargetOf(seq: number, row: TargetRow, revised: string | undefined): ReplyTarget {
  if (row.deleted) return { seq, sender: row.sender!, quote: '', deleted: true };
  const text = revised ?? row.body;
  const quoted = text.trim() === '' && row.file !== null ? (JSON.parse(row.file) as FileInfo).name : text;
  return { seq, sender: row.sender!, quote: replyQuote(quoted) };
}

/** A reply's extra once the message it quotes is deleted for everyone: quoted deleted, empty. */
export function deletedQuoteExtra(extra: string, seq: number, sender: Address): string {
  const parsed = JSON.parse(extra) as MessageExtra;
  parsed.replyTo = { seq, sender, quote: '', deleted: true };
  return JSON.stringify(parsed);
}

/** An action's body and extra as stored: a revise's text and mentions (current members only), a react's emoji. */
export function actionColumns(change: ActionChange, members: ConversationMembers): { body: string; extra: string | null } {
  switch (change.type) {
    case 'revise': {
      const mentions = currentMentions(change.mentions, members);
      return { body: change.body, extra: mentions ? JSON.stringify({ mentions } satisfies ReviseExtra) : null };
    }
    case 'react':
      return { body: '', extra: JSON.stringify({ emoji: change.emoji, on: change.on } satisfies ReactExtra) };
    case 'delete':
      return { body: '', extra: null };
  }
}

export function toFile(row: FileRow): FileRecord {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    size: row.size,
    mime: row.mime,
    sha256: row.sha256,
    createdAt: row.created_at,
    complete: Boolean(row.complete),
  };
}

export function toParticipant(row: MemberRow): Participant {
  const participant: Participant = { address: row.address, role: row.role, deliveredSeq: row.delivered_seq, readSeq: row.read_seq };
  if (row.name !== null) participant.name = row.name;
  if (row.avatar_file !== null) participant.avatar = row.avatar_file;
  return participant;
}

export const toRecord = (row: ConversationRow) =>
  ({
    id: row.id,
    type: row.type,
    title: row.title,
    description: row.description,
    lastSeq: row.last_seq,
    lastActivity: row.last_activity,
    createdAt: row.created_at,
  }) as ConversationRecord;

export const toToken = (row: TokenRow) => ({ hash: row.hash, address: row.address, expiresAt: row.expires_at, revoked: Boolean(row.revoked) });

/** A LIKE pattern matching `s` anywhere, with its own %, _ and \ taken literally (ESCAPE '\'). */
export const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Whether the user may read a file, as an SQL condition over the two parameters named: its uploader,
 * a current member of a conversation it was sent in, or (an avatar) someone who shares a conversation
 * with the user whose picture it is.
 */
export const mayReadFileSql = (fileId: string, address: string) => `(EXISTS (SELECT 1 FROM files WHERE id = ${fileId} AND owner = ${address})
  OR EXISTS (SELECT 1 FROM file_links l JOIN members m ON m.conversation_id = l.conversation_id
             WHERE l.file_id = ${fileId} AND m.address = ${address})
  OR EXISTS (SELECT 1 FROM users u JOIN members a ON a.address = u.address
             JOIN members b ON b.conversation_id = a.conversation_id AND b.address = ${address}
             WHERE u.avatar_file = ${fileId}))`;
