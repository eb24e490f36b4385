// How conversations and messages read in the UI: titles, previews and the system lines for
// membership and title changes (whose body is the engine's JSON description of the change).
import type { Address, ConversationSummary, Message } from '../../contract/types';
import { chatText, nameOf } from '../../common/conversation-text';

export { conversationTitle, nameOf } from '../../common/conversation-text';

/** The participant a direct conversation is with (for its avatar), else null. */
export function peerOf(conversation: ConversationSummary, me: Address | null): Address | null {
  if (conversation.type !== 'direct') return null;
  return conversation.participants.find((p) => p.address !== me)?.address ?? null;
}

function listOf(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

interface MembersChange {
  added?: unknown;
  removed?: unknown;
  title?: unknown;
}

const addresses = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];

/**
 * "carol added bob", "bob left", "dave was added", "carol changed the title to “Launch”".
 * A sender of '' is the operator's backend: the change is told in the passive voice.
 */
/** A message people wrote (text or a file), not a membership or title change. */
export function isChat(message: Message): boolean {
  return message.kind === 'text' || message.kind === 'file';
}

export function systemText(message: Message, me: Address | null): string {
  let change: MembersChange;
  try {
    change = JSON.parse(message.body) as MembersChange;
  } catch {
    return 'The conversation changed';
  }
  const name = (a: string) => (a === me ? 'you' : a);
  const actor = message.sender ? (message.sender === me ? 'You' : message.sender) : null;
  if (message.kind === 'edit') {
    const title = typeof change.title === 'string' ? change.title : '';
    return actor ? `${actor} changed the title to “${title}”` : `The title changed to “${title}”`;
  }
  const added = addresses(change.added);
  const removed = addresses(change.removed);
  const left = actor !== null && removed.length === 1 && removed[0] === message.sender;
  if (left && added.length === 0) return `${actor} left`;
  const parts: string[] = [];
  if (actor) {
    if (added.length) parts.push(`added ${listOf(added.map(name))}`);
    if (removed.length) parts.push(`removed ${listOf(removed.map(name))}`);
    return parts.length ? `${actor} ${parts.join(' and ')}` : 'The conversation changed';
  }
  const passive = (who: string[], verb: string) =>
    `${listOf(who.map(name))} ${who.length > 1 || who[0] === me ? 'were' : 'was'} ${verb}`;
  if (added.length) parts.push(passive(added, 'added'));
  if (removed.length) parts.push(passive(removed, 'removed'));
  const text = parts.join('; ') || 'The conversation changed';
  return text.startsWith('you ') ? `Y${text.slice(1)}` : text; // addresses keep their case
}

/** The list's one-line preview of the last message. */
export function previewText(conversation: ConversationSummary, me: Address | null): string {
  const message = conversation.lastMessage;
  if (!message) return 'No messages yet';
  if (!isChat(message)) return systemText(message, me);
  const text = chatText(message);
  if (message.mine) return `You: ${text}`;
  // In groups the first name is enough to tell people apart in a one-line preview.
  return conversation.type === 'direct' ? text : `${nameOf(conversation, message.sender).split(' ')[0]}: ${text}`;
}
