// Who sent each of a conversation's newest events, in memory: every receipt asks which senders its
// range of seqs concerns, and in a group nearly every receipt covers the last few messages. The
// storage records each event it writes once it is committed (SQLite records inside its transaction
// and forgets everything when one rolls back, as with the members cache); with several nodes, also
// the events the others wrote, as their pushes arrive (in any order). A range it does not hold
// whole (older events, a push it never got) is left to the database.
import type { Address } from '../../protocol/index.js';

export interface RecentSendersLimits {
  conversations: number;
  /** Newest events remembered per conversation. */
  perConversation: number;
}

/** Some 10–30 MB at most (a slot's sender is a string of its own when it came in a push). */
export const DEFAULT_RECENT_SENDERS_LIMITS: RecentSendersLimits = { conversations: 10_000, perConversation: 64 };

export interface RecentSenders {
  /** An event is at seq: a message by sender, or (sender null) an event of another kind. */
  appended(conversationId: string, seq: number, sender: Address | null): void;
  /** The distinct senders of messages with previous < seq <= current; null when not all are held here. */
  between(conversationId: string, previous: number, current: number): Address[] | null;
  clear(): void;
}

/** The newest `perConversation` seqs of a conversation: the event at seq sits in slot seq % size. */
interface Window {
  newest: number;
  /** The seq each slot holds (0: none; seqs start at 1). */
  seqs: Float64Array;
  senders: Array<Address | null>;
}

export function createRecentSenders(limits: RecentSendersLimits = DEFAULT_RECENT_SENDERS_LIMITS): RecentSenders {
  const size = limits.perConversation;
  const windows = new Map<string, Window>();
  return {
    appended(conversationId, seq, sender) {
      let window = windows.get(conversationId);
      if (!window) {
        window = { newest: seq, seqs: new Float64Array(size), senders: new Array<Address | null>(size).fill(null) };
        if (windows.size >= limits.conversations) windows.delete(windows.keys().next().value!);
      } else if (seq <= window.newest - size) {
        return; // older than the window
      }
      // The most recently written conversation is the last to be forgotten.
      windows.delete(conversationId);
      windows.set(conversationId, window);
      window.newest = Math.max(window.newest, seq);
      window.seqs[seq % size] = seq;
      window.senders[seq % size] = sender;
    },
    between(conversationId, previous, current) {
      const window = windows.get(conversationId);
      if (!window || current - previous > size) return null;
      const senders = new Set<Address>();
      for (let seq = previous + 1; seq <= current; seq++) {
        if (window.seqs[seq % size] !== seq) return null;
        const sender = window.senders[seq % size];
        if (sender) senders.add(sender);
      }
      return [...senders];
    },
    clear() {
      windows.clear();
    },
  };
}
