// The fan-out's part between nodes (server/realtime/fanout.ts) on a real socket.io server and real
// clients on 127.0.0.1: a probe client joined to the bundle room sees what this node sends the
// others, and bundles handed to fromOtherNode stand for what the others send it.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUNDLE_ROOM } from '../../server/cluster/bundles.js';
import { serverParser } from '../../server/realtime/encoded-push.js';
import { TURN_BUNDLE, createFanout, userRoom } from '../../server/realtime/fanout.js';
import type { Receipt } from '../../protocol/index.js';

interface Setup {
  fanout: ReturnType<typeof createFanout>;
  learned: Array<[string, number, string | null]>;
  warnings: unknown[];
  /** What the probe in the bundle room received: the bundles this node sent the others. */
  bundles: Array<{ pushes: unknown[][]; receipts: unknown[] }>;
  /** What ann's device received, in order. */
  ann: Array<[string, unknown]>;
  annSocketId: string;
  /** What the probe received, bundles and cat's pushes, in order. */
  probe: Array<[string, unknown]>;
  /** A device joined to these rooms, connected now. */
  join(...rooms: string[]): Promise<ClientSocket>;
  /** The rooms with sockets on the server. */
  rooms(): ReadonlyMap<string, unknown>;
}

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

async function setUp({ clustered = true } = {}): Promise<Setup> {
  const http: HttpServer = createServer();
  const io = new Server(http, { transports: ['websocket'], parser: serverParser });
  io.use((socket, next) => {
    Promise.resolve(socket.join(socket.handshake.auth.rooms as string[])).then(() => next(), next);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  const join = async (...rooms: string[]) => {
    const client = connect(url, { transports: ['websocket'], auth: { rooms } });
    clients.push(client);
    // Joined before the connection is accepted (the middleware above).
    await new Promise<void>((resolve) => client.once('connect', resolve));
    return client;
  };
  const setup: Setup = {
    learned: [],
    warnings: [],
    bundles: [],
    ann: [],
    annSocketId: '',
    probe: [],
    fanout: null as never,
    join,
    rooms: () => io.of('/').adapter.rooms,
  };
  // The probe is also cat's device: one socket, so what it receives keeps the order it was sent in.
  const probe = await join(BUNDLE_ROOM, userRoom('cat'));
  probe.on(TURN_BUNDLE, (bundle: Setup['bundles'][number]) => setup.bundles.push(bundle));
  probe.onAny((name: string, payload: unknown) => setup.probe.push([name, payload]));
  const ann = await join(userRoom('ann'));
  ann.onAny((name: string, payload: unknown) => setup.ann.push([name, payload]));
  setup.annSocketId = [...io.of('/').adapter.rooms.get(userRoom('ann'))!][0]!;
  const log = { warn: (...args: unknown[]) => setup.warnings.push(args), error: (...args: unknown[]) => setup.warnings.push(args) };
  setup.fanout = createFanout(io, {
    clustered,
    learn: (conversationId, seq, sender) => setup.learned.push([conversationId, seq, sender]),
    log: () => log as never,
  });
  close = async () => {
    for (const client of clients) client.close();
    await io.close();
  };
  return setup;
}

const receipt = (address: string, seq: number): Receipt => ({ conversationId: 'g', address, type: 'delivered', seq });
const json = JSON.stringify;

describe('fan-out between nodes', () => {
  it('delivers here at once and sends the others a turn’s pushes and receipts as one bundle, in order', async () => {
    const s = await setUp();
    s.fanout.emit(['ann', 'bob'], 'typing', { conversationId: 'g', address: 'bob' });
    s.fanout.receipt(['bob'], receipt('ann', 1));
    s.fanout.emit(['bob'], 'typing', { conversationId: 'g', address: 'cat' });
    await vi.waitUntil(() => s.bundles.length === 1 && s.ann.length === 1, { timeout: 5000, interval: 5 });
    expect(s.ann).toEqual([['typing', { conversationId: 'g', address: 'bob' }]]);
    expect(s.bundles[0]).toEqual({
      pushes: [
        ['ann bob', 'typing', json({ conversationId: 'g', address: 'bob' })],
        ['bob', 'typing', json({ conversationId: 'g', address: 'cat' })],
      ],
      receipts: [['bob', json([receipt('ann', 1)])]],
    });
  });

  it('skips the device that caused a push here, not on the other nodes', async () => {
    const s = await setUp();
    s.fanout.emit(['ann'], 'typing', { conversationId: 'g', address: 'ann' }, s.annSocketId);
    s.fanout.emit(['ann'], 'typing', { conversationId: 'h', address: 'ann' });
    await vi.waitUntil(() => s.bundles.length === 1 && s.ann.length === 1, { timeout: 5000, interval: 5 });
    expect(s.ann).toEqual([['typing', { conversationId: 'h', address: 'ann' }]]);
    expect(s.bundles[0]!.pushes).toHaveLength(2);
  });

  it('splits a turn that owes more than a bundle holds, keeping the order', async () => {
    const s = await setUp();
    for (let i = 0; i < 300; i++) s.fanout.emit(['bob'], 'typing', { conversationId: `c${i}`, address: 'ann' });
    await vi.waitUntil(() => s.bundles.reduce((n, b) => n + b.pushes.length, 0) === 300, { timeout: 5000, interval: 5 });
    expect(s.bundles.map((b) => b.pushes.length)).toEqual([256, 44]);
    const order = s.bundles.flatMap((b) => b.pushes.map((p) => (JSON.parse(p[2] as string) as { conversationId: string }).conversationId));
    expect(order).toEqual(Array.from({ length: 300 }, (_v, i) => `c${i}`));
  });

  it('opens another node’s bundle: its pushes to the devices here, the senders learnt, receipts gathered into one push a user', async () => {
    const s = await setUp();
    const event = { conversationId: 'g', seq: 7, type: 'message', sender: 'zed', body: 'hi' };
    s.fanout.receipt(['ann'], receipt('bob', 6));
    s.fanout.fromOtherNode(TURN_BUNDLE, {
      pushes: [
        ['ann zed', 'event', json(event), ['g', 7, 'zed']],
        // Nobody here: neither delivered nor learnt from.
        ['zed', 'event', json({ ...event, seq: 8 }), ['g', 8, 'zed']],
      ],
      receipts: [
        ['ann', json([receipt('cat', 6), receipt('dan', 6)])],
        // Nobody here: not even parsed.
        ['zed', '{not JSON'],
      ],
    });
    await vi.waitUntil(() => s.ann.length === 2, { timeout: 5000, interval: 5 });
    expect(s.ann).toEqual([
      ['event', event],
      ['receipts', { receipts: [receipt('bob', 6), receipt('cat', 6), receipt('dan', 6)] }],
    ]);
    expect(s.learned).toEqual([['g', 7, 'zed']]);
    expect(s.warnings).toEqual([]);
  });

  it('delivers the rest of a bundle when one of its parts fails', async () => {
    const s = await setUp();
    s.fanout.fromOtherNode(TURN_BUNDLE, {
      pushes: [
        // A name socket.io refuses to emit.
        ['ann', 'disconnect', json({ conversationId: 'g' })],
        // Text that is not an object would make the device's decoder drop its connection.
        ['ann', 'typing', '"not an object"'],
        ['ann', 'typing', json({ conversationId: 'g', address: 'bob' })],
      ],
      receipts: [
        ['ann', '{not JSON'],
        ['ann', json([receipt('bob', 4)])],
      ],
    });
    await vi.waitUntil(() => s.ann.length === 2, { timeout: 5000, interval: 5 });
    expect(s.ann).toEqual([
      ['typing', { conversationId: 'g', address: 'bob' }],
      ['receipts', { receipts: [receipt('bob', 4)] }],
    ]);
    expect(s.warnings).toHaveLength(3);
  });

  it('knows the users whose devices come and go after it started', async () => {
    const s = await setUp();
    const dan: Array<[string, unknown]> = [];
    const device = await s.join(userRoom('dan'));
    device.onAny((name: string, payload: unknown) => dan.push([name, payload]));
    s.fanout.fromOtherNode(TURN_BUNDLE, { pushes: [['dan', 'typing', json({ conversationId: 'g', address: 'bob' })]], receipts: [] });
    await vi.waitUntil(() => dan.length === 1, { timeout: 5000, interval: 5 });
    expect(dan).toEqual([['typing', { conversationId: 'g', address: 'bob' }]]);
    device.close();
    await vi.waitUntil(() => !s.rooms().has(userRoom('dan')), { timeout: 5000, interval: 5 });
    // Not held here any more: dan's receipts are not even parsed.
    s.fanout.fromOtherNode(TURN_BUNDLE, { pushes: [], receipts: [['dan', '{not JSON']] });
    expect(s.warnings).toEqual([]);
  });

  it('ignores malformed bundles with a warning, and never throws (the stream would read them forever)', async () => {
    const s = await setUp();
    const malformed: Array<[string, unknown]> = [
      ['parley:receipts', []],
      [TURN_BUNDLE, null],
      [TURN_BUNDLE, { pushes: 'x', receipts: [] }],
      [TURN_BUNDLE, { pushes: [['ann', 42, '{}']], receipts: [] }],
      [TURN_BUNDLE, { pushes: [['ann', 'typing', '{}', 'not learnt']], receipts: [] }],
      [TURN_BUNDLE, { pushes: [[['ann'], 'typing', '{}']], receipts: [] }],
      [TURN_BUNDLE, { pushes: [], receipts: [['ann', ['not text']]] }],
      // The JSON of ann's receipts does not parse: logged, not thrown.
      [TURN_BUNDLE, { pushes: [], receipts: [['ann', '{not JSON']] }],
      // A bundle of the first format (payloads as values), under its old name and the new.
      ['parley:turn', { pushes: [[['ann'], 'typing', { conversationId: 'g', address: 'bob' }]], receipts: [] }],
      [TURN_BUNDLE, { pushes: [[['ann'], 'typing', { conversationId: 'g', address: 'bob' }]], receipts: [] }],
    ];
    for (const [event, bundle] of malformed) expect(() => s.fanout.fromOtherNode(event, bundle)).not.toThrow();
    expect(s.warnings).toHaveLength(malformed.length);
    s.fanout.emit(['ann'], 'typing', { conversationId: 'g', address: 'bob' });
    await vi.waitUntil(() => s.ann.length === 1, { timeout: 5000, interval: 5 });
    expect(s.ann).toEqual([['typing', { conversationId: 'g', address: 'bob' }]]);
  });

  it('sends what it owes before a revocation goes out', async () => {
    const s = await setUp();
    s.fanout.emit(['bob'], 'typing', { conversationId: 'g', address: 'ann' });
    s.fanout.disconnectUser('bob', 'revoked');
    s.fanout.emit(['cat'], 'typing', { conversationId: 'h', address: 'ann' });
    // The bundle left with the revocation, not at the end of the turn: what came after is another.
    await vi.waitUntil(() => s.bundles.length === 2, { timeout: 5000, interval: 5 });
    expect(s.bundles.map((b) => b.pushes)).toEqual([
      [['bob', 'typing', json({ conversationId: 'g', address: 'ann' })]],
      [['cat', 'typing', json({ conversationId: 'h', address: 'ann' })]],
    ]);
  });

  it('with one node, sends no bundles: what it owes goes to the devices here only', async () => {
    const s = await setUp({ clustered: false });
    s.fanout.emit(['ann', 'bob'], 'typing', { conversationId: 'g', address: 'bob' });
    s.fanout.receipt(['ann', 'bob'], receipt('dan', 3));
    // Anything left to send goes now; a bundle would reach the probe before cat's push below.
    s.fanout.flush();
    s.fanout.emit(['cat'], 'typing', { conversationId: 'g', address: 'ann' });
    await vi.waitUntil(() => s.probe.length === 1 && s.ann.length === 2, { timeout: 5000, interval: 5 });
    expect(s.probe).toEqual([['typing', { conversationId: 'g', address: 'ann' }]]);
    expect(s.ann).toEqual([
      ['typing', { conversationId: 'g', address: 'bob' }],
      ['receipts', { receipts: [receipt('dan', 3)] }],
    ]);
  });

  it('tells a revoked device after what it was sent, and sends the other nodes what they were owed first', async () => {
    const s = await setUp();
    s.fanout.emit(['ann'], 'typing', { conversationId: 'g', address: 'bob' });
    s.fanout.disconnectUser('ann', 'revoked');
    await vi.waitUntil(() => s.ann.length === 2 && s.bundles.length === 1, { timeout: 5000, interval: 5 });
    expect(s.ann).toEqual([
      ['typing', { conversationId: 'g', address: 'bob' }],
      ['auth:revoked', { message: 'revoked' }],
    ]);
    expect(s.bundles[0]!.pushes).toEqual([['ann', 'typing', json({ conversationId: 'g', address: 'bob' })]]);
  });
});
