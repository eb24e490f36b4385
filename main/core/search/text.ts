// How text becomes searchable, the one definition both the index and the query use. Latin and other
// spaced scripts are SQLite's unicode61 words (case and diacritics folded: "cafe" finds "café"). Han,
// kana and the like have no spaces, so each run is written as its overlapping bigrams ("会议明天" →
// "会议 议明 明天"), as Lucene's CJK analyzer does: a two-character word, the commonest kind in Chinese
// and Japanese, is then one token, which a trigram index cannot find at all.
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3005\u30fc]+/gu;
/** A word as unicode61 cuts one: letters, numbers and their combining marks. */
export const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;

export const isCjk = (s: string): boolean => new RegExp(CJK_RUN.source, 'u').test(s);

/** A CJK run as its bigrams (a single character stays one token). */
export function bigrams(run: string): string[] {
  const chars = Array.from(run);
  if (chars.length < 2) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/** The text as the index stores it. */
export function indexText(text: string): string {
  return text.replace(CJK_RUN, (run) => ` ${bigrams(run).join(' ')} `);
}

/** Case and diacritics folded, as the tokenizer folds them (recomposed, so Hangul stays syllables). */
export function fold(text: string): string {
  // Most words are plain ASCII: nothing to decompose.
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC').toLowerCase();
}

/** A query word's tokens as the index holds them: folded words, or a CJK run's bigrams. */
export function tokensOf(text: string): string[] {
  const out: string[] = [];
  for (const part of indexText(text).split(/\s+/)) {
    if (!part) continue;
    if (isCjk(part)) out.push(part);
    else for (const m of part.matchAll(WORD)) out.push(fold(m[0]));
  }
  return out;
}
