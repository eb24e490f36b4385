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

/** What a group or channel is called in sentences about it. */
export function nounOf(conversation: Pick<ConversationSummary, 'type'>): 'group' | 'channel' {
  return conversation.type === 'channel' ? 'channel' : 'group';
}

function listOf(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

interface Change {
  added?: unknown;
  removed?: unknown;
  promoted?: unknown;
  demoted?: unknown;
  title?: unknown;
  description?: unknown;
}

const addresses = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];

/** A message people wrote (text or a file), not a membership or title change. */
export function isChat(message: Message): boolean {
  return message.kind === 'text' || message.kind === 'file';
}

/**
 * The thread's line for a membership, role or title change: "Alice added Carol", "Bob left; Carol is
 * now an admin", "Alice made Bob an admin", "Alice renamed the group to “Launch”". A sender of '' is
 * the operator's backend: the change is told in the passive voice. `name` gives a person's display
 * name (people removed are not participants any more, so the caller may know more than the summary).
 */
export function systemText(message: Message, me: Address | null, name: (address: Address) => string = (a) => a, noun = 'group'): string {
  let change: Change;
  try {
    change = JSON.parse(message.body) as Change;
  } catch {
    return `The ${noun} changed`;
  }
  const who = (a: string) => (a === me ? 'you' : name(a));
  const actor = message.sender ? (message.sender === me ? 'You' : name(message.sender)) : null;
  // "you …" and "the …" start with a capital; a name or an address keeps its own case.
  const sentence = (text: string) => (/^(you|the) /.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text);
  if (message.kind === 'edit') {
    const title = typeof change.title === 'string' ? change.title : null;
    const description = typeof change.description === 'string' ? change.description : null;
    const parts: string[] = [];
    if (title !== null) parts.push(actor ? `renamed the ${noun} to “${title}”` : `the ${noun} was renamed to “${title}”`);
    const verb = description ? 'changed' : 'removed';
    if (description !== null) parts.push(actor ? `${verb} the description` : `the description was ${verb}`);
    if (parts.length === 0) return `The ${noun} changed`;
    return actor ? `${actor} ${parts.join(' and ')}` : sentence(parts.join('; '));
  }
  const added = addresses(change.added);
  const removed = addresses(change.removed);
  const promoted = addresses(change.promoted);
  const demoted = addresses(change.demoted);
  const passive = (people: string[], verb: string) => {
    const plural = people.length > 1 || people[0] === me;
    return `${listOf(people.map(who))} ${verb.replace('{be}', plural ? 'were' : 'was').replace('{is}', plural ? 'are' : 'is')}`;
  };
  const left = actor !== null && removed.length === 1 && removed[0] === message.sender && added.length === 0;
  if (left) {
    // The last admin leaving hands the role on: the server did that, so it is told without an actor.
    const heirs = promoted.length ? `; ${passive(promoted, '{is} now an admin')}` : '';
    return `${actor} left${heirs}`;
  }
  if (actor) {
    const parts: string[] = [];
    if (added.length) parts.push(`added ${listOf(added.map(who))}`);
    if (removed.length) parts.push(`removed ${listOf(removed.map(who))}`);
    if (promoted.length) parts.push(`made ${listOf(promoted.map(who))} ${promoted.length > 1 ? 'admins' : 'an admin'}`);
    if (demoted.length) parts.push(`removed ${listOf(demoted.map(who))} as ${demoted.length > 1 ? 'admins' : 'admin'}`);
    return parts.length ? `${actor} ${parts.join(' and ')}` : `The ${noun} changed`;
  }
  const parts: string[] = [];
  if (added.length) parts.push(passive(added, '{be} added'));
  if (removed.length) parts.push(passive(removed, '{be} removed'));
  if (promoted.length) parts.push(passive(promoted, '{is} now an admin'));
  if (demoted.length) parts.push(passive(demoted, '{is} no longer an admin'));
  return parts.length ? sentence(parts.join('; ')) : `The ${noun} changed`;
}

/** The list's one-line preview of the last message. */
export function previewText(conversation: ConversationSummary, me: Address | null, name = (a: Address) => nameOf(conversation, a)): string {
  const message = conversation.lastMessage;
  if (!message) return 'No messages yet';
  if (!isChat(message)) return systemText(message, me, name, nounOf(conversation));
  // The words as read, not the Markdown that formats them.
  const text = message.deleted ? 'This message was deleted' : chatText(message);
  if (message.mine) return `You: ${text}`;
  // In groups the first name is enough to tell people apart in a one-line preview.
  return conversation.type === 'direct' ? text : `${nameOf(conversation, message.sender).split(' ')[0]}: ${text}`;
}
