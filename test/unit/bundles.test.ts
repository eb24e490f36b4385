// Receipt bundles between nodes (server/cluster/bundles.ts), against a stand-in adapter: a bundle
// from another node goes to `open` and counts as that node's sign of life; anything else reaches the
// adapter as it came.
import type { Namespace } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { describe, expect, it } from 'vitest';
import { BUNDLE_ROOM, withBundles } from '../../server/cluster/bundles.js';

class StandIn {
  uid = 'this-node';
  received: Array<{ message: ClusterMessage; offset?: string }> = [];
  constructor(readonly nsp: Namespace) {}
  onMessage(message: ClusterMessage, offset?: string): void {
    this.received.push({ message, offset });
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

describe('receipt bundles', () => {
  it('opens another node’s bundle here, and tells the adapter that node is alive', () => {
    const { adapter, opened } = setUp();
    const bundle = [['ann', [{ conversationId: 'g', address: 'bob', type: 'read', seq: 3 }]]];
    adapter.onMessage(broadcast('other-node', [BUNDLE_ROOM], ['parley:receipts', bundle]), '1-1');
    expect(opened).toEqual([['parley:receipts', bundle]]);
    expect(adapter.received).toEqual([{ message: { uid: 'other-node', nsp: '/', type: MessageType.HEARTBEAT }, offset: '1-1' }]);
  });

  it('passes on everything else: pushes to rooms, its own bundles, another namespace’s, a bundle room among others', () => {
    const { adapter, opened } = setUp();
    const messages = [
      broadcast('other-node', ['user:ann'], ['event', { seq: 1 }]),
      broadcast('this-node', [BUNDLE_ROOM], ['parley:receipts', []]),
      broadcast('other-node', [BUNDLE_ROOM], ['parley:receipts', []], '/admin'),
      broadcast('other-node', [BUNDLE_ROOM, 'user:ann'], ['parley:receipts', []]),
      broadcast('other-node', [BUNDLE_ROOM], [42]),
      { uid: 'other-node', nsp: '/', type: MessageType.HEARTBEAT } as ClusterMessage,
    ];
    for (const message of messages) adapter.onMessage(message);
    expect(opened).toEqual([]);
    expect(adapter.received.map((r) => r.message)).toEqual(messages);
  });
});
