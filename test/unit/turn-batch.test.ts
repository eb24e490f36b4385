// The PostgreSQL storage's group commit (server/storage/postgres/turn-batch.ts), without a database:
// one batch at a time, what arrives meanwhile is the next, each caller gets its own answer, every
// caller is settled whatever the write does, and spaced batches wait for their spacing.
import { describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../../protocol/index.js';
import { MAX_BATCH, MAX_WAITING, createTurnBatch, type Outcome } from '../../server/storage/postgres/turn-batch.js';

/** A write the test finishes by hand, recording each batch it was given. */
function heldWrites() {
  const batches: number[][] = [];
  const finish: Array<(outcomes: Array<Outcome<number>>) => void> = [];
  const write = (items: number[]) =>
    new Promise<Array<Outcome<number>>>((resolve) => {
      batches.push(items);
      finish.push(resolve);
    });
  return { batches, finish, write };
}

const doubled = (items: number[]): Array<Outcome<number>> => items.map((n) => ({ ok: true, value: n * 2 }));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Waits for the batch to take its next step: a few turns (its promise chain, then its setImmediate). */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 100) throw new Error('the batch did not go on');
    await nextTurn();
  }
}

describe('the turn batch', () => {
  it('writes a turn’s requests as one batch, and what arrives while it runs as the next', async () => {
    const { batches, finish, write } = heldWrites();
    const batch = createTurnBatch(write);
    const first = [1, 2, 3].map((n) => batch.run(n));
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((n) => batch.run(n));
    await nextTurn();
    // One at a time: 4 and 5 wait for the first batch to end.
    expect(batches).toHaveLength(1);
    finish[0]!(doubled(batches[0]!));
    expect(await Promise.all(first)).toEqual([2, 4, 6]);
    await until(() => batches.length === 2);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    finish[1]!(doubled(batches[1]!));
    expect(await Promise.all(second)).toEqual([8, 10]);
  });

  it('answers each caller its own outcome, a refusal to its caller only', async () => {
    const batch = createTurnBatch<number, number>(async (items) => items.map((n) => (n % 2 ? { ok: true, value: n } : { ok: false, error: new ParleyError('bad_request', `${n} is even`) })));
    const results = await Promise.allSettled([1, 2, 3].map((n) => batch.run(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as ParleyError).message))).toEqual([1, '2 is even', 3]);
  });

  it('gives every caller of a failed write its error, then goes on with the next batch', async () => {
    let fail = true;
    const batch = createTurnBatch<number, number>(async (items) => {
      if (fail) throw new ParleyError('unavailable', 'the database is unreachable');
      return doubled(items);
    });
    const failed = await Promise.allSettled([1, 2].map((n) => batch.run(n)));
    expect(failed.every((r) => r.status === 'rejected' && (r.reason as ParleyError).code === 'unavailable')).toBe(true);
    fail = false;
    expect(await batch.run(7)).toBe(14);
  });

  it('settles every caller when a write answers the wrong number of outcomes', async () => {
    const batch = createTurnBatch<number, number>(async () => [{ ok: true, value: 1 }]);
    const results = await Promise.allSettled([1, 2].map((n) => batch.run(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/a batch of 2 was answered 1 times/);
  });

  it(`splits a long turn into batches of ${MAX_BATCH} and refuses past ${MAX_WAITING} waiting`, async () => {
    const { batches, finish, write } = heldWrites();
    const batch = createTurnBatch(write);
    const answers = Array.from({ length: MAX_WAITING }, (_v, n) => batch.run(n));
    const refused = await batch.run(-1).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'rate_limited' });
    for (let k = 0; k < Math.ceil(MAX_WAITING / MAX_BATCH); k++) {
      await until(() => batches.length === k + 1);
      expect(batches[k]!.length).toBe(Math.min(MAX_BATCH, MAX_WAITING - k * MAX_BATCH));
      finish[k]!(doubled(batches[k]!));
    }
    expect((await Promise.all(answers)).at(-1)).toBe((MAX_WAITING - 1) * 2);
  });

  it('starts a spaced batch no sooner than its spacing after the one before, with all that came meanwhile', async () => {
    const { batches, finish, write } = heldWrites();
    const starts: number[] = [];
    // Long enough that the requests below all arrive within it, however slow the machine.
    const spacingMs = 300;
    const batch = createTurnBatch((items: number[]) => (starts.push(performance.now()), write(items)), { spacingMs });
    const first = batch.run(1);
    await until(() => batches.length === 1);
    finish[0]!(doubled(batches[0]!));
    expect(await first).toBe(2);
    const waiting = [batch.run(2), batch.run(3)];
    await nextTurn();
    const late = batch.run(4);
    await vi.waitUntil(() => batches.length === 2, { timeout: 5000, interval: 5 });
    expect(batches[1]).toEqual([2, 3, 4]);
    // Timers fire on whole milliseconds: a little early by performance.now(), never by much.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(spacingMs - 2);
    finish[1]!(doubled(batches[1]!));
    expect(await Promise.all([...waiting, late])).toEqual([4, 6, 8]);
    // Once the spacing has passed since the last start, the next goes in the turn it arrived.
    await new Promise((resolve) => setTimeout(resolve, spacingMs - (performance.now() - starts[1]!) + 5));
    const alone = batch.run(5);
    await until(() => batches.length === 3);
    finish[2]!(doubled(batches[2]!));
    expect(await alone).toBe(10);
  });

  it(`does not space a full batch: ${MAX_BATCH} waiting go at once`, async () => {
    const { batches, finish, write } = heldWrites();
    const batch = createTurnBatch(write, { spacingMs: 60_000 });
    const first = batch.run(0);
    await until(() => batches.length === 1);
    finish[0]!(doubled(batches[0]!));
    await first;
    const full = Array.from({ length: MAX_BATCH }, (_v, n) => batch.run(n + 1));
    await until(() => batches.length === 2);
    expect(batches[1]).toHaveLength(MAX_BATCH);
    finish[1]!(doubled(batches[1]!));
    expect((await Promise.all(full)).at(-1)).toBe(MAX_BATCH * 2);
  });
});
