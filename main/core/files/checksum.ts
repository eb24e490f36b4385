// SHA-256 computed as bytes stream by, never over a file held in memory. A download hashes what it
// writes (after the bytes it already had, read back from disk when it resumes); an upload hashes
// its source in a worker thread while the bytes go out, so the hash costs the upload no time where
// a core is free.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** Chunk size for file streams: large enough that per-chunk costs vanish, small enough to stay flat. */
export const CHUNK = 1 << 20;
/** Below this a worker's start-up costs more than hashing here. */
const WORKER_MIN = 8 * CHUNK;

/** A hash over the first `length` bytes of a file. */
export async function hashPrefix(path: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  for await (const chunk of createReadStream(path, { end: length - 1, highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash;
}

/**
 * Passes chunks through, reporting the running byte count (and adding each chunk to the hash,
 * when given); a count the caller refuses (onBytes throws) ends the stream with that error.
 */
export function tap(onBytes: (count: number) => void, hash?: Hash): Transform {
  let count = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        hash?.update(chunk);
        count += chunk.length;
        onBytes(count);
        done(null, chunk);
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

// Plain CommonJS evaluated in the worker: it runs alike under tsx, vitest and the bundled Electron
// main process, with no separate entry file to build. One buffer, read into again and again, so the
// worker allocates nothing per chunk.
const HASH_WORKER = `
const { parentPort, workerData: { path, size, chunk } } = require('node:worker_threads');
const fs = require('node:fs');
const hash = require('node:crypto').createHash('sha256');
const buffer = Buffer.allocUnsafe(chunk);
const fd = fs.openSync(path, 'r');
try {
  for (let at = 0; at < size; ) {
    const read = fs.readSync(fd, buffer, 0, Math.min(chunk, size - at), at);
    if (read === 0) throw new Error('the file is shorter than it was');
    hash.update(buffer.subarray(0, read));
    at += read;
  }
} finally {
  fs.closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;

/** The hex SHA-256 of a file's first `size` bytes, in a worker thread for large files. */
export async function sha256File(path: string, size: number, signal: AbortSignal): Promise<string> {
  if (size < WORKER_MIN) return (await hashPrefix(path, size)).digest('hex');
  const worker = new Worker(HASH_WORKER, { eval: true, workerData: { path, size, chunk: CHUNK } });
  let stop = () => {};
  try {
    return await new Promise<string>((resolve, reject) => {
      stop = () => reject(new Error('hashing stopped'));
      signal.addEventListener('abort', stop, { once: true });
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', () => reject(new Error('hashing stopped')));
    });
  } finally {
    signal.removeEventListener('abort', stop);
    // Awaited: the thread is gone (and the file closed) before the caller moves on.
    await worker.terminate();
  }
}
