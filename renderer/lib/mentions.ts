// `@` autocomplete in the composer: the word being typed after an @, and the participants it may
// name (by address or by any word of their name), for an `@address` token the engine resolves.
import type { Participant } from '../../contract/types';

/** How many people the list offers at once. */
export const MENTION_CHOICES = 8;

/** The `@word` the caret is at the end of (at the start or after a space), or null. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(?:^|\s)@([A-Za-z0-9+._@-]{0,64})$/.exec(text.slice(0, caret));
  return match ? { start: caret - match[1]!.length - 1, query: match[1]!.toLowerCase() } : null;
}

/** The participants (not me) whose address or a word of whose name starts with the query. */
export function mentionCandidates(participants: readonly Participant[], me: string | null, query: string): Participant[] {
  return participants
    .filter((p) => p.address !== me)
    .filter((p) => p.address.toLowerCase().startsWith(query) || (p.name ?? '').toLowerCase().split(/\s+/).some((w) => w.startsWith(query)))
    .slice(0, MENTION_CHOICES);
}

/** The text with the `@word` at `start` replaced by `@address ` and where the caret goes after it. */
export function insertMention(text: string, start: number, caret: number, address: string): { text: string; caret: number } {
  const inserted = `@${address} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret).replace(/^ /, ''), caret: start + inserted.length };
}
