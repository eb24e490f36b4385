// search(query, { limit, cursor }): the messages on this device that match, ranked by relevance
// (FTS5's bm25) with the newer first among equals. A common word can match a good part of a
// million messages, and ranking all of them costs seconds, so a query reads a window of its newest
// WINDOW matches, ranks that, and pages through it; the page after the window's end reads the next
// window of older matches. Nothing about a query leaves the device.
import { ParleyError } from '../../../protocol/index.js';
import { eventId, writtenId } from '../messages/id.js';
import type { ConversationRecord, Store } from '../store/index.js';
import type { SearchHit, SearchResult } from '../types.js';
import type { Indexer } from './indexer.js';
import { searchableText } from './indexer.js';
import { parseQuery, scopeMatch, textMatch, type ParsedQuery } from './query.js';
import { scope } from './scope.js';
import { snippetOf } from './snippet.js';
import { fold } from './text.js';

const WINDOW = 1000;
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

  function hit(conversationId: string, seq: number, q: ParsedQuery): SearchHit | null {
    const m = store.messages.get(conversationId, seq);
    if (!m || (m.kind !== 'text' && m.kind !== 'file')) return null;
    const text = searchableText(m.kind, m.body, m.file);
    return {
      conversationId,
      seq,
      messageId: m.clientId ? writtenId(m.sender, m.clientId) : eventId(conversationId, seq),
      sender: m.sender,
      time: m.serverTime,
      kind: m.kind,
      snippet: snippetOf(text, q.terms),
    };
  }

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
      const ranked = window.sort((a, b) => a.score - b.score || b.sentAt - a.sentAt);
      const page = ranked.slice(at.offset, at.offset + limit);
      const more = at.offset + limit < ranked.length;
      const oldest = window.reduce((min, m) => Math.min(min, m.id), at.below);
      const cursor = more ? encode({ below: at.below, offset: at.offset + limit }) : window.length === WINDOW ? encode({ below: oldest, offset: 0 }) : null;
      const hits = page.map((m) => hit(m.conversationId, m.seq, q)).filter((h): h is SearchHit => h !== null);
      return { hits, cursor, unknown, indexed, total };
    },
  };
}
