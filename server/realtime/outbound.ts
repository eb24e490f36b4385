// What a connection has queued to send and not yet handed to the kernel. socket.io keeps pushing to
// a device that stopped reading: engine.io's write buffer and the WebSocket's grow without end. These
// read engine.io's and ws's internals (fixed by package-lock; test/integration/server-limits.test.ts
// breaks if they move) so the gateway can wait for a reader, and drop one that never reads.
import type { Socket } from 'socket.io';

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}
interface Transport extends Emitter {
  writable: boolean;
  /** The ws WebSocket of the websocket transport; absent for long-polling. */
  socket?: { bufferedAmount?: number };
}
interface Conn extends Emitter {
  transport: Transport;
  writeBuffer?: Array<{ data?: unknown }>;
}

const connOf = (socket: Socket) => socket.conn as unknown as Conn;

/** Bytes of a packet's data, near enough (a string's UTF-16 length). */
export function packetBytes(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof Uint8Array) return data.byteLength;
  return 0;
}

/** Bytes handed to the transport but not yet to the kernel. */
export function transportBytes(socket: Socket): number {
  return connOf(socket).transport.socket?.bufferedAmount ?? 0;
}

/** Everything queued for this connection: engine.io's write buffer and the WebSocket's. */
export function queuedBytes(socket: Socket): number {
  let bytes = transportBytes(socket);
  for (const packet of connOf(socket).writeBuffer ?? []) bytes += packetBytes(packet.data);
  return bytes;
}

/** Calls back for every packet queued for this connection, and when the queue goes to the transport. */
export function onOutbound(socket: Socket, queued: (bytes: number) => void, flushed: () => void): void {
  const conn = connOf(socket);
  conn.on('packetCreate', (packet) => queued(packetBytes((packet as { data?: unknown }).data)));
  conn.on('flush', flushed);
}

/**
 * Drops the connection at once, whatever it still has queued: a plain disconnect waits for the queue
 * to drain, and a WebSocket close handshake for a peer that reads nothing would hold the TCP connection
 * (and its buffers) for ws's 30 s close timeout.
 */
export function dropConnection(socket: Socket): void {
  const conn = connOf(socket) as Conn & { close(discard: boolean): void };
  const ws = conn.transport.socket as { terminate?: () => void } | undefined;
  conn.close(true);
  ws?.terminate?.();
}

/**
 * Resolves true once everything queued for this connection is in the kernel's hands (the transport
 * is writable and engine.io's buffer empty), false if the connection closes first.
 */
export function whenDrained(socket: Socket): Promise<boolean> {
  const conn = connOf(socket);
  return new Promise((resolve) => {
    let transport = conn.transport;
    const check = () => {
      if (socket.disconnected) return finish(false);
      if (transport !== conn.transport) {
        transport.off('ready', check);
        transport = conn.transport;
        transport.on('ready', check);
      }
      if (transport.writable && (conn.writeBuffer?.length ?? 0) === 0) finish(true);
    };
    const finish = (drained: boolean) => {
      transport.off('ready', check);
      conn.off('upgrade', check);
      socket.off('disconnect', check);
      resolve(drained);
    };
    transport.on('ready', check);
    conn.on('upgrade', check);
    socket.on('disconnect', check);
    check();
  });
}
