// search(query, { limit, cursor }): the messages on this device that match, ranked by relevance
// with the newer first among equals. A common word can match a good part of a million messages,
// and ranking all of them costs far more than a keystroke may, so a query reads the window of its
// newest WINDOW matches (FTS5 walks them newest first and stops), ranks that, and pages through
// it; the page after the window's end reads the next window of older matches. Relevance is BM25's
// term-frequency and length part: every hit holds every term, so within a window the terms'
// rarity ranks nothing, and FTS5's bm25() would count each term's matches over the whole index
// first. Nothing about a query leaves the device.
import { ParleyError } from '../../../protocol/index.js';
import { eventId, writtenId } from '../messages/id.js';
import type { ConversationRecord, Match, MessageRecord, Store } from '../store/index.js';
import type { SearchHit, SearchResult } from '../types.js';
import type { Indexer } from './indexer.js';
import { searchableText } from './indexer.js';
import { parseQuery, scopeMatch, textMatch, type ParsedQuery } from './query.js';
import { scope } from './scope.js';
import { matchRanges, snippetOf } from './snippet.js';
import { fold, WORD } from './text.js';

const WINDOW = 200;
/** BM25's constants. */
const K1 = 1.2;
const B = 0.75;
const MAX_LIMIT = 100;

interface Cursor {
  /** The window's upper bound (a doc number), fixed at the first page so later pages are stable. */
  below: number;
  offset: number;
}

const encode = (c: Cursor) => Buffer.from(JSON.stringify([c.below, c.offset])).toString('base64url');
function decode(cursor: string): Cursor {
  try {
    const [below, offset] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (Number.isSafeInteger(below) && Number.isSafeInteger(offset) && (offset as number) >= 0) return { below: below as number, offset: offset as number };
  } catch {
    // Falls through to the error.
  }
  throw new ParleyError('bad_request', 'that search cursor is not one this device gave');
}

/** Conversations a person may mean by in:…: its id, a title containing it, or a direct chat's peer. */
function conversationsNamed(value: string, all: readonly ConversationRecord[], me: string): string[] {
  const want = fold(value);
  const exact = all.find((c) => c.id === value);
  if (exact) return [exact.id];
  return all
    .filter((c) => {
      if (c.title && fold(c.title).includes(want)) return true;
      return c.type === 'direct' && c.participants.some((p) => p.address !== me && (fold(p.address).includes(want) || fold(p.name ?? '').includes(want)));
    })
    .map((c) => c.id);
}

/** People a person may mean by from:…: me, an address, or a name containing it, among everyone I share a conversation with. */
function peopleNamed(value: string, all: readonly ConversationRecord[], me: string): string[] {
  if (value.toLowerCase() === 'me') return [me];
  const want = fold(value);
  const found = new Set<string>();
  for (const c of all) {
    for (const p of c.participants) {
      if (p.address === value) return [p.address];
      if (fold(p.address).includes(want) || fold(p.name ?? '').includes(want)) found.add(p.address);
    }
  }
  return [...found];
}

export function createSearch(store: Store, indexer: Indexer) {
  /** The scope groups of a query's filters, and the in:/from: values that named nothing. */
  function scopes(q: ParsedQuery): { groups: string[][]; unknown: string[] } {
    const all = store.conversations.all();
    const groups: string[][] = [];
    const unknown: string[] = [];
    for (const value of q.in) {
      const ids = conversationsNamed(value, all, store.me);
      if (ids.length === 0) unknown.push(`in:${value}`);
      groups.push(ids.map(scope.conversation));
    }
    for (const value of q.from) {
      const people = peopleNamed(value, all, store.me);
      if (people.length === 0) unknown.push(`from:${value}`);
      groups.push(people.map(scope.sender));
    }
    if (q.hasFile) groups.push([scope.file]);
    if (q.hasLink) groups.push([scope.link]);
    if (q.mention && store.me) groups.push([scope.mention(store.me)]);
    return { groups, unknown };
  }

  interface Candidate {
    m: MessageRecord;
    text: string;
    sentAt: number;
    score: number;
  }

  /** The window's messages scored by how often the terms occur, saturating, against the message's length. */
  function scored(window: readonly Match[], q: ParsedQuery): Candidate[] {
    const rows: { m: MessageRecord; text: string; sentAt: number; tf: number; length: number }[] = [];
    for (const w of window) {
      const m = store.messages.get(w.conversationId, w.seq);
      // Deleted since it was indexed (the index drops it in its next slice): not a hit.
      if (!m || (m.kind !== 'text' && m.kind !== 'file') || m.deleted) continue;
      const text = searchableText(m.kind, m.body, m.file);
      const tf = q.terms.length === 0 ? 0 : matchRanges(text, q.terms).length;
      rows.push({ m, text, sentAt: w.sentAt, tf, length: text.match(WORD)?.length ?? 0 });
    }
    const average = Math.max(1, rows.reduce((sum, r) => sum + r.length, 0) / Math.max(rows.length, 1));
    return rows.map(({ m, text, sentAt, tf, length }) => ({
      m,
      text,
      sentAt,
      score: tf === 0 ? 0 : (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / average)),
    }));
  }

  const hitOf = ({ m, text }: Candidate, q: ParsedQuery): SearchHit => ({
    conversationId: m.conversationId,
    seq: m.seq,
    messageId: m.clientId ? writtenId(m.sender, m.clientId) : eventId(m.conversationId, m.seq),
    sender: m.sender,
    time: m.serverTime,
    kind: m.kind as SearchHit['kind'],
    snippet: snippetOf(text, q.terms),
  });

  return {
    search(query: string, options: { limit?: number; cursor?: string } = {}): SearchResult {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? 20), 1), MAX_LIMIT);
      const { indexed, total } = indexer.progress();
      const q = parseQuery(query);
      const { groups, unknown } = scopes(q);
      const match = [textMatch(q.terms), scopeMatch(groups.filter((g) => g.length > 0))].filter(Boolean).join(' AND ');
      // Nothing to look for, or a filter that names nothing on this device.
      if (!match || groups.some((g) => g.length === 0)) return { hits: [], cursor: null, unknown, indexed, total };
      const at = options.cursor ? decode(options.cursor) : { below: store.search.nextId(), offset: 0 };
      const window = store.search.matches({
        match,
        belowId: at.below,
        from: q.after ?? Number.MIN_SAFE_INTEGER,
        to: q.before ?? Number.MAX_SAFE_INTEGER,
        limit: WINDOW,
      });
      const ranked = scored(window, q).sort((a, b) => b.score - a.score || b.sentAt - a.sentAt);
      const more = at.offset + limit < ranked.length;
      const oldest = window.reduce((min, m) => Math.min(min, m.id), at.below);
      const cursor = more ? encode({ below: at.below, offset: at.offset + limit }) : window.length === WINDOW ? encode({ below: oldest, offset: 0 }) : null;
      const hits = ranked.slice(at.offset, at.offset + limit).map((c) => hitOf(c, q));
      return { hits, cursor, unknown, indexed, total };
    },
  };
}
