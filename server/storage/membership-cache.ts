// Who is in each recently active conversation, in memory: every message, receipt and typing signal
// asks, and the answer only changes with a membership event. The storage that owns the cache keeps
// it exact: it forgets a conversation inside the transaction that changes its members (so a later
// write in the same batch reloads what that transaction sees) and forgets everything when a
// transaction rolls back. Bounded in conversations and in member entries, least recently used first.
import type { Address, ConversationType, Role } from '../../protocol/index.js';

export interface ConversationMembers {
  type: ConversationType;
  /** Current members, in address order. */
  addresses: readonly Address[];
  roles: ReadonlyMap<Address, Role>;
}

export interface MembershipCacheLimits {
  conversations: number;
  /** Member entries across all cached conversations (about 100 bytes each). */
  members: number;
}

/** About 50 MB at most: every conversation of a 20,000-person organisation's active day. */
export const DEFAULT_MEMBERSHIP_CACHE_LIMITS: MembershipCacheLimits = { conversations: 20_000, members: 500_000 };

export interface MembershipCache {
  get(conversationId: string): ConversationMembers | undefined;
  put(conversationId: string, members: ConversationMembers): void;
  forget(conversationId: string): void;
  clear(): void;
}

export function createMembershipCache(limits: MembershipCacheLimits = DEFAULT_MEMBERSHIP_CACHE_LIMITS): MembershipCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, ConversationMembers>();
  let members = 0;

  const forget = (conversationId: string) => {
    const entry = entries.get(conversationId);
    if (!entry) return;
    entries.delete(conversationId);
    members -= entry.addresses.length;
  };

  return {
    get(conversationId) {
      const entry = entries.get(conversationId);
      if (entry) {
        entries.delete(conversationId);
        entries.set(conversationId, entry);
      }
      return entry;
    },
    put(conversationId, entry) {
      forget(conversationId);
      if (entry.addresses.length > limits.members) return;
      entries.set(conversationId, entry);
      members += entry.addresses.length;
      for (const [oldest] of entries) {
        if (entries.size <= limits.conversations && members <= limits.members) break;
        forget(oldest);
      }
    },
    forget,
    clear() {
      entries.clear();
      members = 0;
    },
  };
}

export function membersFrom(type: ConversationType, rows: ReadonlyArray<{ address: Address; role: Role }>): ConversationMembers {
  const roles = new Map<Address, Role>();
  for (const row of rows) roles.set(row.address, row.role);
  return { type, addresses: [...roles.keys()].sort(), roles };
}
