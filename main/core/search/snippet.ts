// The part of a message around the first match, with every matched word marked: offsets, not HTML,
// so the renderer draws the highlight itself and never parses message text as markup.
import type { Snippet } from '../types.js';
import type { Term } from './query.js';
import { fold, isCjk, WORD } from './text.js';

const BEFORE = 40;
const LENGTH = 160;

/** [start, end) of every word (or CJK substring) in text that one of the terms matches. */
export function matchRanges(text: string, terms: readonly Term[]): [number, number][] {
  const ranges: [number, number][] = [];
  const words = new Set<string>();
  const prefixes: string[] = [];
  const cjk = new Set<string>();
  for (const term of terms) {
    term.tokens.forEach((token, i) => {
      const prefix = term.prefix && i === term.tokens.length - 1;
      if (isCjk(token)) cjk.add(token);
      else if (prefix) prefixes.push(token);
      else words.add(token);
    });
  }
  for (const m of text.matchAll(WORD)) {
    const word = fold(m[0]);
    if (words.has(word) || prefixes.some((p) => word.startsWith(p))) ranges.push([m.index, m.index + m[0].length]);
  }
  for (const token of cjk) {
    for (let at = text.indexOf(token); at !== -1; at = text.indexOf(token, at + 1)) ranges.push([at, at + token.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  // Overlapping CJK bigrams become one range.
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** Up to LENGTH characters from a little before the first match, "…" where text was cut. */
export function snippetOf(text: string, terms: readonly Term[]): Snippet {
  const flat = text.replace(/\s+/g, ' ');
  const ranges = matchRanges(flat, terms);
  let start = Math.max(0, (ranges[0]?.[0] ?? 0) - BEFORE);
  // Start at a word boundary when cutting.
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    if (space !== -1 && space < (ranges[0]?.[0] ?? 0)) start = space + 1;
  }
  const end = Math.min(flat.length, start + LENGTH);
  const lead = start > 0 ? '…' : '';
  const body = lead + flat.slice(start, end) + (end < flat.length ? '…' : '');
  const shift = lead.length - start;
  const highlights = ranges
    .filter(([a, b]) => a >= start && b <= end)
    .map(([a, b]): [number, number] => [a + shift, b + shift]);
  return { text: body, highlights };
}
