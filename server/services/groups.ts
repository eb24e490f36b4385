// The rules of running a group or channel from the app. Admins change everything: members, roles,
// the title and the description (members do not add others: one rule for groups and channels, and
// the simplest to explain); anyone may leave, and the last admin leaving passes the role to the
// longest-standing member (storage does that in the same write). Every rule is checked inside the
// write against the members as it sees them, so two admins acting at once cannot leave a group
// without an admin or act on someone already gone; each change is one sequenced `members` or
// `edit` event, which the requester gets in the answer and every other device as a push.
import { MAX_MEMBERS, ParleyError, type Address, type Conversation, type ConversationEvent, type Role } from '../../protocol/index.js';
import type { ConversationDetails, ConversationMembers, MembershipChange, Storage } from '../storage/storage.js';
import type { PresenceService } from '../presence/presence.js';
import type { Fanout } from './messaging.js';

export interface GroupDeps {
  storage: Storage;
  fanout: Fanout;
  now: () => number;
  requireUsers(addresses: readonly Address[]): Promise<void>;
  viewOf(conversationId: string): Promise<Conversation>;
  /** Told who shares conversations with whom changed (null: the server keeps no presence). */
  presence: PresenceService | null;
}

export interface GroupChange {
  seq: number;
  event: ConversationEvent;
}

function requireGroup(m: ConversationMembers): void {
  if (m.type === 'direct') throw new ParleyError('bad_request', 'a direct conversation has no title, admins or members to change');
}

function requireAdmin(m: ConversationMembers, actor: Address, what: string): void {
  if (m.roles.get(actor) !== 'admin') throw new ParleyError('forbidden', `only admins ${what} in a ${m.type}`);
}

function requireMembers(m: ConversationMembers, addresses: readonly Address[]): void {
  const strangers = addresses.filter((a) => !m.roles.has(a));
  if (strangers.length > 0) {
    throw new ParleyError('bad_request', `${strangers.join(', ')} ${strangers.length === 1 ? 'is' : 'are'} not a member of this ${m.type}`);
  }
}

const adminCount = (m: ConversationMembers): number => [...m.roles.values()].filter((r) => r === 'admin').length;

export function createGroups({ storage, fanout, now, requireUsers, viewOf, presence }: GroupDeps) {
  /** One membership change by a member: checked inside the write, then told to everyone it concerns. */
  async function change(actor: Address, conversationId: string, members: MembershipChange, authorize: (m: ConversationMembers) => void, socketId?: string): Promise<GroupChange> {
    const { event, before } = await storage.changeMembers(conversationId, members, actor, now(), (m) => {
      requireGroup(m);
      authorize(m);
    });
    // The rules refuse every change that would do nothing, so there is always an event.
    if (!event) throw new ParleyError('conflict', 'nothing changed');
    const added = members.add.map((m) => m.address);
    presence?.membersChanged([...new Set([...before, ...added])]);
    // Everyone who was there, those removed included, gets the event: after it, nothing more
    // reaches the removed. Then, when people were added, everyone gets the conversation: those
    // added catch up from it, the others learn the newcomers' names (an event carries addresses).
    fanout.emit(before, 'event', event, socketId);
    if (added.length > 0) fanout.emit([...new Set([...before, ...added])], 'conversation', await viewOf(conversationId));
    return { seq: event.seq, event };
  }

  return {
    async editConversation(editor: Address, conversationId: string, details: ConversationDetails, socketId?: string): Promise<GroupChange> {
      const event = await storage.editConversation(conversationId, details, editor, now(), (m) => {
        requireGroup(m);
        requireAdmin(m, editor, 'change the title and description');
      });
      const members = await storage.getMembers(conversationId);
      if (members) fanout.emit(members.addresses, 'event', event, socketId);
      return { seq: event.seq, event };
    },

    async addMembers(actor: Address, conversationId: string, addresses: Address[], socketId?: string): Promise<GroupChange> {
      const unique = [...new Set(addresses)];
      await requireUsers(unique);
      return change(actor, conversationId, { add: unique.map((address) => ({ address, role: 'member' })), remove: [] }, (m) => {
        requireAdmin(m, actor, 'add members');
        const already = unique.filter((a) => m.roles.has(a));
        if (already.length > 0) throw new ParleyError('conflict', `${already.join(', ')} ${already.length === 1 ? 'is' : 'are'} already a member`);
        if (m.addresses.length + unique.length > MAX_MEMBERS) throw new ParleyError('bad_request', `a ${m.type} has at most ${MAX_MEMBERS} members`);
      }, socketId);
    },

    async removeMembers(actor: Address, conversationId: string, addresses: Address[], socketId?: string): Promise<GroupChange> {
      const unique = [...new Set(addresses)];
      return change(actor, conversationId, { add: [], remove: unique }, (m) => {
        requireAdmin(m, actor, 'remove members');
        if (unique.includes(actor)) throw new ParleyError('bad_request', 'you cannot remove yourself: leave instead');
        requireMembers(m, unique);
      }, socketId);
    },

    /** Anyone may leave; the last admin's role passes to the longest-standing member who stays. */
    async leave(actor: Address, conversationId: string, socketId?: string): Promise<GroupChange> {
      return change(actor, conversationId, { add: [], remove: [actor] }, () => {}, socketId);
    },

    async setRole(actor: Address, conversationId: string, address: Address, role: Role, socketId?: string): Promise<GroupChange> {
      return change(actor, conversationId, { add: [], remove: [], roles: [{ address, role }] }, (m) => {
        requireAdmin(m, actor, 'make or remove admins');
        requireMembers(m, [address]);
        const current = m.roles.get(address);
        if (current === role) throw new ParleyError('conflict', role === 'admin' ? `${address} is already an admin` : `${address} is not an admin`);
        if (current === 'admin' && adminCount(m) === 1) {
          throw new ParleyError('bad_request', `${address} is the last admin: make someone else admin first`);
        }
      }, socketId);
    },
  };
}
