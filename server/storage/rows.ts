// The rows both storages read (SQLite and PostgreSQL keep the same columns) and what they become:
// one mapping, so the two backends answer alike.
import type { Address, ConversationEvent, FileInfo, Participant, Role, User } from '../../protocol/index.js';
import type { ConversationRecord, FileRecord, UserProfile } from './storage.js';

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
  server_time: number;
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

export const toProfile = (row: ProfileRow): UserProfile => ({ user: toUser(row), hideLastSeen: Boolean(row.hide_last_seen), lastSeen: row.last_seen });

export function toEvent(row: EventRow): ConversationEvent {
  // Built field by field, not by spreading a base: retransmit maps 1,000 rows a call.
  const { conversation_id: conversationId, seq, server_time: serverTime } = row;
  switch (row.type) {
    case 'message': {
      const event: ConversationEvent = { type: 'message', conversationId, seq, sender: row.sender!, clientId: row.client_id!, body: row.body, serverTime };
      if (row.file !== null) event.file = JSON.parse(row.file) as FileInfo;
      return event;
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
export function eventBytes(row: Pick<EventRow, 'body' | 'file'>): number {
  return EVENT_OVERHEAD_BYTES + Buffer.byteLength(row.body) + (row.file === null ? 0 : Buffer.byteLength(row.file));
}

/** What eventBytes counts for an event's fields besides its body and file. */
export const EVENT_OVERHEAD_BYTES = 160;

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
