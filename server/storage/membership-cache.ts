// Who is in each recently active conversation, in memory: every message, receipt and typing signal
// asks, and the answer only changes with a membership event. The storage that owns the cache keeps
// it exact: it forgets a conversation inside the transaction that changes its members (so a later
// write in the same batch reloads what that transaction sees) and forgets everything when a
// transaction rolls back. Bounded in conversations and in member entries; the least used go first.
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

/** M: what a storage keeps with the members (PostgreSQL: the version they were read at). */
export interface MembershipCache<M extends ConversationMembers = ConversationMembers> {
  get(conversationId: string): M | undefined;
  put(conversationId: string, members: M): void;
  forget(conversationId: string): void;
  clear(): void;
}

export function createMembershipCache<M extends ConversationMembers = ConversationMembers>(
  limits: MembershipCacheLimits = DEFAULT_MEMBERSHIP_CACHE_LIMITS,
): MembershipCache<M> {
  // Second chance, not strict LRU: a hit only marks its entry (every send and receipt is one, so it
  // must be cheap); eviction walks from the oldest, giving each marked entry one more round.
  const entries = new Map<string, { members: M; used: boolean }>();
  let members = 0;

  const forget = (conversationId: string) => {
    const entry = entries.get(conversationId);
    if (!entry) return;
    entries.delete(conversationId);
    members -= entry.members.addresses.length;
  };

  const evict = () => {
    for (const [id, entry] of entries) {
      if (entries.size <= limits.conversations && members <= limits.members) return;
      entries.delete(id);
      if (entry.used) {
        entry.used = false;
        entries.set(id, entry);
      } else {
        members -= entry.members.addresses.length;
      }
    }
  };

  return {
    get(conversationId) {
      const entry = entries.get(conversationId);
      if (!entry) return undefined;
      entry.used = true;
      return entry.members;
    },
    put(conversationId, value) {
      forget(conversationId);
      if (value.addresses.length > limits.members) return;
      entries.set(conversationId, { members: value, used: false });
      members += value.addresses.length;
      evict();
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
