// A bundle: one stream entry for what a turn of a node owes the others, many pushes and receipts
// for many users (server/realtime/fanout.ts). It is a broadcast to a room no socket joins, so the
// adapter carries it like any push (on the stream, in order, resumed after a cut of the link) and
// delivers it nowhere itself; each node takes the bundles of the others apart here and hands each
// part to its own devices (the sender did so for its own). A node's own entries on the stream are
// left unparsed.
import type { Namespace, ServerOptions } from 'socket.io';
import { MessageType, type ClusterAdapter, type ClusterMessage } from 'socket.io-adapter';

/** No socket joins it: a broadcast to it is a bundle. */
export const BUNDLE_ROOM = 'parley:bundle';

type AdapterClass = new (nsp: Namespace) => ClusterAdapter;

/** What socket.io-adapter's cluster adapter leaves protected: its handler of other nodes' messages, its publishing. */
interface Internals {
  uid: string;
  onMessage(message: ClusterMessage, offset?: string): void;
  /** The streams adapter's: an entry as read, before its data is parsed. */
  onRawMessage?(raw: { uid?: unknown }, offset: string): void;
  /** Sends to the other nodes; a failure (Redis away) is logged by the adapter's debug, as its own broadcasts' are. */
  publish(message: { type: MessageType; data: unknown }): void;
}

type BroadcastArgs = Parameters<ClusterAdapter['broadcast']>;

/**
 * The adapter `make` creates, with the bundles of other nodes going to `open` (`event` names their
 * kind) instead of to the room, and this node's bundles published only (the adapter would also
 * encode each for the room here, which no socket joins). Anything else passes through untouched.
 * `open` may not throw: the stream reader would read the same entry again, forever.
 */
export function withBundles(make: ServerOptions['adapter'], open: (event: string, bundle: unknown) => void): ServerOptions['adapter'] {
  // socket.io calls the adapter with `new` (a class, or a function returning the adapter, as the
  // Redis adapters are): so does this.
  return function bundling(nsp: Namespace) {
    const adapter = new (make as unknown as AdapterClass)(nsp);
    const receiving = adapter as unknown as Internals;
    const broadcast = adapter.broadcast.bind(adapter);
    adapter.broadcast = (...[packet, opts]: BroadcastArgs) => {
      if (opts.rooms.size !== 1 || !opts.rooms.has(BUNDLE_ROOM)) return broadcast(packet, opts);
      receiving.publish({ type: MessageType.BROADCAST, data: { packet, opts: { rooms: [BUNDLE_ROOM], except: [], flags: opts.flags } } });
      return Promise.resolve();
    };
    const onMessage = receiving.onMessage.bind(adapter);
    // The stream holds this node's own entries too, which the adapter parses only to drop them.
    const onRawMessage = receiving.onRawMessage?.bind(adapter);
    if (onRawMessage) receiving.onRawMessage = (raw, offset) => (raw.uid === receiving.uid ? undefined : onRawMessage(raw, offset));
    receiving.onMessage = (message, offset) => {
      const bundle = message.type === MessageType.BROADCAST && message.uid !== receiving.uid && message.nsp === nsp.name ? bundleOf(message) : null;
      if (!bundle) return onMessage(message, offset);
      open(bundle.event, bundle.payload);
    };
    return adapter;
  } as unknown as ServerOptions['adapter'];
}

/** A broadcast to BUNDLE_ROOM alone: its event and payload; null for anything else. */
function bundleOf(message: ClusterMessage): { event: string; payload: unknown } | null {
  const data = (message as { data?: { packet?: { data?: unknown }; opts?: { rooms?: unknown } } }).data;
  const rooms = data?.opts?.rooms;
  if (!Array.isArray(rooms) || rooms.length !== 1 || rooms[0] !== BUNDLE_ROOM) return null;
  const args = data?.packet?.data;
  if (!Array.isArray(args) || typeof args[0] !== 'string') return null;
  return { event: args[0], payload: args[1] };
}
