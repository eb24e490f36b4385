// The real-time API: socket.io with the handshake checked once, then one dispatch point that
// validates every incoming event against the protocol before a handler sees it.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { FastifyBaseLogger } from 'fastify';
import {
  Handshake,
  ParleyError,
  describeIssues,
  invalidPayload,
  isRequestName,
  isSignalName,
  requests,
  signals,
  type Address,
  type PushName,
  type PushPayload,
  type Reply,
} from '../../protocol/index.js';
import { verifyAccessToken } from '../auth/access-token.js';
import type { Fanout, Messaging } from '../services/messaging.js';
import type { Storage } from '../storage/storage.js';
import { requestHandlers, signalHandlers, type DeviceContext } from './handlers.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';

/** Big enough for a 64 KiB body in the worst UTF-16/JSON escaping; larger frames close the socket. */
const MAX_FRAME_BYTES = 512 * 1024;

export const userRoom = (address: Address) => `user:${address}`;

interface SocketData {
  device: DeviceContext;
  expiresAt: number;
}

export function createFanout(io: Server): Fanout {
  return {
    emit<N extends PushName>(users: readonly Address[], name: N, payload: PushPayload<N>, exceptSocket?: string) {
      if (users.length === 0) return;
      const rooms = users.map(userRoom);
      const target = exceptSocket ? io.to(rooms).except(exceptSocket) : io.to(rooms);
      target.emit(name, payload);
    },
    disconnectUser(address, message) {
      io.to(userRoom(address)).emit('auth:revoked', { message });
      io.in(userRoom(address)).disconnectSockets(true);
    },
    async connectedDevices() {
      return (await io.fetchSockets()).length;
    },
  };
}

export interface GatewayOptions {
  storage: Storage;
  logger: FastifyBaseLogger;
  rateLimit: RateLimit;
}

/** Two steps, because the service needs the fan-out that needs the socket.io server. */
export function createGateway(httpServer: HttpServer) {
  const io = new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  return {
    io,
    fanout: createFanout(io),
    attach(messaging: Messaging, options: GatewayOptions) {
      attachHandlers(io, messaging, options);
    },
  };
}

function attachHandlers(io: Server, messaging: Messaging, { storage, logger, rateLimit }: GatewayOptions): void {
  // socket.io does not await middleware: every outcome below ends in next(), and a throw past that is logged.
  io.use((socket, next) => {
    checkHandshake(socket, next).catch((error: unknown) => logger.error({ err: error }, 'handshake failed'));
  });
  const checkHandshake = async (socket: Socket, next: (error?: Error) => void): Promise<void> => {
    const fail = (code: 'bad_request' | 'auth_failed', message: string) => {
      const error = new Error(message) as Error & { data: { code: string; message: string } };
      error.data = { code, message };
      next(error);
    };
    const handshake = Handshake.safeParse(socket.handshake.auth);
    if (!handshake.success) return fail('bad_request', `handshake: ${describeIssues(handshake.error)}`);
    try {
      const token = await verifyAccessToken(storage, handshake.data.token);
      const data = socket.data as SocketData;
      data.device = { address: token.address, deviceId: handshake.data.deviceId, socketId: socket.id };
      data.expiresAt = token.expiresAt;
      await socket.join(userRoom(token.address));
      next();
    } catch (error) {
      if (error instanceof ParleyError) return fail('auth_failed', error.message);
      logger.error({ err: error }, 'handshake failed');
      next(new Error('the server could not check the token; try again'));
    }
  };

  io.on('connection', (socket: Socket) => {
    const { device, expiresAt } = socket.data as SocketData;
    const allow = createRateLimiter(rateLimit);
    logger.debug({ address: device.address, deviceId: device.deviceId }, 'device connected');

    socket.onAny((name: string, ...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (reply: Reply<unknown>) => void) : null;
      const refuse = (error: ParleyError) => {
        if (ack) ack({ ok: false, error: error.toBody() });
        else socket.emit('protocol:error', error.toBody());
      };
      if (expiresAt <= Date.now()) {
        refuse(new ParleyError('auth_failed', 'the access token has expired'));
        socket.disconnect(true);
        return;
      }
      if (!allow()) return refuse(new ParleyError('rate_limited', 'too many requests; slow down and retry shortly'));
      dispatch(name, args[0], device, messaging).then(
        (data) => ack?.({ ok: true, data }),
        (error: unknown) => {
          if (error instanceof ParleyError) return refuse(error);
          logger.error({ err: error, event: name, address: device.address }, 'handler failed');
          refuse(new ParleyError('internal', 'the server failed to handle this request'));
        },
      );
    });
  });
}

async function dispatch(name: string, payload: unknown, device: DeviceContext, messaging: Messaging): Promise<unknown> {
  if (isRequestName(name)) {
    const parsed = requests[name].payload.safeParse(payload);
    if (!parsed.success) throw invalidPayload(name, parsed.error);
    return (requestHandlers[name] as (m: Messaging, d: DeviceContext, p: unknown) => Promise<unknown>)(
      messaging,
      device,
      parsed.data,
    );
  }
  if (isSignalName(name)) {
    const parsed = signals[name].safeParse(payload);
    if (!parsed.success) throw invalidPayload(name, parsed.error);
    await signalHandlers[name](messaging, device, parsed.data);
    return null;
  }
  throw new ParleyError('unknown_event', `unknown event "${String(name).slice(0, 64)}"`);
}
