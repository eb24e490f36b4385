// The emoji picker's data: emojibase's English dataset (MIT), loaded the first time a picker opens
// (its own chunk, ~570 KB, not in the app's first load), and the emoji I used last, kept locally.
import type { CompactEmoji } from 'emojibase';
import messages from 'emojibase-data/en/messages.json';
import { readPersisted, writePersisted } from './persisted';

export interface EmojiEntry {
  emoji: string;
  /** Its name and keywords, lower case, for search. */
  words: string;
  label: string;
}

export interface EmojiGroup {
  name: string;
  emoji: EmojiEntry[];
}

/** Skin-tone swatches and other components are parts of emoji, not reactions. */
const COMPONENT_GROUP = messages.groups.find((g) => g.key === 'component')?.order;
/** What the server takes as a reaction: one RGI emoji (a newer one than this runtime knows is left out). */
const RGI = new RegExp('^\\p{RGI_Emoji}$', 'v');

/**
 * The RGI form of an emoji, or null for one this runtime does not know. emojibase adds U+FE0F even
 * after characters that are emoji by default ("👍️"), which the RGI form (and so the server) has not.
 */
function rgi(unicode: string): string | null {
  return [unicode, unicode.replace(/(\p{Emoji_Presentation})\uFE0F/gu, '$1')].find((form) => RGI.test(form)) ?? null;
}

function grouped(data: readonly CompactEmoji[]): EmojiGroup[] {
  const groups = new Map<number, EmojiEntry[]>();
  for (const e of [...data].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))) {
    const emoji = rgi(e.unicode);
    if (e.group === undefined || e.group === COMPONENT_GROUP || emoji === null) continue;
    const list = groups.get(e.group) ?? [];
    list.push({ emoji, label: e.label, words: [e.label, ...(e.tags ?? [])].join(' ').toLowerCase() });
    groups.set(e.group, list);
  }
  return messages.groups
    .filter((g) => groups.has(g.order))
    .map((g) => ({ name: g.message.charAt(0).toUpperCase() + g.message.slice(1), emoji: groups.get(g.order)! }));
}

let loading: Promise<EmojiGroup[]> | null = null;

/** Every emoji by group, in Unicode's order; read once. */
export function loadEmoji(): Promise<EmojiGroup[]> {
  loading ??= import('emojibase-data/en/compact.json').then((module) => grouped(module.default)).catch((e: unknown) => {
    loading = null; // a later picker tries again
    throw e;
  });
  return loading;
}

const hasWord = (text: string, word: string) => text.startsWith(word) || text.includes(` ${word}`);

/**
 * The emoji whose name or a keyword starts with each word of the query: those whose name starts
 * with it first, then those whose name holds every word, then keyword matches ("party" finds the
 * party popper and the partying face before the faces tagged party), each in Unicode's order.
 */
export function searchEmoji(groups: readonly EmojiGroup[], query: string): EmojiEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const found: Array<{ entry: EmojiEntry; rank: number }> = [];
  for (const entry of groups.flatMap((g) => g.emoji)) {
    if (!words.every((w) => hasWord(entry.words, w))) continue;
    const name = entry.label.toLowerCase();
    const rank = (name.startsWith(words[0]!) ? 0 : 1) + (words.every((w) => hasWord(name, w)) ? 0 : 2);
    found.push({ entry, rank });
  }
  // A stable sort: Unicode's order within a rank.
  return found.sort((a, b) => a.rank - b.rank).map((f) => f.entry);
}

const RECENT_KEY = 'parley.recentEmoji';
/** How many recently used emoji the picker shows first. */
export const RECENT_MAX = 16;

export function recentEmoji(): string[] {
  const stored = readPersisted<unknown>(RECENT_KEY, []);
  return Array.isArray(stored) ? stored.filter((e): e is string => typeof e === 'string' && RGI.test(e)).slice(0, RECENT_MAX) : [];
}

export function rememberEmoji(emoji: string): void {
  writePersisted(RECENT_KEY, [emoji, ...recentEmoji().filter((e) => e !== emoji)].slice(0, RECENT_MAX));
}
