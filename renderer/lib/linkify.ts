// Message text is untrusted: it is split into plain-text and link pieces that the template renders
// as text nodes and <a> elements (never as HTML). Web links leave for the system browser;
// parley://conversation/<id>[/<seq>] links open that conversation (at that message) in the app.
import { parseConversationLink } from '../../common/deep-link';

export type TextPiece =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'conversation'; text: string; href: string; conversationId: string; seq?: number };

const URL_PATTERN = /\b(?:https?|parley):\/\/[^\s<>"]+/gi;

const count = (s: string, c: string) => s.split(c).length - 1;

/** Drops punctuation that ends the sentence rather than the URL ("see https://x.org/a."), but keeps
 *  a bracket that closes one opened inside the URL (https://en.wikipedia.org/wiki/Vue_(software)). */
function trimUrl(url: string): string {
  while (/[.,;:!?'")\]]$/.test(url)) {
    if (url.endsWith(')') && count(url, '(') >= count(url, ')')) break;
    url = url.slice(0, -1);
  }
  return url;
}

export function linkify(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (!URL.canParse(url)) continue;
    const web = /^https?:$/i.test(new URL(url).protocol);
    const target = web ? null : parseConversationLink(url);
    if (!web && target === null) continue; // any other parley: link stays text
    if (match.index > last) pieces.push({ kind: 'text', text: text.slice(last, match.index) });
    const href = new URL(url).href;
    pieces.push(target === null ? { kind: 'link', text: url, href } : { kind: 'conversation', text: url, href, ...target });
    last = match.index + url.length;
  }
  if (last < text.length) pieces.push({ kind: 'text', text: text.slice(last) });
  return pieces;
}
