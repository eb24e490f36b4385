// bench:postgres: what one node's batched statements cost PostgreSQL by batch size, the storage
// alone (no server, no devices): a turn's messages (one statement for every conversation they go to)
// and a turn's receipts, for batches of BATCHES, into 100 groups of 10 (the groups of bench:cluster).
// A batch of n messages goes to min(n, 100) conversations. Per size: the statement's wall time as the
// caller waits for it (median, p90: the commit's flush included), and the CPU of every `postgres`
// process (/proc) per message or receipt. The cost per row should fall as batches grow, as a batch
// is what a loaded node sends: a step planned for fewer rows than come joins them each with each,
// and its statement then costs the square of its conversations (the message statement did, until
// 6 Dec 2026: 11 ms for one message in each of 100 conversations, now ~2.6).
// Each size runs at least BENCH_ROWS rows (default 3,000: /proc counts CPU in 10 ms ticks) and
// BENCH_REPEATS batches (default 30); BENCH_BATCHES (default 1,20,100,400) picks the sizes. Receipt
// statements are spaced 20 ms apart by the storage (a tick may wait), so only their CPU is told.
import { POSTGRES_ADMIN_URL, adminQuery } from '../test/support/postgres.js';
import { openPostgresStorage } from '../server/storage/postgres/postgres-storage.js';
import type { Storage } from '../server/storage/storage.js';
import { createDatabase } from './support/cluster.js';
import { cpuByName, spent } from './support/proc-cpu.js';

const BATCHES = (process.env.BENCH_BATCHES ?? '1,20,100,400').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 30);
const ROWS = Number(process.env.BENCH_ROWS ?? 3000);
const GROUPS = 100;
const GROUP_SIZE = 10;
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
  kind: string;
  batch: number;
  conversations: number;
  /** Null for receipts, whose statements the storage spaces. */
  p50: number | null;
  p90: number | null;
  cpuPerRow: number;
}

/** `run` makes a batch's calls in one turn, so the storage writes them as one statement. */
async function measure(kind: 'messages' | 'receipts', batch: number, run: () => Array<Promise<unknown>>): Promise<Row> {
  await Promise.all(run()); // a first batch of this size, unmeasured
  const times: number[] = [];
  const batches = batchesOf(batch);
  const before = cpuByName('postgres');
  for (let i = 0; i < batches; i++) {
    const start = performance.now();
    await Promise.all(run());
    times.push(performance.now() - start);
  }
  const cpu = spent(before, cpuByName('postgres'));
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const timed = kind === 'messages';
  return { kind, batch, conversations: Math.min(batch, GROUPS), p50: timed ? at(0.5) : null, p90: timed ? at(0.9) : null, cpuPerRow: cpu / (batch * batches) };
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
      rows.push(await measure('messages', batch, () => Array.from({ length: batch }, (_, j) => send(storage, j % GROUPS, 1 + (Math.floor(j / GROUPS) % (GROUP_SIZE - 1))))));
    }
    // Delivered receipts from the members in turn, each member's a seq higher than its last (every
    // receipt moves a mark, as in a live conversation), never past a conversation's last seq.
    const lastSeq = await Promise.all(Array.from({ length: GROUPS }, async (_, g) => (await storage.getConversation(conversation(g)))!.lastSeq));
    let round = 0;
    for (const batch of BATCHES) {
      rows.push(
        await measure('receipts', batch, () => {
          round++;
          return Array.from({ length: batch }, (_, j) => {
            const g = j % GROUPS;
            const turn = round * Math.ceil(batch / GROUPS) + Math.floor(j / GROUPS);
            return storage.advanceReceipt(conversation(g), member(g, 1 + (turn % (GROUP_SIZE - 1))), 'delivered', Math.min(lastSeq[g]!, 1 + Math.floor(turn / (GROUP_SIZE - 1))));
          });
        }),
      );
    }
    await storage.close();
    console.log(`\nbench:postgres, ${GROUPS} groups of ${GROUP_SIZE} on ${new URL(POSTGRES_ADMIN_URL).host}; each batch one statement, at least ${REPEATS} batches and ${ROWS} rows of each size\n`);
    console.log('| rows | batch | conversations | statement p50 | statement p90 | PostgreSQL CPU per row |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      const time = (ms: number | null) => (ms === null ? 'spaced 20 ms' : `${ms.toFixed(2)} ms`);
      console.log(`| ${r.kind} | ${r.batch} | ${r.conversations} | ${time(r.p50)} | ${time(r.p90)} | ${r.cpuPerRow.toFixed(1)} µs |`);
    }
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
