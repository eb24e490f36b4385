// How conversations and messages read to people, shared by the renderer (the list, the thread) and
// the Electron host (notifications), so both name people and files the same way.
import type { Address, ConversationSummary, Message } from '../contract/types.js';
import { plainText } from './markdown.js';

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

/** A written message on one line as a reader sees it (Markdown's marks gone): a file reads as its name, with its caption if it has one. */
export function chatText(message: Message): string {
  const body = plainText(message.body);
  return message.file ? [`📎 ${message.file.name}`, body].filter(Boolean).join(' ') : body;
}
