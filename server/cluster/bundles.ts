// One stream entry for what a turn owes many users, each their own part. Receipts were one entry
// per user a turn, each read and parsed by every node whether it held that user or not: with three
// nodes that was most of the cluster's cost per message. A bundle is a broadcast to a room no socket
// joins, so the adapter carries it like any push (on the stream, in order, resumed after a cut of
// the link) and delivers it nowhere itself; each node takes the bundles of the others apart here
// and hands each part to its own devices (the sender did so for its own).
import type { Namespace, ServerOptions } from 'socket.io';
import { MessageType, type ClusterAdapter, type ClusterMessage } from 'socket.io-adapter';

/** No socket joins it: a broadcast to it is a bundle. */
export const BUNDLE_ROOM = 'parley:bundle';

type AdapterClass = new (nsp: Namespace) => ClusterAdapter;

/** The adapter's handler of messages from other nodes, which socket.io-adapter leaves protected. */
interface Receiving {
  uid: string;
  onMessage(message: ClusterMessage, offset?: string): void;
}

/**
 * The adapter `make` creates, with the bundles of other nodes going to `open(event, bundle)` instead
 * of to the room. Anything else passes through untouched. `open` must not throw: the stream reader
 * would read the same entry again, forever.
 */
export function withBundles(make: ServerOptions['adapter'], open: (event: string, bundle: unknown) => void): ServerOptions['adapter'] {
  // socket.io calls the adapter with `new` (a class, or a function returning the adapter, as the
  // Redis adapters are): so does this.
  return function bundling(nsp: Namespace) {
    const adapter = new (make as unknown as AdapterClass)(nsp);
    const receiving = adapter as unknown as Receiving;
    const onMessage = receiving.onMessage.bind(adapter);
    receiving.onMessage = (message, offset) => {
      const packet = message.type === MessageType.BROADCAST && message.uid !== receiving.uid && message.nsp === nsp.name ? bundleOf(message) : null;
      if (!packet) return onMessage(message, offset);
      // What the adapter learns from any message: the node that sent it is alive (its heartbeats wait while it publishes).
      onMessage({ uid: message.uid, nsp: message.nsp, type: MessageType.HEARTBEAT }, offset);
      open(...packet);
    };
    return adapter;
  } as unknown as ServerOptions['adapter'];
}

/** [event, bundle] when the message is a broadcast to BUNDLE_ROOM alone. */
function bundleOf(message: ClusterMessage): [string, unknown] | null {
  const data = (message as { data?: { packet?: { data?: unknown }; opts?: { rooms?: unknown } } }).data;
  const rooms = data?.opts?.rooms;
  if (!Array.isArray(rooms) || rooms.length !== 1 || rooms[0] !== BUNDLE_ROOM) return null;
  const payload = data?.packet?.data;
  if (!Array.isArray(payload) || typeof payload[0] !== 'string') return null;
  return [payload[0], payload[1]];
}
