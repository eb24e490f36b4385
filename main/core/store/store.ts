// The local store: conversations, their events and the outbox, in one better-sqlite3 file.
// Every write that touches several rows is one transaction; statements are prepared once.
import { join } from 'node:path';
import { openDatabase } from '../../../common/sqlite.js';
import type { Conversation, ConversationEvent, Participant, Receipt } from '../../../protocol/index.js';
import type { ConversationSummary, Message, MessageStatus } from '../types.js';
import { migrations } from './migrations.js';

interface ConversationRow {
  id: string;
  type: Conversation['type'];
  title: string | null;
  participants: string;
  last_seq: number;
  have_seq: number;
  read_seq: number;
  last_activity: number;
  created_at: number;
}

interface MessageRow {
  conversation_id: string;
  seq: number;
  kind: Message['kind'];
  sender: string;
  client_id: string | null;
  body: string;
  server_time: number;
}

export interface OutboxItem {
  clientId: string;
  conversationId: string | null;
  peer: string | null;
  body: string;
  createdAt: number;
  error: string | null;
}

interface OutboxRow {
  client_id: string;
  conversation_id: string | null;
  peer: string | null;
  body: string;
  created_at: number;
  error: string | null;
}

/** The marks that decide my messages' status: the lowest among the other participants. */
interface Marks {
  delivered: number;
  read: number;
}

export type Store = ReturnType<typeof openStore>;

const KINDS = { message: 'text', members: 'members', edit: 'edit' } as const;

export function openStore(dataDir: string) {
  const db = openDatabase(join(dataDir, 'parley-client.db'), migrations);
  let me = '';

  const q = {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    getConversation: db.prepare('SELECT * FROM conversations WHERE id = ?'),
    allConversations: db.prepare('SELECT * FROM conversations ORDER BY last_activity DESC'),
    insertConversation: db.prepare(
      `INSERT INTO conversations (id, type, title, participants, last_seq, read_seq, last_activity, created_at)
       VALUES (@id, @type, @title, @participants, @lastSeq, @readSeq, @lastActivity, @createdAt)
       ON CONFLICT(id) DO UPDATE SET type = excluded.type, title = excluded.title,
         participants = excluded.participants, last_seq = max(last_seq, excluded.last_seq),
         read_seq = max(read_seq, excluded.read_seq), last_activity = max(last_activity, excluded.last_activity)`,
    ),
    behind: db.prepare('SELECT id, have_seq, last_seq FROM conversations WHERE have_seq < last_seq ORDER BY last_activity DESC'),
    insertMessage: db.prepare(
      `INSERT OR IGNORE INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    bumpConversation: db.prepare(
      'UPDATE conversations SET last_seq = max(last_seq, @seq), last_activity = max(last_activity, @time) WHERE id = @id',
    ),
    setTitle: db.prepare('UPDATE conversations SET title = ? WHERE id = ?'),
    setParticipants: db.prepare('UPDATE conversations SET participants = ? WHERE id = ?'),
    getMessage: db.prepare('SELECT * FROM messages WHERE conversation_id = ? AND seq = ?'),
    hasSeq: db.prepare('SELECT 1 FROM messages WHERE conversation_id = ? AND seq = ?').pluck(),
    // The end of the stored run that starts right after have_seq: the first seq whose successor is missing.
    runEnd: db
      .prepare(
        `SELECT m.seq FROM messages m WHERE m.conversation_id = @id AND m.seq > @after
         AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.conversation_id = @id AND n.seq = m.seq + 1)
         ORDER BY m.seq LIMIT 1`,
      )
      .pluck(),
    setHave: db.prepare('UPDATE conversations SET have_seq = ? WHERE id = ?'),
    setRead: db.prepare('UPDATE conversations SET read_seq = max(read_seq, ?) WHERE id = ?'),
    lastMessage: db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1'),
    pageBefore: db.prepare('SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
    mineBetween: db.prepare(
      `SELECT * FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender = ? AND kind = 'text'`,
    ),
    addOutbox: db.prepare(
      'INSERT INTO outbox (client_id, conversation_id, peer, body, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    nextOutbox: db.prepare('SELECT * FROM outbox WHERE error IS NULL ORDER BY rowid LIMIT 1'),
    getOutbox: db.prepare('SELECT * FROM outbox WHERE client_id = ?'),
    outboxFor: db.prepare('SELECT * FROM outbox WHERE conversation_id = ? ORDER BY rowid'),
    lastOutbox: db.prepare('SELECT * FROM outbox WHERE conversation_id = ? ORDER BY rowid DESC LIMIT 1'),
    resolvePeer: db.prepare('UPDATE outbox SET conversation_id = ? WHERE peer = ? AND conversation_id IS NULL'),
    failOutbox: db.prepare('UPDATE outbox SET error = ? WHERE client_id = ?'),
    retryOutbox: db.prepare('UPDATE outbox SET error = NULL WHERE client_id = ?'),
    deleteOutbox: db.prepare('DELETE FROM outbox WHERE client_id = ?'),
    findDirect: db.prepare(
      `SELECT c.id FROM conversations c, json_each(c.participants) p
       WHERE c.type = 'direct' AND json_extract(p.value, '$.address') = ? LIMIT 1`,
    ).pluck(),
  };

  function marksOf(participants: Participant[]): Marks {
    let delivered = Number.MAX_SAFE_INTEGER;
    let read = Number.MAX_SAFE_INTEGER;
    let others = 0;
    for (const p of participants) {
      if (p.address === me) continue;
      others++;
      delivered = Math.min(delivered, p.deliveredSeq);
      read = Math.min(read, p.readSeq);
    }
    return others === 0 ? { delivered: 0, read: 0 } : { delivered, read };
  }

  function statusAt(seq: number, marks: Marks): MessageStatus {
    return seq <= marks.read ? 'read' : seq <= marks.delivered ? 'delivered' : 'sent';
  }

  function toMessage(row: MessageRow, marks: Marks): Message {
    const mine = row.sender === me;
    return {
      id: row.kind === 'text' ? `${row.sender}:${row.client_id}` : `${row.conversation_id}#${row.seq}`,
      conversationId: row.conversation_id,
      seq: row.seq,
      kind: row.kind,
      sender: row.sender,
      mine,
      body: row.body,
      time: row.server_time,
      status: mine && row.kind === 'text' ? statusAt(row.seq, marks) : null,
    };
  }

  function pendingMessage(row: OutboxRow): Message {
    return {
      id: `${me}:${row.client_id}`,
      conversationId: row.conversation_id,
      seq: null,
      kind: 'text',
      sender: me,
      mine: true,
      body: row.body,
      time: row.created_at,
      status: row.error ? 'failed' : 'sending',
      ...(row.error ? { error: row.error } : {}),
    };
  }

  const toOutboxItem = (row: OutboxRow): OutboxItem => ({
    clientId: row.client_id,
    conversationId: row.conversation_id,
    peer: row.peer,
    body: row.body,
    createdAt: row.created_at,
    error: row.error,
  });

  function conversationRow(id: string): ConversationRow | undefined {
    return q.getConversation.get(id) as ConversationRow | undefined;
  }

  function summarize(row: ConversationRow): ConversationSummary {
    const participants = JSON.parse(row.participants) as Participant[];
    const marks = marksOf(participants);
    const pending = q.lastOutbox.get(row.id) as OutboxRow | undefined;
    const last = q.lastMessage.get(row.id) as MessageRow | undefined;
    return {
      id: row.id,
      type: row.type,
      title: row.title,
      participants,
      lastMessage: pending ? pendingMessage(pending) : last ? toMessage(last, marks) : null,
      // From sequences, not by counting rows: the server moves my read mark past my own messages.
      unread: Math.max(0, row.last_seq - row.read_seq),
      lastSeq: row.last_seq,
      readSeq: row.read_seq,
      lastActivity: row.last_activity,
    };
  }

  /** Moves have_seq to the end of the contiguous run of stored events; returns the new value. */
  function advanceHave(id: string): number {
    const row = conversationRow(id);
    if (!row) return 0;
    if (!q.hasSeq.get(id, row.have_seq + 1)) return row.have_seq;
    const end = q.runEnd.get({ id, after: row.have_seq }) as number;
    q.setHave.run(end, id);
    return end;
  }

  function upsert(c: Conversation): void {
    const mine = c.participants.find((p) => p.address === me);
    q.insertConversation.run({
      id: c.id,
      type: c.type,
      title: c.title,
      participants: JSON.stringify(c.participants),
      lastSeq: c.lastSeq,
      readSeq: mine?.readSeq ?? 0,
      lastActivity: c.lastActivity,
      createdAt: c.createdAt,
    });
    // A first message to a peer waited for this conversation to exist.
    const peer = c.type === 'direct' ? c.participants.find((p) => p.address !== me) : undefined;
    if (peer) q.resolvePeer.run(c.id, peer.address);
  }

  function applyMembership(id: string, event: Extract<ConversationEvent, { type: 'members' }>): void {
    const row = conversationRow(id);
    if (!row) return;
    const removed = new Set(event.removed);
    const participants = (JSON.parse(row.participants) as Participant[]).filter((p) => !removed.has(p.address));
    for (const address of event.added) {
      if (!participants.some((p) => p.address === address)) {
        participants.push({ address, role: 'member', deliveredSeq: 0, readSeq: 0 });
      }
    }
    q.setParticipants.run(JSON.stringify(participants), id);
  }

  /** Stores events (duplicates ignored) and returns what was new, per conversation. */
  const ingest = db.transaction((events: readonly ConversationEvent[], collect: boolean) => {
    const touched = new Map<string, { maxSeq: number; maxTime: number; maxMine: number }>();
    const inserted: ConversationEvent[] = [];
    for (const e of events) {
      const body = e.type === 'message' ? e.body : e.type === 'members' ? JSON.stringify({ added: e.added, removed: e.removed }) : JSON.stringify({ title: e.title });
      const changes = q.insertMessage.run(
        e.conversationId,
        e.seq,
        KINDS[e.type],
        e.sender ?? '',
        e.type === 'message' ? e.clientId : null,
        body,
        e.serverTime,
      ).changes;
      const mine = e.sender === me ? e.seq : 0;
      const t = touched.get(e.conversationId);
      if (t) {
        t.maxSeq = Math.max(t.maxSeq, e.seq);
        t.maxTime = Math.max(t.maxTime, e.serverTime);
        t.maxMine = Math.max(t.maxMine, mine);
      } else touched.set(e.conversationId, { maxSeq: e.seq, maxTime: e.serverTime, maxMine: mine });
      if (changes === 0) continue;
      if (e.type === 'members') applyMembership(e.conversationId, e);
      if (e.type === 'edit') q.setTitle.run(e.title, e.conversationId);
      if (collect) inserted.push(e);
    }
    const have = new Map<string, number>();
    for (const [id, t] of touched) {
      q.bumpConversation.run({ seq: t.maxSeq, time: t.maxTime, id });
      // What I wrote, from any of my devices, I have read.
      if (t.maxMine > 0) q.setRead.run(t.maxMine, id);
      have.set(id, advanceHave(id));
    }
    return { inserted, have };
  });

  return {
    get me() {
      return me;
    },
    setMe(address: string) {
      me = address;
      q.setMeta.run('me', address);
    },
    meta(key: string): string | null {
      return (q.getMeta.get(key) as string | undefined) ?? null;
    },
    setMeta(key: string, value: string) {
      q.setMeta.run(key, value);
    },

    upsertConversations: db.transaction((conversations: readonly Conversation[]) => {
      for (const c of conversations) upsert(c);
    }),
    ingest,
    /** Conversations whose stored events stop short of the server's, busiest first. */
    behind(): Array<{ id: string; haveSeq: number; lastSeq: number }> {
      return (q.behind.all() as Array<{ id: string; have_seq: number; last_seq: number }>).map((r) => ({
        id: r.id,
        haveSeq: r.have_seq,
        lastSeq: r.last_seq,
      }));
    },
    haveSeq(id: string): number {
      return conversationRow(id)?.have_seq ?? 0;
    },
    conversation(id: string): ConversationSummary | null {
      const row = conversationRow(id);
      return row ? summarize(row) : null;
    },
    conversations(): ConversationSummary[] {
      return (q.allConversations.all() as ConversationRow[]).map(summarize);
    },
    totalUnread(): number {
      let total = 0;
      for (const row of q.allConversations.all() as ConversationRow[]) total += Math.max(0, row.last_seq - row.read_seq);
      return total;
    },
    messages(conversationId: string, beforeSeq: number | undefined, limit: number): Message[] {
      const row = conversationRow(conversationId);
      if (!row) return [];
      const marks = marksOf(JSON.parse(row.participants) as Participant[]);
      const rows = q.pageBefore.all(conversationId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as MessageRow[];
      const page = rows.reverse().map((r) => toMessage(r, marks));
      if (beforeSeq !== undefined) return page;
      return page.concat((q.outboxFor.all(conversationId) as OutboxRow[]).map(pendingMessage));
    },
    message(conversationId: string, seq: number): Message | null {
      const row = conversationRow(conversationId);
      const message = q.getMessage.get(conversationId, seq) as MessageRow | undefined;
      if (!row || !message) return null;
      return toMessage(message, marksOf(JSON.parse(row.participants) as Participant[]));
    },
    findDirect(peer: string): string | null {
      return (q.findDirect.get(peer) as string | undefined) ?? null;
    },
    /** Moves my read mark forward; returns whether it moved. */
    markRead(conversationId: string, seq: number): boolean {
      const row = conversationRow(conversationId);
      if (!row || seq <= row.read_seq) return false;
      q.setRead.run(Math.min(seq, row.last_seq), conversationId);
      return true;
    },

    /** Applies a receipt; returns my messages whose status it changed. */
    applyReceipt: db.transaction((receipt: Receipt): Message[] => {
      const row = conversationRow(receipt.conversationId);
      if (!row) return [];
      const participants = JSON.parse(row.participants) as Participant[];
      const before = marksOf(participants);
      const who = participants.find((p) => p.address === receipt.address);
      if (!who) return [];
      if (receipt.type === 'read') {
        who.readSeq = Math.max(who.readSeq, receipt.seq);
        who.deliveredSeq = Math.max(who.deliveredSeq, receipt.seq);
        if (receipt.address === me) q.setRead.run(receipt.seq, receipt.conversationId);
      } else who.deliveredSeq = Math.max(who.deliveredSeq, receipt.seq);
      q.setParticipants.run(JSON.stringify(participants), receipt.conversationId);
      const after = marksOf(participants);
      const from = Math.min(before.delivered, before.read);
      const to = Math.max(after.delivered, after.read);
      if (to <= from) return [];
      return (q.mineBetween.all(receipt.conversationId, from, to, me) as MessageRow[])
        .map((r) => toMessage(r, after))
        .filter((m) => m.status !== statusAt(m.seq!, before));
    }),

    addToOutbox(item: { clientId: string; conversationId: string | null; peer: string | null; body: string; createdAt: number }): Message {
      q.addOutbox.run(item.clientId, item.conversationId, item.peer, item.body, item.createdAt);
      return pendingMessage(q.getOutbox.get(item.clientId) as OutboxRow);
    },
    nextOutbox(): OutboxItem | null {
      const row = q.nextOutbox.get() as OutboxRow | undefined;
      return row ? toOutboxItem(row) : null;
    },
    failOutbox(clientId: string, error: string): void {
      q.failOutbox.run(error, clientId);
    },
    /** Clears a failure so the message is sent again; false when no such failed message waits. */
    retryOutbox(clientId: string): boolean {
      return q.retryOutbox.run(clientId).changes > 0;
    },
    /** The server took my message: it becomes a stored event and leaves the outbox, atomically. */
    markSent: db.transaction((item: OutboxItem, conversationId: string, seq: number, serverTime: number): Message => {
      q.insertMessage.run(conversationId, seq, 'text', me, item.clientId, item.body, serverTime);
      q.deleteOutbox.run(item.clientId);
      q.bumpConversation.run({ seq, time: serverTime, id: conversationId });
      q.setRead.run(seq, conversationId);
      advanceHave(conversationId);
      const row = conversationRow(conversationId)!;
      return toMessage(
        { conversation_id: conversationId, seq, kind: 'text', sender: me, client_id: item.clientId, body: item.body, server_time: serverTime },
        marksOf(JSON.parse(row.participants) as Participant[]),
      );
    }),

    init() {
      me = (q.getMeta.get('me') as string | undefined) ?? '';
    },
    close() {
      if (db.open) db.close();
    },
  };
}
