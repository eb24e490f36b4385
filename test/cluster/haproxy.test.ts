// HAProxy in front (deploy/haproxy/parley.cfg, the alternative to deploy/nginx/parley.conf): two
// nodes on PostgreSQL and Redis. Engines connect through it to both nodes (leastconn) and talk
// across them; a drained node's devices come back through the other (a connection the drained node
// refuses is sent to the other: redispatch), and once the node is back new devices go to it again.
// Its checks of /readyz take nodes that still listen but are not ready (Redis away) out of the
// rotation after two failures 2 s apart, and back after two successes.
import { expect, it } from 'vitest';
import type { Cluster } from '../../bench/support/cluster.js';
import { useDeployment } from '../support/deployment.js';
import { startClient, until, type TestClient } from '../support/harness.js';

const d = useDeployment({ name: 'haproxy', nodes: 2, proxy: 'haproxy' });

let users = 0;
async function engines(count: number) {
  const names = Array.from({ length: count }, () => `h${++users}`);
  const tokens: string[] = [];
  for (const name of names) {
    await d.cluster.api('POST', '/users', { address: name, name });
    tokens.push((await d.cluster.api<{ token: string }>('POST', `/users/${name}/tokens`, {})).token);
  }
  const { group } = await d.cluster.api<{ group: { id: string } }>('POST', '/groups', { name: `g${users}`, members: names });
  return { id: group.id, clients: tokens.map((token) => startClient(d.proxy.url, token)) };
}

const online = (clients: TestClient[], what: string) => until(() => clients.every((c) => c.status.state === 'online'), what, 15_000);
const connections = async () => (await Promise.all(d.cluster.nodes.map((node) => node.load()))).map((l) => l.connections);
/** Until the nodes count these connections (a moment after the engines are online: the handshake). */
async function spread(expected: number[], what: string) {
  let seen: number[] = [];
  await until(async () => (seen = await connections()).join() === expected.join(), what, 10_000, () => `(connections: ${seen.join(', ')})`);
}

/** A message from the first to the others, delivered to all of them. */
async function delivered(clients: TestClient[], conversationId: string, body: string) {
  const [from] = clients as [TestClient];
  await until(() => from.readConversation(conversationId) !== null, 'the group known to the sender');
  const sent = from.sendMessage({ conversationId }, body);
  // Should it not come: where the message stands on the sender and what the others hold.
  const where = () =>
    `(sender: ${JSON.stringify(from.getMessage(sent.id))}; others: ${clients
      .slice(1)
      .map((c) => `${JSON.stringify(c.status)} ${JSON.stringify(c.readConversation(conversationId))}`)
      .join('; ')})`;
  await until(() => from.getMessage(sent.id)?.status === 'delivered', `"${body}" delivered`, 15_000, where);
}

it('spreads engines over both nodes, and a message between them is delivered', async () => {
  const { id, clients } = await engines(2);
  await online(clients, 'both engines online through HAProxy');
  await spread([1, 1], 'one engine on each node');
  await delivered(clients, id, 'across HAProxy');
});

it("brings a drained node's engines back through the other node, and sends new ones to the node once it is back", async () => {
  const { id, clients } = await engines(4);
  await online(clients, 'four engines online');
  const all = (await connections()).reduce((a, b) => a + b);
  const [node] = d.cluster.nodes as [Cluster['nodes'][number]];
  expect(await node.terminate()).toBe(0);
  await online(clients, "the drained node's engines back through the other");
  await spread([0, all], 'every connection on the other node');
  await delivered(clients, id, 'after the drain');

  await node.start();
  // A new engine goes to the node with fewer connections, once HAProxy counts it up.
  let tries = 0;
  await until(
    async () => {
      tries++;
      const { clients: one } = await engines(1);
      await online(one, 'a new engine online');
      return (await connections())[0]! > 0;
    },
    'a new engine on the node that came back',
    20_000,
    () => `after ${tries} engines`,
  );
});

it('takes nodes out while their /readyz fails (Redis away) though they still listen, and back in once it answers', async () => {
  const healthz = async () => (await fetch(`${d.proxy.url}/healthz`)).status;
  expect(await healthz()).toBe(200);
  await d.redis.kill();
  try {
    // /healthz stays 200 on the nodes: a 503 here is HAProxy's own, every node out of its rotation.
    await until(async () => (await healthz()) === 503, 'HAProxy taking the unready nodes out', 20_000);
    expect((await fetch(`${d.cluster.nodes[1]!.url}/healthz`)).status).toBe(200);
  } finally {
    await d.redis.start();
  }
  await until(async () => (await healthz()) === 200, 'HAProxy taking them back', 20_000);
});
