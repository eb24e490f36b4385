// SHA-256 of bytes as they stream past, so recording a file's digest costs no second read.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

/** A pass-through that feeds every chunk into the hash. */
export function hashThrough(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
