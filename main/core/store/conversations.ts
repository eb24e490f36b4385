// The conversations table (with this device's mute pref joined in for reads): what the server told
// of each conversation, and how far this device has stored and read it.
import type { Db } from '../../../common/node/sqlite.js';
import type { Conversation, Participant } from '../../../protocol/index.js';

export interface ConversationRecord {
  id: string;
  type: Conversation['type'];
  title: string | null;
  description: string | null;
  participants: Participant[];
  /** The highest seq the server has told of. */
  lastSeq: number;
  /** Every event up to here is stored. */
  haveSeq: number;
  /** My read mark. */
  readSeq: number;
  /** Stored messages from others after my read mark (migration 9), and those of them that mention me. */
  unread: number;
  unreadMentions: number;
  lastActivity: number;
  createdAt: number;
  muted: boolean;
}

type Row = Omit<ConversationRecord, 'participants' | 'muted'> & { participants: string; muted: number };

const SELECT = `SELECT c.id, c.type, c.title, c.description, c.participants, c.last_seq AS lastSeq, c.have_seq AS haveSeq, c.read_seq AS readSeq,
  c.unread, c.unread_mentions AS unreadMentions, c.last_activity AS lastActivity, c.created_at AS createdAt, coalesce(p.muted, 0) AS muted
  FROM conversations c LEFT JOIN conversation_prefs p ON p.conversation_id = c.id`;

const toRecord = (r: Row): ConversationRecord => ({ ...r, participants: JSON.parse(r.participants) as Participant[], muted: r.muted === 1 });

export type ConversationsStore = ReturnType<typeof createConversationsStore>;

export function createConversationsStore(db: Db) {
  const q = {
    get: db.prepare(`${SELECT} WHERE c.id = ?`),
    all: db.prepare(`${SELECT} ORDER BY c.last_activity DESC`),
    // No participants to parse: the badge total is read after every event.
    unread: db.prepare('SELECT coalesce(sum(c.unread), 0) FROM conversations c LEFT JOIN conversation_prefs p ON p.conversation_id = c.id WHERE coalesce(p.muted, 0) = 0').pluck(),
    upsert: db.prepare(
      `INSERT INTO conversations (id, type, title, description, participants, last_seq, read_seq, last_activity, created_at)
       VALUES (@id, @type, @title, @description, @participants, @lastSeq, @readSeq, @lastActivity, @createdAt)
       ON CONFLICT(id) DO UPDATE SET type = excluded.type, title = excluded.title, description = excluded.description,
         participants = excluded.participants, last_seq = max(last_seq, excluded.last_seq), last_activity = max(last_activity, excluded.last_activity)`,
    ),
    behind: db.prepare('SELECT id, have_seq AS haveSeq, last_seq AS lastSeq FROM conversations WHERE have_seq < last_seq ORDER BY last_activity DESC'),
    haveSeq: db.prepare('SELECT have_seq FROM conversations WHERE id = ?').pluck(),
    bump: db.prepare('UPDATE conversations SET last_seq = max(last_seq, ?), last_activity = max(last_activity, ?) WHERE id = ?'),
    setTitle: db.prepare('UPDATE conversations SET title = ? WHERE id = ?'),
    setDescription: db.prepare('UPDATE conversations SET description = ? WHERE id = ?'),
    setParticipants: db.prepare('UPDATE conversations SET participants = ? WHERE id = ?'),
    // Never below what is stored: an event pushed meanwhile keeps its place.
    lowerLast: db.prepare(
      `UPDATE conversations SET last_seq = max(@seq, have_seq, coalesce((SELECT max(seq) FROM messages WHERE conversation_id = @id), 0))
       WHERE id = @id AND last_seq > @seq`,
    ),
    setHave: db.prepare('UPDATE conversations SET have_seq = ? WHERE id = ?'),
    readSeq: db.prepare('SELECT read_seq FROM conversations WHERE id = ?').pluck(),
    // What the mark moves over is read: the counts lose the messages they held there (every SET
    // expression sees the row as it was).
    setRead: db.prepare(
      `UPDATE conversations SET
         unread = unread - (SELECT count(*) FROM messages m WHERE m.conversation_id = @id AND m.seq > conversations.read_seq AND m.seq <= @seq
           AND m.kind IN ('text', 'file') AND m.sender <> @me AND m.deleted IS NULL AND m.hidden IS NULL),
         unread_mentions = unread_mentions - (SELECT count(*) FROM messages m WHERE m.conversation_id = @id AND m.seq > conversations.read_seq AND m.seq <= @seq
           AND m.kind IN ('text', 'file') AND m.sender <> @me AND m.deleted IS NULL AND m.hidden IS NULL AND m.mentions_me = 1),
         read_seq = @seq
       WHERE id = @id AND read_seq < @seq`,
    ),
    count: db.prepare('UPDATE conversations SET unread = unread + ?, unread_mentions = unread_mentions + ? WHERE id = ?'),
    findDirect: db
      .prepare(
        `SELECT c.id FROM conversations c, json_each(c.participants) p
         WHERE c.type = 'direct' AND json_extract(p.value, '$.address') = ? LIMIT 1`,
      )
      .pluck(),
  };

  return {
    get(id: string): ConversationRecord | null {
      const row = q.get.get(id) as Row | undefined;
      return row ? toRecord(row) : null;
    },
    /** Most recently active first. */
    all(): ConversationRecord[] {
      return (q.all.all() as Row[]).map(toRecord);
    },
    /** Unread over the conversations not muted here. */
    unreadTotal(): number {
      return q.unread.get() as number;
    },
    /** Marks only move forward: a stale copy from the server does not take back what is stored. My read mark is new rows' only (setRead moves it). */
    upsert(c: Conversation, readSeq: number): void {
      q.upsert.run({
        id: c.id,
        type: c.type,
        title: c.title,
        description: c.description ?? null,
        participants: JSON.stringify(c.participants),
        lastSeq: c.lastSeq,
        readSeq,
        lastActivity: c.lastActivity,
        createdAt: c.createdAt,
      });
    },
    /** Conversations whose stored events stop short of the server's, busiest first. */
    behind(): Array<{ id: string; haveSeq: number; lastSeq: number }> {
      return q.behind.all() as Array<{ id: string; haveSeq: number; lastSeq: number }>;
    },
    /** Null when there is no such conversation. */
    haveSeq(id: string): number | null {
      return (q.haveSeq.get(id) as number | undefined) ?? null;
    },
    bump(id: string, seq: number, time: number): void {
      q.bump.run(seq, time, id);
    },
    setTitle(id: string, title: string): void {
      q.setTitle.run(title, id);
    },
    /** '' clears it. */
    setDescription(id: string, description: string): void {
      q.setDescription.run(description || null, id);
    },
    setParticipants(id: string, participants: readonly Participant[]): void {
      q.setParticipants.run(JSON.stringify(participants), id);
    },
    /**
     * The server showed it has nothing past `seq` (an empty retransmit answer): its lastSeq comes
     * down to that, or to the highest event stored.
     */
    lowerLast(id: string, seq: number): void {
      q.lowerLast.run({ id, seq });
    },
    setHave(id: string, seq: number): void {
      q.setHave.run(seq, id);
    },
    /** Null when there is no such conversation. */
    readSeq(id: string): number | null {
      return (q.readSeq.get(id) as number | undefined) ?? null;
    },
    /** Moves my read mark forward only; `me` is whose messages were never unread. */
    setRead(id: string, seq: number, me: string): void {
      q.setRead.run({ id, seq, me });
    },
    /** Messages from others after my read mark came (+) or went (−): unread, and those mentioning me. */
    count(id: string, unread: number, mentions: number): void {
      if (unread !== 0 || mentions !== 0) q.count.run(unread, mentions, id);
    },
    findDirect(peer: string): string | null {
      return (q.findDirect.get(peer) as string | undefined) ?? null;
    },
  };
}
