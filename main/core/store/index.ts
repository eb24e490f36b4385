// The engine's local store: one better-sqlite3 file, one module per thing it keeps, each with typed
// methods over statements prepared once. Nothing outside main/core/store sees SQL or the database;
// the writes that span tables are here, each one transaction. What the rows mean to a person
// (message status, unread, ids) is decided by the engine (main/core/messages/).
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../../common/node/sqlite.js';
import type { Conversation, ConversationEvent, Participant } from '../../../protocol/index.js';
import { createActionsStore, type TargetState } from './actions.js';
import { createConversationsStore } from './conversations.js';
import { createFoldersStore } from './folders.js';
import { createMessagesStore } from './messages.js';
import { migrations } from './migrations/index.js';
import { createOutboxStore } from './outbox.js';
import { createPrefsStore } from './prefs.js';
import { createSearchStore } from './search.js';
import { createTransfersStore } from './transfers.js';

export type { ConversationRecord } from './conversations.js';
export type { BindingRow, JournalRow, JournalState } from './folders.js';
export type { MessageRecord, ReactionRow } from './messages.js';
export type { OutboxAction, OutboxRecord } from './outbox.js';
export type { Match, PendingDoc } from './search.js';
export { publicTransfer, type TransferRecord } from './transfers.js';

export type Store = ReturnType<typeof openStore>;

type Action = Extract<ConversationEvent, { type: 'revise' | 'delete' | 'react' }>;
type Change = Extract<ConversationEvent, { type: 'members' | 'edit' }>;

/** A members or edit event's change, as its message body keeps it (the JSON the renderer phrases). */
function eventChange(e: Change): object {
  if (e.type === 'edit') return { title: e.title, description: e.description };
  return { added: e.added, removed: e.removed, promoted: e.promoted, demoted: e.demoted };
}

/** A stored event's place: what changed, or what went. */
export interface EventRef {
  conversationId: string;
  seq: number;
}

/** A message deleted for me: enough to name it (messages/id.ts). */
export interface RemovedRef extends EventRef {
  kind: string;
  sender: string;
  clientId: string | null;
}

/** Per conversation, over one transaction: what it stored, and how its unread counts moved. */
interface Touched {
  maxSeq: number;
  maxTime: number;
  maxMine: number;
  read: number;
  unread: number;
  mentions: number;
}

const WRITTEN = new Set(['text', 'file']);
const HIDDEN_VERSION = 'hidden_version';

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
  const actions = createActionsStore(db);
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

  /** A message from someone else, shown, after my read mark: what unread counts. */
  const counted = (t: Pick<TargetState, 'kind' | 'sender' | 'deleted' | 'hidden'>, seq: number, read: number): boolean =>
    WRITTEN.has(t.kind) && t.sender !== me && !t.deleted && !t.hidden && seq > read;

  /** The batch's record of a conversation, made at its first event. */
  function touch(touched: Map<string, Touched>, e: ConversationEvent): Touched {
    let t = touched.get(e.conversationId);
    if (!t) {
      t = { maxSeq: 0, maxTime: 0, maxMine: 0, read: conversations.readSeq(e.conversationId) ?? 0, unread: 0, mentions: 0 };
      touched.set(e.conversationId, t);
    }
    t.maxSeq = Math.max(t.maxSeq, e.seq);
    if (e.type === 'revise' || e.type === 'delete' || e.type === 'react') return t;
    // An action is no activity (a reaction does not lift its conversation in the list), and one of
    // mine moves no read mark (as on the server); what I wrote I have read.
    t.maxTime = Math.max(t.maxTime, e.serverTime);
    if (e.sender === me) t.maxMine = Math.max(t.maxMine, e.seq);
    return t;
  }

  /**
   * Applies an action to its target's row when that is stored (else it waits there, by its target,
   * for the target to land); true when the target as shown changed. A reaction stands by itself.
   */
  function applyAction(e: Action, t: Touched): boolean {
    const c = e.conversationId;
    if (e.type === 'react') {
      actions.react(c, e.target, e.sender, e.emoji, e.seq, e.on);
      const target = actions.target(c, e.target);
      return target !== null && WRITTEN.has(target.kind) && !target.hidden;
    }
    const target = actions.target(c, e.target);
    if (!target || !WRITTEN.has(target.kind)) return false;
    if (e.type === 'delete') {
      if (target.deleted) return false;
      if (counted(target, e.target, t.read)) {
        t.unread--;
        if (target.mentionsMe) t.mentions--;
      }
      actions.delete(c, e.target);
      search.redo(c, e.target);
      return !target.hidden;
    }
    // Only its sender edits a message, and the newest edit by seq wins.
    if (target.sender !== e.sender || (target.editSeq ?? 0) > e.seq) return false;
    if (target.deleted) {
      actions.delete(c, e.target); // its text goes with the rest
      return false;
    }
    const mentionsMe = e.mentions?.includes(me) ?? false;
    if (counted(target, e.target, t.read)) t.mentions += Number(mentionsMe) - Number(target.mentionsMe);
    actions.revise(c, e.target, e.seq, e.serverTime, e.body, e.mentions?.length ? JSON.stringify(e.mentions) : null, mentionsMe);
    search.redo(c, e.target);
    return !target.hidden;
  }

  /** A message just stored: the actions that waited for it apply now; replies to it change (their preview). */
  function landed(e: Extract<ConversationEvent, { type: 'message' }>, t: Touched, changed: EventRef[] | null): void {
    const c = e.conversationId;
    let deleted = e.deleted === true;
    let revise: { seq: number; body: string; serverTime: number; mentions: string | null } | null = null;
    for (const p of messages.pointing(c, e.seq)) {
      if (p.kind === 'delete') deleted = true;
      else if (p.kind === 'revise') {
        if (p.sender === e.sender) revise = p;
      } else changed?.push({ conversationId: c, seq: p.seq });
    }
    let mentionsMe = e.mentions?.includes(me) ?? false;
    // Deleted: its text goes, an edit's waiting here too.
    if (deleted && (!e.deleted || revise)) actions.delete(c, e.seq);
    else if (revise && !deleted) {
      mentionsMe = revise.mentions !== null && (JSON.parse(revise.mentions) as string[]).includes(me);
      actions.revise(c, e.seq, revise.seq, revise.serverTime, revise.body, revise.mentions, mentionsMe);
    }
    const hidden = actions.isHidden(c, e.seq);
    if (hidden) actions.setHidden(c, e.seq);
    if (counted({ kind: 'text', sender: e.sender, deleted, hidden }, e.seq, t.read)) {
      t.unread++;
      if (mentionsMe) t.mentions++;
    }
    search.addDoc(c, e.seq, e.serverTime);
  }

  /** Stores one event (false when already stored) and applies it. */
  function storeEvent(e: ConversationEvent, touched: Map<string, Touched>, changed: EventRef[] | null): boolean {
    const t = touch(touched, e);
    const c = e.conversationId;
    switch (e.type) {
      case 'message': {
        const file = e.file ? JSON.stringify(e.file) : null;
        const kind = e.file ? 'file' : 'text';
        const mentions = e.mentions && e.mentions.length > 0 && !e.deleted ? JSON.stringify(e.mentions) : null;
        const replyTo = e.replyTo ? JSON.stringify(e.replyTo) : null;
        const stored = messages.insert(c, e.seq, kind, e.sender, e.clientId, e.deleted ? '' : e.body, e.serverTime, e.deleted ? null : file, e.replyTo?.seq ?? null, e.deleted === true, replyTo, mentions, mentions !== null && e.mentions!.includes(me));
        if (stored) landed(e, t, changed);
        return stored;
      }
      case 'revise':
      case 'delete':
      case 'react': {
        const body = e.type === 'revise' ? e.body : e.type === 'react' ? e.emoji : '';
        const mentions = e.type === 'revise' && e.mentions?.length ? JSON.stringify(e.mentions) : null;
        if (!messages.insert(c, e.seq, e.type, e.sender, e.clientId, body, e.serverTime, null, e.target, false, null, mentions)) return false;
        if (applyAction(e, t)) changed?.push({ conversationId: c, seq: e.target });
        return true;
      }
      default: {
        if (!messages.insert(c, e.seq, e.type, e.sender ?? '', null, JSON.stringify(eventChange(e)), e.serverTime, null)) return false;
        if (e.type === 'members') applyMembership(c, e);
        if (e.type === 'edit' && e.title !== undefined) conversations.setTitle(c, e.title);
        if (e.type === 'edit' && e.description !== undefined) conversations.setDescription(c, e.description);
        return true;
      }
    }
  }

  /** The end of a write: unread counts, activity, my read mark (what I wrote I have read) and haveSeq, per conversation. */
  function settle(touched: Map<string, Touched>): Map<string, number> {
    const have = new Map<string, number>();
    for (const [id, t] of touched) {
      conversations.count(id, t.unread, t.mentions);
      conversations.bump(id, t.maxSeq, t.maxTime);
      if (t.maxMine > 0) conversations.setRead(id, t.maxMine, me);
      have.set(id, advanceHave(id));
    }
    return have;
  }

  /** Messages deleted for me: gone from reads, counts and search; returns those that were shown. */
  function hideAll(conversationId: string, seqs: readonly number[]): RemovedRef[] {
    const removed: RemovedRef[] = [];
    const read = conversations.readSeq(conversationId) ?? 0;
    let unread = 0;
    let mentions = 0;
    for (const seq of seqs) {
      if (!actions.hide(conversationId, seq)) continue;
      const target = actions.target(conversationId, seq);
      if (!target || target.hidden || target.kind === 'revise' || target.kind === 'delete' || target.kind === 'react') continue;
      if (counted(target, seq, read)) {
        unread--;
        if (target.mentionsMe) mentions--;
      }
      actions.setHidden(conversationId, seq);
      search.redo(conversationId, seq);
      removed.push({ conversationId, seq, kind: target.kind, sender: target.sender, clientId: target.clientId });
    }
    conversations.count(conversationId, unread, mentions);
    return removed;
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
        const read = c.participants.find((p) => p.address === me)?.readSeq ?? 0;
        conversations.upsert(c, read);
        conversations.setRead(c.id, read, me);
        // A first message to a peer waited for this conversation to exist.
        const peer = c.type === 'direct' ? c.participants.find((p) => p.address !== me) : undefined;
        if (peer) outbox.resolvePeer(c.id, peer.address);
      }
    }),

    /**
     * Stores events (duplicates ignored) and returns what was new, per conversation; with `collect`,
     * the new events and the messages whose shown state they changed (edited, deleted, reacted to, a
     * reply whose target landed).
     */
    ingest: db.transaction((events: readonly ConversationEvent[], collect: boolean) => {
      const touched = new Map<string, Touched>();
      const inserted: ConversationEvent[] = [];
      const changed: EventRef[] | null = collect ? [] : null;
      for (const e of events) if (storeEvent(e, touched, changed) && collect) inserted.push(e);
      return { inserted, have: settle(touched), changed: changed ?? [] };
    }),

    /** The server took my message or action: it becomes a stored event and leaves the outbox, atomically. */
    markSent: db.transaction((event: Extract<ConversationEvent, { type: 'message' } | Action>): void => {
      const touched = new Map<string, Touched>();
      storeEvent(event, touched, null);
      outbox.remove(event.clientId);
      settle(touched);
    }),

    /** Deletes messages for me (here, or told by another of my devices); returns those that were shown. */
    hide: db.transaction((conversationId: string, seqs: readonly number[]): RemovedRef[] => hideAll(conversationId, seqs)),

    /**
     * My action the server refused for good leaves the outbox (what it showed goes with it); a delete
     * for me of a stored message (`hidden`) shows and counts it again.
     */
    refuseAction: db.transaction((clientId: string, hidden: { conversationId: string; seq: number } | null): void => {
      outbox.remove(clientId);
      if (!hidden) return;
      const { conversationId, seq } = hidden;
      const target = actions.target(conversationId, seq);
      if (!actions.unhide(conversationId, seq) || !target?.hidden) return;
      search.redo(conversationId, seq);
      if (counted({ ...target, hidden: false }, seq, conversations.readSeq(conversationId) ?? 0)) {
        conversations.count(conversationId, 1, target.mentionsMe ? 1 : 0);
      }
    }),

    /**
     * A page of my hidden list from the server, applied with the version it brings me to, in one
     * transaction: a crash resumes from the version stored.
     */
    applyHidden: db.transaction((batches: ReadonlyArray<{ version: number; conversationId: string; seqs: readonly number[] }>): RemovedRef[] => {
      const removed: RemovedRef[] = [];
      for (const b of batches) {
        removed.push(...hideAll(b.conversationId, b.seqs));
        if (b.version > Number(prefs.meta(HIDDEN_VERSION) ?? 0)) prefs.setMeta(HIDDEN_VERSION, String(b.version));
      }
      return removed;
    }),
    /** How far my hidden list from the server is applied here. */
    hiddenVersion: (): number => Number(prefs.meta(HIDDEN_VERSION) ?? 0),

    /** A receipt's new marks; myRead moves my read mark too (my read receipt from another device). */
    saveReceipt: db.transaction((conversationId: string, participants: readonly Participant[], myRead: number | null): void => {
      if (myRead !== null) conversations.setRead(conversationId, myRead, me);
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
