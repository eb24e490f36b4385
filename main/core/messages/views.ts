// Messages and conversation summaries as the seeds' API and the renderer see them, built from the
// store's rows with the rules in status.ts: reads by page, by seq and by id, and what a receipt
// changed. A message shows its current state: the newest edit, a tombstone once deleted, its
// reactions, the message it answers; my actions still in the outbox show on it at once.
import { MAX_QUOTE_CHARS, type Participant, type Receipt } from '../../../protocol/index.js';
import { publicTransfer, type ConversationRecord, type MessageRecord, type OutboxRecord, type ReactionRow, type Store } from '../store/index.js';
import type { ConversationSummary, Message, ReactionSummary, ReplyPreview } from '../types.js';
import { eventId, parseMessageId, writtenId } from './id.js';
import { advanceMarks, isWritten, marksOf, pendingStatus, statusAt, withUpload, type Marks } from './status.js';

export type Views = ReturnType<typeof createViews>;

/** Where a page of history is: at most one of these; none is the newest page. */
export interface PageAt {
  beforeSeq?: number;
  afterSeq?: number;
  aroundSeq?: number;
}

/** People a reaction summary names at most (ReactionSummary.by). */
const REACTORS_SHOWN = 20;

/** A stored event's id: sender:clientId for what someone wrote, conversation#seq for the rest. */
export const idOf = (r: { conversationId: string; seq: number; kind: string; sender: string; clientId: string | null }): string =>
  isWritten(r.kind as Message['kind']) && r.clientId !== null ? writtenId(r.sender, r.clientId) : eventId(r.conversationId, r.seq);

/** The start of a text, as a quote shows it. */
const quoteOf = (text: string): string => (text.length > MAX_QUOTE_CHARS ? `${text.slice(0, MAX_QUOTE_CHARS - 1)}…` : text);

export function createViews(store: Store) {
  function toMessage(r: MessageRecord, marks: Marks): Message {
    const mine = r.sender === store.me;
    const written = isWritten(r.kind);
    const id = idOf(r);
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
      ...(r.deleted ? { deleted: true } : {}),
      ...(r.editedAt !== null && !r.deleted ? { editedAt: r.editedAt } : {}),
      ...(r.replyTo ? { replyTo: preview(r.conversationId, r.replyTo) } : {}),
      ...(r.mentions ? { mentions: r.mentions } : {}),
    };
  }

  /** The message a reply answers: as stored here when it is, else as the server quoted it. */
  function preview(conversationId: string, to: NonNullable<MessageRecord['replyTo']>): ReplyPreview {
    const target = store.messages.get(conversationId, to.seq);
    if (!target) return { seq: to.seq, sender: to.sender, text: to.quote, ...(to.deleted ? { deleted: true } : {}) };
    if (target.deleted) return { seq: to.seq, sender: target.sender, text: '', deleted: true };
    return { seq: to.seq, sender: target.sender, text: quoteOf(target.body || target.file?.name || '') };
  }

  /** My message not numbered by the server yet, as shown. */
  function pending(r: OutboxRecord): Message {
    const upload = r.upload ? store.transfers.get(r.upload) : null;
    const replyTarget = r.replyTo !== null && r.conversationId ? store.messages.get(r.conversationId, r.replyTo) : null;
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
      ...(replyTarget && r.conversationId
        ? { replyTo: preview(r.conversationId, { seq: replyTarget.seq, sender: replyTarget.sender, quote: '' }) }
        : {}),
      ...(r.mentions ? { mentions: r.mentions } : {}),
    };
  }

  /** The reactions standing on messages, by seq: each emoji in the order first added, who, and whether I did. */
  function reactionsOf(rows: readonly ReactionRow[]): Map<number, ReactionSummary[]> {
    const out = new Map<number, ReactionSummary[]>();
    for (const r of rows) {
      let list = out.get(r.target);
      if (!list) out.set(r.target, (list = []));
      let summary = list.find((s) => s.emoji === r.emoji);
      if (!summary) list.push((summary = { emoji: r.emoji, count: 0, mine: false, by: [] }));
      summary.count++;
      if (r.sender === store.me) summary.mine = true;
      if (summary.by.length < REACTORS_SHOWN) summary.by.push(r.sender);
    }
    return out;
  }

  /** My reaction taken back, or added, on a summary list; returns the new list. */
  function withMine(list: readonly ReactionSummary[], emoji: string, on: boolean): ReactionSummary[] {
    const me = store.me;
    const at = list.findIndex((s) => s.emoji === emoji);
    const current = at === -1 ? null : list[at]!;
    if ((current?.mine ?? false) === on) return [...list];
    if (on) {
      if (!current) return [...list, { emoji, count: 1, mine: true, by: [me] }];
      return list.map((s, i) => (i === at ? { ...s, count: s.count + 1, mine: true, by: s.by.length < REACTORS_SHOWN ? [...s.by, me] : s.by } : s));
    }
    if (current!.count <= 1) return list.filter((_, i) => i !== at);
    return list.map((s, i) => (i === at ? { ...s, count: s.count - 1, mine: false, by: s.by.filter((a) => a !== me) } : s));
  }

  /** My actions not sent yet show at once (a refused one leaves the outbox, and shows no more). */
  function overlay(m: Message, action: OutboxRecord): Message {
    switch (action.action) {
      case 'edit':
        return m.deleted ? m : { ...m, body: action.body, editedAt: action.createdAt, ...(action.mentions ? { mentions: action.mentions } : {}) };
      case 'delete': {
        const { file: _file, transfer: _transfer, reactions: _reactions, mentions: _mentions, editedAt: _editedAt, ...rest } = m;
        return { ...rest, body: '', deleted: true };
      }
      case 'react':
      case 'unreact': {
        if (m.deleted) return m;
        const reactions = withMine(m.reactions ?? [], action.body, action.action === 'react');
        const { reactions: _old, ...rest } = m;
        return reactions.length > 0 ? { ...rest, reactions } : rest;
      }
      default:
        return m;
    }
  }

  /** Stored and pending messages of one conversation with their reactions, reply previews and my waiting actions. */
  function decorate(conversationId: string, messages: Message[]): Message[] {
    const seqs = messages.flatMap((m) => (m.seq !== null && isWritten(m.kind) && !m.deleted ? [m.seq] : []));
    if (seqs.length > 0) {
      const reactions = reactionsOf(store.messages.reactions(conversationId, Math.min(...seqs), Math.max(...seqs)));
      if (reactions.size > 0) {
        for (const [i, m] of messages.entries()) {
          const list = m.seq !== null && !m.deleted ? reactions.get(m.seq) : undefined;
          if (list) messages[i] = { ...m, reactions: list };
        }
      }
    }
    const waiting = store.outbox.actions(conversationId);
    if (waiting.length === 0) return messages;
    const byId = new Map(messages.map((m, i) => [m.id, i]));
    for (const action of waiting) {
      const i = byId.get(action.target!);
      if (i !== undefined) messages[i] = overlay(messages[i]!, action);
    }
    return messages;
  }

  function summarize(c: ConversationRecord): ConversationSummary {
    const waiting = store.outbox.last(c.id);
    const last = waiting ? null : store.messages.last(c.id);
    const lastMessage = waiting ? pending(waiting) : last ? toMessage(last, marksOf(c.participants, store.me)) : null;
    return {
      id: c.id,
      type: c.type,
      title: c.title,
      ...(c.description ? { description: c.description } : {}),
      participants: c.participants,
      lastMessage: lastMessage && decorate(c.id, [lastMessage])[0]!,
      unread: Math.max(0, c.unread),
      mentions: Math.max(0, c.unreadMentions),
      lastSeq: c.lastSeq,
      haveSeq: c.haveSeq,
      readSeq: c.readSeq,
      lastActivity: c.lastActivity,
      muted: c.muted,
    };
  }

  /** A stored message with its conversation's marks, as readMessages gives it; null when either is missing. */
  function stored(r: MessageRecord | null): Message | null {
    const conversation = r && store.conversations.get(r.conversationId);
    return conversation ? decorate(r.conversationId, [toMessage(r, marksOf(conversation.participants, store.me))])[0]! : null;
  }

  function message(conversationId: string, seq: number): Message | null {
    return stored(store.messages.get(conversationId, seq));
  }

  /** My message not sent yet, as readMessages gives it. */
  function pendingView(r: OutboxRecord): Message {
    const m = pending(r);
    return m.conversationId ? decorate(m.conversationId, [m])[0]! : m;
  }

  return {
    stored,
    message,
    pending: pendingView,

    /** A message by its id (sent, still in my outbox, or any other event); the shape readMessages gives. */
    byId(id: string): Message | null {
      const parsed = parseMessageId(id);
      if (!parsed) return null;
      if ('seq' in parsed) {
        const event = message(parsed.conversationId, parsed.seq);
        // A written message's id is sender:clientId, not its place.
        return event?.id === id ? event : null;
      }
      const sent = store.messages.written(parsed.sender, parsed.clientId);
      if (sent || parsed.sender !== store.me) return sent && stored(store.messages.get(sent.conversationId, sent.seq));
      const waiting = store.outbox.get(parsed.clientId);
      return waiting && waiting.action === null ? pendingView(waiting) : null;
    },

    /**
     * A page of messages, oldest first: the newest, those before or after a seq, or those around one
     * (⌊limit/2⌋ before it, the rest from it on). A page that reaches the newest stored message ends
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
      return decorate(conversationId, toEnd ? page.concat(store.outbox.forConversation(conversationId).map(pending)) : page);
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
      return Math.max(0, store.conversations.unreadTotal());
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
