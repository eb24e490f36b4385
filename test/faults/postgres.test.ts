// The database goes away under traffic (`npm run test:faults`): a server on PostgreSQL, two engines
// sending without pause into one conversation, and PostgreSQL ends every connection of the server
// (pg_terminate_backend, as a database restart or failover would) five times, each after the
// conversation moved on from the last. Requests in flight fail as unavailable, the engines send
// them again, the server reconnects by itself. Once every outbox is empty: every message is stored
// exactly once, seqs have no gaps, and both engines hold every event.
import { afterAll, expect, it } from 'vitest';
import { cleanup, online, pair, startTestServer, until } from '../support/harness.js';
import { adminQuery, terminateConnections, testDatabase } from '../support/postgres.js';

afterAll(cleanup);

const ROUNDS = 5;
const PER_ROUND = 40;

it('loses and doubles nothing when PostgreSQL ends the server’s connections five times under sending, and recovers each time', async () => {
  const database = await testDatabase();
  const t = await startTestServer({ database });
  const { alice, bob, conversationId } = await pair(t);
  const stored = async () =>
    Number((await adminQuery<{ n: string }>("SELECT count(*) AS n FROM events WHERE conversation_id = $1 AND type = 'message'", [conversationId], database))[0]!.n);

  let sent = 0;
  let terminated = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) {
      alice.sendMessage({ conversationId }, `alice ${round}.${i}`);
      bob.sendMessage({ conversationId }, `bob ${round}.${i}`);
      sent += 2;
    }
    // Once part of this round is stored, every connection of the server goes.
    await until(async () => (await stored()) >= sent - PER_ROUND, `round ${round} under way`, 60_000);
    terminated += await terminateConnections(database);
  }
  expect(terminated).toBeGreaterThanOrEqual(ROUNDS);

  const pending = (engine: typeof alice) => engine.readMessages(conversationId, { limit: 1000 }).filter((m) => m.status === 'sending' || m.status === 'failed').length;
  await until(() => pending(alice) === 0 && pending(bob) === 0, 'every outbox empty', 120_000, () => `(alice ${pending(alice)}, bob ${pending(bob)} unsent)`);
  await Promise.all([online(alice), online(bob)]);

  const rows = await adminQuery<{ seq: string; body: string }>("SELECT seq, body FROM events WHERE conversation_id = $1 AND type = 'message' ORDER BY seq", [conversationId], database);
  const bodies = rows.map((r) => r.body);
  expect(new Set(bodies).size).toBe(bodies.length);
  expect(bodies.length).toBe(sent);
  expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  for (const engine of [alice, bob]) {
    await until(() => engine.readMessages(conversationId, { limit: 1000 }).length === sent, 'every message at both engines', 60_000);
  }
});
