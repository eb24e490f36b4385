// Messages and conversation summaries as the seeds' API and the renderer see them, built from the
// store's rows with the rules in status.ts: reads by page, by seq and by id, and what a receipt changed.
import type { Participant, Receipt } from '../../../protocol/index.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { publicTransfer, type ConversationRecord, type MessageRecord, type OutboxRecord, type Store } from '../store/index.js';
import type { ConversationSummary, Message } from '../types.js';
import { eventId, parseMessageId, writtenId } from './id.js';
import { advanceMarks, isWritten, marksOf, pendingStatus, statusAt, unreadOf, withUpload, type Marks } from './status.js';

export type Views = ReturnType<typeof createViews>;

/** Where a page of history is: at most one of these; none is the newest page. */
export interface PageAt {
  beforeSeq?: number;
  afterSeq?: number;
  aroundSeq?: number;
}

/** maxSeqJump: unread counts no further than this past what is stored (EngineLimits). */
export function createViews(store: Store, maxSeqJump = DEFAULT_LIMITS.maxSeqJump) {
  function toMessage(r: MessageRecord, marks: Marks): Message {
    const mine = r.sender === store.me;
    const written = isWritten(r.kind);
    const id = written ? writtenId(r.sender, r.clientId!) : eventId(r.conversationId, r.seq);
    const transfer = r.file ? store.transfers.latestFor(id) : null;
    return {
      id,
      conversationId: r.conversationId,
      seq: r.seq,
      kind: r.kind,
      sender: r.sender,
      mine,
      body: r.body,
      time: r.serverTime,
      status: mine && written ? statusAt(r.seq, marks) : null,
      ...(r.file ? { file: r.file } : {}),
      ...(transfer ? { transfer: publicTransfer(transfer) } : {}),
    };
  }

  /** My message not numbered by the server yet, as shown. */
  function pending(r: OutboxRecord): Message {
    const upload = r.upload ? store.transfers.get(r.upload) : null;
    return {
      id: writtenId(store.me, r.clientId),
      conversationId: r.conversationId,
      seq: null,
      kind: r.file ? 'file' : 'text',
      sender: store.me,
      mine: true,
      body: r.body,
      time: r.createdAt,
      status: pendingStatus(r),
      ...(r.error ? { error: r.error } : {}),
      ...(r.file ? { file: withUpload(r.file, upload) } : {}),
      ...(upload ? { transfer: publicTransfer(upload) } : {}),
    };
  }

  function summarize(c: ConversationRecord): ConversationSummary {
    const waiting = store.outbox.last(c.id);
    const last = waiting ? null : store.messages.last(c.id);
    return {
      id: c.id,
      type: c.type,
      title: c.title,
      ...(c.description ? { description: c.description } : {}),
      participants: c.participants,
      lastMessage: waiting ? pending(waiting) : last ? toMessage(last, marksOf(c.participants, store.me)) : null,
      unread: unreadOf(c, maxSeqJump),
      lastSeq: c.lastSeq,
      readSeq: c.readSeq,
      lastActivity: c.lastActivity,
      muted: c.muted,
    };
  }

  /** A stored event with its conversation's marks; null when either is missing. */
  function stored(r: MessageRecord | null): Message | null {
    const conversation = r && store.conversations.get(r.conversationId);
    return conversation ? toMessage(r, marksOf(conversation.participants, store.me)) : null;
  }

  function message(conversationId: string, seq: number): Message | null {
    return stored(store.messages.get(conversationId, seq));
  }

  return {
    pending,
    stored,
    message,

    /** A message by its id (sent, still in my outbox, or any other event); the shape readMessages gives. */
    byId(id: string): Message | null {
      const parsed = parseMessageId(id);
      if (!parsed) return null;
      if ('seq' in parsed) {
        const event = message(parsed.conversationId, parsed.seq);
        // A written message's id is sender:clientId, not its place.
        return event?.id === id ? event : null;
      }
      const sent = stored(store.messages.written(parsed.sender, parsed.clientId));
      if (sent || parsed.sender !== store.me) return sent;
      const waiting = store.outbox.get(parsed.clientId);
      return waiting && pending(waiting);
    },

    /**
     * A page of events, oldest first: the newest, those before or after a seq, or those around one
     * (⌊limit/2⌋ before it, the rest from it on). A page that reaches the newest stored event ends
     * with my messages not yet sent, as they come after everything numbered.
     */
    page(conversationId: string, at: PageAt, limit: number): Message[] {
      const conversation = store.conversations.get(conversationId);
      if (!conversation) return [];
      const marks = marksOf(conversation.participants, store.me);
      let rows: MessageRecord[];
      let toEnd: boolean;
      if (at.afterSeq !== undefined || at.aroundSeq !== undefined) {
        const before = at.aroundSeq === undefined ? [] : store.messages.pageBefore(conversationId, at.aroundSeq, Math.floor(limit / 2)).reverse();
        const wanted = limit - before.length;
        const after = store.messages.pageAfter(conversationId, at.afterSeq ?? at.aroundSeq! - 1, wanted);
        rows = before.concat(after);
        toEnd = after.length < wanted;
      } else {
        rows = store.messages.pageBefore(conversationId, at.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit).reverse();
        toEnd = at.beforeSeq === undefined;
      }
      const page = rows.map((r) => toMessage(r, marks));
      return toEnd ? page.concat(store.outbox.forConversation(conversationId).map(pending)) : page;
    },

    conversation(id: string): ConversationSummary | null {
      const c = store.conversations.get(id);
      return c && summarize(c);
    },
    conversations(): ConversationSummary[] {
      return store.conversations.all().map(summarize);
    },
    /** Unread over the conversations that are not muted: what the app badge shows. */
    totalUnread(): number {
      let total = 0;
      for (const c of store.conversations.unreadMarks()) if (!c.muted) total += unreadOf(c, maxSeqJump);
      return total;
    },

    /**
     * Applies a receipt; returns my messages whose status it changed. In a group, `marksMoved` gets
     * the member's marks as stored (message info shows each member's, a status only the slowest's).
     */
    applyReceipt(receipt: Receipt, marksMoved?: (participant: Participant) => void): Message[] {
      const conversation = store.conversations.get(receipt.conversationId);
      if (!conversation) return [];
      const { participants } = conversation;
      const before = marksOf(participants, store.me);
      if (!advanceMarks(participants, receipt)) return [];
      const myRead = receipt.address === store.me && receipt.type === 'read' ? receipt.seq : null;
      store.saveReceipt(receipt.conversationId, participants, myRead);
      const member = conversation.type === 'direct' ? undefined : participants.find((p) => p.address === receipt.address);
      if (member) marksMoved?.(member);
      const after = marksOf(participants, store.me);
      const from = Math.min(before.delivered, before.read);
      const to = Math.max(after.delivered, after.read);
      if (to <= from) return [];
      return store.messages
        .mineBetween(receipt.conversationId, from, to, store.me)
        .map((r) => toMessage(r, after))
        .filter((m) => m.status !== statusAt(m.seq!, before));
    },
  };
}
