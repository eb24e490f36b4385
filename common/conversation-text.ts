// How conversations and messages read to people, shared by the renderer (the list, the thread) and
// the Electron host (notifications), so both name people and files the same way.
import type { Address, ConversationSummary, Message } from '../contract/types.js';

/** A participant's display name, else their address (a member the server has not named yet). */
export function nameOf(conversation: ConversationSummary | undefined | null, address: Address): string {
  return conversation?.participants.find((p) => p.address === address)?.name ?? address;
}

/** The conversation's title, else the other participants' names. */
export function conversationTitle(conversation: ConversationSummary, me: Address | null): string {
  if (conversation.title) return conversation.title;
  const others = conversation.participants.filter((p) => p.address !== me).map((p) => p.name ?? p.address);
  return others.length > 0 ? others.join(', ') : (me ?? 'Just you');
}

/** A written message on one line: a file reads as its name, with its caption if it has one. */
export function chatText(message: Message): string {
  const body = message.file ? [`📎 ${message.file.name}`, message.body].filter(Boolean).join(' ') : message.body;
  return body.replace(/\s+/g, ' ').trim();
}
