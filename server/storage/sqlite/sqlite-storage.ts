// The embedded default store: one better-sqlite3 file in the data dir. Statements are prepared
// once. The writes of the real-time path (messages, receipts, membership and title changes) go
// through a group commit (write-queue.ts); every other method that writes more than one row runs in
// one transaction of its own.
import { join } from 'node:path';
import { openDatabase } from '../../../common/node/sqlite.js';
import { ParleyError } from '../../../protocol/index.js';
import type { Address, Conversation, ConversationEvent, Participant, ReceiptType, ReplyTarget, Role, User } from '../../../protocol/index.js';
import { createMembershipCache, membersFrom, type ConversationMembers, type MembershipCacheLimits } from '../membership-cache.js';
import { createRecentSenders } from '../recent-senders.js';
import {
  actionColumns,
  currentMentions,
  deletedQuoteExtra,
  eventBytes,
  likePattern,
  mayReadFileSql,
  messageRow,
  replyTargetOf,
  toEvent,
  toFile,
  toParticipant,
  toProfile,
  toRecord,
  toToken,
  toUser,
  type ConversationRow,
  type EventRow,
  type FileRow,
  type MemberRow,
  type MessageExtra,
  type ProfileRow,
  type TargetRow,
  type TokenRow,
  type UserRow,
} from '../rows.js';
import type {
  ActionTarget,
  AppendResult,
  Authorize,
  ConversationDetails,
  Departure,
  FileUsage,
  HiddenBatch,
  MembershipChange,
  NewAction,
  NewConversation,
  NewMessage,
  Stats,
  Storage,
} from '../storage.js';
import { UserLimits } from '../../realtime/rate-limit.js';
import { migrations } from './migrations/index.js';
import { createWriteQueue } from './write-queue.js';

/** A message or an action as inserted: the named parameters of insertMessage. */
interface ClientEvent {
  conversationId: string;
  type: ConversationEvent['type'];
  sender: Address;
  deviceId: string;
  clientId: string;
  body: string;
  file: string | null;
  fileId: string | null;
  target: number | null;
  extra: string | null;
  serverTime: number;
}

const MAY_READ_FILE = mayReadFileSql('@fileId', '@address');

export interface SqliteStorageOptions {
  membershipCache?: MembershipCacheLimits;
}

export function openSqliteStorage(dataDir: string, options: SqliteStorageOptions = {}): Storage {
  // A checkpoint writes each page the WAL holds once, however often it changed since the last: every
  // 32 MB rather than 4 MB, the pages hot with messages and receipts (conversations, members, the
  // newest events) go to the database file far less often. measured: 14.6 → 9.7 KiB written per
  // message, 12% less CPU in storage (bench:latency, 1:1).
  const db = openDatabase(join(dataDir, 'parley.db'), migrations, { walAutocheckpoint: 8000 });
  const writes = createWriteQueue(db);
  const membership = createMembershipCache(options.membershipCache);
  const recent = createRecentSenders();
  // A batch that did not commit may have changed these inside it: start over.
  writes.onRollback(() => {
    membership.clear();
    recent.clear();
  });

  const q = {
    insertUser: db.prepare('INSERT INTO users (address, name, created_at) VALUES (?, ?, ?)'),
    searchUsers: db.prepare(
      "SELECT address, name, avatar_file FROM users WHERE address LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' ORDER BY address LIMIT ?",
    ),
    userExists: db.prepare('SELECT 1 FROM users WHERE address = ?').pluck(),
    getUser: db.prepare('SELECT address, name, avatar_file FROM users WHERE address = ?'),
    getProfile: db.prepare('SELECT address, name, avatar_file, hide_last_seen, last_seen, hidden_version FROM users WHERE address = ?'),
    setName: db.prepare('UPDATE users SET name = ? WHERE address = ?'),
    setAvatar: db.prepare('UPDATE users SET avatar_file = ? WHERE address = ?'),
    setHideLastSeen: db.prepare('UPDATE users SET hide_last_seen = ? WHERE address = ?'),
    setLastSeen: db.prepare('UPDATE users SET last_seen = max(coalesce(last_seen, 0), ?) WHERE address = ?'),
    // Everyone who shares a conversation with the user: whom their presence and profile concern.
    contacts: db.prepare(
      `SELECT DISTINCT o.address, u.hide_last_seen, u.last_seen FROM members m
       JOIN members o ON o.conversation_id = m.conversation_id AND o.address != m.address
       JOIN users u ON u.address = o.address
       WHERE m.address = ? LIMIT ?`,
    ),
    getUserLimits: db.prepare('SELECT limits FROM users WHERE address = ?'),
    setUserLimits: db.prepare('UPDATE users SET limits = ? WHERE address = ?'),
    insertToken: db.prepare('INSERT INTO tokens (hash, address, expires_at, created_at) VALUES (?, ?, ?, ?)'),
    findToken: db.prepare('SELECT hash, address, expires_at, revoked FROM tokens WHERE hash = ?'),
    revokeTokens: db.prepare('UPDATE tokens SET revoked = 1 WHERE address = ? AND revoked = 0'),
    liveTokens: db.prepare('SELECT hash FROM tokens WHERE revoked = 0 AND hash IN (SELECT value FROM json_each(?))').pluck(),
    insertConversation: db.prepare(
      'INSERT INTO conversations (id, type, title, distinct_key, last_activity, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    findDistinct: db.prepare('SELECT id FROM conversations WHERE distinct_key = ?').pluck(),
    getConversation: db.prepare('SELECT id, type, title, description, last_seq, last_activity, created_at FROM conversations WHERE id = ?'),
    insertMember: db.prepare(
      'INSERT INTO members (conversation_id, address, role, joined_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    setRole: db.prepare('UPDATE members SET role = ? WHERE conversation_id = ? AND address = ? AND role <> ?'),
    // The longest-standing member: the one the admin role passes to when the last admin leaves.
    eldest: db.prepare('SELECT address FROM members WHERE conversation_id = ? ORDER BY joined_at, address LIMIT 1').pluck(),
    hasAdmin: db.prepare("SELECT 1 FROM members WHERE conversation_id = ? AND role = 'admin' LIMIT 1").pluck(),
    departed: db.prepare('INSERT OR REPLACE INTO departures (conversation_id, address, seq, left_at) VALUES (?, ?, ?, ?)'),
    returned: db.prepare('DELETE FROM departures WHERE conversation_id = ? AND address = ?'),
    departure: db.prepare('SELECT seq FROM departures WHERE conversation_id = ? AND address = ?').pluck(),
    departures: db.prepare(
      'SELECT conversation_id AS conversationId, seq FROM departures WHERE address = ? ORDER BY left_at DESC, conversation_id LIMIT ?',
    ),
    deleteMember: db.prepare('DELETE FROM members WHERE conversation_id = ? AND address = ?'),
    getParticipants: db.prepare(
      'SELECT m.*, u.name, u.avatar_file FROM members m LEFT JOIN users u ON u.address = m.address WHERE m.conversation_id = ? ORDER BY m.address',
    ),
    getMembers: db.prepare(
      `SELECT c.type, m.address, m.role FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id
       WHERE c.id = ?`,
    ),
    myConversations: db.prepare(
      `SELECT c.id, c.type, c.title, c.description, c.last_seq, c.last_activity, c.created_at FROM members m
       JOIN conversations c ON c.id = m.conversation_id WHERE m.address = ?`,
    ),
    myParticipants: db.prepare(
      `SELECT o.*, u.name, u.avatar_file FROM members m JOIN members o ON o.conversation_id = m.conversation_id
       LEFT JOIN users u ON u.address = o.address
       WHERE m.address = ? ORDER BY o.conversation_id, o.address`,
    ),
    nextSeq: db
      .prepare('UPDATE conversations SET last_seq = last_seq + 1, last_activity = ? WHERE id = ? RETURNING last_seq')
      .pluck(),
    findMessage: db.prepare(
      `SELECT * FROM events WHERE client_id = ? AND sender = ? AND device_id = ? AND conversation_id = ?
       AND client_id IS NOT NULL`,
    ),
    // The seq comes from the conversation in the same statement, and the idempotency index turns a
    // retried send into no row at all: one write per message, no read first. Actions use it too.
    insertMessage: db
      .prepare(
        `INSERT INTO events (conversation_id, seq, type, sender, device_id, client_id, body, file, file_id, target, extra, server_time)
         SELECT id, last_seq + 1, @type, @sender, @deviceId, @clientId, @body, @file, @fileId, @target, @extra, @serverTime
         FROM conversations WHERE id = @conversationId
         ON CONFLICT (client_id, sender, device_id, conversation_id) WHERE client_id IS NOT NULL DO NOTHING
         RETURNING seq`,
      )
      .pluck(),
    setLastSeq: db.prepare('UPDATE conversations SET last_seq = ?, last_activity = ? WHERE id = ?'),
    insertEvent: db.prepare('INSERT INTO events (conversation_id, seq, type, sender, body, server_time) VALUES (?, ?, ?, ?, ?, ?)'),
    linkFile: db.prepare('INSERT OR IGNORE INTO file_links (file_id, conversation_id) VALUES (?, ?)'),
    unlinkFile: db.prepare('DELETE FROM file_links WHERE file_id = ? AND conversation_id = ?'),
    // A live message of the conversation still carrying the file (a deleted one's file_id is erased).
    fileCarried: db.prepare('SELECT 1 FROM events WHERE conversation_id = ? AND file_id = ? LIMIT 1').pluck(),
    findTarget: db.prepare('SELECT type, sender, body, file, file_id, deleted FROM events WHERE conversation_id = ? AND seq = ?'),
    latestRevise: db
      .prepare("SELECT body FROM events WHERE conversation_id = ? AND target = ? AND type = 'revise' ORDER BY seq DESC LIMIT 1")
      .pluck(),
    eraseMessage: db.prepare("UPDATE events SET deleted = 1, body = '', file = NULL, file_id = NULL, extra = NULL WHERE conversation_id = ? AND seq = ?"),
    eraseRevisions: db.prepare("UPDATE events SET body = '', extra = NULL WHERE conversation_id = ? AND target = ? AND type = 'revise'"),
    replies: db.prepare("SELECT seq, extra FROM events WHERE conversation_id = ? AND target = ? AND type = 'message' AND extra IS NOT NULL"),
    setExtra: db.prepare('UPDATE events SET extra = ? WHERE conversation_id = ? AND seq = ?'),
    emojiOn: db.prepare('SELECT DISTINCT emoji FROM reactions WHERE conversation_id = ? AND seq = ?').pluck(),
    reactOn: db.prepare('INSERT INTO reactions (conversation_id, seq, emoji, address) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    reactOff: db.prepare('DELETE FROM reactions WHERE conversation_id = ? AND seq = ? AND emoji = ? AND address = ?'),
    dropReactions: db.prepare('DELETE FROM reactions WHERE conversation_id = ? AND seq = ?'),
    nextHidden: db.prepare('UPDATE users SET hidden_version = hidden_version + 1 WHERE address = ? RETURNING hidden_version').pluck(),
    insertHidden: db.prepare('INSERT INTO hidden (address, version, conversation_id, seqs) VALUES (?, ?, ?, ?)'),
    hiddenAfter: db.prepare('SELECT version, conversation_id, seqs FROM hidden WHERE address = ? AND version > ? ORDER BY version LIMIT ?'),
    // A sender has seen and received everything up to their own message.
    senderMarks: db.prepare(
      `UPDATE members SET read_seq = max(read_seq, @seq), delivered_seq = max(delivered_seq, @seq)
       WHERE conversation_id = @conversationId AND address = @address`,
    ),
    setTitle: db.prepare('UPDATE conversations SET title = ? WHERE id = ?'),
    setDescription: db.prepare('UPDATE conversations SET description = ? WHERE id = ?'),
    // A distinct group is found again by its participants: once they change, it is no longer theirs.
    forgetDistinct: db.prepare("UPDATE conversations SET distinct_key = NULL WHERE id = ? AND type <> 'direct' AND distinct_key IS NOT NULL"),
    getEvents: db.prepare(
      'SELECT * FROM events WHERE conversation_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?',
    ),
    getMarks: db.prepare(
      `SELECT m.delivered_seq, m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = ? AND m.address = ?`,
    ),
    setDelivered: db.prepare(
      'UPDATE members SET delivered_seq = @seq WHERE conversation_id = @conversationId AND address = @address',
    ),
    // Read implies delivered.
    setRead: db.prepare(
      `UPDATE members SET read_seq = @seq, delivered_seq = max(delivered_seq, @seq)
       WHERE conversation_id = @conversationId AND address = @address`,
    ),
    // Current members only: someone removed hears no more receipts of the conversation.
    sendersBetween: db.prepare(
      `SELECT DISTINCT e.sender FROM events e JOIN members m ON m.conversation_id = e.conversation_id AND m.address = e.sender
       WHERE e.conversation_id = ? AND e.seq > ? AND e.seq <= ? AND e.type = 'message'`,
    ).pluck(),
    insertFile: db.prepare(
      `INSERT INTO files (id, owner, name, size, mime, sha256, created_at, complete)
       VALUES (@id, @owner, @name, @size, @mime, @sha256, @createdAt, @complete)`,
    ),
    getFile: db.prepare('SELECT * FROM files WHERE id = ?'),
    completeFile: db.prepare('UPDATE files SET size = ?, sha256 = ?, complete = 1 WHERE id = ?'),
    deleteFile: db.prepare('DELETE FROM files WHERE id = ?'),
    staleUploads: db.prepare('SELECT id FROM files WHERE complete = 0 AND created_at < ?').pluck(),
    mayReadFile: db.prepare(`SELECT ${MAY_READ_FILE}`).pluck(),
    fileUsage: db.prepare(
      `SELECT COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(complete = 0), 0) AS uploads,
              COALESCE(SUM(CASE WHEN complete = 0 THEN size ELSE 0 END), 0) AS uploadBytes
       FROM files WHERE owner = ?`,
    ),
    countUsers: db.prepare('SELECT count(*) FROM users').pluck(),
    countConversations: db.prepare('SELECT count(*) FROM conversations').pluck(),
    countMessages: db.prepare("SELECT count(*) FROM events WHERE type = 'message'").pluck(),
  };

  const appendEvent = (
    conversationId: string,
    type: ConversationEvent['type'],
    sender: string | null,
    body: string,
    serverTime: number,
  ): EventRow => {
    const seq = q.nextSeq.get(serverTime, conversationId) as number | undefined;
    if (seq === undefined) throw new ParleyError('not_found', `conversation ${conversationId} does not exist`);
    q.insertEvent.run(conversationId, seq, type, sender, body, serverTime);
    recent.appended(conversationId, seq, null);
    return { conversation_id: conversationId, seq, type, sender, client_id: null, body, file: null, target: null, extra: null, deleted: 0, server_time: serverTime };
  };

  /** Read through the cache; inside a write it sees that write's transaction. */
  const membersOf = (conversationId: string): ConversationMembers | null => {
    const cached = membership.get(conversationId);
    if (cached) return cached;
    const rows = q.getMembers.all(conversationId) as Array<{ type: Conversation['type']; address: Address | null; role: Role | null }>;
    if (rows.length === 0) return null;
    const members = membersFrom(
      rows[0]!.type,
      rows.flatMap((r) => (r.address === null ? [] : [{ address: r.address, role: r.role! }])),
    );
    membership.put(conversationId, members);
    return members;
  };

  /** The event this device already stored with this clientId: a retry is answered with the original. */
  const storedBefore = (m: { conversationId: string; sender: Address; deviceId: string; clientId: string }): AppendResult | null => {
    const existing = q.findMessage.get(m.clientId, m.sender, m.deviceId, m.conversationId) as EventRow | undefined;
    return existing ? { event: toEvent(existing), duplicate: true, members: membersOf(m.conversationId)?.addresses ?? [] } : null;
  };

  /** Checked inside the write, in the batch's order: a removal or demotion committed just before it wins. */
  const authorized = (conversationId: string, sender: Address, authorize: Authorize | undefined): ConversationMembers => {
    const members = membersOf(conversationId);
    if (!members?.roles.has(sender)) throw new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`);
    authorize?.(members);
    return members;
  };

  const messageAt = (conversationId: string, seq: number): TargetRow =>
    messageRow(q.findTarget.get(conversationId, seq) as TargetRow | undefined, conversationId, seq);

  const replyTarget = (conversationId: string, seq: number): ReplyTarget =>
    replyTargetOf(seq, messageAt(conversationId, seq), q.latestRevise.get(conversationId, seq) as string | undefined);

  /** Inserts an event with a client id (a message or an action) at the conversation's next seq; undefined on a retry. */
  const insertWithClientId = (event: ClientEvent) => q.insertMessage.get(event) as number | undefined;

  const appendMessage = (m: NewMessage): AppendResult => {
    let members: ConversationMembers;
    try {
      members = authorized(m.conversationId, m.sender, m.authorize);
    } catch (error) {
      // A retry of a send stored while it was allowed still gets its original answer.
      const before = storedBefore(m);
      if (before) return before;
      throw error;
    }
    const { conversationId, sender, deviceId, clientId, body, serverTime } = m;
    const file = m.file ? JSON.stringify(m.file) : null;
    // A file of this server is linked to the conversation (its members may download it) when the sender may read it.
    const fileId = m.fileId && q.mayReadFile.get({ fileId: m.fileId, address: sender }) === 1 ? m.fileId : null;
    const extra: MessageExtra = {};
    if (m.replyTo !== undefined) extra.replyTo = replyTarget(conversationId, m.replyTo);
    const mentions = currentMentions(m.mentions, members);
    if (mentions) extra.mentions = mentions;
    const extraJson = extra.replyTo || extra.mentions ? JSON.stringify(extra) : null;
    const target = m.replyTo ?? null;
    const seq = insertWithClientId({ conversationId, type: 'message', sender, deviceId, clientId, body, file, fileId, target, extra: extraJson, serverTime });
    if (seq === undefined) {
      const before = storedBefore(m);
      if (before) return before;
      throw new ParleyError('not_found', `conversation ${conversationId} does not exist`);
    }
    q.setLastSeq.run(seq, serverTime, conversationId);
    q.senderMarks.run({ seq, conversationId, address: sender });
    if (fileId) q.linkFile.run(fileId, conversationId);
    recent.appended(conversationId, seq, sender);
    return {
      event: toEvent({ conversation_id: conversationId, seq, type: 'message', sender, client_id: clientId, body, file, target, extra: extraJson, deleted: 0, server_time: serverTime }),
      duplicate: false,
      members: members.addresses,
    };
  };

  /** Erases a message deleted for everyone: what it said, its edits, its replies' quotes of it, its reactions, its file's link. */
  const erase = (conversationId: string, seq: number, row: TargetRow) => {
    q.eraseMessage.run(conversationId, seq);
    q.eraseRevisions.run(conversationId, seq);
    for (const reply of q.replies.all(conversationId, seq) as Array<{ seq: number; extra: string }>) {
      q.setExtra.run(deletedQuoteExtra(reply.extra, seq, row.sender!), conversationId, reply.seq);
    }
    q.dropReactions.run(conversationId, seq);
    if (row.file_id !== null && !q.fileCarried.get(conversationId, row.file_id)) q.unlinkFile.run(row.file_id, conversationId);
  };

  const appendAction = (a: NewAction): AppendResult => {
    const { conversationId, sender, deviceId, clientId, target, change, serverTime } = a;
    // A retry is answered with what was stored, whatever happened to the target since.
    const before = storedBefore(a);
    if (before) {
      if (before.event.type !== change.type) throw new ParleyError('conflict', `clientId ${clientId} already names a ${before.event.type} event`);
      return before;
    }
    const members = authorized(conversationId, sender, undefined);
    const row = messageAt(conversationId, target);
    if (row.deleted === 1) throw new ParleyError('bad_request', `message ${target} was deleted`);
    const emoji = change.type === 'react' ? (q.emojiOn.all(conversationId, target) as string[]) : [];
    const subject: ActionTarget = { sender: row.sender!, hasFile: row.file !== null, emoji };
    a.authorize(members, subject);
    const { body, extra } = actionColumns(change, members);
    if (change.type === 'react') (change.on ? q.reactOn : q.reactOff).run(conversationId, target, change.emoji, sender);
    if (change.type === 'delete') erase(conversationId, target, row);
    const seq = insertWithClientId({ conversationId, type: change.type, sender, deviceId, clientId, body, file: null, fileId: null, target, extra, serverTime });
    if (seq === undefined) throw new ParleyError('not_found', `conversation ${conversationId} does not exist`);
    q.setLastSeq.run(seq, serverTime, conversationId);
    recent.appended(conversationId, seq, null);
    return {
      event: toEvent({ conversation_id: conversationId, seq, type: change.type, sender, client_id: clientId, body, file: null, target, extra, deleted: 0, server_time: serverTime }),
      duplicate: false,
      members: members.addresses,
    };
  };

  const hideMessages = (address: Address, conversationId: string, seqs: readonly number[]): HiddenBatch => {
    // A former member hides within the history they had: up to the event that removed them.
    const last = membersOf(conversationId)?.roles.has(address)
      ? Number.MAX_SAFE_INTEGER
      : ((q.departure.get(conversationId, address) as number | undefined) ?? null);
    if (last === null) throw new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`);
    const unique = [...new Set(seqs)].sort((x, y) => x - y);
    for (const seq of unique) {
      if (seq > last) throw new ParleyError('not_member', `message ${seq} came after you left conversation ${conversationId}`);
      messageAt(conversationId, seq);
    }
    const version = q.nextHidden.get(address) as number | undefined;
    if (version === undefined) throw new ParleyError('not_found', `no such user: ${address}`);
    q.insertHidden.run(address, version, conversationId, JSON.stringify(unique));
    return { version, conversationId, seqs: unique };
  };

  const createConversation = (c: NewConversation) => {
    if (c.distinctKey) {
      const id = q.findDistinct.get(c.distinctKey) as string | undefined;
      if (id) return { id, created: false };
    }
    q.insertConversation.run(c.id, c.type, c.title, c.distinctKey, c.createdAt, c.createdAt);
    for (const m of c.members) q.insertMember.run(c.id, m.address, m.role, c.createdAt);
    return { id: c.id, created: true };
  };

  const changeMembers = (
    conversationId: string,
    change: MembershipChange,
    sender: Address | null,
    serverTime: number,
    authorize?: Authorize,
  ): { event: ConversationEvent | null; before: readonly Address[] } => {
    const members = sender !== null && authorize ? authorized(conversationId, sender, authorize) : membersOf(conversationId);
    const before = members?.addresses ?? [];
    const added = change.add.filter((m) => q.insertMember.run(conversationId, m.address, m.role, serverTime).changes > 0);
    const removed = change.remove.filter((a) => q.deleteMember.run(conversationId, a).changes > 0);
    const promoted: Address[] = [];
    const demoted: Address[] = [];
    for (const { address, role } of change.roles ?? []) {
      if (q.setRole.run(role, conversationId, address, role).changes > 0) (role === 'admin' ? promoted : demoted).push(address);
    }
    // A group never loses its last admin by a departure: the longest-standing member takes over.
    if (members && members.type !== 'direct' && removed.some((a) => members.roles.get(a) === 'admin') && !q.hasAdmin.get(conversationId)) {
      const heir = q.eldest.get(conversationId) as Address | undefined;
      if (heir && q.setRole.run('admin', conversationId, heir, 'admin').changes > 0) promoted.push(heir);
    }
    if (added.length === 0 && removed.length === 0 && promoted.length === 0 && demoted.length === 0) return { event: null, before };
    membership.forget(conversationId);
    if (added.length > 0 || removed.length > 0) q.forgetDistinct.run(conversationId);
    const body = JSON.stringify({
      added: added.map((m) => m.address),
      removed,
      ...(promoted.length > 0 ? { promoted } : {}),
      ...(demoted.length > 0 ? { demoted } : {}),
    });
    const row = appendEvent(conversationId, 'members', sender, body, serverTime);
    for (const address of removed) q.departed.run(conversationId, address, row.seq, serverTime);
    for (const m of added) q.returned.run(conversationId, m.address);
    return { event: toEvent(row), before };
  };

  const editConversation = (conversationId: string, details: ConversationDetails, sender: Address | null, serverTime: number, authorize?: Authorize) => {
    if (sender !== null) authorized(conversationId, sender, authorize);
    if (details.title !== undefined) q.setTitle.run(details.title, conversationId);
    if (details.description !== undefined) q.setDescription.run(details.description || null, conversationId);
    return toEvent(appendEvent(conversationId, 'edit', sender, JSON.stringify(details), serverTime));
  };

  const advanceReceipt = (conversationId: string, address: Address, type: ReceiptType, seq: number) => {
    const marks = q.getMarks.get(conversationId, address) as { delivered_seq: number; read_seq: number; last_seq: number } | undefined;
    if (!marks) throw new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`);
    if (seq > marks.last_seq) {
      throw new ParleyError('bad_request', `seq ${seq} is beyond the conversation's last (${marks.last_seq})`);
    }
    const previous = type === 'read' ? marks.read_seq : marks.delivered_seq;
    if (seq <= previous) return { previous, current: previous };
    (type === 'read' ? q.setRead : q.setDelivered).run({ seq, conversationId, address });
    return { previous, current: seq };
  };

  return {
    async createUser(user: User) {
      try {
        q.insertUser.run(user.address, user.name, Date.now());
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new ParleyError('conflict', `a user with the address ${user.address} exists`);
        }
        throw error;
      }
      return user;
    },
    async getUser(address) {
      const row = q.getUser.get(address) as UserRow | undefined;
      return row ? toUser(row) : null;
    },
    async searchUsers(query, limit) {
      const pattern = likePattern(query);
      return (q.searchUsers.all(pattern, pattern, limit) as Array<UserRow>).map(toUser);
    },
    async getProfile(address) {
      const row = q.getProfile.get(address) as ProfileRow | undefined;
      return row ? toProfile(row) : null;
    },
    async setProfile(address, change) {
      const update = db.transaction(() => {
        if (change.name !== undefined) q.setName.run(change.name, address);
        if (change.avatar !== undefined) q.setAvatar.run(change.avatar, address);
        if (change.hideLastSeen !== undefined) q.setHideLastSeen.run(change.hideLastSeen ? 1 : 0, address);
        return q.getProfile.get(address) as ProfileRow | undefined;
      });
      const row = update();
      return row ? toProfile(row) : null;
    },
    async contactsOf(address, limit) {
      const rows = q.contacts.all(address, limit) as Array<{ address: string; hide_last_seen: number; last_seen: number | null }>;
      return rows.map((r) => ({ address: r.address, hideLastSeen: r.hide_last_seen === 1, lastSeen: r.last_seen }));
    },
    async setLastSeen(seen) {
      if (seen.length === 0) return;
      db.transaction(() => {
        for (const [address, time] of seen) q.setLastSeen.run(time, address);
      })();
    },
    async getUserLimits(address) {
      const row = q.getUserLimits.get(address) as { limits: string | null } | undefined;
      if (!row) return null;
      return row.limits === null ? {} : UserLimits.parse(JSON.parse(row.limits));
    },
    async setUserLimits(address, limits) {
      const empty = limits.rateLimit === undefined && limits.userRateLimit === undefined;
      return q.setUserLimits.run(empty ? null : JSON.stringify(limits), address).changes > 0;
    },
    async missingUsers(addresses) {
      return addresses.filter((a) => !q.userExists.get(a));
    },
    async createToken(address, hash, expiresAt) {
      q.insertToken.run(hash, address, expiresAt, Date.now());
    },
    async findToken(hash) {
      const row = q.findToken.get(hash) as TokenRow | undefined;
      return row ? toToken(row) : null;
    },
    async revokeTokens(address) {
      return q.revokeTokens.run(address).changes;
    },
    async liveTokens(hashes) {
      return new Set(q.liveTokens.all(JSON.stringify(hashes)) as string[]);
    },
    // Not async: the queue's promise is the answer, with no second one around it.
    createConversation(conversation) {
      return writes.run(() => createConversation(conversation));
    },
    async getConversation(id) {
      const row = q.getConversation.get(id) as ConversationRow | undefined;
      return row ? toRecord(row) : null;
    },
    async getParticipants(conversationId) {
      return (q.getParticipants.all(conversationId) as MemberRow[]).map(toParticipant);
    },
    async getMembers(conversationId) {
      return membersOf(conversationId);
    },
    async listConversations(address) {
      const participants = new Map<string, Participant[]>();
      for (const row of q.myParticipants.all(address) as MemberRow[]) {
        let list = participants.get(row.conversation_id);
        if (!list) participants.set(row.conversation_id, (list = []));
        list.push(toParticipant(row));
      }
      return (q.myConversations.all(address) as Array<ConversationRow>).map(
        (row): Conversation => ({ ...toRecord(row), participants: participants.get(row.id) ?? [] }),
      );
    },
    appendMessage(message) {
      return writes.run(() => appendMessage(message));
    },
    appendAction(action) {
      return writes.run(() => appendAction(action));
    },
    hideMessages(address, conversationId, seqs) {
      return writes.run(() => hideMessages(address, conversationId, seqs));
    },
    async hiddenAfter(address, after, limit) {
      const rows = q.hiddenAfter.all(address, after, limit) as Array<{ version: number; conversation_id: string; seqs: string }>;
      return rows.map((r) => ({ version: r.version, conversationId: r.conversation_id, seqs: JSON.parse(r.seqs) as number[] }));
    },
    changeMembers(conversationId, change, sender, serverTime, authorize) {
      return writes.run(() => changeMembers(conversationId, change, sender, serverTime, authorize));
    },
    editConversation(conversationId, details, sender, serverTime, authorize) {
      return writes.run(() => editConversation(conversationId, details, sender, serverTime, authorize));
    },
    async departure(conversationId, address) {
      return (q.departure.get(conversationId, address) as number | undefined) ?? null;
    },
    async departures(address, limit) {
      return q.departures.all(address, limit) as Departure[];
    },
    async getEvents(conversationId, fromSeq, toSeq, limit, maxBytes = Infinity) {
      // Rows are read one at a time and reading stops at the byte budget, so a page of big events
      // never sits in memory whole; the first event always fits, so a page is never empty.
      const events: ConversationEvent[] = [];
      let bytes = 0;
      for (const row of q.getEvents.iterate(conversationId, fromSeq, toSeq, limit) as IterableIterator<EventRow>) {
        bytes += eventBytes(row);
        if (bytes > maxBytes && events.length > 0) break;
        events.push(toEvent(row));
      }
      return events;
    },
    advanceReceipt(conversationId, address, type, seq) {
      return writes.run(() => advanceReceipt(conversationId, address, type, seq));
    },
    async sendersBetween(conversationId, previous, current) {
      const held = recent.between(conversationId, previous, current);
      if (held === null) return q.sendersBetween.all(conversationId, previous, current) as string[];
      const members = membersOf(conversationId);
      return held.filter((sender) => members?.roles.has(sender));
    },
    writtenElsewhere: (conversationId, seq, sender) => recent.appended(conversationId, seq, sender),
    async createFile(file) {
      q.insertFile.run({ ...file, complete: file.complete ? 1 : 0 });
    },
    async getFile(id) {
      const row = q.getFile.get(id) as FileRow | undefined;
      return row ? toFile(row) : null;
    },
    async completeFile(id, size, sha256) {
      q.completeFile.run(size, sha256, id);
    },
    async deleteFile(id) {
      q.deleteFile.run(id);
    },
    async staleUploads(before) {
      return q.staleUploads.all(before) as string[];
    },
    async mayReadFile(id, address) {
      return q.mayReadFile.get({ fileId: id, address }) === 1;
    },
    async fileUsage(owner) {
      return q.fileUsage.get(owner) as FileUsage;
    },
    async stats(): Promise<Stats> {
      return {
        users: q.countUsers.get() as number,
        conversations: q.countConversations.get() as number,
        messages: q.countMessages.get() as number,
      };
    },
    async ping() {
      // In-process: open is reachable.
      if (!db.open) throw new Error('the database is closed');
    },
    async close() {
      if (!db.open) return;
      writes.flush();
      db.close();
    },
  };
}
