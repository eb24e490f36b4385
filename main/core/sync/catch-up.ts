// Catch-up after time away: every conversation whose stored events stop short of the server's
// lastSeq is paged in with retransmit, busiest first, a few pages in flight, each page stored in
// one transaction. Between pages the event loop is free, so the host stays responsive.
import { ParleyError, RETRANSMIT_PAGE } from '../../../protocol/index.js';
import type { Connection } from '../net/connection.js';
import type { Store } from '../store/index.js';

const PAGES_IN_FLIGHT = 4;

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

export function createCatchUp(store: Store, connection: Connection, hooks: CatchUpHooks) {
  let running: Promise<void> | null = null;
  let again = false;
  // Pages that arrive in one socket read are stored one per event-loop turn, so timers and IPC
  // get their turn between them.
  let storing: Promise<unknown> = Promise.resolve();
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const storePage = (events: Parameters<Store['ingest']>[0]) => {
    const stored = storing.then(nextTurn).then(() => store.ingest(events, false));
    storing = stored.catch(() => {});
    return stored;
  };

  function* pages(): Generator<Page> {
    for (const c of store.conversations.behind()) {
      for (let from = c.haveSeq + 1; from <= c.lastSeq; from += RETRANSMIT_PAGE) {
        const to = Math.min(c.lastSeq, from + RETRANSMIT_PAGE - 1);
        yield { conversationId: c.id, fromSeq: from, toSeq: to, last: to === c.lastSeq };
      }
    }
  }

  async function pass(): Promise<void> {
    const behind = store.conversations.behind().length;
    if (behind === 0) return hooks.progress('done', 0);
    hooks.progress('running', behind);
    const queue = pages();
    const skipped = new Set<string>();
    const worker = async () => {
      for (let next = queue.next(); !next.done; next = queue.next()) {
        const page = next.value;
        if (skipped.has(page.conversationId)) continue;
        try {
          // The server may cut a page short by bytes (big events): ask on from after its last event.
          for (let fromSeq = page.fromSeq; fromSeq <= page.toSeq; ) {
            const { events } = await connection.request('retransmit', { ...page, fromSeq });
            const { have } = await storePage(events);
            const lastSeq = events.at(-1)?.seq ?? page.toSeq;
            fromSeq = lastSeq >= fromSeq ? lastSeq + 1 : page.toSeq + 1;
            hooks.stored(page.conversationId, have.get(page.conversationId) ?? 0, page.last && fromSeq > page.toSeq);
          }
        } catch (error) {
          // Removed from the conversation meanwhile: nothing more to fetch there.
          if (error instanceof ParleyError && error.code === 'not_member') skipped.add(page.conversationId);
          else throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: PAGES_IN_FLIGHT }, worker));
    hooks.progress('done', store.conversations.behind().length);
  }

  /** Starts a pass, or asks the running one for another when it ends. Resolves when caught up or offline. */
  function run(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await pass();
        } while (again && connection.online);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    run,
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
