// Who sent each of a conversation's newest events, in memory: every receipt asks which senders its
// range of seqs concerns, and in a group nearly every receipt covers the last few messages. The
// storage records each event inside the transaction that writes it (and forgets everything when a
// transaction rolls back, as with the members cache); a range it does not hold whole, without a
// gap (older events, or events another node wrote), is left to the database.
import type { Address } from '../../protocol/index.js';

export interface RecentSendersLimits {
  conversations: number;
  /** Newest events remembered per conversation. */
  perConversation: number;
}

/** About 10 MB at most. */
export const DEFAULT_RECENT_SENDERS_LIMITS: RecentSendersLimits = { conversations: 10_000, perConversation: 64 };

export interface RecentSenders {
  /** An event was written at seq: a message by sender, or (sender null) an event of another kind. */
  appended(conversationId: string, seq: number, sender: Address | null): void;
  /** The distinct senders of messages with previous < seq <= current; null when not all are held here. */
  between(conversationId: string, previous: number, current: number): Address[] | null;
  clear(): void;
}

interface Run {
  /** The seq of senders[0]; the run holds first … first + senders.length - 1 without a gap. */
  first: number;
  senders: Array<Address | null>;
}

export function createRecentSenders(limits: RecentSendersLimits = DEFAULT_RECENT_SENDERS_LIMITS): RecentSenders {
  const runs = new Map<string, Run>();
  return {
    appended(conversationId, seq, sender) {
      const run = runs.get(conversationId);
      if (run && seq === run.first + run.senders.length) {
        run.senders.push(sender);
        if (run.senders.length > limits.perConversation) {
          run.senders.shift();
          run.first++;
        }
        return;
      }
      // New here, or a gap (events written elsewhere): start again from this one.
      runs.delete(conversationId);
      runs.set(conversationId, { first: seq, senders: [sender] });
      if (runs.size > limits.conversations) runs.delete(runs.keys().next().value!);
    },
    between(conversationId, previous, current) {
      const run = runs.get(conversationId);
      if (!run || previous + 1 < run.first || current > run.first + run.senders.length - 1) return null;
      const senders = new Set<Address>();
      for (let seq = previous + 1; seq <= current; seq++) {
        const sender = run.senders[seq - run.first];
        if (sender) senders.add(sender);
      }
      return [...senders];
    },
    clear() {
      runs.clear();
    },
  };
}
