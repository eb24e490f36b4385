// The engine's local store: one better-sqlite3 file, one module per thing it keeps, each with typed
// methods over statements prepared once. Nothing outside main/core/store sees SQL or the database;
// the writes that span tables are here, each one transaction. What the rows mean to a person
// (message status, unread, ids) is decided by the engine (main/core/messages/).
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../../common/node/sqlite.js';
import type { Conversation, ConversationEvent, FileInfo, Participant } from '../../../protocol/index.js';
import { createConversationsStore } from './conversations.js';
import { createFoldersStore } from './folders.js';
import { createMessagesStore, type MessageRecord } from './messages.js';
import { migrations } from './migrations/index.js';
import { createOutboxStore } from './outbox.js';
import { createPrefsStore } from './prefs.js';
import { createSearchStore } from './search.js';
import { createTransfersStore } from './transfers.js';

export type { ConversationRecord } from './conversations.js';
export type { BindingRow, JournalRow, JournalState } from './folders.js';
export type { MessageRecord } from './messages.js';
export type { OutboxRecord } from './outbox.js';
export type { Match, PendingDoc } from './search.js';
export { publicTransfer, type TransferRecord } from './transfers.js';

export type Store = ReturnType<typeof openStore>;

const KINDS = { members: 'members', edit: 'edit' } as const;

/** A members or edit event's change, as its message body keeps it (the JSON the renderer phrases). */
function eventChange(e: Exclude<ConversationEvent, { type: 'message' }>): object {
  if (e.type === 'edit') return { title: e.title, description: e.description };
  return { added: e.added, removed: e.removed, promoted: e.promoted, demoted: e.demoted };
}

export function openStore(dataDir: string) {
  // The engine's data dir holds the history and the files' records: its owner's alone on POSIX (0700),
  // an older install's folder included; the database files are 0600 (openDatabase).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(dataDir, 0o700);
  const db = openDatabase(join(dataDir, 'parley-client.db'), migrations);
  // Up to 32 MB of pages kept (SQLite's default is 8): search reads a few hundred messages spread
  // over the whole history per keystroke.
  db.pragma('cache_size = -32768');
  const conversations = createConversationsStore(db);
  const messages = createMessagesStore(db);
  const outbox = createOutboxStore(db);
  const transfers = createTransfersStore(db);
  const folders = createFoldersStore(db);
  const prefs = createPrefsStore(db);
  const search = createSearchStore(db);
  let me = '';

  /** Moves haveSeq to the end of the contiguous run of stored events; returns the new value. */
  function advanceHave(id: string): number {
    const have = conversations.haveSeq(id);
    if (have === null) return 0;
    const end = messages.runEnd(id, have);
    if (end !== have) conversations.setHave(id, end);
    return end;
  }

  function applyMembership(id: string, event: Extract<ConversationEvent, { type: 'members' }>): void {
    const conversation = conversations.get(id);
    if (!conversation) return;
    const removed = new Set(event.removed);
    const participants = conversation.participants.filter((p) => !removed.has(p.address));
    for (const address of event.added) {
      if (!participants.some((p) => p.address === address)) participants.push({ address, role: 'member', deliveredSeq: 0, readSeq: 0 });
    }
    const roles = new Map<string, Participant['role']>([
      ...(event.promoted ?? []).map((a) => [a, 'admin'] as const),
      ...(event.demoted ?? []).map((a) => [a, 'member'] as const),
    ]);
    for (const p of participants) p.role = roles.get(p.address) ?? p.role;
    conversations.setParticipants(id, participants);
  }

  return {
    conversations,
    messages,
    outbox,
    transfers,
    folders,
    prefs,
    search,

    /** My address, once the server told it ('' before). */
    get me() {
      return me;
    },
    setMe(address: string) {
      me = address;
      prefs.setMeta('me', address);
    },

    upsertConversations: db.transaction((list: readonly Conversation[]) => {
      for (const c of list) {
        conversations.upsert(c, c.participants.find((p) => p.address === me)?.readSeq ?? 0);
        // A first message to a peer waited for this conversation to exist.
        const peer = c.type === 'direct' ? c.participants.find((p) => p.address !== me) : undefined;
        if (peer) outbox.resolvePeer(c.id, peer.address);
      }
    }),

    /** Stores events (duplicates ignored) and returns what was new, per conversation. */
    ingest: db.transaction((events: readonly ConversationEvent[], collect: boolean) => {
      const touched = new Map<string, { maxSeq: number; maxTime: number; maxMine: number }>();
      const inserted: ConversationEvent[] = [];
      for (const e of events) {
        const body = e.type === 'message' ? e.body : JSON.stringify(eventChange(e));
        const file = e.type === 'message' && e.file ? e.file : null;
        const stored = messages.insert(
          e.conversationId,
          e.seq,
          e.type === 'message' ? (file ? 'file' : 'text') : KINDS[e.type],
          e.sender ?? '',
          e.type === 'message' ? e.clientId : null,
          body,
          e.serverTime,
          file && JSON.stringify(file),
        );
        const mine = e.sender === me ? e.seq : 0;
        const t = touched.get(e.conversationId);
        if (t) {
          t.maxSeq = Math.max(t.maxSeq, e.seq);
          t.maxTime = Math.max(t.maxTime, e.serverTime);
          t.maxMine = Math.max(t.maxMine, mine);
        } else touched.set(e.conversationId, { maxSeq: e.seq, maxTime: e.serverTime, maxMine: mine });
        if (!stored) continue;
        if (e.type === 'message') search.addDoc(e.conversationId, e.seq, e.serverTime);
        if (e.type === 'members') applyMembership(e.conversationId, e);
        if (e.type === 'edit' && e.title !== undefined) conversations.setTitle(e.conversationId, e.title);
        if (e.type === 'edit' && e.description !== undefined) conversations.setDescription(e.conversationId, e.description);
        if (collect) inserted.push(e);
      }
      const have = new Map<string, number>();
      for (const [id, t] of touched) {
        conversations.bump(id, t.maxSeq, t.maxTime);
        // What I wrote, from any of my devices, I have read.
        if (t.maxMine > 0) conversations.setRead(id, t.maxMine);
        have.set(id, advanceHave(id));
      }
      return { inserted, have };
    }),

    /** The server took my message: it becomes a stored event and leaves the outbox, atomically. */
    markSent: db.transaction(
      (item: { clientId: string; body: string; file: FileInfo | null }, conversationId: string, seq: number, serverTime: number): MessageRecord => {
        const kind = item.file ? 'file' : 'text';
        messages.insert(conversationId, seq, kind, me, item.clientId, item.body, serverTime, item.file && JSON.stringify(item.file));
        search.addDoc(conversationId, seq, serverTime);
        outbox.remove(item.clientId);
        conversations.bump(conversationId, seq, serverTime);
        conversations.setRead(conversationId, seq);
        advanceHave(conversationId);
        return { conversationId, seq, kind, sender: me, clientId: item.clientId, body: item.body, serverTime, file: item.file };
      },
    ),

    /** A receipt's new marks; myRead moves my read mark too (my read receipt from another device). */
    saveReceipt: db.transaction((conversationId: string, participants: readonly Participant[], myRead: number | null): void => {
      if (myRead !== null) conversations.setRead(conversationId, myRead);
      conversations.setParticipants(conversationId, participants);
    }),

    init() {
      me = prefs.meta('me') ?? '';
      transfers.interruptRunning();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
