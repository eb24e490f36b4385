// The storage for several nodes: PostgreSQL through a pg Pool (database.ts). Every node may write
// into every conversation at once, so what SQLite gets from its single writer comes from the
// database here:
// - seqs: each event takes last_seq + 1 of its conversation in the statement or transaction that
//   writes it (the row lock orders writers; a rolled-back write takes nothing), and
//   PRIMARY KEY (conversation_id, seq) holds it: gap-free and unique without a SEQUENCE;
// - idempotent sends: the unique index on (client_id, sender, device_id, conversation_id); a retry
//   on any node finds the stored message and answers it, duplicate: true;
// - membership inside the write: a message is one statement that commits only while the members
//   it was authorized against are still current (members_version), so the hot path is one round
//   trip with the members from memory; a change of members locks the conversation row in a
//   transaction and runs the rule against what it locked.
// The members cache is kept across nodes by LISTEN/NOTIFY (member-changes.ts); recent senders hold
// the seqs this node wrote and those the others' pushes told of (a seq's sender never changes).
import { ParleyError } from '../../../protocol/index.js';
import type { Address, Conversation, ConversationEvent, ReceiptType, Role } from '../../../protocol/index.js';
import { UserLimits } from '../../realtime/rate-limit.js';
import { createMembershipCache, membersFrom, type ConversationMembers, type MembershipCacheLimits } from '../membership-cache.js';
import { createRecentSenders } from '../recent-senders.js';
import {
  EVENT_OVERHEAD_BYTES,
  actionColumns,
  currentMentions,
  deletedQuoteExtra,
  messageRow,
  replyTargetOf,
  type MessageExtra,
  type TargetRow,
  likePattern,
  mayReadFileSql,
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
  type ProfileRow,
  type TokenRow,
  type UserRow,
} from '../rows.js';
import type { ActionTarget, AppendResult, Authorize, Departure, FileUsage, HiddenBatch, NewAction, NewMessage, Storage } from '../storage.js';
import type { QueryResultRow } from 'pg';
import { openDatabase, uniqueViolation, type Queryable, type Statement } from './database.js';
import { MEMBERS_CHANNEL, listenForMemberChanges } from './member-changes.js';
import { migrations } from './migrations/index.js';
import { createTurnBatch, type Outcome } from './turn-batch.js';

/** Members as read, with the version they were read at: a write checked against it commits only if it is still current. */
type VersionedMembers = ConversationMembers & { version: number };

/** What makes a message or an action one, however often it is sent. */
type StoredKey = Pick<NewMessage, 'conversationId' | 'sender' | 'deviceId' | 'clientId'>;

interface Receipt {
  conversationId: string;
  address: Address;
  type: ReceiptType;
  seq: number;
}

/** Tries of a write whose members changed under it (another node's change) before it gives up. */
const MAX_ATTEMPTS = 5;

export interface PostgresStorageOptions {
  /** Connections in the pool (default DEFAULT_POOL_SIZE). */
  poolSize?: number;
  membershipCache?: MembershipCacheLimits;
  /** Where connection trouble is told (the server's log). */
  log?: (message: string, error?: unknown) => void;
}

/** Each text named by its key: a statement is parsed and planned once per connection. */
function statements<K extends string>(texts: Record<K, string>): Record<K, Statement> {
  return Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, { name, text }])) as Record<K, Statement>;
}

const EVENT_COLUMNS = 'conversation_id, seq, type, sender, client_id, body, file, target, extra, deleted, server_time';
const MEMBER_COLUMNS = 'conversation_id, address, role, delivered_seq, read_seq';

const q = statements({
  insertUser: 'INSERT INTO users (address, name, created_at) VALUES ($1, $2, $3)',
  getUser: 'SELECT address, name, avatar_file FROM users WHERE address = $1',
  searchUsers: "SELECT address, name, avatar_file FROM users WHERE address ILIKE $1 ESCAPE '\\' OR name ILIKE $1 ESCAPE '\\' ORDER BY address LIMIT $2",
  missingUsers: `SELECT a.address FROM unnest($1::text[]) WITH ORDINALITY AS a(address, n)
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.address = a.address) ORDER BY a.n`,
  getProfile: 'SELECT address, name, avatar_file, hide_last_seen, last_seen, hidden_version FROM users WHERE address = $1',
  // Each field only when given ($3: whether the avatar is, since null removes it).
  setProfile: `UPDATE users SET name = COALESCE($2, name), avatar_file = CASE WHEN $3::boolean THEN $4 ELSE avatar_file END,
      hide_last_seen = COALESCE($5::boolean, hide_last_seen)
    WHERE address = $1 RETURNING address, name, avatar_file, hide_last_seen, last_seen, hidden_version`,
  // Everyone who shares a conversation with the user: whom their presence and profile concern.
  contacts: `SELECT DISTINCT o.address, u.hide_last_seen, u.last_seen FROM members m
    JOIN members o ON o.conversation_id = m.conversation_id AND o.address <> m.address
    JOIN users u ON u.address = o.address
    WHERE m.address = $1 LIMIT $2`,
  setLastSeen: `UPDATE users u SET last_seen = GREATEST(COALESCE(u.last_seen, 0), v.seen)
    FROM unnest($1::text[], $2::bigint[]) AS v(address, seen) WHERE u.address = v.address`,
  getUserLimits: 'SELECT limits FROM users WHERE address = $1',
  setUserLimits: 'UPDATE users SET limits = $2 WHERE address = $1 RETURNING 1',
  insertToken: 'INSERT INTO tokens (hash, address, expires_at, created_at) VALUES ($1, $2, $3, $4)',
  findToken: 'SELECT hash, address, expires_at, revoked FROM tokens WHERE hash = $1',
  revokeTokens: 'WITH r AS (UPDATE tokens SET revoked = true WHERE address = $1 AND NOT revoked RETURNING 1) SELECT count(*) AS n FROM r',
  liveTokens: 'SELECT hash FROM tokens WHERE NOT revoked AND hash = ANY($1::text[])',

  // A new conversation and its members in one statement; with a distinct key already taken, the
  // conversation that has it. (Taken by a transaction that committed after this statement began,
  // it is not visible here: no row, and the caller asks again.)
  createConversation: `WITH created AS (
      INSERT INTO conversations (id, type, title, distinct_key, last_activity, created_at) VALUES ($1, $2, $3, $4, $5, $5)
      ON CONFLICT (distinct_key) DO NOTHING RETURNING id
    ), joined AS (
      INSERT INTO members (conversation_id, address, role, joined_at)
      SELECT created.id, m.address, m.role, $5 FROM created, unnest($6::text[], $7::text[]) AS m(address, role)
      ON CONFLICT DO NOTHING
    )
    SELECT id, true AS created FROM created
    UNION ALL
    SELECT id, false FROM conversations WHERE distinct_key = $4 AND NOT EXISTS (SELECT 1 FROM created)`,
  getConversation: 'SELECT id, type, title, description, last_seq, last_activity, created_at FROM conversations WHERE id = $1',
  getParticipants: `SELECT m.${MEMBER_COLUMNS.replaceAll(', ', ', m.')}, u.name, u.avatar_file FROM members m LEFT JOIN users u ON u.address = m.address
    WHERE m.conversation_id = $1 ORDER BY m.address`,
  getMembers: `SELECT c.type, c.members_version, m.address, m.role FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id
    WHERE c.id = $1`,
  // Every member's row, in the order receipts lock them: a change of members then waits for no row
  // while holding another that a receipt batch waits for.
  lockMemberRows: 'SELECT 1 FROM members WHERE conversation_id = $1 ORDER BY address FOR UPDATE',
  // The same, holding the conversation until the transaction ends: no event and no change of members meanwhile.
  lockMembers: `SELECT c.type, c.members_version, m.address, m.role FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id
    WHERE c.id = $1 FOR UPDATE OF c`,
  // One statement, so one snapshot: two reads side by side could see a conversation created between
  // them without its participants (and a device's sync would store it so).
  myConversations: `SELECT c.id, c.type, c.title, c.description, c.last_seq, c.last_activity, c.created_at,
      (SELECT json_agg(json_build_object(${MEMBER_COLUMNS.split(', ').map((column) => `'${column}', o.${column}`).join(', ')}, 'name', u.name, 'avatar_file', u.avatar_file) ORDER BY o.address)
        FROM members o LEFT JOIN users u ON u.address = o.address WHERE o.conversation_id = c.id) AS participants
    FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.address = $1`,

  // The messages of one turn, into any number of conversations, in one statement: one round trip,
  // one commit. Per message, a JSON object of $1: its conversation, sender, device, clientId, body,
  // file, time, file id, the members' version it was authorized against, reply target and extra (one
  // JSON text parses in ~half the time of eleven text arrays, measured). Those already stored (a
  // retried send) are answered with what is stored. The others take their conversation's next seqs
  // in order, only while its members are still those of their version: otherwise they get no row
  // (ask again). Conversations are locked in id order, the senders' marks (moved past their
  // messages) in (conversation, address) order as receipts lock them, so two nodes' statements never
  // deadlock. A file of this server a message carries is linked when its sender may read it.
  // A resent message, and the conversations to lock, are found by key one input row at a time
  // (LATERAL … LIMIT 1, which the planner cannot turn into a join): the plan is made once per
  // connection, and a join planned while a table was small scans all of it on every run after
  // (measured: the events table, on each message). A lateral lock takes its rows in the order of the
  // sorted keys it follows. The other steps join rows this statement found or wrote, each step
  // carrying what the next needs. The planner cannot count those rows: a NOT EXISTS against the
  // resent sends had it expect one row from `fresh`, so it joined `fresh` to `conv` by comparing each
  // row with each (and the conversations' update searched an ANY of the locked ones): a statement
  // cost the square of the conversations it wrote (bench:postgres: 110 µs of PostgreSQL CPU a
  // message, one in each of 100 conversations; now 33). `<> ALL (ARRAY(…))` it expects to keep most
  // rows, and joins `fresh` by hash; it still expects one row from `conv`, whose rows the later steps
  // join by hash or look up by key.
  appendMessages: `WITH input AS (
      SELECT * FROM ROWS FROM (json_to_recordset($1::json) AS (conversation_id text, sender text, device_id text, client_id text, body text,
          file text, server_time bigint, file_id text, version bigint, target bigint, extra text))
        WITH ORDINALITY AS i(conversation_id, sender, device_id, client_id, body, file, server_time, file_id, version, target, extra, n)
    ), prior AS (
      SELECT i.n, e.seq, e.body, e.file, e.target, e.extra, e.deleted, e.server_time FROM input i CROSS JOIN LATERAL (
        SELECT seq, body, file, target, extra, deleted, server_time FROM events e
        WHERE e.client_id = i.client_id AND e.sender = i.sender AND e.device_id = i.device_id AND e.conversation_id = i.conversation_id LIMIT 1
      ) e
    ), fresh AS (
      SELECT i.conversation_id, i.sender, i.device_id, i.client_id, i.body, i.file, i.server_time, i.target, i.extra, i.n, i.version,
        CASE WHEN i.file_id IS NOT NULL AND ${mayReadFileSql('i.file_id', 'i.sender')} THEN i.file_id END AS linked,
        row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.n) AS k
      FROM input i WHERE i.n <> ALL (ARRAY(SELECT n FROM prior))
    ), wanted AS (
      SELECT conversation_id, count(*) AS count, max(server_time) AS last_activity, min(version) AS version FROM fresh GROUP BY conversation_id
    ), locked AS (
      SELECT c.id, w.count, w.last_activity, w.version FROM (SELECT * FROM wanted ORDER BY conversation_id COLLATE "C") w
      CROSS JOIN LATERAL (SELECT id FROM conversations c WHERE c.id = w.conversation_id LIMIT 1 FOR UPDATE) c
    ), conv AS (
      UPDATE conversations c SET last_seq = c.last_seq + l.count, last_activity = l.last_activity
      FROM locked l WHERE c.id = l.id AND c.members_version = l.version
      RETURNING c.id, c.last_seq - l.count AS base
    ), message AS (
      INSERT INTO events (conversation_id, seq, type, sender, device_id, client_id, body, file, file_id, target, extra, server_time)
      SELECT f.conversation_id, conv.base + f.k, 'message', f.sender, f.device_id, f.client_id, f.body, f.file, f.linked, f.target, f.extra, f.server_time
      FROM fresh f JOIN conv ON conv.id = f.conversation_id
      RETURNING conversation_id, seq, sender
    ), senders AS (
      SELECT m.conversation_id, m.address, s.seq FROM (SELECT conversation_id, sender, max(seq) AS seq FROM message GROUP BY conversation_id, sender) s
      JOIN members m ON m.conversation_id = s.conversation_id AND m.address = s.sender
      ORDER BY m.conversation_id, m.address FOR UPDATE OF m
    ), marks AS (
      UPDATE members m SET read_seq = GREATEST(m.read_seq, s.seq), delivered_seq = GREATEST(m.delivered_seq, s.seq)
      FROM senders s WHERE m.conversation_id = s.conversation_id AND m.address = s.address
    ), link AS (
      INSERT INTO file_links (file_id, conversation_id)
      SELECT DISTINCT f.linked, f.conversation_id FROM fresh f JOIN conv ON conv.id = f.conversation_id WHERE f.linked IS NOT NULL
      ON CONFLICT DO NOTHING
    )
    SELECT f.n, false AS duplicate, conv.base + f.k AS seq, NULL::text AS body, NULL::text AS file, NULL::bigint AS target,
      NULL::text AS extra, false AS deleted, NULL::bigint AS server_time FROM fresh f JOIN conv ON conv.id = f.conversation_id
    UNION ALL
    SELECT n, true, seq, body, file, target, extra, deleted, server_time FROM prior`,
  // An event with a client id other than a message (an action), in a transaction that holds the conversation.
  appendAction: `WITH conv AS (
      UPDATE conversations SET last_seq = last_seq + 1, last_activity = $9 WHERE id = $1 RETURNING last_seq
    )
    INSERT INTO events (conversation_id, seq, type, sender, device_id, client_id, body, target, extra, server_time)
    SELECT $1, last_seq, $2, $3, $4, $5, $6, $7, $8, $9 FROM conv RETURNING seq`,
  findTarget: 'SELECT type, sender, body, file, file_id, deleted FROM events WHERE conversation_id = $1 AND seq = $2',
  latestRevise: "SELECT body FROM events WHERE conversation_id = $1 AND target = $2 AND type = 'revise' ORDER BY seq DESC LIMIT 1",
  eraseMessage: "UPDATE events SET deleted = true, body = '', file = NULL, file_id = NULL, extra = NULL WHERE conversation_id = $1 AND seq = $2",
  eraseRevisions: "UPDATE events SET body = '', extra = NULL WHERE conversation_id = $1 AND target = $2 AND type = 'revise'",
  replies: "SELECT seq, extra FROM events WHERE conversation_id = $1 AND target = $2 AND type = 'message' AND extra IS NOT NULL",
  setExtra: 'UPDATE events SET extra = $3 WHERE conversation_id = $1 AND seq = $2',
  // A live message of the conversation still carrying the file (a deleted one's file_id is erased).
  fileCarried: 'SELECT 1 FROM events WHERE conversation_id = $1 AND file_id = $2 LIMIT 1',
  unlinkFile: 'DELETE FROM file_links WHERE file_id = $1 AND conversation_id = $2',
  emojiOn: 'SELECT DISTINCT emoji FROM reactions WHERE conversation_id = $1 AND seq = $2',
  reactOn: 'INSERT INTO reactions (conversation_id, seq, emoji, address) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
  reactOff: 'DELETE FROM reactions WHERE conversation_id = $1 AND seq = $2 AND emoji = $3 AND address = $4',
  dropReactions: 'DELETE FROM reactions WHERE conversation_id = $1 AND seq = $2',
  messageTypes: 'SELECT seq, type FROM events WHERE conversation_id = $1 AND seq = ANY($2::bigint[])',
  hide: `WITH v AS (UPDATE users SET hidden_version = hidden_version + 1 WHERE address = $1 RETURNING hidden_version)
    INSERT INTO hidden (address, version, conversation_id, seqs) SELECT $1, hidden_version, $2, $3 FROM v RETURNING version`,
  hiddenAfter: 'SELECT version, conversation_id, seqs FROM hidden WHERE address = $1 AND version > $2 ORDER BY version LIMIT $3',
  findMessage: `SELECT ${EVENT_COLUMNS} FROM events WHERE client_id = $1 AND sender = $2 AND device_id = $3 AND conversation_id = $4`,

  // An event other than a message, inside a transaction that holds the conversation: $6 moves the
  // members' version, $7 forgets the distinct key (a distinct group whose people changed is no longer theirs).
  appendEvent: `WITH conv AS (
      UPDATE conversations SET last_seq = last_seq + 1, last_activity = $5, members_version = members_version + $6,
        distinct_key = CASE WHEN $7::boolean AND type <> 'direct' THEN NULL ELSE distinct_key END
      WHERE id = $1 RETURNING last_seq
    )
    INSERT INTO events (conversation_id, seq, type, sender, body, server_time)
    SELECT $1, last_seq, $2, $3, $4, $5 FROM conv RETURNING seq`,
  addMembers: `INSERT INTO members (conversation_id, address, role, joined_at)
    SELECT $1, m.address, m.role, $4 FROM unnest($2::text[], $3::text[]) AS m(address, role)
    ON CONFLICT DO NOTHING RETURNING address`,
  removeMembers: 'DELETE FROM members WHERE conversation_id = $1 AND address = ANY($2::text[]) RETURNING address',
  setRole: 'UPDATE members SET role = $3 WHERE conversation_id = $1 AND address = $2 AND role <> $3 RETURNING address',
  // The longest-standing member, when no admin is left: the one the admin role passes to.
  heir: `UPDATE members SET role = 'admin' WHERE conversation_id = $1 AND role <> 'admin'
      AND address = (SELECT address FROM members WHERE conversation_id = $1 ORDER BY joined_at, address LIMIT 1)
      AND NOT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND role = 'admin')
    RETURNING address`,
  departed: `INSERT INTO departures (conversation_id, address, seq, left_at) SELECT $1, a, $3, $4 FROM unnest($2::text[]) AS a
    ON CONFLICT (address, conversation_id) DO UPDATE SET seq = excluded.seq, left_at = excluded.left_at`,
  returned: 'DELETE FROM departures WHERE conversation_id = $1 AND address = ANY($2::text[])',
  notifyMembers: `SELECT pg_notify('${MEMBERS_CHANNEL}', $1)`,
  setDetails: `UPDATE conversations SET title = COALESCE($2, title), description = CASE WHEN $3::boolean THEN NULLIF($4, '') ELSE description END
    WHERE id = $1`,
  departure: 'SELECT seq FROM departures WHERE conversation_id = $1 AND address = $2',
  departures: 'SELECT conversation_id AS "conversationId", seq FROM departures WHERE address = $1 ORDER BY left_at DESC, conversation_id LIMIT $2',
  // A page of events, cut in the database where the running size passes the byte budget ($5, none
  // when null): only what is answered crosses the wire. The first event always fits.
  getEvents: `SELECT ${EVENT_COLUMNS} FROM (
      SELECT e.*, row_number() OVER w AS n,
        sum(${EVENT_OVERHEAD_BYTES} + octet_length(e.body) + COALESCE(octet_length(e.file), 0) + COALESCE(octet_length(e.extra), 0)) OVER w AS bytes
      FROM (SELECT * FROM events WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4) e
      WINDOW w AS (ORDER BY e.seq)
    ) page WHERE n = 1 OR $5::bigint IS NULL OR bytes <= $5 ORDER BY seq`,

  // The receipts of one turn (a JSON object of $1 each: conversation, address, type, seq) in one statement:
  // each person's marks locked in key order (no deadlock with another node's batch), then moved to
  // the highest valid seq given (read implies delivered; never back, never past the last seq).
  // Answers the marks as they were, from which each receipt's own answer follows in order.
  advanceReceipts: `WITH input AS (
      SELECT * FROM json_to_recordset($1::json) AS i(conversation_id text, address text, type text, seq bigint)
    ), cur AS (
      SELECT m.conversation_id, m.address, m.delivered_seq, m.read_seq, c.last_seq
      FROM (SELECT DISTINCT conversation_id COLLATE "C" AS conversation_id, address COLLATE "C" AS address FROM input ORDER BY 1, 2) k
      CROSS JOIN LATERAL (
        SELECT conversation_id, address, delivered_seq, read_seq FROM members m
        WHERE m.conversation_id = k.conversation_id AND m.address = k.address LIMIT 1 FOR UPDATE
      ) m
      CROSS JOIN LATERAL (SELECT last_seq FROM conversations c WHERE c.id = k.conversation_id LIMIT 1) c
    ), target AS (
      SELECT cur.conversation_id, cur.address,
        GREATEST(cur.read_seq, COALESCE(max(i.seq) FILTER (WHERE i.type = 'read' AND i.seq <= cur.last_seq), 0)) AS read_seq,
        GREATEST(cur.delivered_seq, COALESCE(max(i.seq) FILTER (WHERE i.seq <= cur.last_seq), 0)) AS delivered_seq
      FROM cur JOIN input i ON i.conversation_id = cur.conversation_id AND i.address = cur.address
      GROUP BY cur.conversation_id, cur.address, cur.read_seq, cur.delivered_seq
    ), moved AS (
      UPDATE members m SET read_seq = t.read_seq, delivered_seq = t.delivered_seq FROM target t
      WHERE m.conversation_id = t.conversation_id AND m.address = t.address AND (m.read_seq <> t.read_seq OR m.delivered_seq <> t.delivered_seq)
    )
    SELECT conversation_id, address, delivered_seq, read_seq, last_seq FROM cur`,
  // For each range, the senders of its messages; current members only: someone removed hears no
  // more receipts of the conversation.
  sendersBetween: `SELECT i.n, s.sender
    FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS i(conversation_id, previous, current, n)
    CROSS JOIN LATERAL (
      SELECT DISTINCT e.sender FROM events e JOIN members m ON m.conversation_id = e.conversation_id AND m.address = e.sender
      WHERE e.conversation_id = i.conversation_id AND e.seq > i.previous AND e.seq <= i.current AND e.type = 'message'
    ) s`,

  insertFile: 'INSERT INTO files (id, owner, name, size, mime, sha256, created_at, complete) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
  getFile: 'SELECT id, owner, name, size, mime, sha256, created_at, complete FROM files WHERE id = $1',
  completeFile: 'UPDATE files SET size = $2, sha256 = $3, complete = true WHERE id = $1',
  deleteFile: 'DELETE FROM files WHERE id = $1',
  staleUploads: 'SELECT id FROM files WHERE NOT complete AND created_at < $1',
  mayReadFile: `SELECT ${mayReadFileSql('$1', '$2')} AS may`,
  fileUsage: `SELECT COALESCE(SUM(size), 0)::bigint AS bytes, count(*) FILTER (WHERE NOT complete) AS uploads,
      COALESCE(SUM(size) FILTER (WHERE NOT complete), 0)::bigint AS "uploadBytes"
    FROM files WHERE owner = $1`,
  ping: 'SELECT 1',
  stats: `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM conversations) AS conversations,
      (SELECT count(*) FROM events WHERE type = 'message') AS messages`,
});

interface MembersRow {
  type: Conversation['type'];
  members_version: number;
  address: Address | null;
  role: Role | null;
}

function toMembers(rows: MembersRow[]): VersionedMembers | null {
  if (rows.length === 0) return null;
  const members = membersFrom(rows[0]!.type, rows.flatMap((r) => (r.address === null ? [] : [{ address: r.address, role: r.role! }])));
  return { ...members, version: rows[0]!.members_version };
}

/** Membership, then the caller's rule, against the members given. */
function authorizeOn(members: ConversationMembers | null, conversationId: string, sender: Address, authorize: Authorize | undefined): void {
  if (!members?.roles.has(sender)) throw new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`);
  authorize?.(members);
}

/** Why these members refuse this message (not a member, or the caller's rule), or null. */
function refusal(members: ConversationMembers | null, m: NewMessage): unknown {
  try {
    authorizeOn(members, m.conversationId, m.sender, m.authorize);
    return null;
  } catch (error) {
    return error;
  }
}

/**
 * Receipt statements start at most this often per node: under load each carries ~20 ms of receipts
 * instead of a few (PostgreSQL spends ~160 µs on a statement before its rows, measured), and a tick
 * shows up to 20 ms later, which no one sees.
 */
const RECEIPTS_SPACING_MS = 20;

export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<Storage> {
  const log = options.log ?? (() => {});
  const db = await openDatabase(url, { poolSize: options.poolSize, log });
  try {
    await db.migrate(migrations);
  } catch (error) {
    await db.close();
    throw error;
  }

  const membership = createMembershipCache<VersionedMembers>(options.membershipCache);
  const recent = createRecentSenders();
  // Moves with every invalidation: members read before one are not cached after it.
  let generation = 0;
  const forget = (conversationId: string | null) => {
    generation++;
    if (conversationId === null) membership.clear();
    else membership.forget(conversationId);
  };
  let changes;
  try {
    changes = await listenForMemberChanges(url, { changed: forget, log });
  } catch (error) {
    await db.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  const query = <R extends QueryResultRow>(statement: Statement, values: readonly unknown[], on: Queryable = db): Promise<R[]> => on.query<R>(statement, values);

  /** From memory while the cache is kept current; `fresh` reads the database whatever it holds. */
  const membersOf = async (conversationId: string, fresh = false): Promise<VersionedMembers | null> => {
    if (changes.live && !fresh) {
      const cached = membership.get(conversationId);
      if (cached) return cached;
    }
    const seen = generation;
    const members = toMembers(await query<MembersRow>(q.getMembers, [conversationId]));
    if (members && changes.live && seen === generation) membership.put(conversationId, members);
    return members;
  };

  const lockedMembers = async (tx: Queryable, conversationId: string) => toMembers(await query<MembersRow>(q.lockMembers, [conversationId], tx));

  /** The message this device already sent with this clientId: a retry is answered with the original. */
  const storedBefore = async (m: StoredKey, on: Queryable = db): Promise<AppendResult | null> => {
    const [row] = await query<EventRow>(q.findMessage, [m.clientId, m.sender, m.deviceId, m.conversationId], on);
    return row ? { event: toEvent(row), duplicate: true, members: (await membersOf(m.conversationId))?.addresses ?? [] } : null;
  };

  /**
   * One conversation's sends, ready for the statement: those its members refuse are answered (a
   * retry of a send stored while it was allowed still gets its original answer), the rest carry what
   * they store beside their text (the reply's target as quoted now, the mentions of members). A send
   * twice in one batch is one message: `batch` holds the first copies.
   */
  interface Prepared {
    conversationId: string;
    sends: NewMessage[];
    members: VersionedMembers | null;
    outcomes: Array<Outcome<AppendResult> | undefined>;
    extras: Map<number, string | null>;
    batch: number[];
  }

  const sendKey = (m: NewMessage) => `${m.sender}\n${m.deviceId}\n${m.clientId}`;

  /** `tx`: in a transaction that holds the conversation; `fresh`: the members read from the database. */
  const prepare = async (conversationId: string, sends: NewMessage[], tx: Queryable | null, fresh: boolean): Promise<Prepared> => {
    const on = tx ?? db;
    const outcomes: Array<Outcome<AppendResult> | undefined> = sends.map(() => undefined);
    let members = tx ? await lockedMembers(tx, conversationId) : await membersOf(conversationId, fresh);
    // A refusal is never made on memory alone: the members are read again first.
    if (!tx && !fresh && sends.some((m) => refusal(members, m) !== null)) members = await membersOf(conversationId, true);
    const extras = new Map<number, string | null>();
    for (const [i, m] of sends.entries()) {
      const refused = refusal(members, m);
      if (refused !== null) {
        const before = await storedBefore(m, on);
        outcomes[i] = before ? { ok: true, value: before } : { ok: false, error: refused };
        continue;
      }
      const extra: MessageExtra = {};
      try {
        if (m.replyTo !== undefined) {
          const target = messageRow((await query<TargetRow>(q.findTarget, [conversationId, m.replyTo], on))[0], conversationId, m.replyTo);
          const [revised] = await query<{ body: string }>(q.latestRevise, [conversationId, m.replyTo], on);
          extra.replyTo = replyTargetOf(m.replyTo, target, revised?.body);
        }
      } catch (error) {
        if (!(error instanceof ParleyError)) throw error;
        outcomes[i] = { ok: false, error };
        continue;
      }
      const mentions = currentMentions(m.mentions, members!);
      if (mentions) extra.mentions = mentions;
      extras.set(i, extra.replyTo || extra.mentions ? JSON.stringify(extra) : null);
    }
    const firsts = new Map<string, number>();
    for (const i of extras.keys()) if (!firsts.has(sendKey(sends[i]!))) firsts.set(sendKey(sends[i]!), i);
    return { conversationId, sends, members, outcomes, extras, batch: [...firsts.values()] };
  };

  /**
   * One statement for the prepared conversations' messages; fills in each one's outcomes, leaving
   * undefined those whose members changed under it (another node's change: read them again).
   */
  const appendPrepared = async (prepared: Prepared[], tx: Queryable | null): Promise<void> => {
    const entries = prepared.flatMap((p) => p.batch.map((i) => ({ p, i, m: p.sends[i]! })));
    if (entries.length === 0) return;
    const input = entries.map(({ p, i, m }) => ({
      conversation_id: p.conversationId,
      sender: m.sender,
      device_id: m.deviceId,
      client_id: m.clientId,
      body: m.body,
      file: m.file ? JSON.stringify(m.file) : null,
      server_time: m.serverTime,
      file_id: m.fileId ?? null,
      version: p.members!.version,
      target: m.replyTo ?? null,
      extra: p.extras.get(i) ?? null,
    }));
    const rows = await query<EventRow & { n: number; duplicate: boolean }>(q.appendMessages, [JSON.stringify(input)], tx ?? db);
    const answered = new Map<Prepared, number>();
    for (const row of rows.sort((x, y) => x.seq - y.seq)) {
      const { p, i, m } = entries[row.n - 1]!;
      answered.set(p, (answered.get(p) ?? 0) + 1);
      const stored = row.duplicate
        ? row
        : { body: m.body, file: m.file ? JSON.stringify(m.file) : null, target: m.replyTo ?? null, extra: p.extras.get(i) ?? null, deleted: false, server_time: m.serverTime };
      const event = toEvent({ ...stored, conversation_id: p.conversationId, seq: row.seq, type: 'message', sender: m.sender, client_id: m.clientId });
      if (!row.duplicate && !tx) recent.appended(p.conversationId, row.seq, m.sender);
      for (const j of p.extras.keys()) {
        if (sendKey(p.sends[j]!) === sendKey(m)) p.outcomes[j] = { ok: true, value: { event, duplicate: row.duplicate || j !== i, members: p.members!.addresses } };
      }
    }
    // The members changed: read them again.
    for (const p of prepared) if ((answered.get(p) ?? 0) < p.batch.length) forget(p.conversationId);
  };

  /** Puts `answers`, in order, where `outcomes` has none yet (a try answers what the one before left). */
  const fill = (outcomes: Array<Outcome<AppendResult> | undefined>, answers: ReadonlyArray<Outcome<AppendResult> | undefined>) => {
    let k = 0;
    outcomes.forEach((o, i) => {
      if (!o) outcomes[i] = answers[k++];
    });
  };

  /**
   * Messages into one conversation, in order, a statement a try, after a first try (`tried`) that
   * left some unanswered: each answered, or refused as the members (read again before any refusal)
   * refuse it. A try that finds the members changed (another node's change) reads them again; one
   * that meets the same send committed on another node after it began finds it stored the next
   * time. Replies quote their target as the write sees it: with one among them, the try runs in a
   * transaction holding the conversation (so no delete or revise of the target commits between the
   * quote and the reply).
   */
  const appendToConversation = async (
    conversationId: string,
    sends: NewMessage[],
    tried: Array<Outcome<AppendResult> | undefined> = sends.map(() => undefined),
  ): Promise<Array<Outcome<AppendResult>>> => {
    const outcomes = [...tried];
    if (sends.some((m, i) => !outcomes[i] && m.replyTo !== undefined)) {
      const pending = sends.filter((_, i) => !outcomes[i]);
      const p = await db.transaction(async (tx) => {
        const prepared = await prepare(conversationId, pending, tx, true);
        await appendPrepared([prepared], tx);
        return prepared;
      });
      fill(outcomes, p.outcomes);
    }
    // After a first try, what it left unanswered met members that changed: read them from the database.
    const triedBefore = tried.some((o) => o !== undefined) || outcomes.some((o) => o !== undefined);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && outcomes.includes(undefined); attempt++) {
      try {
        const p = await prepare(conversationId, sends.filter((_, i) => !outcomes[i]), null, attempt > 0 || triedBefore);
        await appendPrepared([p], null);
        fill(outcomes, p.outcomes);
      } catch (error) {
        // The same send committed on another node after this try began: the next one finds it stored.
        if (uniqueViolation(error) !== 'events_idempotency') throw error;
      }
    }
    const busy = new ParleyError('unavailable', `the members of conversation ${conversationId} kept changing; retry shortly`);
    return outcomes.map((o) => o ?? { ok: false, error: busy });
  };

  /**
   * A batch's messages: those of every conversation without a reply in one statement (one commit,
   * however many conversations it writes to). That statement is all the batch holds the next one
   * back for: whatever it left (replies, in a transaction holding their conversation; members that
   * changed meanwhile; everything, when it failed) goes on afterwards, a conversation at a time, its
   * callers answered when it is done, so one slow conversation delays only its own sends.
   */
  const sendBatch = createTurnBatch<NewMessage, AppendResult | Promise<AppendResult>>(async (items) => {
    const byConversation = new Map<string, number[]>();
    items.forEach((m, i) => {
      const list = byConversation.get(m.conversationId);
      if (list) list.push(i);
      else byConversation.set(m.conversationId, [i]);
    });
    const tried = new Map<string, Array<Outcome<AppendResult> | undefined>>();
    const plain = [...byConversation].filter(([, indexes]) => indexes.every((i) => items[i]!.replyTo === undefined));
    try {
      const prepared = await Promise.all(plain.map(([conversationId, indexes]) => prepare(conversationId, indexes.map((i) => items[i]!), null, false)));
      await appendPrepared(prepared, null);
      for (const p of prepared) tried.set(p.conversationId, p.outcomes);
    } catch (error) {
      // A send committed on another node meanwhile, or a failure: each conversation tries on its own,
      // so what fails one fails no other.
      if (uniqueViolation(error) !== 'events_idempotency') log('the batch of messages failed; each conversation tries alone', error);
      tried.clear();
    }
    const outcomes: Array<Outcome<AppendResult | Promise<AppendResult>>> = [];
    for (const [conversationId, indexes] of byConversation) {
      const first = tried.get(conversationId);
      if (first && !first.includes(undefined)) {
        indexes.forEach((i, k) => (outcomes[i] = first[k]!));
        continue;
      }
      // Each caller adopts its own answer's promise, so a failure here reaches every one of them.
      const answers = appendToConversation(conversationId, indexes.map((i) => items[i]!), first);
      indexes.forEach((i, k) => {
        outcomes[i] = { ok: true, value: answers.then((list) => (list[k]!.ok ? list[k]!.value : Promise.reject(list[k]!.error))) };
      });
    }
    return outcomes;
  });

  /** A revise, delete or react: checked and written in a transaction that holds the conversation. */
  const appendAction = async (a: NewAction): Promise<AppendResult> => {
    const { conversationId, sender, deviceId, clientId, target, change, serverTime } = a;
    const result = await db.transaction(async (tx): Promise<AppendResult> => {
      const members = await lockedMembers(tx, conversationId);
      // A retry is answered with what was stored, whatever happened to the target since.
      const before = await storedBefore(a, tx);
      if (before) {
        if (before.event.type !== change.type) throw new ParleyError('conflict', `clientId ${clientId} already names a ${before.event.type} event`);
        return before;
      }
      authorizeOn(members, conversationId, sender, undefined);
      const row = messageRow((await query<TargetRow>(q.findTarget, [conversationId, target], tx))[0], conversationId, target);
      if (row.deleted) throw new ParleyError('bad_request', `message ${target} was deleted`);
      const emoji = change.type === 'react' ? (await query<{ emoji: string }>(q.emojiOn, [conversationId, target], tx)).map((r) => r.emoji) : [];
      const subject: ActionTarget = { sender: row.sender!, hasFile: row.file !== null, emoji };
      a.authorize(members!, subject);
      const { body, extra } = actionColumns(change, members!);
      if (change.type === 'react') await query(change.on ? q.reactOn : q.reactOff, [conversationId, target, change.emoji, sender], tx);
      if (change.type === 'delete') {
        // What it said goes: its text and file, its edits, its replies' quotes of it, its reactions, its file's link.
        await query(q.eraseMessage, [conversationId, target], tx);
        await query(q.eraseRevisions, [conversationId, target], tx);
        for (const reply of await query<{ seq: number; extra: string }>(q.replies, [conversationId, target], tx)) {
          await query(q.setExtra, [conversationId, reply.seq, deletedQuoteExtra(reply.extra, target, row.sender!)], tx);
        }
        await query(q.dropReactions, [conversationId, target], tx);
        if (row.file_id !== null && (await query(q.fileCarried, [conversationId, row.file_id], tx)).length === 0) {
          await query(q.unlinkFile, [row.file_id, conversationId], tx);
        }
      }
      const [stored] = await query<{ seq: number }>(q.appendAction, [conversationId, change.type, sender, deviceId, clientId, body, target, extra, serverTime], tx);
      const event = toEvent({ conversation_id: conversationId, seq: stored!.seq, type: change.type, sender, client_id: clientId, body, file: null, target, extra, deleted: false, server_time: serverTime });
      return { event, duplicate: false, members: members!.addresses };
    });
    if (!result.duplicate) recent.appended(conversationId, result.event.seq, null);
    return result;
  };

  const hideMessages = async (address: Address, conversationId: string, seqs: readonly number[]): Promise<HiddenBatch> => {
    // A former member hides within the history they had: up to the event that removed them.
    const members = await membersOf(conversationId, true);
    const last = members?.roles.has(address) ? Number.MAX_SAFE_INTEGER : ((await query<{ seq: number }>(q.departure, [conversationId, address]))[0]?.seq ?? null);
    if (last === null) throw new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`);
    const unique = [...new Set(seqs)].sort((x, y) => x - y);
    const types = new Map((await query<{ seq: number; type: string }>(q.messageTypes, [conversationId, unique])).map((r) => [r.seq, r.type]));
    for (const seq of unique) {
      if (seq > last) throw new ParleyError('not_member', `message ${seq} came after you left conversation ${conversationId}`);
      const type = types.get(seq);
      messageRow(type === undefined ? undefined : { type, sender: null, body: '', file: null, file_id: null, deleted: false }, conversationId, seq);
    }
    const [row] = await query<{ version: number }>(q.hide, [address, conversationId, JSON.stringify(unique)]);
    if (!row) throw new ParleyError('not_found', `no such user: ${address}`);
    return { version: row.version, conversationId, seqs: unique };
  };

  /**
   * A batch's receipts in one statement; each answered as if they had run one after another. Their
   * statements are spaced (RECEIPTS_SPACING_MS), messages' are not: an answer that only moves a
   * tick may wait where one that acknowledges a send should not.
   */
  const receipts = createTurnBatch<Receipt, { previous: number; current: number }>(async (items) => {
    const input = items.map((r) => ({ conversation_id: r.conversationId, address: r.address, type: r.type, seq: r.seq }));
    const rows = await query<{ conversation_id: string; address: Address; delivered_seq: number; read_seq: number; last_seq: number }>(q.advanceReceipts, [
      JSON.stringify(input),
    ]);
    const marks = new Map(rows.map((row) => [`${row.conversation_id}\n${row.address}`, { ...row }]));
    return items.map(({ conversationId, address, type, seq }) => {
      const mark = marks.get(`${conversationId}\n${address}`);
      if (!mark) return { ok: false, error: new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`) };
      if (seq > mark.last_seq) return { ok: false, error: new ParleyError('bad_request', `seq ${seq} is beyond the conversation's last (${mark.last_seq})`) };
      const previous = type === 'read' ? mark.read_seq : mark.delivered_seq;
      if (seq <= previous) return { ok: true, value: { previous, current: previous } };
      if (type === 'read') mark.read_seq = seq;
      mark.delivered_seq = Math.max(mark.delivered_seq, seq);
      return { ok: true, value: { previous, current: seq } };
    });
  }, { spacingMs: RECEIPTS_SPACING_MS });

  /**
   * A batch's sender lookups in one statement, for the ranges recent senders do not hold whole
   * (older history; a push from another node lost with Redis away).
   */
  const senderLookups = createTurnBatch<{ conversationId: string; previous: number; current: number }, Address[]>(async (items) => {
    const rows = await query<{ n: number; sender: Address }>(q.sendersBetween, [
      items.map((r) => r.conversationId),
      items.map((r) => r.previous),
      items.map((r) => r.current),
    ]);
    const senders: Address[][] = items.map(() => []);
    for (const row of rows) senders[row.n - 1]!.push(row.sender);
    return senders.map((value) => ({ ok: true, value }));
  });

  /** An event other than a message, in a transaction that holds the conversation. */
  const appendEvent = async (
    tx: Queryable,
    conversationId: string,
    type: ConversationEvent['type'],
    sender: Address | null,
    body: string,
    serverTime: number,
    change: { members: boolean; distinct: boolean },
  ): Promise<EventRow> => {
    const [row] = await query<{ seq: number }>(q.appendEvent, [conversationId, type, sender, body, serverTime, change.members ? 1 : 0, change.distinct], tx);
    if (!row) throw new ParleyError('not_found', `conversation ${conversationId} does not exist`);
    return { conversation_id: conversationId, seq: row.seq, type, sender, client_id: null, body, file: null, target: null, extra: null, deleted: false, server_time: serverTime };
  };

  return {
    async createUser(user) {
      try {
        await query(q.insertUser, [user.address, user.name, Date.now()]);
      } catch (error) {
        if (uniqueViolation(error) === 'users_pkey') throw new ParleyError('conflict', `a user with the address ${user.address} exists`);
        throw error;
      }
      return user;
    },
    async getUser(address) {
      const [row] = await query<UserRow>(q.getUser, [address]);
      return row ? toUser(row) : null;
    },
    async searchUsers(text, limit) {
      return (await query<UserRow>(q.searchUsers, [likePattern(text), limit])).map(toUser);
    },
    async missingUsers(addresses) {
      if (addresses.length === 0) return [];
      return (await query<{ address: Address }>(q.missingUsers, [addresses])).map((r) => r.address);
    },
    async getUserLimits(address) {
      const [row] = await query<{ limits: string | null }>(q.getUserLimits, [address]);
      if (!row) return null;
      return row.limits === null ? {} : UserLimits.parse(JSON.parse(row.limits));
    },
    async setUserLimits(address, limits) {
      const empty = limits.rateLimit === undefined && limits.userRateLimit === undefined;
      return (await query(q.setUserLimits, [address, empty ? null : JSON.stringify(limits)])).length > 0;
    },
    async getProfile(address) {
      const [row] = await query<ProfileRow>(q.getProfile, [address]);
      return row ? toProfile(row) : null;
    },
    async setProfile(address, change) {
      const [row] = await query<ProfileRow>(q.setProfile, [address, change.name ?? null, change.avatar !== undefined, change.avatar ?? null, change.hideLastSeen ?? null]);
      return row ? toProfile(row) : null;
    },
    async contactsOf(address, limit) {
      const rows = await query<{ address: string; hide_last_seen: boolean; last_seen: number | null }>(q.contacts, [address, limit]);
      return rows.map((r) => ({ address: r.address, hideLastSeen: r.hide_last_seen, lastSeen: r.last_seen }));
    },
    async setLastSeen(seen) {
      if (seen.length === 0) return;
      // One row per user (the latest), so the update sees each once.
      const latest = new Map<Address, number>();
      for (const [address, time] of seen) latest.set(address, Math.max(time, latest.get(address) ?? time));
      await query(q.setLastSeen, [[...latest.keys()], [...latest.values()]]);
    },

    async createToken(address, hash, expiresAt) {
      await query(q.insertToken, [hash, address, expiresAt, Date.now()]);
    },
    async findToken(hash) {
      const [row] = await query<TokenRow>(q.findToken, [hash]);
      return row ? toToken(row) : null;
    },
    async revokeTokens(address) {
      const [row] = await query<{ n: number }>(q.revokeTokens, [address]);
      return row!.n;
    },
    async liveTokens(hashes) {
      return new Set((await query<{ hash: string }>(q.liveTokens, [hashes])).map((r) => r.hash));
    },

    async createConversation(c) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const [row] = await query<{ id: string; created: boolean }>(q.createConversation, [
          c.id,
          c.type,
          c.title,
          c.distinctKey,
          c.createdAt,
          c.members.map((m) => m.address),
          c.members.map((m) => m.role),
        ]);
        if (row) return row;
      }
      throw new ParleyError('unavailable', 'the conversation is being created elsewhere; retry shortly');
    },
    async getConversation(id) {
      const [row] = await query<ConversationRow>(q.getConversation, [id]);
      return row ? toRecord(row) : null;
    },
    async getParticipants(conversationId) {
      return (await query<MemberRow>(q.getParticipants, [conversationId])).map(toParticipant);
    },
    getMembers: (conversationId) => membersOf(conversationId),
    async listConversations(address) {
      const rows = await query<ConversationRow & { participants: MemberRow[] }>(q.myConversations, [address]);
      return rows.map((row): Conversation => ({ ...toRecord(row), participants: row.participants.map(toParticipant) }));
    },

    appendMessage: async (message) => await sendBatch.run(message),
    appendAction,
    hideMessages,
    async hiddenAfter(address, after, limit) {
      const rows = await query<{ version: number; conversation_id: string; seqs: string }>(q.hiddenAfter, [address, after, limit]);
      return rows.map((r) => ({ version: r.version, conversationId: r.conversation_id, seqs: JSON.parse(r.seqs) as number[] }));
    },
    async changeMembers(conversationId, change, sender, serverTime, authorize) {
      const result = await db.transaction(async (tx) => {
        const members = await lockedMembers(tx, conversationId);
        if (sender !== null && authorize) authorizeOn(members, conversationId, sender, authorize);
        // No such conversation: nothing to change (as on SQLite).
        if (!members) return { event: null, before: [] };
        await query(q.lockMemberRows, [conversationId], tx);
        const before = members.addresses;
        const addedRows = await query<{ address: Address }>(
          q.addMembers,
          [conversationId, change.add.map((m) => m.address), change.add.map((m) => m.role), serverTime],
          tx,
        );
        const addedSet = new Set(addedRows.map((r) => r.address));
        const added = change.add.filter((m) => addedSet.delete(m.address));
        const removedSet = new Set((await query<{ address: Address }>(q.removeMembers, [conversationId, change.remove], tx)).map((r) => r.address));
        const removed = change.remove.filter((a) => removedSet.delete(a));
        const promoted: Address[] = [];
        const demoted: Address[] = [];
        for (const { address, role } of change.roles ?? []) {
          if ((await query(q.setRole, [conversationId, address, role], tx)).length > 0) (role === 'admin' ? promoted : demoted).push(address);
        }
        // A group never loses its last admin by a departure: the longest-standing member takes over.
        if (members.type !== 'direct' && removed.some((a) => members.roles.get(a) === 'admin')) {
          const [heir] = await query<{ address: Address }>(q.heir, [conversationId], tx);
          if (heir) promoted.push(heir.address);
        }
        if (added.length === 0 && removed.length === 0 && promoted.length === 0 && demoted.length === 0) return { event: null, before };
        const body = JSON.stringify({
          added: added.map((m) => m.address),
          removed,
          ...(promoted.length > 0 ? { promoted } : {}),
          ...(demoted.length > 0 ? { demoted } : {}),
        });
        const row = await appendEvent(tx, conversationId, 'members', sender, body, serverTime, { members: true, distinct: added.length > 0 || removed.length > 0 });
        if (removed.length > 0) await query(q.departed, [conversationId, removed, row.seq, serverTime], tx);
        if (added.length > 0) await query(q.returned, [conversationId, added.map((m) => m.address)], tx);
        // Delivered to every node when this commits: each forgets the members it holds.
        await query(q.notifyMembers, [conversationId], tx);
        return { event: toEvent(row), before };
      });
      if (result.event) {
        forget(conversationId);
        recent.appended(conversationId, result.event.seq, null);
      }
      return result;
    },
    async editConversation(conversationId, details, sender, serverTime, authorize) {
      const row = await db.transaction(async (tx) => {
        const members = await lockedMembers(tx, conversationId);
        if (sender !== null) authorizeOn(members, conversationId, sender, authorize);
        await query(q.setDetails, [conversationId, details.title ?? null, details.description !== undefined, details.description ?? null], tx);
        return appendEvent(tx, conversationId, 'edit', sender, JSON.stringify(details), serverTime, { members: false, distinct: false });
      });
      recent.appended(conversationId, row.seq, null);
      return toEvent(row);
    },
    async departure(conversationId, address) {
      const [row] = await query<{ seq: number }>(q.departure, [conversationId, address]);
      return row?.seq ?? null;
    },
    async departures(address, limit) {
      return query<Departure>(q.departures, [address, limit]);
    },
    async getEvents(conversationId, fromSeq, toSeq, limit, maxBytes = Infinity) {
      const rows = await query<EventRow>(q.getEvents, [conversationId, fromSeq, toSeq, limit, Number.isFinite(maxBytes) ? maxBytes : null]);
      return rows.map(toEvent);
    },

    advanceReceipt: (conversationId, address, type, seq) => receipts.run({ conversationId, address, type, seq }),
    async sendersBetween(conversationId, previous, current) {
      const held = recent.between(conversationId, previous, current);
      if (held === null) return senderLookups.run({ conversationId, previous, current });
      const members = await membersOf(conversationId);
      return held.filter((sender) => members?.roles.has(sender));
    },
    writtenElsewhere: (conversationId, seq, sender) => recent.appended(conversationId, seq, sender),

    async createFile(file) {
      await query(q.insertFile, [file.id, file.owner, file.name, file.size, file.mime, file.sha256, file.createdAt, file.complete]);
    },
    async getFile(id) {
      const [row] = await query<FileRow>(q.getFile, [id]);
      return row ? toFile(row) : null;
    },
    async completeFile(id, size, sha256) {
      await query(q.completeFile, [id, size, sha256]);
    },
    async deleteFile(id) {
      await query(q.deleteFile, [id]);
    },
    async staleUploads(before) {
      return (await query<{ id: string }>(q.staleUploads, [before])).map((r) => r.id);
    },
    async mayReadFile(id, address) {
      const [row] = await query<{ may: boolean }>(q.mayReadFile, [id, address]);
      return row!.may;
    },
    async fileUsage(owner) {
      const [row] = await query<FileUsage>(q.fileUsage, [owner]);
      return row!;
    },
    async stats() {
      const [row] = await query<{ users: number; conversations: number; messages: number }>(q.stats, []);
      return row!;
    },
    async ping() {
      // A connection from the pool answering: what /readyz asks of the database.
      await query(q.ping, []);
    },
    close() {
      closing ??= (async () => {
        await changes.close();
        await db.close();
      })();
      return closing;
    },
  };
}
