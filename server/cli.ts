// `npm run server -- --port 7300 --host 127.0.0.1 --data-dir ./data`; flags win over
// PARLEY_PORT, PARLEY_HOST, PARLEY_DATA_DIR, PARLEY_MAX_FILE_SIZE and PARLEY_APP_TOKEN (and the
// upload limits' PARLEY_MAX_UPLOADS_IN_FLIGHT, PARLEY_MAX_UPLOAD_BYTES_IN_FLIGHT, PARLEY_STORAGE_QUOTA).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_UPLOAD_LIMITS } from './files/index.js';
import { startServer } from './server.js';

const usage = `Usage: npm run server -- [options]

  --port <n>           port to listen on (PARLEY_PORT, default 7300)
  --host <addr>        address to bind (PARLEY_HOST, default 127.0.0.1)
  --data-dir <dir>     where the database, app token and files live (PARLEY_DATA_DIR, default ./data)
  --max-file-size <n>  the largest upload in bytes (PARLEY_MAX_FILE_SIZE, default ${DEFAULT_MAX_FILE_SIZE}: 2 GiB)
  --max-uploads-in-flight <n>
                       uploads in progress per user (PARLEY_MAX_UPLOADS_IN_FLIGHT, default ${DEFAULT_UPLOAD_LIMITS.maxUploadsInFlight})
  --max-upload-bytes-in-flight <n>
                       bytes those uploads declare, per user (PARLEY_MAX_UPLOAD_BYTES_IN_FLIGHT,
                       default ${DEFAULT_UPLOAD_LIMITS.maxUploadBytesInFlight}: 8 GiB)
  --storage-quota <n>  bytes of files per user, unfinished uploads included; 0: none (PARLEY_STORAGE_QUOTA,
                       default ${DEFAULT_UPLOAD_LIMITS.storageQuota}: 20 GiB)
  --log-level <lvl>    pino level: fatal, error, warn, info, debug (PARLEY_LOG_LEVEL, default info)
  -h, --help           show this help

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
        'log-level': { type: 'string' },
        'max-file-size': { type: 'string' },
        'max-uploads-in-flight': { type: 'string' },
        'max-upload-bytes-in-flight': { type: 'string' },
        'storage-quota': { type: 'string' },
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
/** A whole number from the flag, else the variable, else the default; at least `min`. */
function count(flag: string, variable: string, fallback: number, min: number, what: string): number {
  const value = Number(values[flag as keyof typeof values] ?? (env[variable] || fallback));
  if (!Number.isSafeInteger(value) || value < min) fail(`--${flag} must be a whole number ${what}, at least ${min}`);
  return value;
}
const uploadLimits = {
  maxUploadsInFlight: count('max-uploads-in-flight', 'PARLEY_MAX_UPLOADS_IN_FLIGHT', DEFAULT_UPLOAD_LIMITS.maxUploadsInFlight, 1, 'of uploads'),
  maxUploadBytesInFlight: count(
    'max-upload-bytes-in-flight',
    'PARLEY_MAX_UPLOAD_BYTES_IN_FLIGHT',
    DEFAULT_UPLOAD_LIMITS.maxUploadBytesInFlight,
    1,
    'of bytes',
  ),
  storageQuota: count('storage-quota', 'PARLEY_STORAGE_QUOTA', DEFAULT_UPLOAD_LIMITS.storageQuota, 0, 'of bytes'),
};

const server = await startServer({
  port,
  host: values.host ?? env.PARLEY_HOST ?? '127.0.0.1',
  dataDir: resolve(values['data-dir'] ?? env.PARLEY_DATA_DIR ?? './data'),
  appToken: env.PARLEY_APP_TOKEN || undefined,
  logger: { level },
  maxFileSize,
  ...uploadLimits,
}).catch((error: Error) => fail(`the server could not start: ${error.message}`));

if (server.createdAppToken) {
  process.stdout.write(
    `\nA new app token was created for the backend API. It is shown only this once; keep it secret:\n\n  ${server.createdAppToken}\n\n`,
  );
}
process.stdout.write(`Parley server listening on ${server.url}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`${signal}: closing connections and the database\n`);
    server.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`shutdown failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  });
}
