// File transfers: tus resumable uploads, the seed's upload URL protocol and downloads, with the
// bytes in a FileStore under <dataDir>/files and the records in Storage.
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { ClusterRedis } from '../cluster/redis.js';
import type { Storage } from '../storage/storage.js';
import { loadCapabilities } from './capability.js';
import { download } from './download.js';
import { localFileStore } from './file-store.js';
import type { UploadLimits } from './limits.js';
import { createUploadQuota } from './quota.js';
import { createRedisAdmissions } from './redis-admissions.js';
import { tusUpload } from './tus-upload.js';
import { uploadUrl } from './upload-url.js';

export { DEFAULT_MAX_FILE_SIZE, DEFAULT_UPLOAD_EXPIRY_MS, DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './limits.js';
export { redactCapabilities } from './capability.js';

export interface FileRoutesOptions {
  storage: Storage;
  dataDir: string;
  /** Where file bytes live (default <dataDir>/files): a volume all nodes share when there are several. */
  filesDir?: string | undefined;
  /** With several nodes: tus upload locks and the per-user upload admissions in Redis. */
  redis?: ClusterRedis | null;
  maxFileSize: number;
  uploadExpiryMs: number;
  limits: UploadLimits;
}

export const fileRoutes: FastifyPluginAsync<FileRoutesOptions> = async (app, options) => {
  const { storage, dataDir, filesDir, maxFileSize, uploadExpiryMs, limits } = options;
  const directory = filesDir ?? join(dataDir, 'files');
  const files = await localFileStore(directory);
  const admissions = options.redis ? createRedisAdmissions(options.redis, (message, error) => app.log.warn({ err: error }, message)) : undefined;
  if (admissions) app.addHook('onClose', async () => admissions.close());
  const quota = createUploadQuota(storage, limits, admissions);
  await app.register(tusUpload, { storage, files, directory, maxFileSize, uploadExpiryMs, quota, redis: options.redis ?? null });
  await app.register(uploadUrl, { prefix: '/api/v1', storage, files, maxFileSize, quota });
  // A shared files dir holds the link key too: a link made on one node opens on every other.
  const capabilities = filesDir ? loadCapabilities(filesDir, '.capability-key.json') : loadCapabilities(dataDir);
  await app.register(download, { storage, files, capabilities });
};
