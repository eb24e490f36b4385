// The real-time API: socket.io with the handshake checked once, then one dispatch point that
// validates every incoming event against the protocol before a handler sees it.
import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import { z } from 'zod';
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
  type Reply,
  Address as AddressSchema,
} from '../../protocol/index.js';
import { verifyAccessToken } from '../auth/access-token.js';
import { withBundles } from '../cluster/bundles.js';
import { hashSecret } from '../auth/secrets.js';
import type { Fanout, Messaging } from '../services/messaging.js';
import type { Storage } from '../storage/storage.js';
import type { PresenceService } from '../presence/presence.js';
import { requestHandlers, signalHandlers, type DeviceContext } from './handlers.js';
import { checkLimits, type RealtimeLimits } from './limits.js';
import { serverParser } from './encoded-push.js';
import { createFanout, userRoom } from './fanout.js';
import { dropConnection, onOutbound, queuedBytes, transportBytes, whenDrained } from './outbound.js';
import { UserLimits as UserLimitsSchema, createRateLimiter, type RateLimiter, type UserLimits } from './rate-limit.js';

/** Big enough for a 64 KiB body in the worst UTF-16/JSON escaping; larger frames close the socket. */
const MAX_FRAME_BYTES = 512 * 1024;

/** setTimeout's longest delay (about 24.8 days); a later expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the real-time API holds at the moment, on this node: for operators and the limits' tests. */
export interface RealtimeLoad {
  connections: number;
  /** Retransmit requests accepted and not yet answered. */
  retransmitsWaiting: number;
  retransmitsAnswered: number;
  /** Refused because too many were waiting on their connection. */
  retransmitsRefused: number;
  /** Output queued for devices and not yet handed to the kernel, all connections together. */
  queuedBytes: number;
  /** Connections dropped because they let more than maxQueuedBytes pile up. */
  slowConsumersDropped: number;
}

interface SocketData {
  device: DeviceContext;
  /** The hash of the access token it connected with. */
  tokenHash: string;
  /** Idle as it connected (Handshake.idle). */
  idle: boolean;
  expiresAt: number;
  user: UserState;
}

/** Tokens asked of storage in one query. */
const TOKEN_CHECK_BATCH = 1000;

/**
 * With several nodes: every so often the tokens of this node's devices are asked of storage, and a
 * device whose token was revoked is told and disconnected, as the revoking node's message through
 * Redis would have done had it arrived (Redis away when it was sent, or that node gone since).
 */
function recheckTokens(io: Server, httpServer: HttpServer, storage: Storage, seconds: number, log: FastifyBaseLogger): void {
  const check = async () => {
    const sockets = [...io.of('/').sockets.values()];
    for (let i = 0; i < sockets.length; i += TOKEN_CHECK_BATCH) {
      const batch = sockets.slice(i, i + TOKEN_CHECK_BATCH);
      const live = await storage.liveTokens([...new Set(batch.map((socket) => (socket.data as SocketData).tokenHash))]);
      for (const socket of batch) {
        if (socket.disconnected || live.has((socket.data as SocketData).tokenHash)) continue;
        socket.emit('auth:revoked', { message: 'your access token was revoked' });
        socket.disconnect(true);
      }
    }
  };
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    check()
      .catch((error: unknown) => log.warn({ err: error }, "could not re-check the devices' tokens; trying again later"))
      .finally(() => (checking = false));
  }, seconds * 1000);
  timer.unref();
  httpServer.once('close', () => clearInterval(timer));
}

/** Devices connected to every node; one that does not answer in time is left out of the sum. */
async function countDevices(io: Server, clustered: boolean): Promise<number> {
  const here = io.of('/').sockets.size;
  if (!clustered) return here;
  // Through the adapter itself, whose promise tells when Redis could not be asked (then: this node's only).
  const counts = await new Promise<unknown[]>((resolve) => {
    const asked = io.of('/').adapter.serverSideEmit([COUNT_DEVICES, (_error: Error | null, answers: unknown[]) => resolve(answers ?? [])]);
    Promise.resolve(asked).catch(() => resolve([]));
  });
  return counts.reduce<number>((sum, n) => sum + (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0), here);
}

/** Between nodes (serverSideEmit, over the adapter): a user's limits changed; how many devices are here. */
const LIMITS_CHANGED = 'parley:limits';
const COUNT_DEVICES = 'parley:devices';
const LimitsMessage = z.tuple([AddressSchema, UserLimitsSchema]);

/** What other nodes tell this one: limits to apply here, the device count to answer. */
function listenToNodes(io: Server, applyLimits: (address: Address, overrides: UserLimits) => void, log: () => FastifyBaseLogger | null) {
  io.on(LIMITS_CHANGED, (...args: unknown[]) => {
    const message = LimitsMessage.safeParse(args);
    if (message.success) applyLimits(...message.data);
    else log()?.warn({ issues: describeIssues(message.error) }, 'a malformed message from another node was ignored');
  });
  io.on(COUNT_DEVICES, (reply: unknown) => {
    if (typeof reply === 'function') (reply as (count: number) => void)(io.of('/').sockets.size);
  });
}

export interface GatewayOptions {
  storage: Storage;
  logger: FastifyBaseLogger;
  limits: RealtimeLimits;
  /** Told of every device that connects and leaves (none when the server runs without presence). */
  presence?: PresenceService | null;
}

interface Counters {
  retransmitsWaiting: number;
  retransmitsAnswered: number;
  retransmitsRefused: number;
  slowConsumersDropped: number;
}

/**
 * Two steps, because the service needs the fan-out that needs the socket.io server. With an adapter
 * (Redis, several nodes) rooms span the nodes and the fan-out tells the other nodes what they hold.
 */
export function createGateway(httpServer: HttpServer, adapter?: ServerOptions['adapter']) {
  const users = new Map<Address, UserState>();
  let limits: RealtimeLimits | null = null;
  let logger: FastifyBaseLogger | null = null;
  let storage: Storage | null = null;
  const io: Server = new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    parser: serverParser,
    ...(adapter && {
      adapter: withBundles(adapter, (event, bundle) => pushes.fromOtherNode(event, bundle)),
    }),
  });
  const counters: Counters = { retransmitsWaiting: 0, retransmitsAnswered: 0, retransmitsRefused: 0, slowConsumersDropped: 0 };
  const inFlight = new Set<Promise<unknown>>();
  const applyLimits = (address: Address, overrides: UserLimits) => {
    if (limits) users.get(address)?.setLimits(effectiveLimits(limits, overrides));
  };
  if (adapter) listenToNodes(io, applyLimits, () => logger);
  const clustered = adapter !== undefined;
  const pushes = createFanout(io, {
    clustered,
    learn: (conversationId, seq, sender) => storage?.writtenElsewhere(conversationId, seq, sender),
    log: () => logger,
  });
  const fanout: Fanout = {
    ...pushes,
    userLimitsChanged(address, overrides) {
      applyLimits(address, overrides);
      if (clustered) io.serverSideEmit(LIMITS_CHANGED, address, overrides);
    },
    connectedDevices: () => countDevices(io, clustered),
  };
  return {
    io,
    fanout,
    attach(messaging: Messaging, options: GatewayOptions) {
      limits = checkLimits(options.limits);
      logger = options.logger;
      storage = options.storage;
      attachHandlers(io, messaging, { ...options, limits }, users, counters, inFlight);
      if (adapter) recheckTokens(io, httpServer, options.storage, limits.tokenRecheckSeconds, options.logger);
    },
    /** Resolves once the requests being handled have finished (their writes committed or refused), their receipts sent. */
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      pushes.flush();
    },
    load(): RealtimeLoad {
      let bytes = 0;
      for (const socket of io.of('/').sockets.values()) bytes += queuedBytes(socket);
      return { connections: io.of('/').sockets.size, ...counters, queuedBytes: bytes };
    },
  };
}

type EffectiveLimits = Pick<RealtimeLimits, 'rateLimit' | 'userRateLimit'>;

const effectiveLimits = (defaults: RealtimeLimits, overrides: UserLimits): EffectiveLimits => ({
  rateLimit: overrides.rateLimit ?? defaults.rateLimit,
  userRateLimit: overrides.userRateLimit ?? defaults.userRateLimit,
});

/** One user's connections to this node: the token bucket they share, and each one's own. */
interface UserState {
  connections: number;
  /** The user's bucket, for all their connections together. */
  allow: () => boolean;
  /** A bucket for one more connection, following the user's limits until it closes. */
  connectionLimiter(socket: Socket): RateLimiter;
  setLimits(limits: EffectiveLimits): void;
}

function createUserState(initial: EffectiveLimits): UserState {
  let current = initial;
  const userBucket = createRateLimiter(current.userRateLimit);
  const connectionBuckets = new Set<RateLimiter>();
  return {
    connections: 0,
    allow: () => userBucket.allow(),
    connectionLimiter(socket) {
      const bucket = createRateLimiter(current.rateLimit);
      connectionBuckets.add(bucket);
      socket.once('disconnect', () => connectionBuckets.delete(bucket));
      return bucket;
    },
    setLimits(next) {
      current = next;
      userBucket.set(next.userRateLimit);
      for (const bucket of connectionBuckets) bucket.set(next.rateLimit);
    },
  };
}

function attachHandlers(
  io: Server,
  messaging: Messaging,
  options: GatewayOptions,
  users: Map<Address, UserState>,
  counters: Counters,
  inFlight: Set<Promise<unknown>>,
): void {
  const { storage, logger, limits } = options;
  /** Each token's connections, oldest first. */
  const tokens = new Map<string, Set<Socket>>();

  /** Counts a connection against its user and token until it closes (whichever way it goes). */
  const reserve = (socket: Socket, address: Address, tokenHash: string, overrides: UserLimits): UserState => {
    let user = users.get(address);
    if (!user) users.set(address, (user = createUserState(effectiveLimits(limits, overrides))));
    user.connections++;
    let sockets = tokens.get(tokenHash);
    if (!sockets) tokens.set(tokenHash, (sockets = new Set()));
    sockets.add(socket);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--user.connections === 0) users.delete(address);
      sockets.delete(socket);
      if (sockets.size === 0) tokens.delete(tokenHash);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    return user;
  };

  /**
   * Past maxConnectionsPerToken the token's oldest connection is closed: a device back after a network
   * cut replaces the connection the server still thinks open (it would linger until the ping timeout).
   */
  const makeRoomForToken = (tokenHash: string) => {
    const sockets = [...(tokens.get(tokenHash) ?? [])];
    for (const oldest of sockets.slice(0, sockets.length - limits.maxConnectionsPerToken + 1)) {
      logger.info({ address: (oldest.data as SocketData).device.address }, 'connection replaced by a newer one with its token');
      if (oldest.connected) {
        oldest.emit('protocol:error', { code: 'rate_limited', message: 'a newer connection with this access token replaced this one' });
        oldest.disconnect(true);
      } else {
        dropConnection(oldest);
      }
    }
  };

  // socket.io does not await middleware: every outcome below ends in next(), and a throw past that is logged.
  io.use((socket, next) => {
    checkHandshake(socket, next).catch((error: unknown) => logger.error({ err: error }, 'handshake failed'));
  });
  const checkHandshake = async (socket: Socket, next: (error?: Error) => void): Promise<void> => {
    const fail = (code: 'bad_request' | 'auth_failed' | 'rate_limited', message: string) => {
      const error = new Error(message) as Error & { data: { code: string; message: string } };
      error.data = { code, message };
      next(error);
    };
    const handshake = Handshake.safeParse(socket.handshake.auth);
    if (!handshake.success) return fail('bad_request', `handshake: ${describeIssues(handshake.error)}`);
    try {
      const token = await verifyAccessToken(storage, handshake.data.token);
      const tokenHash = hashSecret(handshake.data.token);
      // Read before the caps are checked: from the check to the reservation nothing may wait.
      const overrides = (await storage.getUserLimits(token.address)) ?? {};
      makeRoomForToken(tokenHash);
      const connected = users.get(token.address)?.connections ?? 0;
      if (connected >= limits.maxConnectionsPerUser) {
        return fail('rate_limited', `${token.address} has ${connected} connections open, the most allowed; close one and retry`);
      }
      const data = socket.data as SocketData;
      data.device = { address: token.address, deviceId: handshake.data.deviceId, socketId: socket.id };
      data.expiresAt = token.expiresAt;
      data.tokenHash = tokenHash;
      data.idle = handshake.data.idle === true;
      data.user = reserve(socket, token.address, tokenHash, overrides);
      await socket.join(userRoom(token.address));
      next();
    } catch (error) {
      if (error instanceof ParleyError) return fail('auth_failed', error.message);
      logger.error({ err: error }, 'handshake failed');
      next(new Error('the server could not check the token; try again'));
    }
  };

  io.on('connection', (socket: Socket) => {
    const { device, expiresAt, user, idle } = socket.data as SocketData;
    const connectionBucket = user.connectionLimiter(socket);
    if (options.presence) {
      const presence = options.presence;
      const failed = (error: unknown) => logger.error({ err: error, address: device.address }, 'presence failed');
      presence.connected(device.address, device.socketId, !idle).catch(failed);
      socket.once('disconnect', () => presence.disconnected(device.address, device.socketId).catch(failed));
    }
    logger.debug({ address: device.address, deviceId: device.deviceId }, 'device connected');

    // The token's expiry ends the connection then, not at the device's next request (issue 12, item 5).
    let expiry: NodeJS.Timeout | undefined;
    const armExpiry = () => {
      const left = expiresAt - Date.now();
      if (left > 0) {
        expiry = setTimeout(armExpiry, Math.min(left, MAX_TIMER_MS));
        return;
      }
      socket.emit('auth:revoked', { message: 'your access token has expired' });
      socket.disconnect(true);
    };
    armExpiry();
    socket.once('disconnect', () => clearTimeout(expiry));

    // A device that stops reading is dropped once its queue passes maxQueuedBytes: pushes to it would
    // otherwise pile up in memory. It reconnects and catches up like after any other cut.
    let unflushed = 0;
    let dropping = false;
    onOutbound(
      socket,
      (bytes) => {
        unflushed += bytes;
        if (dropping || unflushed + transportBytes(socket) <= limits.maxQueuedBytes) return;
        dropping = true;
        counters.slowConsumersDropped++;
        logger.warn({ address: device.address, deviceId: device.deviceId, queued: unflushed }, 'device does not read; dropped');
        setImmediate(() => dropConnection(socket));
      },
      () => (unflushed = 0),
    );

    // Retransmit answers are the big ones: one at a time per connection, each only once the one before
    // has left for the kernel, and at most maxRetransmitsInFlight waiting (issue 12, item 1).
    let retransmits: Promise<void> = Promise.resolve();
    let waiting = 0;

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
      if (!connectionBucket.allow()) return refuse(new ParleyError('rate_limited', 'too many requests; slow down and retry shortly'));
      if (!user.allow()) {
        return refuse(new ParleyError('rate_limited', 'too many requests from your devices together; slow down and retry shortly'));
      }
      const answer = () => {
        const handled = dispatch(name, args[0], device, messaging).then(
          (data) => ack?.({ ok: true, data }),
          (error: unknown) => {
            if (error instanceof ParleyError) return refuse(error);
            logger.error({ err: error, event: name, address: device.address }, 'handler failed');
            refuse(new ParleyError('internal', 'the server failed to handle this request'));
          },
        );
        // A draining node waits for these: a write begun before its device left still commits.
        inFlight.add(handled);
        return handled.finally(() => inFlight.delete(handled));
      };
      if (name !== 'retransmit') {
        answer().catch((error: unknown) => logger.error({ err: error, event: name }, 'answer failed'));
        return;
      }
      if (waiting >= limits.maxRetransmitsInFlight) {
        counters.retransmitsRefused++;
        return refuse(
          new ParleyError(
            'rate_limited',
            `${waiting} retransmits are waiting on this connection, the most allowed; read their answers, then retry`,
          ),
        );
      }
      waiting++;
      counters.retransmitsWaiting++;
      retransmits = retransmits
        .then(async () => {
          if (!(await whenDrained(socket))) return;
          await answer();
          counters.retransmitsAnswered++;
        })
        .catch((error: unknown) => logger.error({ err: error, event: name }, 'retransmit failed'))
        .finally(() => {
          waiting--;
          counters.retransmitsWaiting--;
        });
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
    await (signalHandlers[name] as (m: Messaging, d: DeviceContext, p: unknown) => Promise<void>)(messaging, device, parsed.data);
    return null;
  }
  throw new ParleyError('unknown_event', `unknown event "${String(name).slice(0, 64)}"`);
}
