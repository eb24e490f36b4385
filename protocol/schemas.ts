// Entities that travel on the wire. Each schema is both the runtime check and the TypeScript type.
import { z } from 'zod';

import { MAX_BODY_BYTES } from './limits.js';

export { MAX_BODY_BYTES };
export const RETRANSMIT_PAGE = 1000;
/** Receipts one `receipts` push carries at most. */
export const RECEIPTS_PUSH = 1000;

export const Address = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9+._@-]+$/, 'an address holds letters, digits and + . _ @ - only');
export type Address = z.infer<typeof Address>;

/**
 * A lone surrogate (half of a UTF-16 pair) has no UTF-8 form: stored, it would become U+FFFD and the
 * sender's copy would differ from everyone else's, so text carrying one is refused (issue 12, item 13).
 */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);
const NOT_WELL_FORMED = 'the text holds a lone surrogate (broken UTF-16); send valid Unicode';

export const ConversationId = z.string().min(1).max(64);
/** Well-formed too: PostgreSQL's JSON refuses a lone surrogate, which would fail its whole batch. */
export const ClientId = z.string().min(1).max(64).refine(wellFormed, { message: NOT_WELL_FORMED });
export const DeviceId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);
export const Seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const Title = z.string().trim().min(1).max(200).refine(wellFormed, { message: NOT_WELL_FORMED });
/** A group's or channel's description; empty clears it. */
export const Description = z.string().trim().max(1000).refine(wellFormed, { message: NOT_WELL_FORMED });
/** Members at most in one group or channel (creating one, adding to one). */
export const MAX_MEMBERS = 1000;

// TextEncoder rather than Buffer: these schemas also run where Node is absent (the renderer's bridge).
const utf8 = new TextEncoder();
/** A message's text, which may be empty when the message carries a file. */
// A UTF-16 unit is at most 3 UTF-8 bytes: short texts (nearly all of them) are not encoded to be measured.
export const Caption = z
  .string()
  .refine((s) => s.length * 3 <= MAX_BODY_BYTES || (s.length <= MAX_BODY_BYTES && utf8.encode(s).length <= MAX_BODY_BYTES), {
    message: `the body exceeds ${MAX_BODY_BYTES} bytes`,
    abort: true,
  })
  .refine(wellFormed, { message: NOT_WELL_FORMED });
export const Body = Caption.refine((s) => s.trim().length > 0, { message: 'the body is empty' });

export const ConversationType = z.enum(['direct', 'group', 'channel']);
export type ConversationType = z.infer<typeof ConversationType>;

/** A file of the server, by its id: what a profile's avatar names (the engine builds its URL). */
export const FileId = z.string().regex(/^[0-9a-f]{32}$/, 'a file id: 32 lowercase hex digits');

export const Role = z.enum(['admin', 'member']);
export type Role = z.infer<typeof Role>;

export const Participant = z.object({
  address: Address,
  /** The user's display name; absent only where a device learned of a member before the server named them. */
  name: z.string().optional(),
  /** Their avatar's file id, when they have one. */
  avatar: FileId.optional(),
  role: Role,
  deliveredSeq: Seq,
  readSeq: Seq,
});
export type Participant = z.infer<typeof Participant>;

/** A conversation as one of its participants sees it. */
export const Conversation = z.object({
  id: ConversationId,
  type: ConversationType,
  title: z.string().nullable(),
  /** Absent from a server that keeps none: read as no description. */
  description: z.string().nullable().optional(),
  participants: z.array(Participant),
  lastSeq: Seq,
  /** Server time of the last event, or of creation: lets a device catch up the busiest first. */
  lastActivity: z.number().int(),
  createdAt: z.number().int(),
});
export type Conversation = z.infer<typeof Conversation>;

export const MAX_PREVIEW_BYTES = 48 * 1024;

/** A file's size limit by default, on the server and so in the engine and the hosts that hand it files. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3;
/** The upload URL protocol's token (seed 001): sent as a form field, so one line. */
export const UploadAuthToken = z.string().max(4096).regex(/^[^\r\n]*$/, 'the token is one line');

/**
 * A file sent out of band: the bytes live on a file server (the Parley server's, an upload-URL
 * server's, or a custom handler's) and the message carries where they are and what they are.
 */
export const FileInfo = z.strictObject({
  url: z
    .string()
    .max(2048)
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'the file URL is an http(s) address'),
  /** The sender's file name, untrusted: receivers sanitise it before it touches their disk. */
  name: z.string().min(1).max(255),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  /** From the content where it could be recognised, else from the name. */
  mime: z.string().min(3).max(255).regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as image/png'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
  title: z.string().max(200).optional(),
  /** Images: a JPEG at most 320 px on its long side; video: a poster frame where one could be decoded. */
  preview: z
    .strictObject({
      jpeg: z.base64().max(Math.ceil((MAX_PREVIEW_BYTES * 4) / 3)),
      width: z.number().int().min(1).max(320),
      height: z.number().int().min(1).max(320),
    })
    .optional(),
  geolocation: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
});
export type FileInfo = z.infer<typeof FileInfo>;

/** People one message (or one edit of it) mentions at most. */
export const MAX_MENTIONS = 50;
/** `@address` tokens resolved against the participants when the message was written. */
export const Mentions = z.array(Address).max(MAX_MENTIONS);
/** Distinct emoji one message carries at most: one more is refused (a reaction already there is not). */
export const MAX_REACTIONS = 50;
/** A reply's quote of its target: the start of its text (or its file's name), for display where the target is not stored. */
export const MAX_QUOTE_CHARS = 200;

// One emoji as a person picks it: a single RGI emoji, skin tones and ZWJ sequences included.
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
// V8 takes some 30 µs to match \p{RGI_Emoji}, and catch-up checks every reaction it pages in: the
// emoji found valid are remembered (a few thousand exist; the set stops growing at EMOJI_MEMO).
const EMOJI_MEMO = 4096;
const validEmoji = new Set<string>();
function isEmoji(s: string): boolean {
  if (validEmoji.has(s)) return true;
  if (!RGI_EMOJI.test(s)) return false;
  if (validEmoji.size < EMOJI_MEMO) validEmoji.add(s);
  return true;
}
export const Emoji = z.string().min(1).max(64).refine(isEmoji, { message: 'a reaction is one emoji' });

/** The message a reply answers, as the server saw it when the reply was sent (emptied if that message is deleted). */
export const ReplyTarget = z.object({
  seq: Seq.min(1),
  sender: Address,
  quote: z.string().max(MAX_QUOTE_CHARS),
  /** The target was deleted for everyone: the quote is empty. */
  deleted: z.literal(true).optional(),
});
export type ReplyTarget = z.infer<typeof ReplyTarget>;

/** The fields an action on one message carries: its author, its idempotency key and the message's seq. */
const action = {
  conversationId: ConversationId,
  seq: Seq,
  sender: Address,
  clientId: ClientId,
  /** The message acted on: a `message` event of the same conversation. */
  target: Seq.min(1),
  serverTime: z.number().int(),
};

/** Everything that happens in a conversation, numbered by its gap-free seq. */
export const ConversationEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    conversationId: ConversationId,
    seq: Seq,
    sender: Address,
    clientId: ClientId,
    /** Within the limit a send has: a device refuses a bigger one from a broken or hostile server. */
    body: Caption,
    file: FileInfo.optional(),
    replyTo: ReplyTarget.optional(),
    mentions: Mentions.optional(),
    /** Deleted for everyone: served from then on as a tombstone, its body empty and its file gone. */
    deleted: z.literal(true).optional(),
    serverTime: z.number().int(),
  }),
  /** A new body for the sender's own message (a file message's caption); the newest by seq wins. */
  z.object({ type: z.literal('revise'), ...action, body: Caption, mentions: Mentions.optional() }),
  /** The target deleted for everyone, by its sender or a group's or channel's admin. */
  z.object({ type: z.literal('delete'), ...action }),
  /** One emoji of the sender on the target, added (on) or taken back. */
  z.object({ type: z.literal('react'), ...action, emoji: Emoji, on: z.boolean() }),
  z.object({
    type: z.literal('members'),
    conversationId: ConversationId,
    seq: Seq,
    sender: Address.nullable(),
    added: z.array(Address),
    removed: z.array(Address),
    /** Made admin, and no longer admin: by an admin, or (sender's leave) handed to the longest-standing member. */
    promoted: z.array(Address).optional(),
    demoted: z.array(Address).optional(),
    serverTime: z.number().int(),
  }),
  z.object({
    type: z.literal('edit'),
    conversationId: ConversationId,
    seq: Seq,
    sender: Address.nullable(),
    /** What changed: the title, the description ('' when cleared), or both. */
    title: z.string().optional(),
    description: z.string().optional(),
    serverTime: z.number().int(),
  }),
]);
export type ConversationEvent = z.infer<typeof ConversationEvent>;

export const ReceiptType = z.enum(['delivered', 'read']);
export type ReceiptType = z.infer<typeof ReceiptType>;

export const Receipt = z.object({
  conversationId: ConversationId,
  address: Address,
  type: ReceiptType,
  seq: Seq,
});
export type Receipt = z.infer<typeof Receipt>;

export const User = z.object({
  address: Address,
  name: z.string(),
  /** The profile picture, a small square image on the server; null or absent: initials. */
  avatar: FileId.nullable().optional(),
});
export type User = z.infer<typeof User>;

/** What a person's profile name may be. */
export const DisplayName = z.string().trim().min(1).max(100).refine(wellFormed, { message: NOT_WELL_FORMED });

/** The largest avatar image the server takes for a profile (the app sends a 256 px JPEG or WebP of ~20 KB). */
export const MAX_AVATAR_BYTES = 256 * 1024;
export const AVATAR_TYPES = ['image/jpeg', 'image/webp', 'image/png'] as const;

export const PresenceState = z.enum(['online', 'away', 'offline']);
export type PresenceState = z.infer<typeof PresenceState>;

/**
 * Someone's presence as one viewer may see it: online when a device of theirs is active, away when
 * connected but every device idle, offline when none is connected. lastSeen (when they were last
 * online) is null while online, when never seen, and when either side hides it (symmetric).
 */
export const Presence = z.object({ address: Address, state: PresenceState, lastSeen: z.number().int().nullable() });
export type Presence = z.infer<typeof Presence>;
/** Presence entries one `presence` push, or the sync answer, carries at most. */
export const PRESENCE_PUSH = 1000;
