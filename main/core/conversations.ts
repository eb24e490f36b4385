// Conversations and their messages as the host reads them (from the store, offline too), and what a
// person does to one: create it, mute it, read it, type in it, find people to add.
import { ParleyError } from '../../protocol/index.js';
import type { EngineContext } from './context.js';
import { whenOnline } from './net/when-online.js';
import type { CatchUp } from './sync/catch-up.js';
import type { Receipts } from './sync/receipts.js';
import type { PageAt } from './messages/views.js';
import type { ConversationSummary, ConversationType, Message } from './types.js';

const TYPING_EVERY_MS = 3000;
const MAX_PAGE = 500;

export type ConversationDeps = Pick<EngineContext, 'store' | 'views' | 'connection' | 'events' | 'announce'> & {
  receipts: Receipts;
  catchUp: CatchUp;
};

export function createConversationApi(d: ConversationDeps) {
  const { store, views, connection } = d;
  const lastTyping = new Map<string, number>();
  const online = () => whenOnline(connection, d.events);

  return {
    readConversations(): ConversationSummary[] {
      return views.conversations();
    },
    readConversation(id: string): ConversationSummary | null {
      return views.conversation(id);
    },
    /** Unread over the conversations that are not muted (the app badge); unread events carry it as it changes. */
    unreadTotal(): number {
      return views.totalUnread();
    },
    /** Mutes or unmutes a conversation on this device; conversation and unread events follow. */
    setConversationMuted(conversationId: string, muted: boolean): ConversationSummary {
      if (!store.conversations.get(conversationId)) throw new ParleyError('not_found', `no conversation ${conversationId} on this device`);
      store.prefs.setMuted(conversationId, muted);
      d.announce.conversation(conversationId);
      return views.conversation(conversationId)!;
    },
    /** The newest `limit` messages, or those before, after or around a seq (see Views.page), oldest first. */
    readMessages(conversationId: string, options: PageAt & { limit?: number } = {}): Message[] {
      const { limit: asked, ...at } = options;
      if (Object.values(at).filter((seq) => seq !== undefined).length > 1) throw new ParleyError('bad_request', 'give at most one of beforeSeq, afterSeq and aroundSeq');
      const limit = Math.min(Math.max(Math.trunc(asked ?? 50), 1), MAX_PAGE);
      return views.page(conversationId, at, limit);
    },
    /** A message by its id, as readMessages gives it (with its file and latest transfer); null when not on this device. */
    getMessage(id: string): Message | null {
      return views.byId(id);
    },
    /** Moves the read mark (never back, never past the last event); the server hears of it when online, else at the next sync. */
    markRead(conversationId: string, seq: number): void {
      if (!Number.isSafeInteger(seq) || seq < 1) throw new ParleyError('bad_request', 'seq is a positive integer');
      const conversation = store.conversations.get(conversationId);
      if (!conversation || seq <= conversation.readSeq) return;
      store.conversations.setRead(conversationId, Math.min(seq, conversation.lastSeq), store.me);
      d.announce.conversation(conversationId);
      if (connection.online) d.receipts.read(conversationId, store.conversations.get(conversationId)!.readSeq);
    },
    async createConversation(request: { participants: string[]; type: ConversationType; title?: string; distinct?: boolean }): Promise<ConversationSummary> {
      await online();
      const conversation = await connection.request('conversation:create', request);
      store.upsertConversations([conversation]);
      d.announce.conversation(conversation.id);
      if (conversation.lastSeq > 0) d.catchUp.soon();
      return views.conversation(conversation.id)!;
    },
    /** Tells the others I am typing, at most every few seconds per conversation. */
    setTyping(conversationId: string): void {
      const now = Date.now();
      if (now - (lastTyping.get(conversationId) ?? 0) < TYPING_EVERY_MS) return;
      lastTyping.set(conversationId, now);
      connection.signal('typing', { conversationId });
    },
    async searchUsers(query: string, limit = 20) {
      await online();
      return (await connection.request('users:search', { query, limit })).users;
    },
  };
}
