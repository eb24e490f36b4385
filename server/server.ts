// Assembles a Parley server: storage, the backend API and the file routes on Fastify and the
// real-time API on socket.io sharing one HTTP port.
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
import { createPresence } from './presence/presence.js';
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
  logger?: LoggerOptions | false;
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
  /** What the real-time API holds at the moment on this node. */
  realtimeLoad(): RealtimeLoad;
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
  const appToken = loadAppToken(options.dataDir, options.appToken);
  const logger = options.logger ?? { level: 'info' };
  const app = Fastify({
    logger: logger && { ...logger, serializers: { ...logger.serializers, req: requestForLog } },
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

  const gateway = createGateway(app.server);
  const { maxRetransmitBytes = DEFAULT_MAX_RETRANSMIT_BYTES, ...realtimeLimits } = options.limits ?? {};
  if (!(maxRetransmitBytes >= 1)) throw new Error(`the limit maxRetransmitBytes must be at least 1 (is ${maxRetransmitBytes})`);
  const presence =
    options.presence === false
      ? null
      : createPresence({
          registry: createMemoryRegistry(),
          storage,
          push: (to, list) => gateway.fanout.emit([to], 'presence', { presence: list }),
          log: (message, error) => app.log.error({ err: error }, message),
        });
  const messaging = createMessaging(storage, gateway.fanout, Date.now, { maxRetransmitBytes, presence });
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
    maxFileSize: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    uploadExpiryMs: options.uploadExpiryMs ?? DEFAULT_UPLOAD_EXPIRY_MS,
    limits: {
      maxUploadsInFlight: options.maxUploadsInFlight ?? DEFAULT_UPLOAD_LIMITS.maxUploadsInFlight,
      maxUploadBytesInFlight: options.maxUploadBytesInFlight ?? DEFAULT_UPLOAD_LIMITS.maxUploadBytesInFlight,
      storageQuota: options.storageQuota ?? DEFAULT_UPLOAD_LIMITS.storageQuota,
    },
  });
  await app.register(updateFeed, { dir: options.updatesDir ?? join(options.dataDir, 'updates') });
  app.get('/health', async () => ({ ok: true }));

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
    realtimeLoad: () => gateway.load(),
    close() {
      // Devices first, so no new request starts; every acknowledged message is already committed.
      // Then every HTTP connection, file transfers too: they resume, and waiting for them would hold
      // a shutdown as long as the slowest transfer (or a client that went quiet mid-upload).
      closing ??= (async () => {
        const devices = gateway.io.close();
        await app.close();
        await devices;
        // After the devices: each one's leaving is a last-seen time to keep.
        await presence?.close();
        await storage.close();
      })();
      return closing;
    },
  };
}
