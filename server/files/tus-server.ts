// The tus server behind /files/tus (tus-upload.ts): @tus/server on a @tus/file-store that hashes as
// it writes. A module of its own, loaded with the first request that needs it rather than at start:
// tus is ~8 MB of the built server's idle RSS, for uploads only.
import { createHash, type Hash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { FileConfigstore, FileStore as TusFileStore } from '@tus/file-store';
import { ERRORS, EVENTS, Server } from '@tus/server';
import { ParleyError } from '../../protocol/index.js';
import type { ClusterRedis } from '../cluster/redis.js';
import type { Storage } from '../storage/storage.js';
import { callerOf } from './caller.js';
import type { FileStore } from './file-store.js';
import { TUS_PATH, fileUrl, newFileId, tusUploadId } from './file-url.js';
import { fileTooLarge } from './limits.js';
import { storedName, storedType } from './metadata.js';
import type { UploadQuota } from './quota.js';
import { createRedisLocker, type RedisLocker } from './redis-locker.js';
import { hashThrough, sha256Of } from './sha256.js';

export interface TusServerOptions {
  storage: Storage;
  files: FileStore;
  /** The directory `files` reads from: tus writes each upload there under its id. */
  directory: string;
  maxFileSize: number;
  quota: UploadQuota;
  /** With several nodes: uploads are locked in Redis, so any node resumes one and no two write it. */
  redis: ClusterRedis | null;
}

type TusUploadInfo = Parameters<TusFileStore['create']>[0];

/** tus's <id>.json info files, readable by the server's user only (they hold the uploader's file name). */
class PrivateConfigstore extends FileConfigstore {
  override async set(key: string, value: TusUploadInfo): Promise<void> {
    await writeFile(join(this.directory, `${key}.json`), JSON.stringify(value), { mode: 0o600 });
  }
}

/**
 * @tus/file-store, hashing each PATCH body as it is written so the finished upload's sha256 needs
 * no second read. The running hash lives in memory: after a restart it is recomputed from disk.
 */
class HashingFileStore extends TusFileStore {
  private readonly running = new Map<string, { hash: Hash; offset: number }>();

  constructor(directory: string) {
    super({ directory, configstore: new PrivateConfigstore(directory) });
    // Every upload declares its length at creation, so the limits can count it before a byte arrives.
    this.extensions = this.extensions.filter((extension) => extension !== 'creation-defer-length');
  }

  /** As @tus/file-store's, with the file created 0600 (ids are ours: checked before they get here). */
  override async create(upload: TusUploadInfo): Promise<TusUploadInfo> {
    const path = join(this.directory, upload.id);
    await writeFile(path, '', { mode: 0o600, flag: 'wx' });
    await this.configstore.set(upload.id, upload);
    upload.storage = { type: 'file', path };
    return upload;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    if (offset === 0) this.running.set(id, { hash: createHash('sha256'), offset: 0 });
    const state = this.running.get(id);
    if (!state || state.offset !== offset) {
      this.running.delete(id);
      return super.write(readable, id, offset);
    }
    try {
      // A failure reaches super.write through the pass-through, which pipeline destroys with it.
      state.offset = await super.write(pipeline(readable, hashThrough(state.hash), () => {}), id, offset);
      return state.offset;
    } catch (error) {
      // Bytes may have been hashed and not written: the digest can no longer be trusted.
      this.running.delete(id);
      throw error;
    }
  }

  override async remove(id: string): Promise<void> {
    this.running.delete(id);
    await super.remove(id);
  }

  /** The digest when every byte of the upload passed through this process, else null. */
  takeDigest(id: string, size: number): string | null {
    const state = this.running.get(id);
    this.running.delete(id);
    return state?.offset === size ? state.hash.digest('hex') : null;
  }
}

export interface TusServer {
  tus: Server;
  datastore: HashingFileStore;
  close(): Promise<void>;
}

export function createTusServer(options: TusServerOptions, log: FastifyBaseLogger): TusServer {
  const { storage, files, directory, maxFileSize, quota, redis } = options;
  const datastore = new HashingFileStore(directory);
  // Made with the first upload; made again by the next one if Redis could not be reached then.
  let locker: Promise<RedisLocker> | null = null;
  const sharedLocker = (redis: ClusterRedis) => {
    const made = (locker ??= createRedisLocker(redis, (message, error) => log.error({ err: error }, message)));
    made.catch(() => locker === made && (locker = null));
    return made;
  };
  const tus = new Server({
    ...(redis && { locker: () => sharedLocker(redis) }),
    path: TUS_PATH,
    datastore,
    // The same function as the route's owner check, on the same raw request target.
    getFileIdFromRequest: (req) => tusUploadId(req.runtime?.node?.req.url) ?? undefined,
    maxSize: maxFileSize,
    namingFunction: newFileId,
    allowedOrigins: [],
    // Termination cancels an upload in progress; a finished file may already be shared.
    disableTerminationForFinishedUploads: true,
    async onUploadCreate(req, upload) {
      const owner = callerOf(req.runtime?.node?.req);
      const size = upload.size ?? 0; // always declared: creation-defer-length is not offered
      await quota.admit(owner, size, () =>
        storage.createFile({
          id: upload.id,
          owner,
          name: storedName(upload.metadata?.filename),
          size,
          mime: storedType(upload.metadata?.filetype),
          sha256: null,
          createdAt: Date.now(),
          complete: false,
        }),
      );
      return {};
    },
    async onUploadFinish(req, upload) {
      const sha256 = datastore.takeDigest(upload.id, upload.offset) ?? (await sha256Of(await files.openRead(upload.id)));
      await storage.completeFile(upload.id, upload.offset, sha256);
      return { headers: { 'Parley-File-Url': fileUrl(new URL(req.url).origin, upload.id) } };
    },
    onResponseError(_req, error) {
      // Checked before any body is read; tus's own text does not say what the limit is.
      if (error === ERRORS.ERR_MAX_SIZE_EXCEEDED) return { status_code: 413, body: `${fileTooLarge(maxFileSize).message}\n` };
      // The upload limits, refused in onUploadCreate before anything is stored.
      if (error instanceof ParleyError) return { status_code: error.status, body: `${error.message}\n` };
      return undefined;
    },
  });
  tus.on(EVENTS.POST_TERMINATE, (_req, _res, id) => {
    storage.deleteFile(id).catch((error: unknown) => log.error({ err: error, id }, 'could not delete a terminated upload'));
  });
  return {
    tus,
    datastore,
    async close() {
      await (await locker?.catch(() => null))?.close();
    },
  };
}
