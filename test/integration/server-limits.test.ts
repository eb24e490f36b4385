// The real-time API's limits and rules from issue 12 against a real server on 127.0.0.1: retransmit
// answers bounded in bytes and in flight with backpressure for a device that stops reading (1), a
// token's expiry ending its connections (5), rates and connections per user and per token (7),
// receipts only to current members (9), idempotency per conversation (10), lone surrogates refused (13).
import { spawn } from 'node:child_process';
import type { Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation, Reply } from '../../protocol/index.js';
import { hashSecret } from '../../server/auth/secrets.js';
import { APP_TOKEN, cleanup, onCleanup, online, rawDevice, startClient, startTestServer, tempDir, until, type RawDevice } from '../support/harness.js';

afterEach(cleanup);

const KiB = 1024;
const MiB = 1024 * KiB;

/** The device's TCP socket under socket.io-client's WebSocket: pausing it stops reading, as a stalled peer would. */
function tcpOf(device: RawDevice): NetSocket {
  const engine = (device.socket.io as unknown as { engine: { transport: { ws: { _socket: NetSocket } } } }).engine;
  return engine.transport.ws._socket;
}

async function group(owner: RawDevice, members: string[]): Promise<string> {
  const created = await owner.request<Conversation>('conversation:create', { participants: members, type: 'group', title: 'Limits' });
  if (!created.ok) throw new Error(created.error.message);
  return created.data.id;
}

async function sendMany(device: RawDevice, conversationId: string, count: number, bytes: number, prefix = 'm'): Promise<void> {
  const body = 'x'.repeat(bytes);
  for (let i = 0; i < count; i += 25) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, (_, j) =>
        device.request('message:send', { conversationId, clientId: `${prefix}${i + j}`, body }),
      ),
    );
    const failed = replies.find((r) => !r.ok);
    if (failed && !failed.ok) throw new Error(failed.error.message);
  }
}

describe('retransmit under a device that stops reading (item 1)', () => {
  it('answers one page at a time within the byte bound, refuses past the in-flight bound, and others still sync', async () => {
    const maxRetransmitBytes = 1 * MiB;
    const maxRetransmitsInFlight = 4;
    const t = await startTestServer({ limits: { maxRetransmitBytes, maxRetransmitsInFlight } });
    const annToken = await t.user('ann');
    const ann = await rawDevice(t.url, annToken, 'ann-1');
    const bob = await rawDevice(t.url, await t.user('bob'), 'bob-1');
    const id = await group(ann, ['bob']);
    await sendMany(ann, id, 300, 60 * KiB);

    const slow = await rawDevice(t.url, annToken, 'ann-slow');
    tcpOf(slow).pause();
    const requests = 60;
    const replies = Array.from({ length: requests }, () =>
      slow.socket.emitWithAck('retransmit', { conversationId: id, fromSeq: 1, toSeq: 300 }) as Promise<Reply<{ events: Array<{ seq: number }> }>>,
    );
    // Every request reached the server and found its fate: answered, waiting behind an unread answer, or refused.
    await until(() => {
      const load = t.server.realtimeLoad();
      return load.retransmitsRefused > 0 && load.retransmitsAnswered + load.retransmitsWaiting + load.retransmitsRefused === requests;
    }, 'every retransmit request handled or queued');
    const load = t.server.realtimeLoad();
    expect(load.retransmitsWaiting).toBeLessThanOrEqual(maxRetransmitsInFlight);
    // Without the bounds the server queued every answer: 60 × 1,000 events of 60 KiB. Now at most one
    // answer waits in the server's memory; the kernel's socket buffers hold a few more.
    expect(load.queuedBytes).toBeLessThan(2 * maxRetransmitBytes);
    expect(load.retransmitsRefused).toBeGreaterThanOrEqual(30);
    expect(load.slowConsumersDropped).toBe(0);

    const sync = await bob.request<{ conversations: Conversation[] }>('sync', {});
    expect(sync.ok && sync.data.conversations.map((c) => c.lastSeq)).toEqual([300]);

    tcpOf(slow).resume();
    const answers = await Promise.all(replies);
    const ok = answers.filter((r) => r.ok);
    const refused = answers.filter((r) => !r.ok);
    expect(ok).toHaveLength(t.server.realtimeLoad().retransmitsAnswered);
    expect(refused).toHaveLength(load.retransmitsRefused);
    for (const r of refused) expect(r).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringMatching(/retransmits are waiting/) } });
    for (const r of ok) {
      if (!r.ok) continue;
      // Cut short by bytes: a run from seq 1, far fewer than the 300 asked for, within the bound.
      const seqs = r.data.events.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(seqs.length).toBeLessThan(300);
      expect(JSON.stringify(r.data).length).toBeLessThanOrEqual(maxRetransmitBytes);
    }
  });

  it('drops a device whose unread pushes pass the queue bound; the sender is not held up', async () => {
    const t = await startTestServer({ limits: { maxQueuedBytes: 512 * KiB } });
    const ann = await rawDevice(t.url, await t.user('ann'), 'ann-1');
    const bobToken = await t.user('bob');
    const stalled = await rawDevice(t.url, bobToken, 'bob-stalled');
    const id = await group(ann, ['bob']);
    tcpOf(stalled).pause();
    // The kernel takes a few MiB before anything queues in the server; then 512 KiB is quickly passed.
    for (let sent = 0; t.server.realtimeLoad().slowConsumersDropped === 0; sent += 20) {
      if (sent >= 2000) throw new Error('the stalled device was never dropped');
      await sendMany(ann, id, 20, 60 * KiB, `p${sent}-`);
    }
    expect(t.server.realtimeLoad().slowConsumersDropped).toBe(1);
    await until(() => t.server.realtimeLoad().connections === 1, 'the stalled connection closed');
    // It reconnects and catches up like after any other cut.
    const again = await rawDevice(t.url, bobToken, 'bob-stalled');
    const page = await again.request<{ events: unknown[] }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 10 });
    expect(page.ok && page.data.events).toHaveLength(10);
  });

  it('an engine catches up through pages the server cut short by bytes', async () => {
    const t = await startTestServer({ limits: { maxRetransmitBytes: 64 * KiB } });
    const ann = await rawDevice(t.url, await t.user('ann'), 'ann-1');
    const bobToken = await t.user('bob');
    const id = await group(ann, ['bob']);
    await sendMany(ann, id, 40, 20 * KiB);
    const bob = startClient(t.url, bobToken);
    await online(bob);
    await until(() => bob.readMessages(id, { limit: 100 }).length === 40, 'all 40 messages at bob');
    expect(bob.readMessages(id, { limit: 100 }).map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('token expiry (item 5)', () => {
  it('disconnects a socket when its token expires, telling the device why', async () => {
    const t = await startTestServer();
    await t.user('ann');
    const token = 'plu_expires-soon-0123456789';
    await t.server.storage.createToken('ann', hashSecret(token), Date.now() + 3000);
    const device = await rawDevice(t.url, token, 'ann-1');
    // A 30-day token (longer than one setTimeout can wait) stays connected and answers.
    const lasting = await rawDevice(t.url, await t.user('ann'), 'ann-2');
    await until(() => device.socket.disconnected, 'the expired socket disconnected', 15_000);
    expect(device.pushes).toContainEqual({ name: 'auth:revoked', payload: { message: expect.stringMatching(/expired/) } });
    expect(lasting.socket.connected).toBe(true);
    expect(await lasting.request('sync', {})).toMatchObject({ ok: true });
    await expect(rawDevice(t.url, token, 'ann-1')).rejects.toMatchObject({ data: { code: 'auth_failed' } });
  });
});

describe('rates and connections per user and per token (item 7)', () => {
  it('limits a user\'s requests across all their connections, not only each one', async () => {
    const t = await startTestServer({ rateLimit: { burst: 50, perSecond: 1 }, limits: { userRateLimit: { burst: 60, perSecond: 1 } } });
    const devices = await Promise.all([1, 2, 3].map(async (n) => rawDevice(t.url, await t.user('ann'), `ann-${n}`)));
    const other = await rawDevice(t.url, await t.user('bob'), 'bob-1');
    const replies = (await Promise.all(devices.map((d) => Promise.all(Array.from({ length: 40 }, () => d.request('users:search', { query: '' })))))).flat();
    const accepted = replies.filter((r) => r.ok).length;
    // 3 × 40 within each connection's burst of 50, but 60 (and a second's refill or so) for the user.
    expect(accepted).toBeGreaterThanOrEqual(60);
    expect(accepted).toBeLessThanOrEqual(70);
    expect(replies.find((r) => !r.ok)).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringMatching(/your devices together/) } });
    expect(await other.request('sync', {})).toMatchObject({ ok: true });
  });

  it('gives a bot limits of its own over the backend API, applied to its open connections at once', async () => {
    const t = await startTestServer({ rateLimit: { burst: 10, perSecond: 1 }, limits: { userRateLimit: { burst: 10, perSecond: 1 } } });
    const [person, bot] = [await rawDevice(t.url, await t.user('ann'), 'ann-1'), await rawDevice(t.url, await t.user('bot'), 'bot-1')];
    const burst = (d: RawDevice, n: number) => Promise.all(Array.from({ length: n }, () => d.request('users:search', { query: '' })));
    const okCount = (replies: Array<{ ok: boolean }>) => replies.filter((r) => r.ok).length;

    const raised = { rateLimit: { burst: 500, perSecond: 500 }, userRateLimit: { burst: 500, perSecond: 500 } };
    expect(await t.api('PUT', '/users/bot/limits', raised)).toMatchObject({ status: 200, body: { limits: raised } });
    expect(await t.api('GET', '/users/bot/limits')).toMatchObject({ status: 200, body: { limits: raised } });
    expect(okCount(await burst(bot, 200))).toBe(200); // its open connection follows at once
    expect(okCount(await burst(person, 20))).toBeLessThanOrEqual(12); // the server's limits for everyone else
    // A new connection of the bot's starts with them too (read at the handshake).
    expect(okCount(await burst(await rawDevice(t.url, await t.user('bot'), 'bot-2'), 100))).toBe(100);

    // Back to the server's limits: {} clears them.
    expect(await t.api('PUT', '/users/bot/limits', {})).toMatchObject({ status: 200, body: { limits: {} } });
    expect(okCount(await burst(bot, 50))).toBeLessThanOrEqual(12);

    expect(await t.api('PUT', '/users/ghost/limits', raised)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await t.api('GET', '/users/ghost/limits')).toMatchObject({ status: 404 });
    for (const bad of [{ rateLimit: { burst: 0, perSecond: 1 } }, { rateLimit: { burst: 1.5, perSecond: 1 } }, { speed: 'fast' }, [], 'x']) {
      expect(await t.api('PUT', '/users/bot/limits', bad)).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    }
    expect(await t.api('GET', '/users/bot/limits')).toMatchObject({ status: 200, body: { limits: {} } });
  });

  it('replaces a token\'s oldest connection past its cap, and refuses a user past theirs', async () => {
    const t = await startTestServer({ limits: { maxConnectionsPerToken: 2, maxConnectionsPerUser: 3 } });
    const token = await t.user('ann');
    const first = await rawDevice(t.url, token, 'ann-1');
    const second = await rawDevice(t.url, token, 'ann-1');
    const third = await rawDevice(t.url, token, 'ann-1');
    await until(() => first.socket.disconnected, 'the oldest connection of the token closed');
    expect(first.pushes).toContainEqual({ name: 'protocol:error', payload: { code: 'rate_limited', message: expect.stringMatching(/replaced/) } });
    expect(second.socket.connected && third.socket.connected).toBe(true);

    const other = await rawDevice(t.url, await t.user('ann'), 'ann-2');
    await expect(rawDevice(t.url, await t.user('ann'), 'ann-3')).rejects.toMatchObject({
      data: { code: 'rate_limited', message: expect.stringMatching(/ann has 3 connections open/) },
    });
    // Another user is not affected; once one of ann's closes, she may connect again.
    await rawDevice(t.url, await t.user('bob'), 'bob-1');
    other.socket.disconnect();
    await until(() => t.server.realtimeLoad().connections === 3, 'the closed connection released');
    expect((await rawDevice(t.url, await t.user('ann'), 'ann-3')).socket.connected).toBe(true);
  });

  it('takes the limits from `npm run server` flags', async () => {
    const dataDir = tempDir('parley-cli-');
    // `npm run server` runs this CLI built (out/server/cli.js); the tests run the sources, through
    // tsx's import hook rather than its CLI (which would run the server in a grandchild): one process,
    // ended with the test.
    const args = ['--import', 'tsx', 'server/cli.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'error'];
    const child = spawn(process.execPath, [...args, '--rate-burst', '5', '--rate-per-second', '1', '--max-connections-per-user', '1'], {
      env: { ...process.env, PARLEY_APP_TOKEN: APP_TOKEN },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    onCleanup(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    const api = (path: string, body: unknown) =>
      fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${APP_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await api('/users', { address: 'ann', name: 'Ann' });
    const tokenOf = async () => ((await (await api('/users/ann/tokens', {})).json()) as { token: string }).token;
    const device = await rawDevice(url, await tokenOf(), 'ann-1');
    const replies = await Promise.all(Array.from({ length: 10 }, () => device.request('users:search', { query: '' })));
    expect(replies.filter((r) => r.ok).length).toBeLessThanOrEqual(6);
    expect(replies.filter((r) => !r.ok && r.error.code === 'rate_limited').length).toBeGreaterThanOrEqual(4);
    await expect(rawDevice(url, await tokenOf(), 'ann-2')).rejects.toMatchObject({ data: { code: 'rate_limited' } });
  });
});

describe('receipts, idempotency and text (items 9, 10, 13)', () => {
  it('sends no more read receipts to a member removed from the conversation', async () => {
    const t = await startTestServer();
    const ann = await rawDevice(t.url, await t.user('ann'), 'ann-1');
    const bob = await rawDevice(t.url, await t.user('bob'), 'bob-1');
    const cat = await rawDevice(t.url, await t.user('cat'), 'cat-1');
    const id = await group(ann, ['bob', 'cat']);
    expect(await bob.request('message:send', { conversationId: id, clientId: 'b1', body: 'from bob' })).toMatchObject({ ok: true, data: { seq: 1 } });
    expect(await ann.request('message:send', { conversationId: id, clientId: 'a1', body: 'from ann' })).toMatchObject({ ok: true, data: { seq: 2 } });
    expect((await t.api('DELETE', `/groups/${id}/members`, { members: ['bob'] })).status).toBe(200);

    expect(await cat.request('receipt', { conversationId: id, type: 'read', seq: 2 })).toEqual({ ok: true, data: { seq: 2 } });
    const isReceipt = (p: { name: string }) => p.name === 'receipts';
    await until(() => ann.pushes.some(isReceipt), 'the receipt at ann');
    // Pushes reach a socket in order: anything emitted to bob before this answer would be there now.
    expect(await bob.request('users:search', { query: '' })).toMatchObject({ ok: true });
    expect(bob.pushes.filter(isReceipt)).toEqual([]);
    expect(ann.pushes.find(isReceipt)!.payload).toEqual({ receipts: [{ conversationId: id, address: 'cat', type: 'read', seq: 2 }] });
  });

  it('keys idempotency by conversation too: a clientId reused elsewhere is a new message', async () => {
    const t = await startTestServer();
    const ann = await rawDevice(t.url, await t.user('ann'), 'ann-1');
    await t.user('bob');
    const first = await group(ann, ['bob']);
    const second = await group(ann, ['bob']);
    const a = await ann.request('message:send', { conversationId: first, clientId: 'same', body: 'in the first' });
    const b = await ann.request<{ seq: number }>('message:send', { conversationId: second, clientId: 'same', body: 'in the second' });
    expect(a).toMatchObject({ ok: true, data: { seq: 1 } });
    expect(b).toMatchObject({ ok: true, data: { seq: 1 } });
    // Each still answers its own resend with its own seq and stores nothing more.
    expect(await ann.request('message:send', { conversationId: second, clientId: 'same', body: 'in the second' })).toEqual(b);
    expect(await ann.request('message:send', { conversationId: first, clientId: 'same', body: 'in the first' })).toEqual(a);
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(2);
    const page = await ann.request<{ events: Array<{ body: string }> }>('retransmit', { conversationId: second, fromSeq: 1, toSeq: 1 });
    expect(page.ok && page.data.events.map((e) => e.body)).toEqual(['in the second']);
  });

  it('refuses a body, caption, title or client id with a lone surrogate with a clear bad_request, and keeps valid astral text intact', async () => {
    const t = await startTestServer();
    const ann = await rawDevice(t.url, await t.user('ann'), 'ann-1');
    await t.user('bob');
    const id = await group(ann, ['bob']);
    const refused = { ok: false, error: { code: 'bad_request', message: expect.stringMatching(/lone surrogate/) } };
    expect(await ann.request('message:send', { conversationId: id, clientId: 'c1', body: 'broken \uD83D here' })).toMatchObject(refused);
    expect(await ann.request('message:send', { conversationId: id, clientId: 'c2', body: '\uDE00' })).toMatchObject(refused);
    // PostgreSQL's JSON refuses one in a batch's rows, which would fail every send of that batch.
    expect(await ann.request('message:send', { conversationId: id, clientId: 'c\uDC00', body: 'fine' })).toMatchObject(refused);
    expect(await ann.request('conversation:edit', { conversationId: id, title: 'Team \uD800' })).toMatchObject(refused);
    expect(await ann.request('conversation:create', { participants: ['bob'], type: 'group', title: '\uDFFF' })).toMatchObject(refused);
    expect((await t.api<{ messages: number }>('GET', '/stats')).body.messages).toBe(0);

    const body = 'party 🎉 time';
    expect(await ann.request('message:send', { conversationId: id, clientId: 'c3', body })).toMatchObject({ ok: true, data: { seq: 1 } });
    const page = await ann.request<{ events: Array<{ body: string }> }>('retransmit', { conversationId: id, fromSeq: 1, toSeq: 1 });
    expect(page.ok && page.data.events[0]!.body).toBe(body);
  });
});
