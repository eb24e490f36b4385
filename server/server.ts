// Assembles a Parley server: storage, the backend API and the file routes on Fastify and the
// real-time API on socket.io sharing one HTTP port.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';
import { ParleyError } from '../protocol/index.js';
import { loadAppToken } from './auth/app-token.js';
import { backendApi } from './http/backend-api.js';
import { demoTokens, seedDemo } from './demo.js';
import { preparePrivateDataDir } from './data-dir.js';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_UPLOAD_EXPIRY_MS, DEFAULT_UPLOAD_LIMITS, fileRoutes, redactCapabilities } from './files/index.js';
import { createGateway, type RealtimeLoad } from './realtime/gateway.js';
import { sharedCircles } from './cluster/circles.js';
import { connectRedis, type ClusterRedis } from './cluster/redis.js';
import { createPresence } from './presence/presence.js';
import { createRedisRegistry } from './presence/redis-registry.js';
import { createMemoryRegistry } from './presence/registry.js';
import { DEFAULT_REALTIME_LIMITS, type RealtimeLimits } from './realtime/limits.js';
import type { RateLimit } from './realtime/rate-limit.js';
import { DEFAULT_MAX_RETRANSMIT_BYTES, createMessaging } from './services/messaging.js';
import { openPostgresStorage } from './storage/postgres/postgres-storage.js';
import { openSqliteStorage } from './storage/sqlite/sqlite-storage.js';
import type { Storage } from './storage/storage.js';
import { updateFeed } from './updates/feed.js';

export interface ServerOptions {
  port: number;
  host: string;
  /** The app token and files (and, without `database`, the SQLite database) live here. */
  dataDir: string;
  /** A postgres:// URL: storage on PostgreSQL, for several nodes; without it SQLite in the data dir. */
  database?: string | undefined;
  /** The operator's app token; without it one is created in the data dir on first start. */
  appToken?: string | undefined;
  /** pino's options; `file`: Fastify writes the log there instead of to stdout. */
  logger?: (LoggerOptions & { file?: string }) | false;
  /** Events per connection (default burst 200, 100/s); the same as limits.rateLimit. */
  rateLimit?: RateLimit;
  /** The real-time API's limits (README, Server, Limits); each defaults to DEFAULT_REALTIME_LIMITS'. */
  limits?: Partial<RealtimeLimits & { maxRetransmitBytes: number }>;
  /** Seeds demo users and history into a new store and issues tokens for them. */
  demo?: boolean;
  /** The largest file accepted for upload, in bytes (default 2 GiB). */
  maxFileSize?: number;
  /** How long an unfinished upload is kept (default a week). */
  uploadExpiryMs?: number;
  /** Uploads in progress per user (default 32). */
  maxUploadsInFlight?: number;
  /** The bytes those uploads declare, per user (default 8 GiB). */
  maxUploadBytesInFlight?: number;
  /** Bytes stored per user, unfinished uploads included; 0: no quota (default 20 GiB). */
  storageQuota?: number;
  /** Presence (default on); off only for bench:latency's baseline, the same reconnects without it. */
  presence?: boolean;
  /** The desktop app's update feeds, a folder per channel served at /updates/<channel>/ (default <dataDir>/updates). */
  updatesDir?: string;
  /** This node's name in logs and in Redis (default hostname-pid); unique among the nodes. */
  nodeId?: string;
  /** Several nodes: fan-out, presence and upload locks through this Redis (README: Several nodes). */
  redis?: { url: string; prefix?: string | undefined } | undefined;
  /** Where file bytes live (default <dataDir>/files); with several nodes a volume they all share. */
  filesDir?: string | undefined;
  /** How long a closing node waits for the requests in progress to finish (default 10 s). */
  drainTimeoutMs?: number;
}

/** The longest /readyz waits for the database and Redis to answer. */
const READY_TIMEOUT_MS = 2000;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Fastify's request fields for the log, with download links' capabilities redacted. */
function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactCapabilities(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort,
  };
}

export interface RunningServer {
  url: string;
  port: number;
  /** The app token created on this start, to be shown once; null when it already existed. */
  createdAppToken: string | null;
  /** With the demo option: a fresh access token per demo user. */
  demoTokens: Record<string, string> | null;
  storage: Storage;
  nodeId: string;
  /** What the real-time API holds at the moment on this node. */
  realtimeLoad(): RealtimeLoad;
  /**
   * The drain: stops accepting connections (/readyz answers 503), closes the devices' connections
   * (through a proxy they reconnect to another node), waits for the requests in progress to commit,
   * then closes the rest. Every acknowledged message is committed before its ack.
   */
  close(): Promise<void>;
}

/**
 * Bytes Node's HTTP parser cannot read as a request (a body without its length, a bad header, a
 * broken chunk) are answered in the server's own error shape, as Fastify answers them but with
 * {error: {code, message}}, then the connection is closed.
 */
function answerUnreadable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request took too long to arrive']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', `the request could not be read as HTTP (${error.code ?? 'parse error'})`];
  const body = JSON.stringify({ error: { code: 'bad_request', message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  preparePrivateDataDir(options.dataDir);
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}`;
  const appToken = loadAppToken(options.dataDir, options.appToken);
  const logger = options.logger ?? { level: 'info' };
  const app = Fastify({
    // Every line names the node it came from: several nodes log to one place.
    logger: logger && { ...logger, base: { node: nodeId, ...logger.base }, serializers: { ...logger.serializers, req: requestForLog } },
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    clientErrorHandler: answerUnreadable,
    // A path with a bad escape (%C0%AE, %E0%A4%A) never reaches a route or the error handler.
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply).code(400).send({ error: { code: 'bad_request', message: error.message } });
    },
  });

  const storage = options.database
    ? await openPostgresStorage(options.database, { log: (message, error) => app.log.error({ err: error }, message) })
    : openSqliteStorage(options.dataDir);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ParleyError) return reply.code(error.status).send({ error: error.toBody() });
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = status === 413 ? 'payload_too_large' : status >= 500 ? 'internal' : 'bad_request';
    const message = status >= 500 ? 'the server failed to handle this request' : error.message;
    return reply.code(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url}` } }),
  );

  let redis: ClusterRedis | null = null;
  try {
    redis = options.redis ? await connectRedis({ url: options.redis.url, prefix: options.redis.prefix ?? 'parley:' }, app.log) : null;
  } catch (error) {
    await storage.close();
    throw error;
  }
  const gateway = createGateway(app.server, redis?.adapter);
  const log = (message: string, error: unknown) => app.log.error({ err: error }, message);
  const { maxRetransmitBytes = DEFAULT_MAX_RETRANSMIT_BYTES, ...realtimeLimits } = options.limits ?? {};
  if (!(maxRetransmitBytes >= 1)) throw new Error(`the limit maxRetransmitBytes must be at least 1 (is ${maxRetransmitBytes})`);
  const registry = redis && options.presence !== false ? createRedisRegistry({ redis, nodeId, log }) : null;
  try {
    await registry?.start();
  } catch (error) {
    await Promise.allSettled([storage.close(), redis?.close()]);
    throw error;
  }
  const presence =
    options.presence === false
      ? null
      : createPresence({
          registry: registry ?? createMemoryRegistry(),
          storage,
          push: (to, list) => gateway.fanout.emit([to], 'presence', { presence: list }),
          log,
        });
  const messaging = createMessaging(storage, gateway.fanout, Date.now, {
    maxRetransmitBytes,
    presence: presence && redis ? sharedCircles(presence, gateway.io, app.log) : presence,
  });
  gateway.attach(messaging, {
    storage,
    presence,
    logger: app.log,
    limits: { ...DEFAULT_REALTIME_LIMITS, ...(options.rateLimit && { rateLimit: options.rateLimit }), ...realtimeLimits },
  });
  const tokens = options.demo ? (await seedDemo(storage, messaging), await demoTokens(storage)) : null;
  await app.register(backendApi, { prefix: '/api/v1', storage, messaging, appToken });
  await app.register(fileRoutes, {
    storage,
    dataDir: options.dataDir,
    filesDir: options.filesDir,
    redis,
    maxFileSize: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    uploadExpiryMs: options.uploadExpiryMs ?? DEFAULT_UPLOAD_EXPIRY_MS,
    limits: {
      maxUploadsInFlight: options.maxUploadsInFlight ?? DEFAULT_UPLOAD_LIMITS.maxUploadsInFlight,
      maxUploadBytesInFlight: options.maxUploadBytesInFlight ?? DEFAULT_UPLOAD_LIMITS.maxUploadBytesInFlight,
      storageQuota: options.storageQuota ?? DEFAULT_UPLOAD_LIMITS.storageQuota,
    },
  });
  await app.register(updateFeed, { dir: options.updatesDir ?? join(options.dataDir, 'updates') });
  let draining = false;
  // Liveness: the process answers. /health is the older name.
  for (const path of ['/health', '/healthz']) app.get(path, async () => ({ ok: true, node: nodeId }));
  // Readiness: the database and Redis answer and the node is not draining; a proxy sends devices elsewhere otherwise.
  app.get('/readyz', async (_request, reply) => {
    const labelled = (what: string, check: Promise<void>) =>
      within(check, READY_TIMEOUT_MS, what).catch((error: Error) => Promise.reject(new Error(`${what}: ${error.message}`)));
    const checks = await Promise.allSettled([
      labelled('the database', storage.ping()),
      ...(redis ? [labelled('redis', redis.ping())] : []),
    ]);
    const problems = checks.flatMap((check) => (check.status === 'rejected' ? [(check.reason as Error).message] : []));
    if (draining) problems.unshift('the node is draining');
    if (problems.length === 0) return { ok: true, node: nodeId };
    return reply.code(503).send({ ok: false, node: nodeId, error: { code: 'unavailable', message: problems.join('; ') } });
  });

  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    createdAppToken: appToken.created,
    demoTokens: tokens,
    storage,
    nodeId,
    realtimeLoad: () => gateway.load(),
    close() {
      // Devices first, with the listening socket, so no new request starts here (through a proxy they
      // reconnect to another node); then the requests they had begun finish, so what a device sent just
      // before is committed (its ack is lost, its resend finds it). Then every HTTP connection, file
      // transfers too: they resume, and waiting for them would hold a shutdown as long as the slowest
      // transfer (or a client that went quiet mid-upload).
      closing ??= (async () => {
        draining = true;
        app.log.info('draining: closing device connections');
        const devices = gateway.io.close();
        await within(gateway.settled(), options.drainTimeoutMs ?? 10_000, 'the requests in progress').catch((error: unknown) =>
          app.log.warn({ err: error }, 'closing with requests still in progress'),
        );
        await app.close();
        await devices;
        // After the devices: each one's leaving is a last-seen time to keep.
        await presence?.close();
        await storage.close();
        await redis?.close();
        app.log.info('closed');
      })();
      return closing;
    },
  };
}
