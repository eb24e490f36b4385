// Resumable uploads (tus 1.0.0: creation, termination) at /files/tus, the engine's default. Fastify
// checks the token and the upload's owner; @tus/server then speaks the protocol on the raw request
// and response. A finished upload is downloadable at /files/<same id>.
import { createHash, type Hash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FileStore as TusFileStore } from '@tus/file-store';
import { ERRORS, EVENTS, Server } from '@tus/server';
import { ParleyError } from '../../protocol/index.js';
import type { Storage } from '../storage/storage.js';
import { authenticate, callerOf } from './caller.js';
import type { FileStore } from './file-store.js';
import { FILE_ID, fileUrl, newFileId } from './file-url.js';
import { fileTooLarge } from './limits.js';
import { storedName, storedType } from './metadata.js';
import { hashThrough, sha256Of } from './sha256.js';

export interface TusUploadOptions {
  storage: Storage;
  files: FileStore;
  /** The directory `files` reads from: tus writes each upload there under its id. */
  directory: string;
  maxFileSize: number;
  /** An upload not finished this long after it began is abandoned: its bytes and record go. */
  uploadExpiryMs: number;
}

/**
 * @tus/file-store, hashing each PATCH body as it is written so the finished upload's sha256 needs
 * no second read. The running hash lives in memory: after a restart it is recomputed from disk.
 */
class HashingFileStore extends TusFileStore {
  private readonly running = new Map<string, { hash: Hash; offset: number }>();

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

export const tusUpload: FastifyPluginAsync<TusUploadOptions> = async (app, { storage, files, directory, maxFileSize, uploadExpiryMs }) => {
  const datastore = new HashingFileStore({ directory });
  const tus = new Server({
    path: '/files/tus',
    datastore,
    maxSize: maxFileSize,
    namingFunction: newFileId,
    allowedOrigins: [],
    // Termination cancels an upload in progress; a finished file may already be shared.
    disableTerminationForFinishedUploads: true,
    async onUploadCreate(req, upload) {
      await storage.createFile({
        id: upload.id,
        owner: callerOf(req.runtime?.node?.req),
        name: storedName(upload.metadata?.filename),
        size: upload.size ?? 0,
        mime: storedType(upload.metadata?.filetype),
        sha256: null,
        createdAt: Date.now(),
        complete: false,
      });
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
      return undefined;
    },
  });
  // Abandoned uploads would hold disk forever: swept as often as they can expire, at least hourly.
  const sweep = setInterval(() => {
    sweepAbandoned().catch((error: unknown) => app.log.error({ err: error }, 'could not sweep abandoned uploads'));
  }, Math.min(uploadExpiryMs, 3600_000));
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  async function sweepAbandoned() {
    try {
      for (const id of await storage.staleUploads(Date.now() - uploadExpiryMs)) {
        await datastore.remove(id).catch(() => {}); // already gone from disk: the record still goes
        await storage.deleteFile(id);
      }
    } catch (error) {
      app.log.error({ err: error }, 'could not sweep abandoned uploads');
    }
  }

  tus.on(EVENTS.POST_TERMINATE, (_req, _res, id) => {
    storage.deleteFile(id).catch((error: unknown) => app.log.error({ err: error, id }, 'could not delete a terminated upload'));
  });

  // tus reads the body itself, whatever its type.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  // OPTIONS is tus's discovery (version, extensions, max size): nothing private, and preflights carry no token.
  const auth = authenticate(storage);
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'OPTIONS') await auth(request);
  });

  const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await tus.handle(request.raw, reply.raw).catch((error: unknown) => {
      request.log.error({ err: error }, 'tus failed');
      reply.raw.destroy();
    });
  };

  app.route({ method: ['POST', 'OPTIONS'], url: '/files/tus', handler: handOver });
  app.route({
    method: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/files/tus/:id',
    async preHandler(request) {
      if (request.method === 'OPTIONS') return;
      const { id } = request.params as { id: string };
      const record = FILE_ID.test(id) ? await storage.getFile(id) : null;
      if (!record) throw new ParleyError('not_found', `there is no upload ${id.slice(0, 64)}`);
      if (record.owner !== callerOf(request.raw)) throw new ParleyError('forbidden', 'this upload belongs to another user');
    },
    handler: handOver,
  });
};
