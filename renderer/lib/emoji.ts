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

/** The emoji whose name or a keyword starts with each word of the query. */
export function searchEmoji(groups: readonly EmojiGroup[], query: string): EmojiEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  return groups.flatMap((g) => g.emoji).filter((e) => words.every((w) => e.words.startsWith(w) || e.words.includes(` ${w}`)));
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
