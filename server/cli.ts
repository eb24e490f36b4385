// `npm run server -- --port 7300 --host 127.0.0.1 --data-dir ./data`; flags win over
// PARLEY_PORT, PARLEY_HOST, PARLEY_DATA_DIR, PARLEY_DATABASE_URL, PARLEY_MAX_FILE_SIZE, PARLEY_UPDATES_DIR, PARLEY_REDIS_URL,
// PARLEY_REDIS_PREFIX, PARLEY_NODE_ID, PARLEY_FILES_DIR, PARLEY_APP_TOKEN and the limits' PARLEY_… variables.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_UPLOAD_LIMITS as U } from './files/index.js';
import { DEFAULT_REALTIME_LIMITS as L } from './realtime/limits.js';
import { drainOnSignals } from './drain.js';
import { startServer } from './server.js';
import { DEFAULT_MAX_RETRANSMIT_BYTES } from './services/messaging.js';

/** The server's limits: flag, environment variable, default, the least it may be, what it is. */
const limitFlags = {
  'rate-burst': ['PARLEY_RATE_BURST', L.rateLimit.burst, 1, 'events a connection may send at once'],
  'rate-per-second': ['PARLEY_RATE_PER_SECOND', L.rateLimit.perSecond, 1, 'events per second a connection may keep sending'],
  'user-rate-burst': ['PARLEY_USER_RATE_BURST', L.userRateLimit.burst, 1, "events a user's connections may send at once, together"],
  'user-rate-per-second': ['PARLEY_USER_RATE_PER_SECOND', L.userRateLimit.perSecond, 1, "events per second a user's connections may keep sending"],
  'max-connections-per-token': ['PARLEY_MAX_CONNECTIONS_PER_TOKEN', L.maxConnectionsPerToken, 1, 'connections open with one access token'],
  'max-connections-per-user': ['PARLEY_MAX_CONNECTIONS_PER_USER', L.maxConnectionsPerUser, 1, 'connections open by one user'],
  'max-retransmit-bytes': ['PARLEY_MAX_RETRANSMIT_BYTES', DEFAULT_MAX_RETRANSMIT_BYTES, 1, 'bytes of events in one retransmit answer'],
  'max-retransmits-in-flight': ['PARLEY_MAX_RETRANSMITS_IN_FLIGHT', L.maxRetransmitsInFlight, 1, 'retransmits waiting per connection'],
  'max-queued-bytes': ['PARLEY_MAX_QUEUED_BYTES', L.maxQueuedBytes, 1, 'bytes queued for a connection that does not read'],
  'token-recheck-seconds': ['PARLEY_TOKEN_RECHECK_SECONDS', L.tokenRecheckSeconds, 1, "how often a node re-checks its devices' tokens (several nodes)"],
  'max-uploads-in-flight': ['PARLEY_MAX_UPLOADS_IN_FLIGHT', U.maxUploadsInFlight, 1, 'uploads in progress per user'],
  'max-upload-bytes-in-flight': ['PARLEY_MAX_UPLOAD_BYTES_IN_FLIGHT', U.maxUploadBytesInFlight, 1, 'bytes those uploads declare, per user'],
  'storage-quota': ['PARLEY_STORAGE_QUOTA', U.storageQuota, 0, 'bytes of files per user, unfinished uploads included; 0: none'],
} as const;
type LimitFlag = keyof typeof limitFlags;
const limitUsage = Object.entries(limitFlags)
  .map(([flag, [env, value, , what]]) => `  --${flag} <n>`.padEnd(34) + `${what} (${env}, default ${value})`)
  .join('\n');

const usage = `Usage: npm run server -- [options]

  --port <n>           port to listen on (PARLEY_PORT, default 7300)
  --host <addr>        address to bind (PARLEY_HOST, default 127.0.0.1)
  --data-dir <dir>     where the database, app token and files live (PARLEY_DATA_DIR, default ./data)
  --database <url>     postgres://user@host:5432/db: storage on PostgreSQL, for several nodes
                       (PARLEY_DATABASE_URL; default SQLite in the data dir)
  --max-file-size <n>  the largest upload in bytes (PARLEY_MAX_FILE_SIZE, default ${DEFAULT_MAX_FILE_SIZE}: 2 GiB)
  --updates-dir <dir>  the desktop app's update feeds, a folder per channel, served at /updates/<channel>/
                       (PARLEY_UPDATES_DIR, default <data-dir>/updates; README: Updates)
  --log-level <lvl>    pino level: fatal, error, warn, info, debug (PARLEY_LOG_LEVEL, default info)

Several nodes (README: Several nodes):
  --redis <url>        redis://host:port[/db]: fan-out, presence and upload locks shared by the nodes
                       (PARLEY_REDIS_URL; default none: one node)
  --redis-prefix <p>   the start of every Redis key and channel of this deployment (PARLEY_REDIS_PREFIX, default parley:)
  --node-id <id>       this node's name in logs and in Redis, unique among the nodes (PARLEY_NODE_ID, default hostname-pid)
  --files-dir <dir>    where file bytes live, a volume every node shares (PARLEY_FILES_DIR, default <data-dir>/files)
  -h, --help           show this help

Limits, per node (README: Server, Limits):
${limitUsage}

PARLEY_APP_TOKEN, when set, is the backend API's app token; otherwise one is created on first start.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        database: { type: 'string' },
        'log-level': { type: 'string' },
        'max-file-size': { type: 'string' },
        'updates-dir': { type: 'string' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        'node-id': { type: 'string' },
        'files-dir': { type: 'string' },
        ...Object.fromEntries(Object.keys(limitFlags).map((flag) => [flag, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const env = process.env;
const port = Number(values.port ?? env.PARLEY_PORT ?? 7300);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535`);
const level = values['log-level'] ?? env.PARLEY_LOG_LEVEL ?? 'info';
if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(level)) fail(`unknown log level ${level}`);
const maxFileSize = Number(values['max-file-size'] ?? (env.PARLEY_MAX_FILE_SIZE || DEFAULT_MAX_FILE_SIZE));
if (!Number.isSafeInteger(maxFileSize) || maxFileSize < 1) fail('--max-file-size must be a whole number of bytes, at least 1');
const limit = (flag: LimitFlag): number => {
  const [name, fallback, least] = limitFlags[flag];
  const raw = (values as Record<string, string | boolean | undefined>)[flag] ?? (env[name] || undefined);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < least) fail(`--${flag} must be a whole number, at least ${least}`);
  return value;
};

const database = values.database ?? (env.PARLEY_DATABASE_URL || undefined);
if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) fail('--database must be a postgres:// or postgresql:// URL');
const dataDir = resolve(values['data-dir'] ?? env.PARLEY_DATA_DIR ?? './data');
const updatesDir = values['updates-dir'] ?? (env.PARLEY_UPDATES_DIR || undefined);
const redisUrl = values.redis ?? (env.PARLEY_REDIS_URL || undefined);
if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) fail('--redis must be a redis:// or rediss:// URL');
const redisPrefix = values['redis-prefix'] ?? (env.PARLEY_REDIS_PREFIX || undefined);
if (redisPrefix !== undefined && !/^[\w.:-]{1,64}$/.test(redisPrefix)) fail('--redis-prefix must be 1-64 letters, digits, _ . : -');
const nodeId = values['node-id'] ?? (env.PARLEY_NODE_ID || undefined);
if (nodeId !== undefined && !/^[\w.-]{1,64}$/.test(nodeId)) fail('--node-id must be 1-64 letters, digits, _ . -');
const filesDir = values['files-dir'] ?? (env.PARLEY_FILES_DIR || undefined);
const server = await startServer({
  port,
  host: values.host ?? env.PARLEY_HOST ?? '127.0.0.1',
  dataDir,
  database,
  ...(updatesDir && { updatesDir: resolve(updatesDir) }),
  ...(redisUrl && { redis: { url: redisUrl, prefix: redisPrefix } }),
  ...(nodeId && { nodeId }),
  ...(filesDir && { filesDir: resolve(filesDir) }),
  appToken: env.PARLEY_APP_TOKEN || undefined,
  logger: { level },
  maxFileSize,
  limits: {
    rateLimit: { burst: limit('rate-burst'), perSecond: limit('rate-per-second') },
    userRateLimit: { burst: limit('user-rate-burst'), perSecond: limit('user-rate-per-second') },
    maxConnectionsPerToken: limit('max-connections-per-token'),
    maxConnectionsPerUser: limit('max-connections-per-user'),
    maxRetransmitBytes: limit('max-retransmit-bytes'),
    maxRetransmitsInFlight: limit('max-retransmits-in-flight'),
    maxQueuedBytes: limit('max-queued-bytes'),
    tokenRecheckSeconds: limit('token-recheck-seconds'),
  },
  maxUploadsInFlight: limit('max-uploads-in-flight'),
  maxUploadBytesInFlight: limit('max-upload-bytes-in-flight'),
  storageQuota: limit('storage-quota'),
}).catch((error: Error) => fail(`the server could not start: ${error.message}`));

if (server.createdAppToken) {
  process.stdout.write(
    `\nA new app token was created for the backend API. It is shown only this once; keep it secret:\n\n  ${server.createdAppToken}\n\n`,
  );
}
process.stdout.write(`Parley server listening on ${server.url}\n`);

drainOnSignals(server);
