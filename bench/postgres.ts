// bench:postgres: what one node's batched statements cost PostgreSQL by batch size, the storage
// alone (no server, no devices): a turn's messages (one statement for every conversation they go to)
// and a turn's delivered receipts, in batches of BATCHES, into 100 groups of 10 (the groups of
// bench:cluster). A batch of n goes to min(n, 100) conversations. Per size: the statement's wall time
// as the caller waits for it (p50, p99: the commit's flush included), and the CPU of every
// `postgres` process (/proc, as bench:cluster: run it with nothing else on that PostgreSQL) per
// message or receipt. A row should cost no more in a bigger batch, as a batch is what a loaded node
// sends; the message statement's cost grew with the square of the conversations it wrote until 6 Dec
// 2026 (README, bench:postgres).
// Each size runs at least BENCH_ROWS rows (default 3,000: /proc counts CPU in 10 ms ticks) and
// BENCH_REPEATS batches (default 30); BENCH_BATCHES (default 1,20,100,400) picks the sizes. The
// storage spaces receipt statements 20 ms apart (a tick may wait), so only their CPU is told, and the
// share of receipts that moved a mark (one that moves none is a lock and a read).
import { POSTGRES_ADMIN_URL, adminQuery } from '../test/support/postgres.js';
import { openPostgresStorage } from '../server/storage/postgres/postgres-storage.js';
import type { Storage } from '../server/storage/storage.js';
import { createDatabase } from './support/cluster.js';
import { percentiles } from './support/load.js';
import { cpuByName, spent } from './support/proc-cpu.js';

const BATCHES = (process.env.BENCH_BATCHES ?? '1,20,100,400').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 30);
const ROWS = Number(process.env.BENCH_ROWS ?? 3000);
const GROUPS = 100;
const GROUP_SIZE = 10;
/** Members 1–4 send the measured messages; 5–9 (whose marks only the history moved) send the receipts. */
const SENDERS = 4;
const READERS = GROUP_SIZE - 1 - SENDERS;
/** Messages each group holds before the measured batches: the tables are not empty when statements are planned. */
const HISTORY = 100;
if (BATCHES.some((n) => !Number.isInteger(n) || n < 1 || n > 512)) throw new Error('BENCH_BATCHES lists batch sizes from 1 to 512');
if (!Number.isInteger(REPEATS) || REPEATS < 3) throw new Error('BENCH_REPEATS is a whole number, at least 3');
if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error('BENCH_ROWS is a whole number');
/** Batches of a size: REPEATS, or more to make ROWS rows. */
const batchesOf = (size: number) => Math.max(REPEATS, Math.ceil(ROWS / size));

const conversation = (g: number) => `g${String(g).padStart(3, '0')}`;
const member = (g: number, k: number) => `u${String(g * GROUP_SIZE + k).padStart(4, '0')}`;
let clientIds = 0;

async function seed(storage: Storage): Promise<void> {
  for (let g = 0; g < GROUPS; g++) {
    for (let k = 0; k < GROUP_SIZE; k++) await storage.createUser({ address: member(g, k), name: `User ${g}.${k}` });
    await storage.createConversation({
      id: conversation(g),
      type: 'group',
      title: `Group ${g}`,
      distinctKey: null,
      members: Array.from({ length: GROUP_SIZE }, (_, k) => ({ address: member(g, k), role: k === 0 ? ('admin' as const) : ('member' as const) })),
      createdAt: 1,
    });
  }
  for (let i = 0; i < HISTORY; i++) await Promise.all(Array.from({ length: GROUPS }, (_, g) => send(storage, g, i % GROUP_SIZE)));
}

const send = (storage: Storage, g: number, k: number) =>
  storage.appendMessage({ conversationId: conversation(g), sender: member(g, k), deviceId: 'd', clientId: `c${clientIds++}`, body: 'the quick brown fox', serverTime: 2 });

interface Row {
  kind: 'messages' | 'receipts';
  batch: number;
  conversations: number;
  /** Null for receipts, whose statements the storage spaces. */
  p50: number | null;
  p99: number | null;
  cpuPerRow: number;
  /** Receipts: the share that moved a mark. */
  moved: number | null;
}

/** `run` makes a batch's calls in one turn, so the storage writes them as one statement. */
async function measure(kind: 'messages' | 'receipts', batch: number, run: () => Array<Promise<unknown>>, moved?: () => number): Promise<Row> {
  await Promise.all(run()); // a first batch of this size, unmeasured
  const batches = batchesOf(batch);
  const times = new Float64Array(batches);
  const before = cpuByName('postgres');
  for (let i = 0; i < batches; i++) {
    const start = performance.now();
    await Promise.all(run());
    times[i] = performance.now() - start;
  }
  const cpu = spent(before, cpuByName('postgres'));
  const { p50, p99 } = percentiles(times);
  const timed = kind === 'messages';
  const rows = batch * (batches + 1);
  return { kind, batch, conversations: Math.min(batch, GROUPS), p50: timed ? p50 : null, p99: timed ? p99 : null, cpuPerRow: cpu / (batch * batches), moved: moved ? moved() / rows : null };
}

async function main(): Promise<void> {
  const database = await createDatabase();
  try {
    const seeding = await openPostgresStorage(database.url);
    await seed(seeding);
    await seeding.close();
    // Statistics as autovacuum would have them by now; the measured storage's connections plan afresh.
    await adminQuery('ANALYZE', [], database.url);
    const storage = await openPostgresStorage(database.url);
    const rows: Row[] = [];
    for (const batch of BATCHES) {
      rows.push(await measure('messages', batch, () => Array.from({ length: batch }, (_, j) => send(storage, j % GROUPS, 1 + (Math.floor(j / GROUPS) % SENDERS)))));
    }
    // Each reader's receipts carry the seq after its mark, then the next, up to its conversation's
    // last seq (past it a receipt moves nothing, which the table tells).
    const next = new Map<string, number>();
    const lastSeq: number[] = [];
    for (let g = 0; g < GROUPS; g++) {
      lastSeq.push((await storage.getConversation(conversation(g)))!.lastSeq);
      for (const p of await storage.getParticipants(conversation(g))) next.set(p.address, p.deliveredSeq + 1);
    }
    let turn = 0;
    for (const batch of BATCHES) {
      let moved = 0;
      const receipt = (g: number) => {
        const reader = member(g, 1 + SENDERS + (turn++ % READERS));
        const seq = next.get(reader)!;
        next.set(reader, seq + 1);
        return storage.advanceReceipt(conversation(g), reader, 'delivered', Math.min(seq, lastSeq[g]!)).then((r) => {
          if (r.current > r.previous) moved++;
        });
      };
      rows.push(await measure('receipts', batch, () => Array.from({ length: batch }, (_, j) => receipt(j % GROUPS)), () => moved));
    }
    await storage.close();
    console.log(`\nbench:postgres, ${GROUPS} groups of ${GROUP_SIZE} on ${new URL(POSTGRES_ADMIN_URL).host}; each batch one statement, at least ${REPEATS} batches and ${ROWS} rows of each size\n`);
    console.log('| statement | batch | conversations | statement p50 | statement p99 | PostgreSQL CPU per row | receipts that moved a mark |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const time = (ms: number | null) => (ms === null ? 'spaced 20 ms' : `${ms.toFixed(2)} ms`);
      const moved = r.moved === null ? '' : `${(r.moved * 100).toFixed(0)}%`;
      console.log(`| ${r.kind} | ${r.batch} | ${r.conversations} | ${time(r.p50)} | ${time(r.p99)} | ${r.cpuPerRow.toFixed(1)} µs | ${moved} |`);
    }
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
