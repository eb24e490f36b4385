// Several nodes (issue 17, `npm run test:cluster`): three server processes on one PostgreSQL database
// and a Redis of the run's own, behind a real nginx started from deploy/nginx/parley.conf. Engines
// (main/core) connect through the proxy and land on different nodes; some checks use raw devices
// on a chosen node. Nodes are killed (SIGKILL) and Redis restarted under traffic; every check waits
// for a signal (acks, engines idle, files on disk), never for a fixed time.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDeployment } from '../support/deployment.js';
import { onCleanup, rawDevice, startClient, until, type TestClient } from '../support/harness.js';

// Tokens re-checked every second (a minute by default): a revocation Redis lost is found quickly.
const d = useDeployment({ name: 'cluster', nodes: 3, proxy: 'nginx', env: { PARLEY_TOKEN_RECHECK_SECONDS: '1' } });

let users = 0;
/** New users with tokens, and a group of them made through the backend API of one node. */
async function group(size: number, base = d.cluster.nodes[0]!.url) {
  const names = Array.from({ length: size }, () => `u${++users}`);
  const tokens: string[] = [];
  for (const name of names) {
    await d.cluster.api('POST', '/users', { address: name, name }, base);
    tokens.push((await d.cluster.api<{ token: string }>('POST', `/users/${name}/tokens`, {}, base)).token);
  }
  const { group } = await d.cluster.api<{ group: { id: string } }>('POST', '/groups', { name: `g${users}`, members: names }, base);
  return { names, tokens, id: group.id };
}

interface Device {
  name: string;
  client: TestClient;
  /** The engine's own log, shown when a wait for it fails. */
  log: string[];
  /** Bodies this engine was asked to send. */
  written: string[];
  db(): Database.Database;
}

function engines(names: string[], tokens: string[]): Device[] {
  return names.map((name, i) => {
    const log: string[] = [];
    const client = startClient(d.proxy.url, tokens[i]!, {
      log: (message, detail) => void log.push(`${new Date().toISOString()} ${message} ${detail instanceof Error ? detail.message : detail === undefined ? '' : JSON.stringify(detail)}`),
    });
    let handle: Database.Database | null = null;
    return {
      name,
      client,
      log,
      written: [],
      db() {
        if (!handle) {
          const opened = new Database(join(client.dataDir, 'parley-client.db'), { readonly: true, fileMustExist: true });
          onCleanup(() => void opened.close());
          handle = opened;
        }
        return handle;
      },
    };
  });
}

/** Engines through the proxy, online, with the conversation in their store. */
async function joined(devices: Device[], conversationId: string) {
  await allOnline(devices);
  await Promise.all(devices.map((d) => d.client.caughtUp()));
  await until(() => devices.every((d) => d.client.readConversation(conversationId) !== null), 'the conversation on every engine', 30_000);
}

async function allOnline(devices: Device[], timeout = 30_000) {
  await until(
    () => devices.every((d) => d.client.status.state === 'online'),
    'every engine online',
    timeout,
    () =>
      devices
        .map((d) => `${d.name}:${d.client.status.state}${d.client.status.state === 'online' ? '' : ` ${JSON.stringify(d.client.status)} (${d.log.slice(-6).join(' | ')})`}`)
        .join(' '),
  );
}

/** Every node answers /readyz 200 again (Redis back). */
async function allReady(): Promise<void> {
  await until(
    async () => (await Promise.all(d.cluster.nodes.map(async (node) => (await fetch(`${node.url}/readyz`)).status))).every((s) => s === 200),
    'every node ready again',
    30_000,
  );
}

/**
 * Each engine writes a message every 40 ms until stopped (the outbox sends them in order); acked()
 * counts the messages acknowledged so far, the signal the fault tests wait on.
 */
function sendContinuously(devices: Device[], conversationId: string, tag: string) {
  let acked = 0;
  for (const device of devices) {
    device.client.on('messageStatus', (change) => {
      if (change.status === 'sent' && change.conversationId === conversationId) acked++;
    });
  }
  let sending = true;
  const loops = devices.map(async (device) => {
    let i = 0;
    while (sending) {
      const body = `${device.name} ${tag}${i++}`;
      device.written.push(body);
      device.client.sendMessage({ conversationId }, body);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  });
  return {
    acked: () => acked,
    async stop() {
      sending = false;
      await Promise.all(loops);
    },
  };
}

/** Each engine's store against what they all sent: every body once, seqs without a gap, outboxes empty. */
function storedState(device: Device, conversationId: string) {
  const rows = device
    .db()
    .prepare("SELECT seq, sender, body, kind FROM messages WHERE conversation_id = ? ORDER BY seq")
    .all(conversationId) as Array<{ seq: number; sender: string; body: string; kind: string }>;
  const outbox = (device.db().prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  return { rows, texts: rows.filter((r) => r.kind === 'text'), outbox };
}

async function converged(devices: Device[], conversationId: string, timeout = 90_000) {
  const expected = devices.flatMap((d) => d.written).sort();
  const agree = () =>
    devices.every((d) => {
      const { texts, outbox } = storedState(d, conversationId);
      return outbox === 0 && texts.length === expected.length;
    });
  await until(agree, 'every engine to hold every message', timeout, () =>
    devices
      .map((d) => {
        const { texts, outbox } = storedState(d, conversationId);
        const errors = d.db().prepare('SELECT DISTINCT error FROM outbox WHERE error IS NOT NULL LIMIT 3').all() as Array<{ error: string }>;
        const stuck = outbox > 0 ? ` ${d.client.status.state}, errors [${errors.map((e) => e.error).join(' / ')}], log: ${d.log.slice(-4).join(' | ')}` : '';
        return `${d.name}: ${texts.length}/${expected.length} outbox ${outbox}${stuck}`;
      })
      .join('; '),
  );
  for (const device of devices) {
    const { rows, texts } = storedState(device, conversationId);
    // Every event from 1 to the last, each once; every message once.
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_r, i) => i + 1));
    expect(texts.map((r) => r.body).sort()).toEqual(expected);
    // Each sender's messages in the order they were written.
    for (const sender of devices) {
      const mine = texts.filter((r) => r.sender === sender.name).map((r) => r.body);
      expect(mine).toEqual(sender.written);
    }
  }
}

describe('three nodes behind nginx', () => {
  it('spreads engines over the nodes, and a group across them gets every message once, in order, with receipts', async () => {
    const { names, tokens, id } = await group(6);
    const devices = engines(names, tokens);
    await joined(devices, id);
    // nginx's round robin puts two of the six on each node: no sticky sessions, no node left out.
    const loads = await Promise.all(d.cluster.nodes.map((node) => node.load()));
    expect(loads.map((l) => l.connections)).toEqual([2, 2, 2]);

    for (const device of devices) {
      for (let i = 0; i < 10; i++) {
        const body = `${device.name} says ${i}`;
        device.written.push(body);
        device.client.sendMessage({ conversationId: id }, body);
      }
    }
    await converged(devices, id);

    // Receipts across nodes: the others (on all three nodes) read u1's last message; u1 sees it read.
    const [first, ...others] = devices as [Device, ...Device[]];
    first.written.push('read me');
    const last = first.client.sendMessage({ conversationId: id }, 'read me');
    await until(() => first.client.getMessage(last.id)?.seq != null, 'the last message acknowledged');
    const seq = first.client.getMessage(last.id)!.seq!;
    await until(() => others.every((d) => storedState(d, id).rows.some((r) => r.seq === seq)), 'the last message everywhere');
    await until(() => first.client.getMessage(last.id)?.status === 'delivered', 'delivered to all five', 30_000);
    for (const device of others) device.client.markRead(id, seq);
    await until(() => first.client.getMessage(last.id)?.status === 'read', 'read by all five', 30_000);
    // The backend API of any node counts the devices on all of them.
    for (const node of d.cluster.nodes) {
      expect((await d.cluster.api<{ connectedDevices: number }>('GET', '/stats', undefined, node.url)).connectedDevices).toBe(6);
    }
  });

  it('two nodes sending into one conversation at once give unique seqs without a gap; a resend through another node is the same message', async () => {
    const { tokens, id } = await group(2);
    const [a, b] = [await rawDevice(d.cluster.nodes[0]!.url, tokens[0]!, 'da'), await rawDevice(d.cluster.nodes[1]!.url, tokens[1]!, 'db')];
    const send = (device: typeof a, tag: string, i: number) =>
      device.request<{ seq: number }>('message:send', { conversationId: id, clientId: `${tag}-${String(i).padStart(4, '0')}`, body: `${tag} ${i}` });
    const replies = await Promise.all(
      Array.from({ length: 150 }, (_v, i) => [send(a, 'a', i), send(b, 'b', i)]).flat(),
    );
    const seqs = replies.map((r) => (r.ok ? r.data.seq : -1));
    expect(new Set(seqs).size).toBe(300);
    const events = await a.request<{ events: Array<{ seq: number; type: string; clientId?: string }> }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 1000 });
    if (!events.ok) throw new Error(JSON.stringify(events.error));
    expect(events.data.events.map((e) => e.seq)).toEqual(events.data.events.map((_e, i) => i + 1));
    expect(events.data.events.filter((e) => e.type === 'message')).toHaveLength(300);
    expect([...seqs].sort((x, y) => x - y)).toEqual(events.data.events.filter((e) => e.type === 'message').map((e) => e.seq));

    // The same device's resend reaches node 2 this time: idempotent across nodes.
    const again = await rawDevice(d.cluster.nodes[2]!.url, tokens[0]!, 'da');
    const resent = await send(again, 'a', 7);
    expect(resent).toEqual(replies[14]);
  });

  it('kill -9 of a node under continuous sending, five times: engines reconnect through the proxy, catch up, and every message is stored once everywhere', async () => {
    const { names, tokens, id } = await group(6);
    const devices = engines(names, tokens);
    await joined(devices, id);
    const sending = sendContinuously(devices, id, '#');
    try {
      for (let round = 0; round < 5; round++) {
        const node = d.cluster.nodes[round % 3]!;
        const before = sending.acked();
        await until(() => sending.acked() >= before + 30, `30 messages acknowledged before kill ${round + 1}`, 30_000);
        await node.kill();
        try {
          // Those on the killed node reconnect through nginx to the others, and sending goes on.
          const atKill = sending.acked();
          await allOnline(devices, 60_000);
          await until(() => sending.acked() >= atKill + 30, `30 messages acknowledged after kill ${round + 1}`, 30_000);
        } finally {
          await node.start();
        }
      }
    } finally {
      await sending.stop();
    }
    await converged(devices, id, 120_000);
  });

  it('Redis restarted under traffic: sending goes on, and the pushes lost meanwhile are caught up by seq', async () => {
    const { names, tokens, id } = await group(4);
    const devices = engines(names, tokens);
    await joined(devices, id);
    const sending = sendContinuously(devices, id, 'r');
    try {
      await until(() => sending.acked() >= 20, '20 messages acknowledged before the restart', 30_000);
      await d.redis.kill();
      try {
        // Messages are stored and acknowledged while Redis is away (PostgreSQL holds them)...
        const atKill = sending.acked();
        await until(() => sending.acked() >= atKill + 20, '20 messages acknowledged while Redis is down', 30_000);
        for (const node of d.cluster.nodes) expect((await fetch(`${node.url}/readyz`)).status).toBe(503);
      } finally {
        await d.redis.start();
      }
      // ...and every node finds it again.
      await allReady();
      const back = sending.acked();
      await until(() => sending.acked() >= back + 20, '20 messages acknowledged after the restart', 30_000);
    } finally {
      await sending.stop();
    }
    await converged(devices, id, 120_000);
  });

  it('a tus upload cut off on one node is finished through another; the lock stops the first node writing it again; any node serves ranges', async () => {
    const { tokens } = await group(1);
    const auth = { authorization: `Bearer ${tokens[0]}`, 'tus-resumable': '1.0.0' };
    const size = 1024 * 1024;
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 131) % 251;
    const [n0, n1, n2] = d.cluster.nodes.map((node) => node.url) as [string, string, string];

    const created = await fetch(`${n0}/files/tus`, {
      method: 'POST',
      headers: { ...auth, 'upload-length': String(size), 'upload-metadata': `filename ${Buffer.from('data.bin').toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const path = new URL(created.headers.get('location')!, n0).pathname;
    const id = path.split('/').pop()!;

    // Node 0 gets the first quarter, then the sender goes quiet with the request still open.
    let resume!: (chunk: Buffer | null) => void;
    const held = new Promise<Buffer | null>((resolve) => (resume = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes.subarray(0, size / 4));
        const late = await held;
        if (late) controller.enqueue(late);
        controller.close();
      },
    });
    const first = fetch(`${n0}${path}`, {
      method: 'PATCH',
      headers: { ...auth, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (response) => ({ status: response.status, offset: response.headers.get('upload-offset') }),
      () => null,
    );
    await until(() => statSync(join(d.cluster.filesDir, id)).size >= size / 4, 'the first quarter on the shared volume', 15_000);

    // Node 1 asks where the upload stands: it takes the lock, and node 0's request is told to let go.
    const head = await fetch(`${n1}${path}`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBe(size / 4);
    const rest = await fetch(`${n1}${path}`, {
      method: 'PATCH',
      headers: { ...auth, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body: bytes.subarray(offset),
    });
    expect(rest.status).toBe(204);
    const fileUrl = rest.headers.get('parley-file-url');
    expect(fileUrl).toContain(id);

    // Node 0 let go when node 1 asked (tus answers what it had written then); its sender's late
    // bytes reach nothing: without the shared lock node 0 would write them over the finished file.
    resume(Buffer.alloc(size / 4, 0xff));
    const answer = await first;
    if (answer) expect(answer).toEqual({ status: 204, offset: String(size / 4) });
    expect(statSync(join(d.cluster.filesDir, id)).size).toBe(size);

    const whole = await fetch(`${n2}/files/${id}`, { headers: { authorization: `Bearer ${tokens[0]}` } });
    expect(whole.status).toBe(200);
    const got = Buffer.from(await whole.arrayBuffer());
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    const range = await fetch(`${d.proxy.url}/files/${id}`, { headers: { authorization: `Bearer ${tokens[0]}`, range: 'bytes=1000-1999' } });
    // Should nginx answer otherwise: what its error log says of the nodes.
    const nginxLog = () => readFileSync(join(d.dir, 'nginx', 'error.log'), 'utf8').trim().split('\n').slice(-10).join('\n');
    expect(range.status, nginxLog()).toBe(206);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(bytes.subarray(1000, 2000));
  });

  it('revoking a user on one node disconnects their devices on every node; limits set on one node hold on the others', async () => {
    const { names, tokens } = await group(1);
    const devices = await Promise.all(d.cluster.nodes.map((node, i) => rawDevice(node.url, tokens[0]!, `dev-${i}`)));

    // A limit of one event at a time, set through node 0: the device on node 2 is held to it.
    await d.cluster.api('PUT', `/users/${names[0]}/limits`, { rateLimit: { burst: 1, perSecond: 1 } });
    await until(
      async () => {
        const replies = await Promise.all([devices[2]!.request('users:search', { query: 'u' }), devices[2]!.request('users:search', { query: 'u' })]);
        return replies.some((r) => !r.ok && r.error.code === 'rate_limited');
      },
      'the limit to reach node 2',
      10_000,
    );

    const closed = devices.map((device) => new Promise<void>((resolve) => device.socket.once('disconnect', () => resolve())));
    await d.cluster.api('DELETE', `/users/${names[0]}/tokens`, undefined, d.cluster.nodes[1]!.url);
    await Promise.all(closed);
    for (const device of devices) expect(device.pushes.some((p) => p.name === 'auth:revoked')).toBe(true);
  });

  it('presence is shared: a device on another node shows online, leaving shows offline, a killed node’s devices go offline', async () => {
    const { names, tokens } = await group(3);
    const watcher = await rawDevice(d.cluster.nodes[0]!.url, tokens[0]!, 'w');
    const leaver = await rawDevice(d.cluster.nodes[1]!.url, tokens[1]!, 'l');
    await rawDevice(d.cluster.nodes[2]!.url, tokens[2]!, 'v');
    // A state pushed since `from` (an index into the watcher's pushes): the group's making pushes everyone's state at once.
    const seen = (address: string, state: string, from: number) =>
      watcher.pushes.slice(from).some(
        (p) => p.name === 'presence' && (p.payload as { presence: Array<{ address: string; state: string }> }).presence.some((e) => e.address === address && e.state === state),
      );
    // Each node writes its device's arrival to Redis as it connects: the sync on node 0 sees both once written.
    const others = async () => {
      const synced = await watcher.request<{ presence: Array<{ address: string; state: string }> }>('sync', {});
      if (!synced.ok) throw new Error(JSON.stringify(synced.error));
      return synced.data.presence.filter((p) => p.address !== names[0]).map((p) => p.state);
    };
    await until(async () => (await others()).join() === 'online,online', 'both others online at the watcher', 10_000);

    const beforeLeaving = watcher.pushes.length;
    leaver.socket.disconnect();
    await until(() => seen(names[1]!, 'offline', beforeLeaving), 'the one who left, offline', 10_000);
    // Killed without a word: the other nodes find its liveness key expired and clear its devices.
    const beforeKill = watcher.pushes.length;
    await d.cluster.nodes[2]!.kill();
    // Should it not come: the nodes' shared presence as Redis holds it, and what the watcher heard.
    const state = () => {
      const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(d.redis.port), ...args], { encoding: 'utf8' }).trim();
      const keys = cli('--scan', '--pattern', '*').split('\n').filter((key) => /:(nodes|node:|reap:|presence:)/.test(key));
      const heard = watcher.pushes.filter((p) => p.name === 'presence').map((p) => JSON.stringify(p.payload));
      const show = (key: string) => {
        const type = cli('type', key);
        const value = type === 'set' ? cli('smembers', key) : type === 'hash' ? cli('hgetall', key) : type === 'string' ? cli('get', key) : '';
        return `${key} = [${value.replaceAll('\n', ' ')}] (ttl ${cli('pttl', key)} ms)`;
      };
      const logs = readdirSync(d.dir).filter((name) => name.endsWith('.log')).map((name) => `${name}: ${readFileSync(join(d.dir, name), 'utf8').trim().split('\n').slice(-5).join(' | ')}`);
      return `\nredis: ${keys.map(show).join('; ')}\nheard: ${heard.join(' ')}\nnode logs (warnings): ${logs.join('\n')}`;
    };
    try {
      await until(() => seen(names[2]!, 'offline', beforeKill), 'the killed node’s user, offline', 40_000, state);
    } finally {
      await d.cluster.nodes[2]!.start();
    }
  });

  it('a revocation made while Redis is away still ends the devices on the other nodes, which re-check tokens', async () => {
    const { names, tokens } = await group(1);
    const far = await rawDevice(d.cluster.nodes[2]!.url, tokens[0]!, 'far');
    await d.redis.kill();
    try {
      // Node 0 cannot tell node 2: the device there is found by node 2's own check of its tokens.
      await d.cluster.api('DELETE', `/users/${names[0]}/tokens`, undefined, d.cluster.nodes[0]!.url);
      await until(() => far.socket.disconnected, 'the device on another node disconnected', 15_000);
      expect(far.pushes.some((p) => p.name === 'auth:revoked')).toBe(true);
    } finally {
      await d.redis.start();
    }
    await allReady();
  });

  it('SIGTERM drains a node: it stops listening, exits 0, and its devices reconnect through the proxy to the others', async () => {
    const { names, tokens, id } = await group(3);
    const devices = engines(names, tokens);
    await joined(devices, id);
    const node = d.cluster.nodes[1]!;
    try {
      expect(await node.terminate()).toBe(0);
      // Within seconds, after the kill -9s above too (nginx had come to offer each node that was
      // ever killed one new connection per 5 s: these devices waited ~30 s).
      await allOnline(devices, 10_000);
      for (const [i, device] of devices.entries()) {
        device.written.push(`after drain ${i}`);
        device.client.sendMessage({ conversationId: id }, `after drain ${i}`);
      }
      await converged(devices, id);
    } finally {
      await node.start();
    }
  });
});
