// Mentions: the `@address` tokens of a text that name a participant, in the order first written,
// each once. An address may hold '.', '-' and '_' (protocol Address), so "@bob." at the end of a
// sentence is tried as "bob." and then "bob".
import { MAX_MENTIONS } from '../../../protocol/index.js';

// Not preceded by an address character: "ann@example.org" mentions no one.
const TOKEN = /(?<![A-Za-z0-9+._@-])@([A-Za-z0-9+._@-]{1,64})/g;
const TRAILING = /[._@-]+$/;

export function mentionsIn(text: string, participants: Iterable<string>): string[] {
  if (!text.includes('@')) return [];
  const known = new Set(participants);
  const found = new Set<string>();
  for (const [, token] of text.matchAll(TOKEN)) {
    const address = known.has(token!) ? token! : token!.replace(TRAILING, '');
    if (known.has(address)) found.add(address);
    if (found.size === MAX_MENTIONS) break;
  }
  return [...found];
}
