// Message text is untrusted. It is read as a safe subset of Markdown by markdown-it (raw HTML off,
// so `<script>` stays text) and turned into a small tree of allowed elements that the message
// component renders as Vue nodes: never as HTML. Links are checked here: web and mailto: links leave
// for the system browser, parley://conversation/<id>[/<seq>] links open that conversation in the app,
// anything else (javascript:, file:, data:, another parley: link) stays text.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { parseConversationLink, type ConversationTarget } from './deep-link.js';

/** Blocks inside blocks (quotes in lists in quotes…) past this stay text: bounded work and depth. */
const MAX_NESTING = 20;

const md = new MarkdownIt('zero', { html: false, linkify: true, breaks: true, maxNesting: MAX_NESTING });
// No headings, tables, images, rules or indented code: a chat line starting with # or four spaces stays as typed.
md.enable(['blockquote', 'fence', 'list']);
md.enable(['emphasis', 'strikethrough', 'backticks', 'link', 'autolink', 'escape', 'newline', 'linkify']);
// parley://conversation/… links are found too (not ending in the sentence's punctuation); linkOf checks them.
md.linkify.add('parley:', {
  validate: (text, pos) => /^\/\/conversation\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]]/.exec(text.slice(pos, pos + 600))?.[0].length ?? 0,
});
// Links without a scheme are found only when they start with www. (see bareLink): "readme.md" is no link.
md.linkify.set({ fuzzyLink: true });
// Every link is judged by linkOf below; markdown-it's own filter would drop parley: and let file: through.
md.validateLink = () => true;

/** What a link in a message does. */
export type LinkTarget = { kind: 'web'; href: string } | ({ kind: 'conversation'; href: string } & ConversationTarget);

/** A link's target, or null for a link that is drawn as its text only. */
export function linkOf(href: string): LinkTarget | null {
  if (!URL.canParse(href)) return null;
  const url = new URL(href);
  if (['http:', 'https:', 'mailto:'].includes(url.protocol)) return { kind: 'web', href: url.href };
  const target = parseConversationLink(href);
  return target ? { kind: 'conversation', href: url.href, ...target } : null;
}

/** The elements a message can hold; anything else markdown-it makes is drawn as its content only. */
export type BlockTag = 'p' | 'blockquote' | 'ul' | 'ol' | 'li' | 'strong' | 'em' | 's';
const TAGS: ReadonlySet<string> = new Set<BlockTag>(['p', 'blockquote', 'ul', 'ol', 'li', 'strong', 'em', 's']);

export type MarkdownNode =
  | { type: 'text'; text: string }
  | { type: 'break' }
  | { type: 'code'; text: string }
  | { type: 'codeBlock'; text: string }
  | { type: 'element'; tag: BlockTag; start?: number; children: MarkdownNode[] }
  | { type: 'link'; target: LinkTarget | null; children: MarkdownNode[] };

/** A web address linkify found without its scheme that does not start with www. (a file name, a version). */
function bareLink(open: Token, text: Token | undefined): boolean {
  return open.markup === 'linkify' && /^https?:/i.test(String(open.attrGet('href') ?? '')) && !/^(?:https?:\/\/|www\.)/i.test(text?.content ?? '');
}

interface Frame {
  node: Extract<MarkdownNode, { children: MarkdownNode[] }> | null;
  children: MarkdownNode[];
}

/** markdown-it's flat token stream (opening and closing tokens) as a tree of allowed nodes. */
function treeOf(tokens: readonly Token[], into: MarkdownNode[]): void {
  const stack: Frame[] = [{ node: null, children: into }];
  const top = () => stack.at(-1)!;
  for (const [i, token] of tokens.entries()) {
    if (token.nesting === 1) {
      let node: Frame['node'] = null;
      if (token.type === 'link_open') node = { type: 'link', target: bareLink(token, tokens[i + 1]) ? null : linkOf(String(token.attrGet('href') ?? '')), children: [] };
      else if (TAGS.has(token.tag)) {
        const start = token.tag === 'ol' ? Number(token.attrGet('start') ?? 1) : undefined;
        node = { type: 'element', tag: token.tag as BlockTag, children: [], ...(start !== undefined && start !== 1 ? { start } : {}) };
      }
      stack.push({ node, children: node ? node.children : top().children });
      continue;
    }
    if (token.nesting === -1) {
      const frame = stack.length > 1 ? stack.pop()! : top();
      if (frame.node) top().children.push(frame.node);
      continue;
    }
    const out = top().children;
    if (token.type === 'inline') treeOf(token.children ?? [], out);
    else if (token.type === 'softbreak' || token.type === 'hardbreak') out.push({ type: 'break' });
    else if (token.type === 'code_inline') out.push({ type: 'code', text: token.content });
    else if (token.type === 'fence' || token.type === 'code_block') out.push({ type: 'codeBlock', text: token.content.replace(/\n$/, '') });
    else if (token.content) out.push({ type: 'text', text: token.content }); // text, and any other leaf as its text
  }
}

/** A message's text as a tree of allowed nodes. */
export function parseMarkdown(text: string): MarkdownNode[] {
  const nodes: MarkdownNode[] = [];
  treeOf(md.parse(text, {}), nodes);
  return nodes;
}

function flatten(nodes: readonly MarkdownNode[], out: string[]): void {
  for (const node of nodes) {
    if (node.type === 'text' || node.type === 'code' || node.type === 'codeBlock') out.push(node.text);
    else if (node.type === 'break') out.push(' ');
    else {
      flatten(node.children, out);
      if (node.type === 'element' && (node.tag === 'p' || node.tag === 'li')) out.push(' ');
    }
  }
}

/** The words a reader sees, on one line, markup gone: previews, quotes, notifications. */
export function plainText(text: string): string {
  const out: string[] = [];
  flatten(parseMarkdown(text), out);
  return out.join('').replace(/\s+/g, ' ').trim();
}
