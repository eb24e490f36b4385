// The baseline for bench/latency.ts: a plain socket.io relay in its own process, with none of
// Parley's work (no storage, no validation, no receipts). A device names its group in the
// handshake and joins that room; a `send` is acknowledged and relayed to the rest of the room.
// Speaks to its parent over the IPC channel: { type: 'ready', url } once listening, then answers
// { type: 'cpu', id } with process.cpuUsage(), { type: 'memory', id } with process.memoryUsage() and
// { type: 'close', id } by closing and exiting.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const httpServer = createServer();
// The same engine options as the Parley gateway, so only the work per event differs.
const io = new Server(httpServer, {
  maxHttpBufferSize: 512 * 1024,
  serveClient: false,
  pingInterval: 20_000,
  pingTimeout: 20_000,
});

let seq = 0;

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { room?: unknown; address?: unknown };
  const room = String(auth.room);
  const address = String(auth.address);
  // The in-memory adapter joins at once; the type allows a promise (other adapters), so it is handled.
  Promise.resolve(socket.join(room)).catch((error: unknown) => console.error('join failed', error));
  socket.on('send', (message: { clientId: string; body: string }, ack?: (reply: unknown) => void) => {
    // The same shape as a Parley message event, so the frames are about the same size.
    const event = {
      type: 'message',
      conversationId: room,
      seq: ++seq,
      sender: address,
      clientId: message.clientId,
      body: message.body,
      serverTime: Date.now(),
    };
    socket.to(room).emit('event', event);
    if (typeof ack === 'function') ack({ ok: true, data: { seq: event.seq, serverTime: event.serverTime } });
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  process.send!({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

process.on('message', (message: { type: string; id: number }) => {
  const reply = (data: unknown) => process.send!({ id: message.id, data });
  switch (message.type) {
    case 'cpu':
      return reply(process.cpuUsage());
    case 'memory':
      return reply(process.memoryUsage());
    case 'close':
      io.close(() => {
        process.send!({ id: message.id, data: true }, () => process.exit(0));
      }).catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
      return;
  }
});
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
