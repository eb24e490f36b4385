// Per-user upload limits: uploads in progress, the bytes they declare, and a storage quota counted
// from the database (files stored, tus uploads unfinished at their declared length) plus the
// upload-URL forms being received right now (they have no record until complete).
// One user's admissions run one at a time, so two uploads started together cannot both take the
// last room; other users never wait for them. Where the admissions are kept is an Admissions: in this
// process on one node, in Redis with several (redis-admissions.ts), so the limits hold per user
// whichever nodes their uploads reach.
import { ParleyError, type Address } from '../../protocol/index.js';
import type { Storage } from '../storage/storage.js';
import { describeSize, type UploadLimits } from './limits.js';

export interface UploadQuota {
  /** Checks a new upload of `size` declared bytes against the owner's limits, then records it with `record`. */
  admit(owner: Address, size: number, record: () => Promise<void>): Promise<void>;
  /** Checks, then holds the room until the returned release() (for an upload with no record yet). */
  reserve(owner: Address, size: number): Promise<() => void>;
}

/** Forms being received for a user: how many, and the bytes they may bring. */
export interface Held {
  uploads: number;
  bytes: number;
}

export interface Admissions {
  /** Runs `run` while no other admission for `owner` runs. */
  exclusive<T>(owner: Address, run: () => Promise<T>): Promise<T>;
  /** The owner's forms being received. */
  receiving(owner: Address): Promise<Held>;
  /** Counts a form of `bytes` for the owner until the returned release(), which may be called more than once. */
  hold(owner: Address, bytes: number): Promise<() => void>;
}

/**
 * A user's admissions on one node, running and waiting, at most: each is a request held open (with
 * several nodes, one that may wait 10 s for another node's), so past it a new one is refused at once.
 * Far above what an app starts together (it uploads a few files at a time).
 */
export const MAX_ADMISSIONS_WAITING = 32;

/** Admissions kept in this process: one node's uploads. */
export function localAdmissions(): Admissions {
  const receiving = new Map<Address, Held>();
  const tails = new Map<Address, Promise<void>>();
  const waiting = new Map<Address, number>();
  return {
    async exclusive(owner, run) {
      const count = waiting.get(owner) ?? 0;
      if (count >= MAX_ADMISSIONS_WAITING) {
        throw new ParleyError('rate_limited', `${MAX_ADMISSIONS_WAITING} of your uploads are already waiting to be admitted on this server; retry shortly`);
      }
      waiting.set(owner, count + 1);
      const previous = tails.get(owner) ?? Promise.resolve();
      let done!: () => void;
      const tail = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
      tails.set(owner, tail);
      try {
        await previous;
        return await run();
      } finally {
        const left = waiting.get(owner)! - 1;
        if (left === 0) waiting.delete(owner);
        else waiting.set(owner, left);
        done();
        if (tails.get(owner) === tail) tails.delete(owner);
      }
    },
    receiving: (owner) => Promise.resolve(receiving.get(owner) ?? { uploads: 0, bytes: 0 }),
    hold(owner, bytes) {
      const held = receiving.get(owner) ?? { uploads: 0, bytes: 0 };
      receiving.set(owner, { uploads: held.uploads + 1, bytes: held.bytes + bytes });
      let released = false;
      return Promise.resolve(() => {
        if (released) return;
        released = true;
        const now = receiving.get(owner)!;
        if (now.uploads === 1) receiving.delete(owner);
        else receiving.set(owner, { uploads: now.uploads - 1, bytes: now.bytes - bytes });
      });
    },
  };
}

export function createUploadQuota(storage: Storage, limits: UploadLimits, admissions: Admissions = localAdmissions()): UploadQuota {
  async function check(owner: Address, size: number): Promise<void> {
    const [usage, held] = await Promise.all([storage.fileUsage(owner), admissions.receiving(owner)]);
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
      admissions.exclusive(owner, async () => {
        await check(owner, size);
        await record();
      }),
    reserve: (owner, size) =>
      admissions.exclusive(owner, async () => {
        await check(owner, size);
        return admissions.hold(owner, size);
      }),
  };
}
