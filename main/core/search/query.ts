// The search box's language: words, "exact phrases" and filters (in:, from:, has:file, has:link,
// before:, after:, is:mention), values quoted when they hold spaces (in:"Design team"). Whatever a
// person types parses: an unbalanced quote, an unknown filter or FTS syntax (AND, NEAR, *, ^, :, (…))
// is read as plain words, and every token reaches SQLite quoted, so no input is ever FTS syntax.
import { isCjk, tokensOf } from './text.js';

/** Longest query read, in characters, and most terms: a pasted page is cut, not refused. */
export const MAX_QUERY_CHARS = 512;
const MAX_TERMS = 16;
/** The index keeps prefixes of this many characters (migration 8's prefix = 3). */
const PREFIX_FROM = 3;

export interface Term {
  /** The folded tokens: one for a word, several for a phrase or a hyphenated or CJK word. */
  tokens: string[];
  /** The last word as typed matches as a prefix ("meet" finds "meeting"). */
  prefix: boolean;
}

export interface ParsedQuery {
  terms: Term[];
  /** in: and from: values as typed; the engine resolves them to conversations and people. */
  in: string[];
  from: string[];
  hasFile: boolean;
  hasLink: boolean;
  mention: boolean;
  /** Sent at or after / before these times (ms), from after:/before: dates. */
  after: number | null;
  before: number | null;
}

const FILTER = /^(in|from|has|is|before|after):(.*)$/is;

/** Splits into raw pieces: "quoted phrases" and other runs of non-space; key:"quoted value" stays one piece. */
function pieces(query: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  const re = /(\S+?:)?"([^"]*)"|\S+/g;
  for (const m of query.matchAll(re)) {
    if (m[2] !== undefined) out.push({ text: (m[1] ?? '') + m[2], quoted: m[1] === undefined });
    else out.push({ text: m[0].replaceAll('"', ' ').trim(), quoted: false });
  }
  return out.filter((p) => p.text.trim() !== '');
}

/** A day typed as YYYY-MM-DD (or YYYY-MM, YYYY), as local midnight; `next` gives the day (month, year) after. */
function dateOf(value: string, next: boolean): number | null {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), m[2] ? Number(m[2]) - 1 : 0, m[3] ? Number(m[3]) : 1];
  const step = next ? 1 : 0;
  const date = m[3] ? new Date(y, mo, d + step) : m[2] ? new Date(y, mo + step, 1) : new Date(y + step, 0, 1);
  return Number.isNaN(date.getTime()) ? null : date.getTime();
}

export function parseQuery(input: string): ParsedQuery {
  const parsed: ParsedQuery = { terms: [], in: [], from: [], hasFile: false, hasLink: false, mention: false, after: null, before: null };
  const query = input.slice(0, MAX_QUERY_CHARS);
  const words: Term[] = [];
  for (const piece of pieces(query)) {
    const filter = piece.quoted ? null : FILTER.exec(piece.text);
    const key = filter?.[1]!.toLowerCase();
    const value = filter?.[2]!.trim() ?? '';
    if (filter && value) {
      const lower = value.toLowerCase();
      if (key === 'in') { parsed.in.push(value); continue; }
      if (key === 'from') { parsed.from.push(value.replace(/^@/, '')); continue; }
      if (key === 'has' && (lower === 'file' || lower === 'link')) { parsed[lower === 'file' ? 'hasFile' : 'hasLink'] = true; continue; }
      if (key === 'is' && lower === 'mention') { parsed.mention = true; continue; }
      // after:2026-11-30 is from the next day on; before: is up to that day's start.
      const at = key === 'after' || key === 'before' ? dateOf(value, key === 'after') : null;
      if (at !== null) { parsed[key as 'after' | 'before'] = at; continue; }
    }
    const tokens = tokensOf(piece.text);
    if (tokens.length > 0) words.push({ tokens, prefix: false });
  }
  // The word being typed is a prefix, unless the query ends with a space or a closed phrase, or the
  // word is shorter than the index's prefix length (3): "be*" would merge every word from "be" to
  // "bezel" on each keystroke; "bea" is one lookup.
  const last = words.at(-1);
  const typed = last?.tokens.at(-1) ?? '';
  if (last && /[^\s"]$/.test(query) && (Array.from(typed).length >= PREFIX_FROM || isCjk(typed))) last.prefix = true;
  parsed.terms = words.slice(0, MAX_TERMS);
  return parsed;
}

/** An FTS5 string literal: the token quoted, its quotes doubled. */
const literal = (token: string) => `"${token.replaceAll('"', '""')}"`;

/** The terms as an FTS5 expression on the text column (each term's tokens a phrase); '' when none. */
export function textMatch(terms: readonly Term[]): string {
  if (terms.length === 0) return '';
  const phrases = terms.map((t) => literal(t.tokens.join(' ')) + (t.prefix ? '*' : ''));
  return `text : (${phrases.join(' AND ')})`;
}

/** Scope tokens as an FTS5 expression: every group must match, any token within a group. */
export function scopeMatch(groups: readonly (readonly string[])[]): string {
  if (groups.length === 0) return '';
  const all = groups.map((g) => (g.length === 1 ? literal(g[0]!) : `(${g.map(literal).join(' OR ')})`));
  return `scope : (${all.join(' AND ')})`;
}
