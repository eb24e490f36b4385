// The local store: conversations, their events, the outbox and file transfers, in one better-sqlite3 file.
// Every write that touches several rows is one transaction; statements are prepared once.
import { join } from 'node:path';
import { openDatabase } from '../../../common/sqlite.js';
import type { Conversation, ConversationEvent, FileInfo, Participant, Receipt } from '../../../protocol/index.js';
import type { ConversationSummary, FileTransfer, FileTransferMode, FileTransferState, Message, MessageFile, MessageStatus } from '../types.js';
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
  muted: number;
}

interface MessageRow {
  conversation_id: string;
  seq: number;
  kind: Message['kind'];
  sender: string;
  client_id: string | null;
  body: string;
  server_time: number;
  file: string | null;
}

export interface OutboxItem {
  clientId: string;
  conversationId: string | null;
  peer: string | null;
  body: string;
  /** Complete once the upload is done; the outbox sends nothing before. */
  file: FileInfo | null;
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
  file: string | null;
  upload: string | null;
  sent_at: number | null;
}

/** A transfer with what the engine keeps to resume it. */
export interface TransferRecord extends FileTransfer {
  remote: string | null;
  part: string | null;
  sourceMtime: number | null;
}

interface TransferRow {
  id: string;
  direction: FileTransfer['type'];
  mode: FileTransferMode;
  state: FileTransferState;
  path: string | null;
  url: string | null;
  remote: string | null;
  part: string | null;
  name: string;
  mime: string;
  total: number;
  bytes: number;
  sha256: string | null;
  source_mtime: number | null;
  message_id: string | null;
  conversation_id: string | null;
  error: string | null;
}

/** The marks that decide my messages' status: the lowest among the other participants. */
interface Marks {
  delivered: number;
  read: number;
}

export type Store = ReturnType<typeof openStore>;

/** A conversation with this device's preferences for it. */
const WITH_PREFS = 'SELECT c.*, coalesce(p.muted, 0) AS muted FROM conversations c LEFT JOIN conversation_prefs p ON p.conversation_id = c.id';

const KINDS = { members: 'members', edit: 'edit' } as const;
/** Kinds someone wrote, with a clientId and, for my own, a status. */
const WRITTEN: ReadonlySet<Message['kind']> = new Set(['text', 'file']);

export function openStore(dataDir: string) {
  const db = openDatabase(join(dataDir, 'parley-client.db'), migrations);
  let me = '';

  const q = {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    getConversation: db.prepare(`${WITH_PREFS} WHERE c.id = ?`),
    allConversations: db.prepare(`${WITH_PREFS} ORDER BY c.last_activity DESC`),
    setMuted: db.prepare(
      `INSERT INTO conversation_prefs (conversation_id, muted) VALUES (?, ?)
       ON CONFLICT(conversation_id) DO UPDATE SET muted = excluded.muted`,
    ),
    insertConversation: db.prepare(
      `INSERT INTO conversations (id, type, title, participants, last_seq, read_seq, last_activity, created_at)
       VALUES (@id, @type, @title, @participants, @lastSeq, @readSeq, @lastActivity, @createdAt)
       ON CONFLICT(id) DO UPDATE SET type = excluded.type, title = excluded.title,
         participants = excluded.participants, last_seq = max(last_seq, excluded.last_seq),
         read_seq = max(read_seq, excluded.read_seq), last_activity = max(last_activity, excluded.last_activity)`,
    ),
    behind: db.prepare('SELECT id, have_seq, last_seq FROM conversations WHERE have_seq < last_seq ORDER BY last_activity DESC'),
    insertMessage: db.prepare(
      `INSERT OR IGNORE INTO messages (conversation_id, seq, kind, sender, client_id, body, server_time, file)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
      `SELECT * FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender = ? AND kind IN ('text', 'file')`,
    ),
    addOutbox: db.prepare(
      'INSERT INTO outbox (client_id, conversation_id, peer, body, created_at, file, upload) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // A message waiting for its upload lets the ones after it pass (see outbox.ts).
    nextOutbox: db.prepare(
      `SELECT o.* FROM outbox o LEFT JOIN transfers t ON t.id = o.upload
       WHERE o.error IS NULL AND o.sent_at IS NULL AND (o.upload IS NULL OR t.state = 'done') ORDER BY o.rowid LIMIT 1`,
    ),
    getOutbox: db.prepare('SELECT * FROM outbox WHERE client_id = ?'),
    outboxFor: db.prepare('SELECT * FROM outbox WHERE conversation_id = ? ORDER BY rowid'),
    lastOutbox: db.prepare('SELECT * FROM outbox WHERE conversation_id = ? ORDER BY rowid DESC LIMIT 1'),
    resolvePeer: db.prepare('UPDATE outbox SET conversation_id = ? WHERE peer = ? AND conversation_id IS NULL'),
    failOutbox: db.prepare('UPDATE outbox SET error = ? WHERE client_id = ?'),
    markSentElsewhere: db.prepare('UPDATE outbox SET sent_at = ?, error = NULL WHERE client_id = ? RETURNING *'),
    retryOutbox: db.prepare('UPDATE outbox SET error = NULL WHERE client_id = ? RETURNING upload'),
    failUpload: db.prepare('UPDATE outbox SET error = ? WHERE upload = ? AND error IS NULL RETURNING *'),
    resumeUpload: db.prepare('UPDATE outbox SET error = NULL WHERE upload = ? AND error IS NOT NULL RETURNING *'),
    addTransfer: db.prepare(
      `INSERT INTO transfers (id, direction, mode, state, path, url, remote, part, name, mime, total, bytes, sha256,
         source_mtime, message_id, conversation_id, error, created_at)
       VALUES (@id, @type, @mode, @state, @path, @url, @remote, @part, @name, @mime, @total, @bytes, @sha256,
         @sourceMtime, @messageId, @conversationId, @error, @createdAt)`,
    ),
    saveTransfer: db.prepare(
      `UPDATE transfers SET mode = @mode, state = @state, path = @path, url = @url, remote = @remote, part = @part,
         bytes = @bytes, sha256 = @sha256, conversation_id = @conversationId, error = @error WHERE id = @id`,
    ),
    getTransfer: db.prepare('SELECT * FROM transfers WHERE id = ?'),
    openUpload: db.prepare(
      `SELECT * FROM transfers WHERE direction = 'upload' AND path = ? AND state != 'done' ORDER BY rowid DESC LIMIT 1`,
    ),
    openDownload: db.prepare(
      `SELECT * FROM transfers WHERE direction = 'download' AND url = ? AND state != 'done' ORDER BY rowid DESC LIMIT 1`,
    ),
    messageTransfer: db.prepare('SELECT * FROM transfers WHERE message_id = ? ORDER BY rowid DESC LIMIT 1'),
    unfinishedTransfers: db.prepare(`SELECT * FROM transfers WHERE state != 'done' ORDER BY rowid`),
    interruptTransfers: db.prepare(`UPDATE transfers SET state = 'interrupted' WHERE state = 'running'`),
    fileMessage: db.prepare(
      `SELECT * FROM messages WHERE file IS NOT NULL AND json_extract(file, '$.url') = ? ORDER BY server_time DESC LIMIT 1`,
    ),
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
    const written = WRITTEN.has(row.kind);
    const id = written ? `${row.sender}:${row.client_id}` : `${row.conversation_id}#${row.seq}`;
    const transfer = row.file ? (q.messageTransfer.get(id) as TransferRow | undefined) : undefined;
    return {
      id,
      conversationId: row.conversation_id,
      seq: row.seq,
      kind: row.kind,
      sender: row.sender,
      mine,
      body: row.body,
      time: row.server_time,
      status: mine && written ? statusAt(row.seq, marks) : null,
      ...(row.file ? { file: JSON.parse(row.file) as FileInfo } : {}),
      ...(transfer ? { transfer: publicTransfer(transfer) } : {}),
    };
  }

  function pendingMessage(row: OutboxRow): Message {
    const upload = row.upload ? (q.getTransfer.get(row.upload) as TransferRow | undefined) : undefined;
    return {
      id: `${me}:${row.client_id}`,
      conversationId: row.conversation_id,
      seq: null,
      kind: row.file ? 'file' : 'text',
      sender: me,
      mine: true,
      body: row.body,
      time: row.created_at,
      status: row.sent_at !== null ? 'sent' : row.error ? 'failed' : 'sending',
      ...(row.error ? { error: row.error } : {}),
      ...(row.file ? { file: withUpload(JSON.parse(row.file) as MessageFile, upload) } : {}),
      ...(upload ? { transfer: publicTransfer(upload) } : {}),
    };
  }

  /** A file's metadata with its URL and checksum once its upload is done. */
  function withUpload(file: MessageFile, upload: TransferRow | undefined): MessageFile {
    return upload?.state === 'done' ? { ...file, url: upload.url!, sha256: upload.sha256! } : file;
  }

  function toOutboxItem(row: OutboxRow): OutboxItem {
    const upload = row.upload ? (q.getTransfer.get(row.upload) as TransferRow | undefined) : undefined;
    const file = row.file ? withUpload(JSON.parse(row.file) as MessageFile, upload) : null;
    return {
      clientId: row.client_id,
      conversationId: row.conversation_id,
      peer: row.peer,
      body: row.body,
      file: file?.url && file.sha256 ? (file as FileInfo) : null,
      createdAt: row.created_at,
      error: row.error,
    };
  }

  function publicTransfer(row: TransferRow): FileTransfer {
    return {
      id: row.id,
      type: row.direction,
      mode: row.mode,
      state: row.state,
      path: row.path,
      url: row.url,
      name: row.name,
      mime: row.mime,
      bytes: row.bytes,
      total: row.total,
      sha256: row.sha256,
      messageId: row.message_id,
      conversationId: row.conversation_id,
      error: row.error,
    };
  }

  function toRecord(row: TransferRow | undefined): TransferRecord | null {
    return row ? { ...publicTransfer(row), remote: row.remote, part: row.part, sourceMtime: row.source_mtime } : null;
  }

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
      muted: row.muted === 1,
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
      const file = e.type === 'message' && e.file ? e.file : null;
      const changes = q.insertMessage.run(
        e.conversationId,
        e.seq,
        e.type === 'message' ? (file ? 'file' : 'text') : KINDS[e.type],
        e.sender ?? '',
        e.type === 'message' ? e.clientId : null,
        body,
        e.serverTime,
        file && JSON.stringify(file),
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
    /** The database, for modules that keep their own tables here (main/core/folders/journal.ts). */
    get db() {
      return db;
    },
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
    /** Unread over the conversations that are not muted: what the app badge shows. */
    totalUnread(): number {
      let total = 0;
      for (const row of q.allConversations.all() as ConversationRow[]) if (!row.muted) total += Math.max(0, row.last_seq - row.read_seq);
      return total;
    },
    /** False when there is no such conversation here. */
    setMuted(id: string, muted: boolean): boolean {
      if (!conversationRow(id)) return false;
      q.setMuted.run(id, muted ? 1 : 0);
      return true;
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

    /** A message to send; with a file, it waits for the upload transfer named. */
    addToOutbox(item: {
      clientId: string;
      conversationId: string | null;
      peer: string | null;
      body: string;
      createdAt: number;
      file?: { info: MessageFile; upload: string };
    }): Message {
      const { file } = item;
      q.addOutbox.run(item.clientId, item.conversationId, item.peer, item.body, item.createdAt, file ? JSON.stringify(file.info) : null, file?.upload ?? null);
      return pendingMessage(q.getOutbox.get(item.clientId) as OutboxRow);
    },
    /** My message not sent yet, as shown. */
    pendingMessage(clientId: string): Message | null {
      const row = q.getOutbox.get(clientId) as OutboxRow | undefined;
      return row ? pendingMessage(row) : null;
    },
    nextOutbox(): OutboxItem | null {
      const row = q.nextOutbox.get() as OutboxRow | undefined;
      return row ? toOutboxItem(row) : null;
    },
    failOutbox(clientId: string, error: string): void {
      q.failOutbox.run(error, clientId);
    },
    /** Clears a failure so the message is sent again; null when no such message waits, else its upload's id. */
    retryOutbox(clientId: string): { upload: string | null } | null {
      return (q.retryOutbox.get(clientId) as { upload: string | null } | undefined) ?? null;
    },
    /** An upload failed: the messages waiting for it fail with the reason. Returns them. */
    failUpload(transferId: string, reason: string): Message[] {
      return (q.failUpload.all(reason, transferId) as OutboxRow[]).map(pendingMessage);
    },
    /** An upload runs again: the messages it failed are sending again. Returns them. */
    resumeUpload(transferId: string): Message[] {
      return (q.resumeUpload.all(transferId) as OutboxRow[]).map(pendingMessage);
    },
    /** Sent outside the Parley server (Media Reference Send): it stays in the outbox, marked sent. */
    markSentElsewhere(clientId: string, at: number): Message {
      return pendingMessage(q.markSentElsewhere.get(at, clientId) as OutboxRow);
    },
    /** The server took my message: it becomes a stored event and leaves the outbox, atomically. */
    markSent: db.transaction((item: OutboxItem, conversationId: string, seq: number, serverTime: number): Message => {
      const file = item.file && JSON.stringify(item.file);
      q.insertMessage.run(conversationId, seq, file ? 'file' : 'text', me, item.clientId, item.body, serverTime, file);
      q.deleteOutbox.run(item.clientId);
      q.bumpConversation.run({ seq, time: serverTime, id: conversationId });
      q.setRead.run(seq, conversationId);
      advanceHave(conversationId);
      const row = conversationRow(conversationId)!;
      return toMessage(
        { conversation_id: conversationId, seq, kind: file ? 'file' : 'text', sender: me, client_id: item.clientId, body: item.body, server_time: serverTime, file },
        marksOf(JSON.parse(row.participants) as Participant[]),
      );
    }),

    addTransfer(record: TransferRecord): void {
      q.addTransfer.run({ ...record, createdAt: Date.now() });
    },
    /** Writes a transfer's changing fields (its identity, source and checksum target stay). */
    saveTransfer(record: TransferRecord): void {
      q.saveTransfer.run(record);
    },
    transfer(id: string): TransferRecord | null {
      return toRecord(q.getTransfer.get(id) as TransferRow | undefined);
    },
    /** The latest transfer of this file (upload) or URL (download) that is not done. */
    openTransfer(type: FileTransfer['type'], pathOrUrl: string): TransferRecord | null {
      return toRecord((type === 'upload' ? q.openUpload : q.openDownload).get(pathOrUrl) as TransferRow | undefined);
    },
    unfinishedTransfers(): FileTransfer[] {
      return (q.unfinishedTransfers.all() as TransferRow[]).map(publicTransfer);
    },
    /** The newest stored message carrying a file at this URL. */
    fileMessage(url: string): Message | null {
      const message = q.fileMessage.get(url) as MessageRow | undefined;
      const row = message && conversationRow(message.conversation_id);
      return row ? toMessage(message, marksOf(JSON.parse(row.participants) as Participant[])) : null;
    },

    init() {
      me = (q.getMeta.get('me') as string | undefined) ?? '';
      // Transfers that were running when the engine last stopped or crashed.
      q.interruptTransfers.run();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
