// Receipt bundles between nodes (server/cluster/bundles.ts), against a stand-in adapter: a bundle
// from another node goes to `open` and nowhere else; another node's push to
// rooms is shown to `pushed` and reaches the adapter as it came, as does anything else.
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
}

function setUp() {
  const opened: Array<[string, unknown]> = [];
  const pushed: Array<[string, unknown, readonly unknown[]]> = [];
  const make = withBundles(StandIn as never, {
    open: (event, bundle) => opened.push([event, bundle]),
    pushed: (event, payload, rooms) => pushed.push([event, payload, rooms]),
  }) as unknown as new (nsp: Namespace) => StandIn;
  const adapter = new make({ name: '/' } as Namespace);
  return { adapter, opened, pushed };
}

const broadcast = (uid: string, rooms: string[], data: unknown[], nsp = '/') =>
  ({ uid, nsp, type: MessageType.BROADCAST, data: { packet: { type: 2, data, nsp }, opts: { rooms, except: [], flags: {} } } }) as unknown as ClusterMessage;

describe('receipt bundles', () => {
  it('opens another node’s bundle here, and the adapter does not see it', () => {
    const { adapter, opened } = setUp();
    const bundle = [['ann', [{ conversationId: 'g', address: 'bob', type: 'read', seq: 3 }]]];
    adapter.onMessage(broadcast('other-node', [BUNDLE_ROOM], ['parley:receipts', bundle]), '1-1');
    expect(opened).toEqual([['parley:receipts', bundle]]);
    expect(adapter.received).toEqual([]);
  });

  it('shows another node’s pushes to rooms on their way to the adapter, not its own', () => {
    const { adapter, opened, pushed } = setUp();
    const theirs = broadcast('other-node', ['user:ann', 'user:bob'], ['event', { conversationId: 'g', seq: 7 }]);
    const mine = broadcast('this-node', ['user:ann'], ['event', { conversationId: 'g', seq: 8 }]);
    adapter.onMessage(theirs, '1-1');
    adapter.onMessage(mine, '1-2');
    expect(pushed).toEqual([['event', { conversationId: 'g', seq: 7 }, ['user:ann', 'user:bob']]]);
    expect(opened).toEqual([]);
    expect(adapter.received).toEqual([
      { message: theirs, offset: '1-1' },
      { message: mine, offset: '1-2' },
    ]);
  });

  it('leaves this node’s own entries on the stream unparsed (the adapter would only drop them)', () => {
    const { adapter, pushed } = setUp();
    const data = JSON.stringify({ packet: { type: 2, data: ['event', { seq: 1 }], nsp: '/' }, opts: { rooms: ['user:ann'], except: [], flags: {} } });
    adapter.onRawMessage({ uid: 'this-node', data }, '1-1');
    adapter.onRawMessage({ uid: 'other-node', data }, '1-2');
    expect(adapter.parsed).toEqual(['1-2']);
    expect(pushed).toEqual([['event', { seq: 1 }, ['user:ann']]]);
  });

  it('passes on everything else: pushes to rooms, its own bundles, another namespace’s, a bundle room among others', () => {
    const { adapter, opened, pushed } = setUp();
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
    // Other nodes' pushes in this namespace, shown on their way (a bundle room among others is a push).
    expect(pushed).toEqual([
      ['event', { seq: 1 }, ['user:ann']],
      ['parley:receipts', [], [BUNDLE_ROOM, 'user:ann']],
    ]);
    expect(adapter.received.map((r) => r.message)).toEqual(messages);
  });
});
