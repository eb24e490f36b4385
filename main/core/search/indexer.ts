// Keeps the search index behind the store: messages are numbered for it in the transaction that
// stores them (store/search.ts), and indexed here in slices of about SLICE_MS between other work,
// never while catch-up runs (catch-up stores a million messages at full speed, then the index
// follows). A store from before search is numbered by the same loop (the backfill), so existing
// history becomes searchable a slice at a time, without blocking the event loop.
import { performance } from 'node:perf_hooks';
import type { FileInfo } from '../../../protocol/index.js';
import type { PendingDoc, Store } from '../store/index.js';
import { scope, scopeOf } from './scope.js';
import { indexText } from './text.js';

const SLICE_MS = 10;
const MIN_BATCH = 32;
const MAX_BATCH = 4096;

export interface SearchProgress {
  indexed: number;
  total: number;
}

export interface IndexerDeps {
  store: Store;
  /** Work that must not wait on the index is running (catch-up): the indexer waits for a kick. */
  busy(): boolean;
  progress(progress: SearchProgress): void;
  log(message: string, detail?: unknown): void;
}

/** What a message is found by: its text, or a file's name, title and caption. */
export function searchableText(kind: string, body: string, file: Pick<FileInfo, 'name' | 'title'> | null): string {
  if (kind !== 'file' || !file) return body;
  return [file.name, file.title, body].filter(Boolean).join('\n');
}

/** A doc as the index holds it: its text and filters; no text when it is deleted (for everyone or for me). */
function docOf(doc: PendingDoc, conversationToken: (id: string) => string): { id: number; text: string | null; scope: string } {
  if (doc.gone) return { id: doc.id, text: null, scope: '' };
  return {
    id: doc.id,
    text: indexText(searchableText(doc.kind, doc.body, doc.file === null ? null : (JSON.parse(doc.file) as FileInfo))),
    scope: scopeOf(conversationToken(doc.conversationId), doc.sender, doc.body, doc.kind === 'file'),
  };
}

/**
 * Takes again up to `limit` indexed docs whose text changed (edited) or went (deleted), then indexes
 * up to `limit` of the numbered docs not indexed yet, each in one transaction; returns how many.
 */
export function indexPending(store: Store, limit: number, tokens = new Map<string, string>()): number {
  const conversationToken = (id: string) => tokens.get(id) ?? (tokens.set(id, scope.conversation(id)), tokens.get(id)!);
  const redone = store.search.redone(limit);
  if (redone.length > 0) store.search.reindex(redone.map((doc) => docOf(doc, conversationToken)));
  const docs = store.search.pending(limit);
  if (docs.length > 0) store.search.index(docs.map((doc) => docOf(doc, conversationToken)));
  return redone.length + docs.length;
}

export type Indexer = ReturnType<typeof createIndexer>;

export function createIndexer(d: IndexerDeps) {
  const { store } = d;
  const tokens = new Map<string, string>();
  let batch = 256;
  let scheduled: NodeJS.Immediate | null = null;
  let stopped = false;
  let progress = store.search.progress();
  let waiters: (() => void)[] = [];

  /** One slice; true when there may be more to do. */
  function slice(): boolean {
    const started = performance.now();
    let indexed = indexPending(store, batch, tokens);
    // The backfill numbers the next messages stored before search existed once the rest is indexed.
    const numbered = indexed === 0 && store.search.backfill(batch);
    if (numbered) indexed = indexPending(store, batch, tokens);
    // Aim the next batch at the slice's time budget.
    const took = performance.now() - started;
    if (indexed >= batch) batch = Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.round((batch * SLICE_MS) / Math.max(took, 1))));
    return numbered || indexed > 0;
  }

  function step(): void {
    scheduled = null;
    if (stopped || d.busy()) return;
    let more = false;
    try {
      more = slice();
    } catch (error) {
      // A broken index never stops messaging; the next kick tries again (whoever waits is let go).
      d.log('the search index could not be updated', error);
    }
    if (more) {
      // Total: the backfill's count from launch, or more where messages were stored since.
      progress = { indexed: store.search.indexedUpTo(), total: Math.max(progress.total, store.search.nextId() - 1) };
      d.progress(progress);
      kick();
    } else {
      for (const done of waiters) done();
      waiters = [];
    }
  }

  function kick(): void {
    if (!scheduled && !stopped) scheduled = setImmediate(step);
  }

  return {
    kick,
    progress: () => progress,
    /** Resolves once nothing is left to index (kicking the indexer if needed). */
    settled(): Promise<void> {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        kick();
      });
    },
    stop(): void {
      stopped = true;
      if (scheduled) clearImmediate(scheduled);
      scheduled = null;
      for (const done of waiters) done();
      waiters = [];
    },
  };
}
