// The seed's upload URL protocol at POST /api/v1/upload: a multipart form with op, auth, uid, mid
// and source, then the file; the answer is {"result": true, "url"} or {"result": false, "error"}.
// The fields must come first, so the token is checked before a byte of the file is stored.
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Address, ParleyError, describeIssues } from '../../protocol/index.js';
import { verifyAccessToken } from '../auth/access-token.js';
import type { Storage } from '../storage/storage.js';
import type { FileStore } from './file-store.js';
import { baseUrl, fileUrl, newFileId } from './file-url.js';
import { fileTooLarge } from './limits.js';
import { storedName, storedType } from './metadata.js';
import type { UploadQuota } from './quota.js';
import { hashThrough } from './sha256.js';

const Form = z.object({
  op: z.literal('upload', { error: 'op must be "upload"' }),
  auth: z.string().min(1, 'auth (the access token) is empty'),
  uid: Address,
  mid: z.string().min(1, 'mid (the message id) is empty').max(64, 'mid (the message id) is longer than 64 characters'),
  source: z.enum(['message', 'profile', 'group-profile'], { error: 'source must be message, profile or group-profile' }),
});
const FIELDS = Object.keys(Form.shape);

/** Room for the fields, boundaries and part headers around the file in Content-Length. */
const FORM_OVERHEAD = 64 * 1024;

// @fastify/multipart's and busboy's words for a bad form, said for a person.
const FORM_ERRORS: Record<string, string> = {
  FST_FILES_LIMIT: 'send exactly one file, in the part named "file"',
  FST_FIELDS_LIMIT: `the form has too many fields; send only ${FIELDS.join(', ')} and the file`,
  FST_PARTS_LIMIT: `the form has too many parts; send only ${FIELDS.join(', ')} and the file`,
  FST_PROTO_VIOLATION: 'a form field has a reserved name',
};

function badForm(message: string): ParleyError {
  return new ParleyError('bad_request', message);
}

export interface UploadUrlOptions {
  storage: Storage;
  files: FileStore;
  maxFileSize: number;
  quota: UploadQuota;
}

export const uploadUrl: FastifyPluginAsync<UploadUrlOptions> = async (app, { storage, files, maxFileSize, quota }) => {
  await app.register(multipart);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error instanceof ParleyError ? error.status : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'upload failed');
    // The rest of a refused body is not worth reading.
    return reply
      .code(status)
      .header('connection', 'close')
      .send({ result: false, error: status >= 500 ? 'the server failed to store the file; try again' : error.message });
  });

  /** The user the form's auth token belongs to, who must be uid. */
  async function uploader(fields: Map<string, string>): Promise<Address> {
    const missing = FIELDS.filter((name) => !fields.has(name));
    if (missing.length > 0) {
      throw badForm(`the fields ${FIELDS.join(', ')} must come before the file in the form (missing: ${missing.join(', ')})`);
    }
    const form = Form.safeParse(Object.fromEntries(fields));
    if (!form.success) throw badForm(describeIssues(form.error));
    const { address } = await verifyAccessToken(storage, form.data.auth);
    if (address !== form.data.uid) throw new ParleyError('forbidden', `uid ${form.data.uid} is not the user of this auth token`);
    return address;
  }

  /** Streams the file to a new id, hashing it on the way; nothing is left behind on failure. */
  async function receive(file: MultipartFile['file']): Promise<{ id: string; size: number; sha256: string }> {
    const id = newFileId();
    const hash = createHash('sha256');
    // Stop at the limit rather than read the rest; a small body may have hit it already.
    const tooLarge = new AbortController();
    file.once('limit', () => tooLarge.abort(fileTooLarge(maxFileSize)));
    try {
      await pipeline(file, hashThrough(hash), files.createWriteStream(id), { signal: tooLarge.signal });
      if (file.truncated) throw fileTooLarge(maxFileSize);
      const stored = await files.stat(id);
      if (!stored) throw new ParleyError('internal', `file ${id} vanished as it was stored`);
      return { id, size: stored.size, sha256: hash.digest('hex') };
    } catch (error) {
      await files.delete(id);
      throw tooLarge.signal.aborted ? (tooLarge.signal.reason as ParleyError) : error;
    }
  }

  app.post('/upload', {
    async onRequest(request) {
      if (Number(request.headers['content-length'] ?? 0) > maxFileSize + FORM_OVERHEAD) throw fileTooLarge(maxFileSize);
    },
    async handler(request) {
      if (!request.isMultipart()) throw badForm('send the form as multipart/form-data');
      const fields = new Map<string, string>();
      let stored: { id: string; size: number; sha256: string; owner: Address; name: string; mime: string } | null = null;
      // The file's room under the user's limits, held while it arrives: the form's length bounds it.
      const declared = Number(request.headers['content-length']);
      const room = Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, maxFileSize) : maxFileSize;
      let release = () => {};
      try {
        try {
          const parts = request.parts({
            limits: { fileSize: maxFileSize, files: 1, fields: 8, parts: 9, fieldNameSize: 64, fieldSize: 1024 },
          });
          for await (const part of parts) {
            if (stored) throw badForm('the file must be the last part of the form');
            if (part.type === 'field') {
              if (fields.has(part.fieldname)) throw badForm(`the field ${part.fieldname} appears twice`);
              if (typeof part.value !== 'string' || part.valueTruncated) throw badForm(`the field ${part.fieldname} is too long`);
              fields.set(part.fieldname, part.value);
              continue;
            }
            if (part.fieldname !== 'file') throw badForm('the file goes in the part named "file"');
            const owner = await uploader(fields);
            release = await quota.reserve(owner, room);
            stored = { ...(await receive(part.file)), owner, name: storedName(part.filename), mime: storedType(part.mimetype) };
          }
        } catch (error) {
          if (stored) await files.delete(stored.id);
          // Anything but our refusals and the disk's failures is a form busboy could not read.
          if (error instanceof ParleyError || (error as NodeJS.ErrnoException).syscall) throw error;
          const code = (error as FastifyError).code;
          throw badForm(FORM_ERRORS[code] ?? `the form could not be read: ${(error as Error).message}`);
        }
        if (!stored) throw badForm('the form has no file: send it in a part named "file", with a file name');
        const { owner, id, name, size, mime, sha256 } = stored;
        await storage.createFile({ id, owner, name, size, mime, sha256, createdAt: Date.now(), complete: true });
        return { result: true, url: fileUrl(baseUrl(request), id) };
      } finally {
        // Recorded (or refused) by now: the database counts it from here.
        release();
      }
    },
  });
};
