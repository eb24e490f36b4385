// The rules of Parley conversations, shared by the backend API and the real-time API: who may see
// and post what, distinct conversations, sequence-numbered events and receipts. It keeps no state
// of its own: storage holds the data and the fan-out reaches devices through rooms, so several
// server nodes can run it side by side.
import { randomUUID, createHash } from 'node:crypto';
import {
  ParleyError,
  RETRANSMIT_PAGE,
  SYNC_LEFT,
  type Address,
  type Conversation,
  type ConversationType,
  type FileInfo,
  type PushName,
  type PushPayload,
  type Receipt,
  type ReceiptType,
} from '../../protocol/index.js';
import { fileIdOf } from '../files/file-url.js';
import type { UserLimits } from '../realtime/rate-limit.js';
import type { ConversationMembers, Storage } from '../storage/storage.js';
import { createActions } from './actions.js';
import { createGroups } from './groups.js';
import type { PresenceService } from '../presence/presence.js';
import { createProfiles } from './profiles.js';

export interface Fanout {
  /** Sends to every connected device of these users, except the socket that caused it. */
  emit<N extends PushName>(users: readonly Address[], name: N, payload: PushPayload<N>, exceptSocket?: string): void;
  /** Sends a receipt to these users with the others of the next few milliseconds for them, in one `receipts` push each. */
  receipt(users: readonly Address[], receipt: Receipt): void;
  disconnectUser(address: Address, message: string): void;
  /** A user's own limits changed: their open connections follow them from now on. */
  userLimitsChanged(address: Address, limits: UserLimits): void;
  connectedDevices(): Promise<number>;
}

export interface NewConversationRequest {
  participants: Address[];
  type: ConversationType;
  title?: string | undefined;
  distinct?: boolean | undefined;
  admins?: Address[] | undefined;
}

export type Messaging = ReturnType<typeof createMessaging>;

export interface MessagingOptions {
  /** Bytes of event text a retransmit answer holds at most (past its first event); see getEvents. */
  maxRetransmitBytes: number;
  /** Presence, unless the server runs without it (a benchmark's baseline). */
  presence?: PresenceService | null;
}

/** 4 MiB: a thousand ordinary messages fit in a page; 64 KiB bodies or previews page by ~60. */
export const DEFAULT_MAX_RETRANSMIT_BYTES = 4 * 1024 * 1024;

export function createMessaging(
  storage: Storage,
  fanout: Fanout,
  now: () => number = Date.now,
  options: MessagingOptions = { maxRetransmitBytes: DEFAULT_MAX_RETRANSMIT_BYTES },
) {
  async function requireUsers(addresses: readonly Address[]): Promise<void> {
    const missing = await storage.missingUsers(addresses);
    if (missing.length > 0) throw new ParleyError('not_found', `no such user: ${missing.join(', ')}`);
  }

  async function requireConversation(id: string) {
    const conversation = await storage.getConversation(id);
    if (!conversation) throw new ParleyError('not_found', `conversation ${id} does not exist`);
    return conversation;
  }

  /** Members only; a conversation that does not exist answers the same, so ids cannot be probed. */
  async function requireMember(conversationId: string, address: Address): Promise<ConversationMembers> {
    const members = await storage.getMembers(conversationId);
    if (!members?.roles.has(address)) throw new ParleyError('not_member', `you are not a participant of conversation ${conversationId}`);
    return members;
  }


  const presence = options.presence ?? null;

  async function viewOf(id: string): Promise<Conversation> {
    const [record, participants] = await Promise.all([requireConversation(id), storage.getParticipants(id)]);
    return { ...record, participants };
  }

  async function announce(id: string, exceptSocket?: string): Promise<Conversation> {
    const conversation = await viewOf(id);
    fanout.emit(addressesOf(conversation), 'conversation', conversation, exceptSocket);
    return conversation;
  }

  return {
    /** creator is null when the operator's backend creates it (REST). */
    async createConversation(creator: Address | null, request: NewConversationRequest): Promise<Conversation> {
      const everyone = [...new Set(creator ? [creator, ...request.participants] : request.participants)].sort();
      if (request.type === 'direct' && everyone.length !== 2) {
        throw new ParleyError('bad_request', 'a direct conversation has exactly two participants');
      }
      if (request.type === 'direct' && request.title) {
        throw new ParleyError('bad_request', 'a direct conversation has no title');
      }
      await requireUsers(everyone);
      const admins = new Set(request.admins ?? (creator ? [creator] : []));
      for (const admin of admins) {
        if (!everyone.includes(admin)) throw new ParleyError('bad_request', `admin ${admin} is not a participant`);
      }
      const distinct = request.type === 'direct' || request.distinct === true;
      const { id, created } = await storage.createConversation({
        id: randomUUID(),
        type: request.type,
        title: request.title ?? null,
        distinctKey: distinct ? distinctKey(request.type, everyone) : null,
        members: everyone.map((address) => ({
          address,
          role: request.type === 'direct' || admins.has(address) ? 'admin' : 'member',
        })),
        createdAt: now(),
      });
      if (!created) return viewOf(id);
      presence?.membersChanged(everyone);
      return announce(id);
    },

    async sendMessage(
      sender: Address,
      deviceId: string,
      message: {
        conversationId: string;
        clientId: string;
        body: string;
        file?: FileInfo | undefined;
        replyTo?: number | undefined;
        mentions?: Address[] | undefined;
      },
      socketId?: string,
    ) {
      // A file of this server becomes readable by the conversation's members when the sender may read
      // it (storage checks that in the same transaction); a forward links it to one more conversation.
      const fileId = message.file ? fileIdOf(message.file.url) : null;
      // Membership and the channel rule are checked inside the write, in the batch's order; the event
      // goes to the members as the write left them (a removal committed just before it is already out).
      const { event, duplicate, members } = await storage.appendMessage({
        ...message,
        fileId,
        sender,
        deviceId,
        serverTime: now(),
        authorize: (m) => {
          if (m.type === 'channel' && m.roles.get(sender) !== 'admin') throw new ParleyError('forbidden', 'only admins post in a channel');
        },
      });
      if (!duplicate) fanout.emit(members, 'event', event, socketId);
      return { seq: event.seq, serverTime: event.serverTime };
    },

    ...createGroups({ storage, fanout, now, requireUsers, viewOf, presence }),

    ...createActions({ storage, fanout, now }),

    /** The operator's backend changes a group's members (REST). */
    async changeMembers(conversationId: string, change: { add: Address[]; remove: Address[] }) {
      const conversation = await requireConversation(conversationId);
      if (conversation.type === 'direct') {
        throw new ParleyError('bad_request', 'the members of a direct conversation never change');
      }
      await requireUsers(change.add);
      const { event, before } = await storage.changeMembers(
        conversationId,
        { add: change.add.map((address) => ({ address, role: 'member' as const })), remove: change.remove },
        null,
        now(),
      );
      if (!event) return viewOf(conversationId);
      presence?.membersChanged([...new Set([...before, ...change.add])]);
      // Those removed hear of it once, then nothing more; those added get the whole conversation.
      fanout.emit([...new Set([...before, ...change.add])], 'event', event);
      return event.type === 'members' && event.added.length > 0 ? announce(conversationId) : viewOf(conversationId);
    },

    async receipt(address: Address, request: { conversationId: string; type: ReceiptType; seq: number }) {
      const { type, addresses } = await requireMember(request.conversationId, address);
      const { previous, current } = await storage.advanceReceipt(request.conversationId, address, request.type, request.seq);
      if (current > previous) {
        // Read marks reach the reader's other devices too, so they stop counting those as unread;
        // senders removed since are left out (storage answers current members only). In a direct
        // conversation every event above the reader's own marks is a message of the other person
        // (sending moves the sender's marks to their message), so no lookup is needed.
        const senders =
          type === 'direct'
            ? addresses.filter((a) => a !== address)
            : await storage.sendersBetween(request.conversationId, previous, current);
        const to = request.type === 'read' ? [...new Set([...senders, address])] : senders.filter((s) => s !== address);
        if (to.length > 0) {
          fanout.receipt(to, { conversationId: request.conversationId, address, type: request.type, seq: current });
        }
      }
      return { seq: current };
    },

    async sync(address: Address) {
      const [profile, conversations, left, present] = await Promise.all([
        storage.getProfile(address),
        storage.listConversations(address),
        storage.departures(address, SYNC_LEFT),
        presence ? presence.of(address) : undefined,
      ]);
      if (!profile) throw new ParleyError('auth_failed', `the user ${address} no longer exists`);
      return {
        me: profile.user,
        conversations,
        ...(left.length > 0 ? { left } : {}),
        serverTime: now(),
        hideLastSeen: profile.hideLastSeen,
        hiddenVersion: profile.hiddenVersion,
        ...(present && { presence: present }),
      };
    },

    /** A device is in use, or idle: presence follows (nothing without presence). */
    async activity(address: Address, deviceKey: string, active: boolean) {
      await presence?.activity(address, deviceKey, active);
    },

    ...createProfiles(storage, fanout, presence),

    async retransmit(address: Address, request: { conversationId: string; fromSeq: number; toSeq: number }) {
      // A former member still fetches the history they had: up to the event that removed them.
      const members = await storage.getMembers(request.conversationId);
      const last = members?.roles.has(address) ? Number.MAX_SAFE_INTEGER : await storage.departure(request.conversationId, address);
      if (last === null || request.fromSeq > last) {
        throw new ParleyError('not_member', `you are not a participant of conversation ${request.conversationId}`);
      }
      // A page may stop short of toSeq (bytes): the device asks again from the seq after its last.
      const toSeq = Math.min(request.toSeq, request.fromSeq + RETRANSMIT_PAGE - 1, last);
      const events = await storage.getEvents(request.conversationId, request.fromSeq, toSeq, RETRANSMIT_PAGE, options.maxRetransmitBytes);
      return { events };
    },

    async typing(address: Address, conversationId: string, socketId?: string) {
      const { addresses } = await requireMember(conversationId, address);
      fanout.emit(
        addresses.filter((a) => a !== address),
        'typing',
        { conversationId, address },
        socketId,
      );
    },

    async searchUsers(query: string, limit = 20) {
      return { users: await storage.searchUsers(query, limit) };
    },

    /** The operator gives a user (a bot, an integration) limits of their own, or takes them back ({}). */
    async setUserLimits(address: Address, limits: UserLimits) {
      if (!(await storage.setUserLimits(address, limits))) throw new ParleyError('not_found', `no such user: ${address}`);
      fanout.userLimitsChanged(address, limits);
      return limits;
    },

    async getUserLimits(address: Address) {
      const limits = await storage.getUserLimits(address);
      if (!limits) throw new ParleyError('not_found', `no such user: ${address}`);
      return limits;
    },

    async revokeTokens(address: Address) {
      const revoked = await storage.revokeTokens(address);
      fanout.disconnectUser(address, 'your access token was revoked');
      return revoked;
    },

    async stats() {
      const [counts, devices] = await Promise.all([storage.stats(), fanout.connectedDevices()]);
      return { ...counts, connectedDevices: devices };
    },
  };
}

function addressesOf(conversation: Conversation): Address[] {
  return conversation.participants.map((p) => p.address);
}

function distinctKey(type: ConversationType, sortedParticipants: readonly Address[]): string {
  return createHash('sha256').update(`${type}\n${sortedParticipants.join('\n')}`).digest('hex');
}
