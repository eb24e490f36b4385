// The real-time contract: every socket.io event, its payload schema and, for requests, its answer.
import { z } from 'zod';
import type { ErrorBody } from './errors.js';
import {
  Address,
  Caption,
  ClientId,
  Conversation,
  ConversationEvent,
  ConversationId,
  ConversationType,
  Description,
  DeviceId,
  DisplayName,
  Emoji,
  FileId,
  FileInfo,
  MAX_MEMBERS,
  Mentions,
  Presence,
  PRESENCE_PUSH,
  Receipt,
  ReceiptType,
  Role,
  RECEIPTS_PUSH,
  RETRANSMIT_PAGE,
  Seq,
  Title,
  User,
} from './schemas.js';

/** A change to a group or channel: its event, which the requester stores (its socket is not sent it again). */
const GroupChange = z.object({ seq: Seq, event: ConversationEvent });
/** People added or removed in one request. */
const Members = z.array(Address).min(1).max(256);

/** Where an event was stored: its seq, and the server's time. */
const Stored = z.object({ seq: Seq, serverTime: z.number().int() });
/** An action on one message of a conversation, and its idempotency key. */
const Action = z.object({ conversationId: ConversationId, clientId: ClientId, target: Seq.min(1) });
/** Messages one delete-for-me names at most. */
export const HIDE_BATCH = 100;
/** Hidden batches one `hidden:list` answer carries at most. */
export const HIDDEN_PAGE = 500;
/** Messages of one conversation I deleted for me, at one version of my hidden list. */
const HiddenBatch = z.object({ version: z.number().int().positive(), conversationId: ConversationId, seqs: z.array(Seq.min(1)).min(1).max(HIDE_BATCH) });

/** How many conversations a sync names that the user was removed from (the most recent). */
export const SYNC_LEFT = 1000;

/** Requests a device makes; each is answered through the socket.io ack with a Reply. */
export const requests = {
  'conversation:create': {
    payload: z.object({
      participants: z.array(Address).min(1).max(MAX_MEMBERS),
      type: ConversationType,
      title: Title.optional(),
      distinct: z.boolean().optional(),
    }),
    result: Conversation,
  },
  // Groups and channels (admins only, but leave): every change is an event in the conversation.
  'conversation:edit': {
    payload: z
      .object({ conversationId: ConversationId, title: Title.optional(), description: Description.optional() })
      .refine((p) => p.title !== undefined || p.description !== undefined, { message: 'give a title, a description or both' }),
    result: GroupChange,
  },
  'conversation:add': { payload: z.object({ conversationId: ConversationId, members: Members }), result: GroupChange },
  'conversation:remove': { payload: z.object({ conversationId: ConversationId, members: Members }), result: GroupChange },
  'conversation:leave': { payload: z.object({ conversationId: ConversationId }), result: GroupChange },
  'conversation:role': { payload: z.object({ conversationId: ConversationId, address: Address, role: Role }), result: GroupChange },
  'message:send': {
    payload: z
      .object({
        conversationId: ConversationId,
        clientId: ClientId,
        body: Caption,
        file: FileInfo.optional(),
        /** The seq of the message this one replies to (the server adds its quote). */
        replyTo: Seq.min(1).optional(),
        mentions: Mentions.optional(),
      })
      .refine((p) => p.file !== undefined || p.body.trim().length > 0, { message: 'the body is empty', path: ['body'] }),
    result: Stored,
  },
  // Actions on one message: each is an event of the conversation, idempotent by clientId like a send.
  /** My own message's new body (a text message's is not empty; a file message's caption may be). */
  'message:edit': { payload: Action.extend({ body: Caption, mentions: Mentions.optional() }), result: Stored },
  /** For everyone: my own message, or any in a group or channel I am admin of. */
  'message:delete': { payload: Action, result: Stored },
  'message:react': { payload: Action.extend({ emoji: Emoji, on: z.boolean() }), result: Stored },
  /**
   * Delete for me: these messages disappear from my devices only. The server keeps my hidden list,
   * numbered by a version of its own, so my other devices learn of it live or at their next sync.
   */
  'message:hide': {
    payload: z.object({ conversationId: ConversationId, seqs: z.array(Seq.min(1)).min(1).max(HIDE_BATCH) }),
    result: z.object({ version: z.number().int().nonnegative() }),
  },
  /** My hidden messages added after `after` (a version), oldest first, a page at a time. */
  'hidden:list': {
    payload: z.object({ after: z.number().int().nonnegative() }),
    result: z.object({ hidden: z.array(HiddenBatch).max(HIDDEN_PAGE), more: z.boolean() }),
  },
  receipt: {
    payload: z.object({ conversationId: ConversationId, type: ReceiptType, seq: Seq }),
    result: z.object({ seq: Seq }),
  },
  sync: {
    payload: z.object({}),
    result: z.object({
      me: User,
      conversations: z.array(Conversation),
      /** Conversations I was removed from (or left), with the seq of that event: history up to it stays mine. */
      left: z.array(z.object({ conversationId: ConversationId, seq: Seq })).max(SYNC_LEFT).optional(),
      serverTime: z.number().int(),
      /** The people I share a conversation with, as I may see them (absent where the server keeps no presence). */
      presence: z.array(Presence).max(PRESENCE_PUSH).optional(),
      /** My setting: others see no last-seen time of mine, and I see none of theirs. */
      hideLastSeen: z.boolean().optional(),
      /** The version of my hidden list (delete for me): a device behind it asks `hidden:list`. */
      hiddenVersion: z.number().int().nonnegative().optional(),
    }),
  },
  retransmit: {
    payload: z
      .object({ conversationId: ConversationId, fromSeq: Seq.min(1), toSeq: Seq.min(1) })
      .refine((p) => p.fromSeq <= p.toSeq, { message: 'fromSeq is after toSeq' }),
    result: z.object({ events: z.array(ConversationEvent).max(RETRANSMIT_PAGE) }),
  },
  /** Changes my profile (any of its fields); the answer is the profile as stored. */
  'profile:set': {
    payload: z
      .object({ name: DisplayName.optional(), avatar: FileId.nullable().optional(), hideLastSeen: z.boolean().optional() })
      .refine((p) => p.name !== undefined || p.avatar !== undefined || p.hideLastSeen !== undefined, { message: 'nothing to change' }),
    result: z.object({ me: User, hideLastSeen: z.boolean() }),
  },
  'users:search': {
    payload: z.object({ query: z.string().max(64), limit: z.number().int().min(1).max(100).optional() }),
    result: z.object({ users: z.array(User) }),
  },
} as const;

/** Fire-and-forget messages a device sends. */
export const signals = {
  typing: z.object({ conversationId: ConversationId }),
  /** This device is in use (active) or idle (the person away, the screen locked, the page hidden). */
  activity: z.object({ active: z.boolean() }),
} as const;

/** What the server pushes to devices. */
export const pushes = {
  conversation: Conversation,
  event: ConversationEvent,
  // The receipts of one turn of the server for this user, together: in a group, a message's nine
  // delivered receipts reach its sender as one push, not nine.
  receipts: z.object({ receipts: z.array(Receipt).min(1).max(RECEIPTS_PUSH) }),
  typing: z.object({ conversationId: ConversationId, address: Address }),
  // Presence changes of one server tick for this user, together; a peer at most once a second.
  presence: z.object({ presence: z.array(Presence).min(1).max(PRESENCE_PUSH) }),
  /** Someone I share a conversation with (or I, on another device) changed name or avatar. */
  profile: User,
  /** I deleted messages for me on another device. */
  hidden: HiddenBatch,
  /** My own settings changed on another device. */
  'profile:settings': z.object({ hideLastSeen: z.boolean() }),
  'auth:revoked': z.object({ message: z.string() }),
  'protocol:error': z.object({ code: z.string(), message: z.string() }),
} as const;

export type RequestName = keyof typeof requests;
export type SignalName = keyof typeof signals;
export type PushName = keyof typeof pushes;
export type RequestPayload<N extends RequestName> = z.infer<(typeof requests)[N]['payload']>;
export type RequestResult<N extends RequestName> = z.infer<(typeof requests)[N]['result']>;
export type SignalPayload<N extends SignalName> = z.infer<(typeof signals)[N]>;
export type PushPayload<N extends PushName> = z.infer<(typeof pushes)[N]>;

export type Reply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** The socket.io handshake: who the device is and what proves it. */
export const Handshake = z.object({
  token: z.string().min(1).max(256),
  deviceId: DeviceId,
  /** The device is idle as it connects (presence away, not online); absent: active. */
  idle: z.boolean().optional(),
});
export type Handshake = z.infer<typeof Handshake>;

export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(requests, name);
}
export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(signals, name);
}
export function isPushName(name: string): name is PushName {
  return Object.hasOwn(pushes, name);
}
