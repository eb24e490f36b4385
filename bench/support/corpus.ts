// Message text for search benchmarks: words drawn from a 30,000-word list with a Zipf distribution
// (weight 1/rank, as word use in real text), 4 to 23 words a message, 5% with a word with
// diacritics and 2% with a CJK word. Deterministic for a seed.
const COMMON = (
  'the be to of and a in that have it for not on with he as you do at this but his by from they we say her she or an will my one all ' +
  'would there their what so up out if about who get which go me meeting deploy review server release build test please thanks today tomorrow'
).split(' ');
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ra', 'to', 'su', 'pe', 'di', 'an', 'or', 'el', 'ur', 'ix', 'ba', 'co', 'fe', 'gu', 'hi', 'ja'];
export const DIACRITICS = ['café', 'naïve', 'résumé', 'über', 'señor', 'façade', 'crème', 'déjà', 'coöperate', 'piñata'];
export const CJK = ['会议', '明天', '服务器', '发布', '测试', '数据库', '东京', 'ありがとう', '検索', '한국어'];

export function corpus(seed = 1) {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const words = [...COMMON];
  const seen = new Set(words);
  while (words.length < 30_000) {
    let w = '';
    const n = 2 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    if (!seen.has(w)) (seen.add(w), words.push(w));
  }
  const cdf: number[] = [];
  const h = words.reduce((sum, _, i) => sum + 1 / (i + 1), 0);
  words.reduce((acc, _, i) => (cdf.push(acc + 1 / (i + 1) / h), acc + 1 / (i + 1) / h), 0);
  const word = () => {
    const r = random();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  return {
    random,
    pick,
    /** The list, commonest first. */
    words,
    text(): string {
      const n = 4 + Math.floor(random() * 20);
      const out = Array.from({ length: n }, word);
      const r = random();
      if (r < 0.05) out[Math.floor(random() * n)] = pick(DIACRITICS);
      else if (r < 0.07) out.splice(Math.floor(random() * n), 0, pick(CJK) + pick(CJK));
      return out.join(' ');
    },
  };
}
