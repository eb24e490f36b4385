// One statement for the requests of a kind that gather while the statement before them runs
// (group commit): a receipt costs PostgreSQL a statement and a commit of its own otherwise, and
// a node a round trip, and there are two for each message delivered. At light load nothing is in
// flight, so a request goes at the end of the turn it arrived in (a spaced batch, once its spacing
// since the one before has passed); under load the batch grows with the database's latency instead
// of the number of statements. Each caller's promise settles with
// its own answer once the batch's statement has committed (or with the batch's error when it did not).
import { ParleyError } from '../../../protocol/index.js';

/** Requests one statement takes at most: a longer batch would hold every caller's answer back. */
export const MAX_BATCH = 512;
/** Requests waiting at most: past it the database cannot keep up, and a new one is refused as busy. */
export const MAX_WAITING = 20_000;

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface TurnBatch<I, O> {
  run(item: I): Promise<O>;
}

export interface TurnBatchOptions {
  /**
   * A batch starts no sooner than this after the one before started (default 0): for writes whose
   * answer may wait a little, fewer and bigger statements. The first after a quiet spell goes at once.
   */
  spacingMs?: number;
}

/**
 * `write` answers one outcome per item, in order; when it throws, every item of the batch gets that
 * error. One batch runs at a time: what arrives meanwhile is the next. (Measured with three nodes:
 * two at a time sent more, smaller statements for the same latency at saturation.)
 */
export function createTurnBatch<I, O>(write: (items: I[]) => Promise<Array<Outcome<O>>>, options: TurnBatchOptions = {}): TurnBatch<I, O> {
  const spacing = options.spacingMs ?? 0;
  const waiting: Array<{ item: I; resolve: (value: O) => void; reject: (error: unknown) => void }> = [];
  let scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;
  let running = false;
  let started = -Infinity;

  const flush = () => {
    scheduled = null;
    if (running || waiting.length === 0) return;
    // A full batch goes at once: spacing saves statements, it must not cap the rate.
    const early = waiting.length >= MAX_BATCH ? 0 : started + spacing - performance.now();
    if (early > 0) {
      scheduled = setTimeout(flush, early);
      return;
    }
    started = performance.now();
    const batch = waiting.splice(0, MAX_BATCH);
    running = true;
    const settle = (outcomes: Array<Outcome<O>>) => {
      if (outcomes.length !== batch.length) throw new Error(`a batch of ${batch.length} was answered ${outcomes.length} times`);
      batch.forEach((b, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) b.resolve(outcome.value);
        else b.reject(outcome.error);
      });
    };
    // Every caller is settled whatever happens, and the next batch goes after.
    write(batch.map((b) => b.item))
      .then(settle)
      .catch((error: unknown) => batch.forEach((b) => b.reject(error)))
      .finally(() => {
        running = false;
        schedule();
      })
      .catch(() => {});
  };
  // setImmediate runs after the poll phase: every request read in this turn joins the batch.
  const schedule = () => {
    if (waiting.length > 0 && !running) scheduled ??= setImmediate(flush);
  };

  return {
    run(item) {
      if (waiting.length >= MAX_WAITING) return Promise.reject(new ParleyError('rate_limited', 'the server is busy writing; retry shortly'));
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
