// Search: the panel's query and its results (messages from the engine's local index, and the
// conversations and people whose names match, as "Jump to…" finds them), the find bar of the open
// conversation, and the index's progress. Every answer is the engine's; an older, slower answer
// never replaces a newer one.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { parley } from '../bridge';
import { background } from '../lib/background';
import type { ConversationSummary, SearchHit, SearchProgress } from '../../contract/types';
import { useConversationsStore } from './conversations';

const PAGE = 30;
const FOLLOW_MS = 500;
const CONVERSATIONS_SHOWN = 5;
/** The find bar reads this many matches of the open conversation, newest first. */
const FIND_LIMIT = 100;

export interface HitGroup {
  conversationId: string;
  hits: SearchHit[];
}

export const useSearchStore = defineStore('search', () => {
  const conversations = useConversationsStore();
  const panelOpen = ref(false);
  const query = ref('');
  const hits = ref<SearchHit[]>([]);
  const cursor = ref<string | null>(null);
  const unknown = ref<string[]>([]);
  const searching = ref(false);
  const error = ref<string | null>(null);
  const progress = ref<SearchProgress | null>(null);
  let ticket = 0;

  /** The conversations (by title or person) matching the words typed, filters left out. */
  const conversationMatches = computed<ConversationSummary[]>(() => {
    const words = query.value.trim().split(/\s+/).filter((w) => w && !/^\w+:/.test(w)).join(' ');
    return words ? conversations.matching(words).slice(0, CONVERSATIONS_SHOWN) : [];
  });

  /** Hits grouped by conversation, in the order of each conversation's best hit. */
  const groups = computed<HitGroup[]>(() => {
    const byId = new Map<string, HitGroup>();
    for (const hit of hits.value) {
      const group = byId.get(hit.conversationId) ?? { conversationId: hit.conversationId, hits: [] };
      group.hits.push(hit);
      byId.set(hit.conversationId, group);
    }
    return [...byId.values()];
  });

  const indexing = computed(() => progress.value !== null && progress.value.indexed < progress.value.total);

  async function run(text: string): Promise<void> {
    const mine = ++ticket;
    if (!text.trim()) {
      hits.value = [];
      cursor.value = null;
      unknown.value = [];
      searching.value = false;
      return;
    }
    searching.value = true;
    try {
      const result = await parley.search({ query: text, limit: PAGE });
      if (mine !== ticket) return;
      hits.value = result.hits;
      cursor.value = result.cursor;
      unknown.value = result.unknown;
      progress.value = { indexed: result.indexed, total: result.total };
      error.value = null;
    } catch (e) {
      if (mine === ticket) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === ticket) searching.value = false;
    }
  }

  async function more(): Promise<void> {
    if (!cursor.value || searching.value) return;
    const mine = ticket;
    searching.value = true;
    try {
      const result = await parley.search({ query: query.value, limit: PAGE, cursor: cursor.value });
      if (mine !== ticket) return;
      hits.value = [...hits.value, ...result.hits];
      cursor.value = result.cursor;
    } catch (e) {
      if (mine === ticket) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === ticket) searching.value = false;
    }
  }

  /** The open conversation's matches, newest first (the find bar steps through them). */
  async function findIn(conversationId: string, text: string): Promise<SearchHit[]> {
    if (!text.trim()) return [];
    const { hits: found } = await parley.search({ query: `in:"${conversationId}" ${text}`, limit: FIND_LIMIT });
    return found.filter((h) => h.conversationId === conversationId).sort((a, b) => b.seq - a.seq);
  }

  /** While the index grows, an open panel's results follow it (at most twice a second). */
  let following: ReturnType<typeof setTimeout> | undefined;
  function applyProgress(next: SearchProgress): void {
    progress.value = next;
    if (!panelOpen.value || !query.value.trim() || following) return;
    following = setTimeout(() => {
      following = undefined;
      if (panelOpen.value) background(run(query.value));
    }, FOLLOW_MS);
  }

  function reset(): void {
    ticket++;
    clearTimeout(following);
    following = undefined;
    panelOpen.value = false;
    query.value = '';
    hits.value = [];
    cursor.value = null;
    unknown.value = [];
    progress.value = null;
  }

  return { panelOpen, query, hits, cursor, unknown, searching, error, progress, indexing, conversationMatches, groups, run, more, findIn, applyProgress, reset };
});
