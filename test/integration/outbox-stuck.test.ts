// The outbox never stays stuck while the engine is online (the cluster's kill -9 run once left an
// engine with 48 queued messages for minutes): its link cut again and again while sends are in
// flight, and a reconnect whose sync the server refuses while the link stays up. A real server on
// 127.0.0.1 behind the fault proxy of test/faults/; every wait is for a signal.
import { afterEach, expect, it } from 'vitest';
import { startProxy } from '../faults/proxy.js';
import { cleanup, onCleanup, pair, rawDevice, startTestServer, until } from '../support/harness.js';

afterEach(cleanup);

async function proxied(limits?: Parameters<typeof startTestServer>[0]) {
  const t = await startTestServer(limits);
  const proxy = await startProxy(Number(new URL(t.url).port));
  onCleanup(() => proxy.close());
  return { t, proxy };
}

it('drains the outbox after each of 15 cuts (FIN, RST, a reply swallowed) made while sends are in flight', async () => {
  const { t, proxy } = await proxied();
  const { alice, bob, conversationId } = await pair(t, { aliceUrl: proxy.url });
  const sent = new Set<string>();
  alice.on('messageStatus', (change) => {
    if (change.status === 'sent') sent.add(change.id);
  });
  const bodies: string[] = [];
  for (let round = 0; round < 15; round++) {
    const ids = Array.from({ length: 12 }, (_, i) => {
      const body = `round ${round} #${i}`;
      bodies.push(body);
      return alice.sendMessage({ conversationId }, body).id;
    });
    // The first is acknowledged: the others are queued or on their way when the link goes.
    await until(() => sent.has(ids[0]!), `round ${round}: the first message acknowledged`);
    if (round % 3 === 2) await proxy.swallowThenCut(2000);
    else proxy.cut(round % 3 === 1);
    await until(
      () => ids.every((id) => sent.has(id)),
      `round ${round}: every message of the round sent`,
      30_000,
      () => `(${ids.filter((id) => !sent.has(id)).length} not sent; alice is ${alice.status.state})`,
    );
  }
  expect(proxy.stats.cuts).toBeGreaterThanOrEqual(15);
  // Each stored once, in the order written: bob holds exactly these.
  await until(() => bob.readMessages(conversationId, { limit: 500 }).length === bodies.length, 'every message at bob', 30_000);
  expect(bob.readMessages(conversationId, { limit: 500 }).map((m) => m.body)).toEqual(bodies);
}, 180_000);

it('tries a refused sync again while the link stays up, so what was queued offline is sent', async () => {
  // One token a second for alice's devices together: her other device empties the bucket just before she reconnects.
  const { t, proxy } = await proxied({ limits: { userRateLimit: { burst: 60, perSecond: 1 } } });
  const logged: string[] = [];
  const { alice, aliceToken, conversationId } = await pair(t, {
    aliceUrl: proxy.url,
    engine: { backoff: { minDelay: 20, maxDelay: 50 }, log: (message, detail) => logged.push(`${message} ${String(detail)}`) },
  });
  proxy.setDown(true);
  await until(() => alice.status.state !== 'online', 'alice offline');
  const ids = ['one', 'two', 'three'].map((body) => alice.sendMessage({ conversationId }, body).id);
  const other = await rawDevice(t.url, aliceToken, 'alice-other');
  for (let i = 0; i < 200; i++) {
    const reply = await other.request('sync', {});
    if (!reply.ok && reply.error.code === 'rate_limited') break;
  }
  proxy.setDown(false);
  // Refused: the outbox is kicked only by a sync that succeeds.
  await until(() => logged.some((line) => line.startsWith('sync failed')), 'the sync after reconnecting refused');
  expect(alice.status.state).toBe('online');
  await until(
    () => alice.readMessages(conversationId).filter((m) => ids.includes(m.id)).every((m) => m.status !== 'sending'),
    'the messages queued offline sent',
    30_000,
    () => `(alice is ${alice.status.state})`,
  );
  expect(alice.readMessages(conversationId).filter((m) => ids.includes(m.id)).map((m) => [m.body, m.status === 'failed'])).toEqual([
    ['one', false],
    ['two', false],
    ['three', false],
  ]);
}, 60_000);
