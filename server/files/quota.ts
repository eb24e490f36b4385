// Per-user upload limits: uploads in progress, the bytes they declare, and a storage quota counted
// from the database (files stored, tus uploads unfinished at their declared length) plus the
// upload-URL forms being received right now (in memory: they have no record until complete).
// One user's admissions run one at a time, so two uploads started together cannot both take the
// last room; other users never wait for them.
import { ParleyError, type Address } from '../../protocol/index.js';
import type { Storage } from '../storage/storage.js';
import { describeSize, type UploadLimits } from './limits.js';

export interface UploadQuota {
  /** Checks a new upload of `size` declared bytes against the owner's limits, then records it with `record`. */
  admit(owner: Address, size: number, record: () => Promise<void>): Promise<void>;
  /** Checks, then holds the room until the returned release() (for an upload with no record yet). */
  reserve(owner: Address, size: number): Promise<() => void>;
}

export function createUploadQuota(storage: Storage, limits: UploadLimits): UploadQuota {
  const receiving = new Map<Address, { uploads: number; bytes: number }>();
  const tails = new Map<Address, Promise<void>>();

  async function serial<T>(owner: Address, run: () => Promise<T>): Promise<T> {
    const previous = tails.get(owner) ?? Promise.resolve();
    let done!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    tails.set(owner, tail);
    try {
      await previous;
      return await run();
    } finally {
      done();
      if (tails.get(owner) === tail) tails.delete(owner);
    }
  }

  async function check(owner: Address, size: number): Promise<void> {
    const usage = await storage.fileUsage(owner);
    const held = receiving.get(owner) ?? { uploads: 0, bytes: 0 };
    const uploads = usage.uploads + held.uploads;
    const inFlight = usage.uploadBytes + held.bytes;
    const stored = usage.bytes + held.bytes;
    const finish = 'finish or cancel one of them first';
    if (uploads + 1 > limits.maxUploadsInFlight) {
      throw new ParleyError(
        'rate_limited',
        `you have ${uploads} uploads in progress, this server's limit per user is ${limits.maxUploadsInFlight}; ${finish}`,
      );
    }
    if (inFlight + size > limits.maxUploadBytesInFlight) {
      throw new ParleyError(
        'rate_limited',
        `your uploads in progress hold ${describeSize(inFlight)} and this one ${describeSize(size)}: over this server's ` +
          `limit of ${describeSize(limits.maxUploadBytesInFlight)} in progress per user; ${finish}`,
      );
    }
    if (limits.storageQuota > 0 && stored + size > limits.storageQuota) {
      throw new ParleyError(
        'payload_too_large',
        `your files on this server take ${describeSize(stored)} of your ${describeSize(limits.storageQuota)} storage quota; ` +
          `this file needs ${describeSize(size)} more`,
      );
    }
  }

  return {
    admit: (owner, size, record) =>
      serial(owner, async () => {
        await check(owner, size);
        await record();
      }),
    reserve: (owner, size) =>
      serial(owner, async () => {
        await check(owner, size);
        const held = receiving.get(owner) ?? { uploads: 0, bytes: 0 };
        receiving.set(owner, { uploads: held.uploads + 1, bytes: held.bytes + size });
        let released = false;
        return () => {
          if (released) return;
          released = true;
          const now = receiving.get(owner)!;
          if (now.uploads === 1) receiving.delete(owner);
          else receiving.set(owner, { uploads: now.uploads - 1, bytes: now.bytes - size });
        };
      }),
  };
}
