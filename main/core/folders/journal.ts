// The store-backed half of watched folders: the bindings, and a journal of each file version seen,
// keyed by (binding, relative path, size, mtime, sha256). A row goes queued → uploading (the
// clientId written before sendFile stores its outbox message) → sent (the server acknowledged it)
// → done (afterSend applied); skipped marks versions not to send (there before the binding, or
// changed after sending with resendChanged off), gone a queued version whose file disappeared.
import type { Store } from '../store/index.js';

export type { BindingRow, JournalRow, JournalState } from '../store/index.js';

export type Journal = ReturnType<typeof createJournal>;

export function createJournal(store: Store) {
  return {
    ...store.folders.watched,
    /** Where the message with this clientId is: stored as sent, waiting in the outbox (maybe failed), or nowhere. */
    messageState(clientId: string): { where: 'sent'; conversationId: string; seq: number } | { where: 'outbox'; error: string | null } | { where: 'none' } {
      const sent = store.messages.written(store.me, clientId);
      if (sent) return { where: 'sent', conversationId: sent.conversationId, seq: sent.seq };
      const waiting = store.outbox.get(clientId);
      return waiting ? { where: 'outbox', error: waiting.error } : { where: 'none' };
    },
  };
}
