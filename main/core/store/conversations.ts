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
  lastActivity: number;
  createdAt: number;
  muted: boolean;
}

type Row = Omit<ConversationRecord, 'participants' | 'muted'> & { participants: string; muted: number };

const SELECT = `SELECT c.id, c.type, c.title, c.description, c.participants, c.last_seq AS lastSeq, c.have_seq AS haveSeq, c.read_seq AS readSeq,
  c.last_activity AS lastActivity, c.created_at AS createdAt, coalesce(p.muted, 0) AS muted
  FROM conversations c LEFT JOIN conversation_prefs p ON p.conversation_id = c.id`;

const toRecord = (r: Row): ConversationRecord => ({ ...r, participants: JSON.parse(r.participants) as Participant[], muted: r.muted === 1 });

export type ConversationsStore = ReturnType<typeof createConversationsStore>;

export function createConversationsStore(db: Db) {
  const q = {
    get: db.prepare(`${SELECT} WHERE c.id = ?`),
    all: db.prepare(`${SELECT} ORDER BY c.last_activity DESC`),
    // No participants to parse: the badge total is read after every event.
    unread: db.prepare(
      'SELECT c.last_seq AS lastSeq, c.read_seq AS readSeq, c.have_seq AS haveSeq, coalesce(p.muted, 0) = 1 AS muted FROM conversations c LEFT JOIN conversation_prefs p ON p.conversation_id = c.id',
    ),
    upsert: db.prepare(
      `INSERT INTO conversations (id, type, title, description, participants, last_seq, read_seq, last_activity, created_at)
       VALUES (@id, @type, @title, @description, @participants, @lastSeq, @readSeq, @lastActivity, @createdAt)
       ON CONFLICT(id) DO UPDATE SET type = excluded.type, title = excluded.title, description = excluded.description,
         participants = excluded.participants, last_seq = max(last_seq, excluded.last_seq),
         read_seq = max(read_seq, excluded.read_seq), last_activity = max(last_activity, excluded.last_activity)`,
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
    setRead: db.prepare('UPDATE conversations SET read_seq = max(read_seq, ?) WHERE id = ?'),
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
    unreadMarks(): Array<{ lastSeq: number; readSeq: number; haveSeq: number; muted: boolean }> {
      return (q.unread.all() as Array<{ lastSeq: number; readSeq: number; haveSeq: number; muted: number }>).map((r) => ({ ...r, muted: r.muted === 1 }));
    },
    /** Marks only move forward: a stale copy from the server does not take back what is stored. */
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
    /** Moves my read mark forward only. */
    setRead(id: string, seq: number): void {
      q.setRead.run(seq, id);
    },
    findDirect(peer: string): string | null {
      return (q.findDirect.get(peer) as string | undefined) ?? null;
    },
  };
}
