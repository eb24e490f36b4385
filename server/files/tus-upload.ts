// Resumable uploads (tus 1.0.0: creation, termination) at /files/tus, the engine's default. Fastify
// checks the token and the upload's owner; @tus/server then speaks the protocol on the raw request
// and response. A finished upload is downloadable at /files/<same id>.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError } from '../../protocol/index.js';
import { authenticate, callerOf } from './caller.js';
import { TUS_PATH, tusUploadId } from './file-url.js';
import type { TusServer, TusServerOptions } from './tus-server.js';

export interface TusUploadOptions extends TusServerOptions {
  /** An upload not finished this long after it began is abandoned: its bytes and record go. */
  uploadExpiryMs: number;
}

export const tusUpload: FastifyPluginAsync<TusUploadOptions> = async (app, options) => {
  const { storage, uploadExpiryMs } = options;
  // Loaded with the first upload request (or abandoned upload to sweep), not at start: see tus-server.ts.
  let loaded: Promise<TusServer> | null = null;
  const tusServer = () => (loaded ??= import('./tus-server.js').then(({ createTusServer }) => createTusServer(options, app.log)));
  // Abandoned uploads would hold disk forever: swept as often as they can expire, at least hourly.
  const sweep = setInterval(() => {
    sweepAbandoned().catch((error: unknown) => app.log.error({ err: error }, 'could not sweep abandoned uploads'));
  }, Math.min(uploadExpiryMs, 3600_000));
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await (await loaded?.catch(() => null))?.close();
  });
  async function sweepAbandoned() {
    try {
      const stale = await storage.staleUploads(Date.now() - uploadExpiryMs);
      if (stale.length === 0) return;
      const { datastore } = await tusServer();
      for (const id of stale) {
        await datastore.remove(id).catch(() => {}); // already gone from disk: the record still goes
        await storage.deleteFile(id);
      }
    } catch (error) {
      app.log.error({ err: error }, 'could not sweep abandoned uploads');
    }
  }

  // tus reads the body itself, whatever its type.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  // OPTIONS is tus's discovery (version, extensions, max size): nothing private, and preflights carry no token.
  const auth = authenticate(storage);
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    await auth(request);
    // Extensions not offered: a clear 400 here rather than tus's 501 (which reads as a server fault).
    if (request.headers['upload-concat'] !== undefined || request.headers['upload-defer-length'] !== undefined) {
      throw new ParleyError('bad_request', 'each upload is sent whole with its length declared: Upload-Concat and Upload-Defer-Length are not supported');
    }
  });

  const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
    const { tus } = await tusServer();
    reply.hijack();
    await tus.handle(request.raw, reply.raw).catch((error: unknown) => {
      request.log.error({ err: error }, 'tus failed');
      reply.raw.destroy();
    });
  };

  app.route({ method: ['POST', 'OPTIONS'], url: TUS_PATH, handler: handOver });
  app.route({
    method: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
    url: `${TUS_PATH}/:id`,
    async preHandler(request) {
      if (request.method === 'OPTIONS') return;
      // Not the route's :id (the router has dropped the query by then): what tus will act on.
      const id = tusUploadId(request.raw.url);
      if (!id) {
        throw new ParleyError('bad_request', `an upload's URL is ${TUS_PATH}/<id> as the server gave it, with no query or further path`);
      }
      const record = await storage.getFile(id);
      if (!record) throw new ParleyError('not_found', `there is no upload ${id}`);
      if (record.owner !== callerOf(request.raw)) throw new ParleyError('forbidden', 'this upload belongs to another user');
    },
    handler: handOver,
  });
};
