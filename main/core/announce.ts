// What the engine tells its host after a change it has stored: a conversation's summary and the
// unread counts that follow any change to it, and message status changes.
import type { Emitter } from '../../common/emitter.js';
import type { Views } from './messages/views.js';
import type { EngineEvents, Message, MessageStatusChange } from './types.js';

export type Announce = ReturnType<typeof createAnnounce>;

export function createAnnounce(events: Emitter<EngineEvents>, views: Views) {
  return {
    /** The conversation as stored now, and the unread totals (muted conversations left out). */
    conversation(id: string): void {
      const summary = views.conversation(id);
      if (!summary) return;
      events.emit('conversation', summary);
      events.emit('unread', { conversationId: id, unread: summary.unread, total: views.totalUnread() });
    },
    status(change: MessageStatusChange): void {
      events.emit('messageStatus', change);
    },
    /** A message's status as stored now (my own messages only carry one). */
    statusOf(m: Message): void {
      events.emit('messageStatus', { id: m.id, conversationId: m.conversationId, seq: m.seq, status: m.status!, ...(m.error ? { error: m.error } : {}) });
    },
  };
}
