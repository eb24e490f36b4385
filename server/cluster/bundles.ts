// One stream entry for what a turn owes many users, each their own part. Receipts were one entry
// per user a turn, each read and parsed by every node whether it held that user or not: with three
// nodes that was most of the cluster's cost per message. A bundle is a broadcast to a room no socket
// joins, so the adapter carries it like any push (on the stream, in order, resumed after a cut of
// the link) and delivers it nowhere itself; each node takes the bundles of the others apart here
// and hands each part to its own devices (the sender did so for its own).
//
// The same hook shows a node the others' pushes as they pass (each event's seq and sender, which
// the receipts that cover it need), and leaves its own entries on the stream unparsed.
import type { Namespace, ServerOptions } from 'socket.io';
import { MessageType, type ClusterAdapter, type ClusterMessage } from 'socket.io-adapter';

/** No socket joins it: a broadcast to it is a bundle. */
export const BUNDLE_ROOM = 'parley:bundle';

type AdapterClass = new (nsp: Namespace) => ClusterAdapter;

/** The adapter's handler of messages from other nodes, which socket.io-adapter leaves protected. */
interface Receiving {
  uid: string;
  onMessage(message: ClusterMessage, offset?: string): void;
  /** The streams adapter's: an entry as read, before its data is parsed. */
  onRawMessage?(raw: { uid?: unknown }, offset: string): void;
}

export interface FromOtherNodes {
  /** A bundle: `event` names its kind. */
  open(event: string, bundle: unknown): void;
  /** A push to these rooms, before the adapter hands it to the devices here (a node learns from what the others wrote). */
  pushed(event: string, payload: unknown, rooms: readonly unknown[]): void;
}

/**
 * The adapter `make` creates, with the bundles of other nodes going to `open` instead of to the
 * room, and their other pushes shown to `pushed` on their way. Anything else passes through
 * untouched. Neither may throw: the stream reader would read the same entry again, forever.
 */
export function withBundles(make: ServerOptions['adapter'], from: FromOtherNodes): ServerOptions['adapter'] {
  // socket.io calls the adapter with `new` (a class, or a function returning the adapter, as the
  // Redis adapters are): so does this.
  return function bundling(nsp: Namespace) {
    const adapter = new (make as unknown as AdapterClass)(nsp);
    const receiving = adapter as unknown as Receiving;
    const onMessage = receiving.onMessage.bind(adapter);
    // The stream holds this node's own entries too, which the adapter parses only to drop them.
    const onRawMessage = receiving.onRawMessage?.bind(adapter);
    if (onRawMessage) receiving.onRawMessage = (raw, offset) => (raw.uid === receiving.uid ? undefined : onRawMessage(raw, offset));
    receiving.onMessage = (message, offset) => {
      const packet = message.type === MessageType.BROADCAST && message.uid !== receiving.uid && message.nsp === nsp.name ? packetOf(message) : null;
      if (!packet) return onMessage(message, offset);
      if (!packet.bundle) {
        from.pushed(packet.event, packet.payload, packet.rooms);
        return onMessage(message, offset);
      }
      from.open(packet.event, packet.payload);
    };
    return adapter;
  } as unknown as ServerOptions['adapter'];
}

/** A broadcast's event, payload and rooms, and whether it is a bundle (to BUNDLE_ROOM alone); null when it carries no named event. */
function packetOf(message: ClusterMessage): { event: string; payload: unknown; rooms: readonly unknown[]; bundle: boolean } | null {
  const data = (message as { data?: { packet?: { data?: unknown }; opts?: { rooms?: unknown } } }).data;
  const args = data?.packet?.data;
  if (!Array.isArray(args) || typeof args[0] !== 'string') return null;
  const rooms: readonly unknown[] = Array.isArray(data?.opts?.rooms) ? data.opts.rooms : [];
  const bundle = rooms.length === 1 && rooms[0] === BUNDLE_ROOM;
  return { event: args[0], payload: args[1], rooms, bundle };
}
