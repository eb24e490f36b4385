// Catch-up after time away: every conversation whose stored events stop short of the server's
// lastSeq is paged in with retransmit, busiest first, a few pages in flight, each page stored in
// one transaction. Between pages the event loop is free, so the host stays responsive.
//
// Bounded against a broken or hostile server (issue 12): a pass requests at most
// limits.pagesPerPass pages and another pass follows only while one moved a conversation's
// gap-free prefix (haveSeq), so a lastSeq of 2^53 − 2 never queues 9e12 requests; every answer is
// checked (its events in the conversation and range asked for, no seq twice) and a wrong one ends
// the pass; an empty answer says the server has nothing from there on, so that conversation stops
// for this pass and its lastSeq comes down to what the server showed (and the unread count with it).
// An answer cut short (a server bounding its answers in bytes) is continued from where it ended.
import { ParleyError, RETRANSMIT_PAGE, type ConversationEvent } from '../../../protocol/index.js';
import { DEFAULT_LIMITS, type EngineLimits } from '../limits.js';
import type { Connection } from '../net/connection.js';
import type { Store } from '../store/index.js';

const PAGES_IN_FLIGHT = 4;
/** Events stored in one transaction, one turn of the event loop. */
const INGEST_SLICE = 250;

export interface CatchUpHooks {
  /** A page of a conversation was stored; haveSeq is its new contiguous high-water mark. */
  stored(conversationId: string, haveSeq: number, last: boolean): void;
  progress(state: 'running' | 'done', behind: number): void;
  log(message: string, detail?: unknown): void;
}

interface Page {
  conversationId: string;
  fromSeq: number;
  toSeq: number;
  last: boolean;
}

export type CatchUp = ReturnType<typeof createCatchUp>;

/** Throws unless every event is of the page's conversation, within its range, each seq once; returns the highest seq. */
export function checkPage(page: Page, events: readonly ConversationEvent[]): number {
  const wrong = (what: string) =>
    new ParleyError('internal', `the server's answer to retransmit ${page.fromSeq}..${page.toSeq} of ${page.conversationId} ${what}`);
  if (events.length > page.toSeq - page.fromSeq + 1) throw wrong(`holds ${events.length} events`);
  const seen = new Set<number>();
  let top = 0;
  for (const e of events) {
    if (e.conversationId !== page.conversationId) throw wrong(`holds an event of ${e.conversationId}`);
    if (e.seq < page.fromSeq || e.seq > page.toSeq) throw wrong(`holds seq ${e.seq}`);
    if (seen.has(e.seq)) throw wrong(`holds seq ${e.seq} twice`);
    seen.add(e.seq);
    top = Math.max(top, e.seq);
  }
  return top;
}

export function createCatchUp(store: Store, connection: Connection, hooks: CatchUpHooks, limits: Pick<EngineLimits, 'pagesPerPass'> = DEFAULT_LIMITS) {
  let running: Promise<void> | null = null;
  let again = false;
  // A page is stored a slice at a time, each slice one transaction on its own event-loop turn, so
  // timers and IPC get their turn between them (a page of 1,000 edits and reactions is ~30 ms of
  // work). Slices are stored in order: each leaves a gap-free prefix, so a crash midway loses nothing.
  let storing: Promise<unknown> = Promise.resolve();
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const storePage = (events: readonly ConversationEvent[]) => {
    const stored = storing.then(async () => {
      let have: ReadonlyMap<string, number> = new Map();
      for (let i = 0; i < events.length; i += INGEST_SLICE) {
        await nextTurn();
        have = store.ingest(events.slice(i, i + INGEST_SLICE), false).have;
      }
      return have;
    });
    storing = stored.catch(() => {});
    return stored;
  };

  /** One pass; true when it moved some conversation's haveSeq (worth another pass if still behind). */
  async function pass(): Promise<boolean> {
    const behind = store.conversations.behind();
    if (behind.length === 0) {
      hooks.progress('done', 0);
      return false;
    }
    hooks.progress('running', behind.length);
    const startHave = new Map(behind.map((c) => [c.id, c.haveSeq]));
    /** Conversations done with for this pass: left, or the server has nothing more. */
    const skipped = new Set<string>();
    /** The rest of answers cut short, asked for before new pages. */
    const rests: Page[] = [];
    let budget = limits.pagesPerPass;
    let failed = false;

    function* fresh(): Generator<Page> {
      for (const c of behind) {
        // Asked before every page: a conversation skipped midway yields no more (a lastSeq of 2^53 − 2 is 9e12 pages).
        for (let from = c.haveSeq + 1; from <= c.lastSeq && !skipped.has(c.id); from += RETRANSMIT_PAGE) {
          const to = Math.min(c.lastSeq, from + RETRANSMIT_PAGE - 1);
          yield { conversationId: c.id, fromSeq: from, toSeq: to, last: to === c.lastSeq };
        }
      }
    }
    const queue = fresh();
    const next = (): Page | null => {
      while (!failed && budget > 0) {
        const rest = rests.shift();
        const page = rest ?? queue.next().value;
        if (!page) return null;
        if (skipped.has(page.conversationId)) continue;
        budget--;
        return page;
      }
      return null;
    };

    const worker = async () => {
      for (let page = next(); page; page = next()) {
        try {
          const { events } = await connection.request('retransmit', page);
          const top = checkPage(page, events);
          if (events.length === 0) {
            // Nothing from fromSeq on: the server's lastSeq was less than it said.
            skipped.add(page.conversationId);
            store.conversations.lowerLast(page.conversationId, page.fromSeq - 1);
            hooks.stored(page.conversationId, store.conversations.haveSeq(page.conversationId) ?? 0, true);
            continue;
          }
          if (top < page.toSeq) rests.push({ ...page, fromSeq: top + 1 });
          const have = await storePage(events);
          hooks.stored(page.conversationId, have.get(page.conversationId) ?? 0, page.last && top === page.toSeq);
        } catch (error) {
          // Removed from the conversation meanwhile: nothing more to fetch there.
          if (error instanceof ParleyError && error.code === 'not_member') skipped.add(page.conversationId);
          else {
            failed = true;
            throw error;
          }
        }
      }
    };
    // Every worker ends before the pass does (the first failure stops the others taking pages).
    const results = await Promise.allSettled(Array.from({ length: PAGES_IN_FLIGHT }, worker));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    const left = store.conversations.behind();
    hooks.progress('done', left.length);
    return left.some((c) => c.haveSeq > (startHave.get(c.id) ?? c.haveSeq)) || behind.some((c) => !left.some((l) => l.id === c.id));
  }

  /** Starts a pass, or asks the running one for another when it ends. Resolves when caught up or offline. */
  function run(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        let moved: boolean;
        do {
          again = false;
          moved = await pass();
          // Another pass when asked for (a push found a gap), or when this one moved and was cut off by its page budget.
        } while ((again || (moved && store.conversations.behind().length > 0)) && connection.online);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    run,
    /** A pass is running: work that can wait (the search index) waits for it. */
    busy: (): boolean => running !== null,
    /** Resolves when no pass is running (starts none; a pass that fails counts as ended). */
    async idle(): Promise<void> {
      while (running) await running.catch(() => {});
    },
    /**
     * Starts a pass without waiting on it. A pass rejects when the link drops mid-pass (issue 12:
     * left unhandled, that took the host process down); the reconnect's sync runs catch-up again,
     * and any other failure is logged and retried by the next push that finds a gap.
     */
    soon(): void {
      run().catch((error: unknown) => {
        if (!(error instanceof ParleyError && error.code === 'unavailable')) hooks.log('catch-up failed', error);
      });
    },
  };
}
