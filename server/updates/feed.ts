// The organisation's own update feed: GET|HEAD /updates/<channel>/<file> serves the files the
// operator copied from a release into <updates dir>/<channel>/ (electron-builder's latest.yml,
// latest-mac.yml, latest-linux.yml, the installers and their .blockmap files), which the desktop
// app's updater (electron-updater, generic provider) reads. Public like the installers themselves:
// what is served is the app everyone installs, and the folder holds nothing else.
//
// A name is one path segment of the characters release files use; anything else (dot segments,
// separators, encoded or not, hidden files) is refused before the disk is touched, and the file
// found is served only if its real path is still inside the feed folder, so a symlink cannot lead
// out of it either. One byte range at a time (206; past the end 416), as resuming and differential
// downloads by single ranges need; a request for several ranges gets the whole file (RFC 9110 lets
// a server ignore Range), so the app's updater asks one range at a time.
import { open, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { ParleyError } from '../../protocol/index.js';
import { rangeOf } from '../files/range.js';

export interface UpdateFeedOptions {
  /** Holds one folder per channel; need not exist (then every feed answers 404). */
  dir: string;
}

/** A channel: an organisation's name for a line of releases (stable, beta, acme-it). */
const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A release file's name: letters, digits and . _ - + (space: electron-builder's default artifact names may hold one), no leading dot, no "..". */
const FILE = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._+ -]{0,199}$/;

/** The feed's own files change in place at each release: they must be asked for again every time. */
function contentType(name: string): string {
  return ['.yml', '.yaml'].includes(extname(name).toLowerCase()) ? 'text/yaml; charset=utf-8' : 'application/octet-stream';
}

export const updateFeed: FastifyPluginAsync<UpdateFeedOptions> = async (app, { dir }) => {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/updates/:channel/:file',
    async handler(request, reply) {
      const { channel, file } = request.params as { channel: string; file: string };
      if (!CHANNEL.test(channel)) throw new ParleyError('bad_request', 'an update channel is lower-case letters, digits, - and _');
      if (!FILE.test(file)) throw new ParleyError('bad_request', 'not the name of a release file');
      const missing = () => new ParleyError('not_found', `the update feed ${channel} has no file ${file}`);

      // Inside the feed folder as it really is (it may itself be a symlink, e.g. to a release share).
      let base: string;
      let path: string;
      try {
        base = await realpath(dir);
        path = await realpath(join(base, channel, file));
      } catch {
        throw missing();
      }
      if (!path.startsWith(base + sep)) throw missing();

      // Opened once: the size, the date and the bytes are all of the same file, even if a release replaces it meanwhile.
      const handle = await open(path, 'r').catch(() => {
        throw missing();
      });
      let handedOver = false;
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) throw missing();
        const etag = `"${stats.size.toString(16)}-${Math.trunc(stats.mtimeMs).toString(16)}"`;
        const range = rangeOf(request, reply, stats.size, etag);
        if (range && 'unsatisfiable' in range) return reply.send(range.unsatisfiable);
        reply.headers({
          'content-type': contentType(file),
          etag,
          'last-modified': stats.mtime.toUTCString(),
          // latest*.yml changes in place at each release; a proxy must not answer with last week's.
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; sandbox",
        });
        if (request.method === 'HEAD') return reply.send();
        handedOver = true;
        // The stream closes the handle when it ends or is destroyed (a client gone midway).
        return reply.send(handle.createReadStream(range ? { start: range.start, end: range.end } : {}));
      } finally {
        if (!handedOver) await handle.close();
      }
    },
  });
};
