// Downloads at GET|HEAD /files/<id>, with single-range requests for resuming, and capability URLs
// at POST /files/<id>/capability for a link that needs no token until it expires.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ParleyError, describeIssues, type Address } from '../../protocol/index.js';
import type { FileRecord, Storage } from '../storage/storage.js';
import type { Capabilities } from './capability.js';
import { authenticate, bearerUser, callerOf } from './caller.js';
import type { FileStore } from './file-store.js';
import { FILE_ID, baseUrl, fileUrl } from './file-url.js';
import { contentDisposition } from './metadata.js';
import { rangeOf } from './range.js';

const DAY = 24 * 3600;
const CapabilityRequest = z
  .object({ ttlSeconds: z.number().int().min(60).max(30 * DAY).default(DAY) })
  .default({ ttlSeconds: DAY });

export interface DownloadOptions {
  storage: Storage;
  files: FileStore;
  capabilities: Capabilities;
}

export const download: FastifyPluginAsync<DownloadOptions> = async (app, { storage, files, capabilities }) => {
  /** The file, when it exists, this reader may have it and it is complete. */
  async function readableFile(id: string, reader: Address): Promise<FileRecord> {
    const record = FILE_ID.test(id) ? await storage.getFile(id) : null;
    if (!record) throw new ParleyError('not_found', `there is no file ${id.slice(0, 64)}`);
    if (!(await storage.mayReadFile(id, reader))) {
      throw new ParleyError('forbidden', 'only the participants of a conversation this file was sent in may download it');
    }
    if (!record.complete) throw new ParleyError('conflict', 'this file is still being uploaded; try again when it is complete');
    return record;
  }

  app.route({
    method: ['GET', 'HEAD'],
    url: '/files/:id',
    async handler(request, reply) {
      const { id } = request.params as { id: string };
      const { cap, exp, by } = request.query as { cap?: unknown; exp?: unknown; by?: unknown };
      // A link stands in for the user who made it, as of now: the one who left the conversation since is refused.
      const reader =
        cap !== undefined || exp !== undefined || by !== undefined
          ? capabilities.verify(id, String(cap ?? ''), String(exp ?? ''), String(by ?? ''))
          : await bearerUser(storage, request);
      const record = await readableFile(id, reader);
      const stored = await files.stat(id);
      if (!stored) throw new ParleyError('not_found', `the bytes of file ${id} are gone from the server`);

      const etag = record.sha256 ? `"${record.sha256}"` : undefined;
      const range = rangeOf(request, reply, stored.size, etag);
      if (range && 'unsatisfiable' in range) return reply.send(range.unsatisfiable);
      reply.headers({
        'content-type': record.mime,
        'content-disposition': contentDisposition(record.name),
        'x-content-type-options': 'nosniff',
        // Never rendered as a page of this origin, whatever it holds.
        'content-security-policy': "default-src 'none'; sandbox",
        // Capability URLs carry no Authorization header: keep shared caches from storing them.
        'cache-control': 'private',
      });
      if (etag) reply.header('etag', etag);
      if (request.method === 'HEAD') return reply.send();
      return reply.send(await files.openRead(id, range ?? undefined));
    },
  });

  app.post('/files/:id/capability', {
    onRequest: authenticate(storage),
    async handler(request) {
      const { id } = request.params as { id: string };
      const body = CapabilityRequest.safeParse(request.body ?? undefined);
      if (!body.success) throw new ParleyError('bad_request', `body: ${describeIssues(body.error)}`);
      const by = callerOf(request.raw);
      await readableFile(id, by);
      const expiresAt = Date.now() + body.data.ttlSeconds * 1000;
      const query = new URLSearchParams({ cap: capabilities.sign(id, expiresAt, by), exp: String(expiresAt), by });
      return { url: `${fileUrl(baseUrl(request), id)}?${query}`, expiresAt };
    },
  });
};
