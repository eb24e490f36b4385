// Argument schemas of the contract in preload/api.ts: the runtime check the host applies to every
// call (the renderer is untrusted) and, through z.infer, each argument's TypeScript type. Kept apart
// from api.ts so the renderer and preload bundles, which only need the names, carry no zod.
import { z } from 'zod';
import { Address, Body, ConversationId, ConversationType, Seq, Title } from '../protocol/schemas.js';

const Url = z
  .string()
  .trim()
  .max(2048)
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'the server URL is an http:// or https:// address');

const Nothing = z.undefined();

/** Every request the renderer may make: its argument's schema. */
export const requestArgs = {
  getAppInfo: Nothing,
  getSession: Nothing,
  /** Signs in with a user access token, checked with the server before the session is kept. */
  signIn: z.strictObject({ serverUrl: Url, token: z.string().trim().min(1).max(512) }),
  /** Signs in as one of the embedded server's demo users. */
  signInDemo: z.strictObject({ address: Address }),
  signOut: Nothing,
  listConversations: Nothing,
  createConversation: z.strictObject({
    type: ConversationType,
    participants: z.array(Address).min(1).max(256),
    title: Title.optional(),
  }),
  /** The newest `limit` messages, or those before `beforeSeq`, oldest first. */
  readMessages: z.strictObject({
    conversationId: ConversationId,
    beforeSeq: Seq.optional(),
    limit: z.number().int().min(1).max(500).optional(),
  }),
  sendMessage: z.strictObject({ conversationId: ConversationId, text: Body }),
  retryMessage: z.strictObject({ id: z.string().min(1).max(200) }),
  markRead: z.strictObject({ conversationId: ConversationId, seq: Seq.min(1) }),
  setTyping: z.strictObject({ conversationId: ConversationId }),
  searchUsers: z.strictObject({ query: z.string().max(64) }),
} satisfies Record<string, z.ZodType>;
