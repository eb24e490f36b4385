// Bundles between nodes (server/cluster/bundles.ts), against a stand-in adapter: a bundle from
// another node goes to `open` and nowhere else, this node's is published only; anything else reaches
// the adapter as it came.
import type { Namespace } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { describe, expect, it } from 'vitest';
import { BUNDLE_ROOM, withBundles } from '../../server/cluster/bundles.js';

class StandIn {
  uid = 'this-node';
  received: Array<{ message: ClusterMessage; offset?: string }> = [];
  parsed: string[] = [];
  constructor(readonly nsp: Namespace) {}
  /** As the streams adapter's: an entry as read, parsed, then handed to onMessage. */
  onRawMessage(raw: { uid: string; data: string }, offset: string): void {
    this.parsed.push(offset);
    this.onMessage({ uid: raw.uid, nsp: '/', type: MessageType.BROADCAST, data: JSON.parse(raw.data) } as ClusterMessage, offset);
  }
  onMessage(message: ClusterMessage, offset?: string): void {
    this.received.push({ message, offset });
  }
  /** As the cluster adapter's: to the other nodes, then to this node's sockets. */
  broadcasts: unknown[] = [];
  broadcast(packet: unknown, opts: unknown): Promise<void> {
    this.broadcasts.push([packet, opts]);
    return Promise.resolve();
  }
  published: unknown[] = [];
  publish(message: unknown): void {
    this.published.push(message);
  }
}

function setUp() {
  const opened: Array<[string, unknown]> = [];
  const make = withBundles(StandIn as never, (event, bundle) => opened.push([event, bundle])) as unknown as new (nsp: Namespace) => StandIn;
  const adapter = new make({ name: '/' } as Namespace);
  return { adapter, opened };
}

const broadcast = (uid: string, rooms: string[], data: unknown[], nsp = '/') =>
  ({ uid, nsp, type: MessageType.BROADCAST, data: { packet: { type: 2, data, nsp }, opts: { rooms, except: [], flags: {} } } }) as unknown as ClusterMessage;

describe('bundles between nodes', () => {
  it('opens another node’s bundle here, and the adapter does not see it', () => {
    const { adapter, opened } = setUp();
    const bundle = { pushes: [[['ann'], 'event', { conversationId: 'g', seq: 7 }]], receipts: [['ann', [{ conversationId: 'g', address: 'bob', type: 'read', seq: 3 }]]] };
    adapter.onMessage(broadcast('other-node', [BUNDLE_ROOM], ['parley:turn', bundle]), '1-1');
    expect(opened).toEqual([['parley:turn', bundle]]);
    expect(adapter.received).toEqual([]);
  });

  it('leaves this node’s own entries on the stream unparsed (the adapter would only drop them)', () => {
    const { adapter, opened } = setUp();
    const data = JSON.stringify({ packet: { type: 2, data: ['parley:turn', { pushes: [], receipts: [] }], nsp: '/' }, opts: { rooms: [BUNDLE_ROOM], except: [], flags: {} } });
    adapter.onRawMessage({ uid: 'this-node', data }, '1-1');
    adapter.onRawMessage({ uid: 'other-node', data }, '1-2');
    expect(adapter.parsed).toEqual(['1-2']);
    expect(opened).toEqual([['parley:turn', { pushes: [], receipts: [] }]]);
  });

  it('passes on everything else: pushes to rooms, its own bundles, another namespace’s, a bundle room among others', () => {
    const { adapter, opened } = setUp();
    const messages = [
      broadcast('other-node', ['user:ann'], ['event', { seq: 1 }]),
      broadcast('this-node', [BUNDLE_ROOM], ['parley:turn', {}]),
      broadcast('other-node', [BUNDLE_ROOM], ['parley:turn', {}], '/admin'),
      broadcast('other-node', [BUNDLE_ROOM, 'user:ann'], ['parley:turn', {}]),
      broadcast('other-node', [BUNDLE_ROOM], [42]),
      { uid: 'other-node', nsp: '/', type: MessageType.HEARTBEAT } as ClusterMessage,
    ];
    for (const message of messages) adapter.onMessage(message);
    expect(opened).toEqual([]);
    expect(adapter.received.map((r) => r.message)).toEqual(messages);
  });

  it('publishes this node’s bundles without broadcasting them here (no socket joins the room); other broadcasts as they are', async () => {
    const { adapter } = setUp();
    const packet = { type: 2, data: ['parley:turn', { pushes: [], receipts: [] }], nsp: '/' };
    const flags = {};
    await adapter.broadcast(packet, { rooms: new Set([BUNDLE_ROOM]), except: new Set(), flags });
    expect(adapter.published).toEqual([{ type: MessageType.BROADCAST, data: { packet, opts: { rooms: [BUNDLE_ROOM], except: [], flags } } }]);
    expect(adapter.broadcasts).toEqual([]);
    const push = { type: 2, data: ['event', { seq: 1 }], nsp: '/' };
    const opts = { rooms: new Set(['user:ann']), except: new Set(), flags };
    await adapter.broadcast(push, opts);
    expect(adapter.broadcasts).toEqual([[push, opts]]);
    expect(adapter.published).toHaveLength(1);
  });
});
