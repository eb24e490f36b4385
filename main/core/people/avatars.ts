// People's avatars on this device: each a small image file of the server, named by its id (ids never
// change content), downloaded once into <dataDir>/avatars/ and handed to the host as a data: URL.
// Who has which avatar comes from the participants the server sends with conversations and from
// profile pushes; an avatar the server refuses (a person I no longer share a conversation with) is
// shown as initials.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_AVATAR_BYTES, type Address } from '../../../protocol/index.js';
import type { EngineContext } from '../context.js';
import { answerText } from '../files/http.js';

/** An avatar is a few KB: a fetch that takes longer than this is given up (and tried at the next mention). */
const FETCH_TIMEOUT_MS = 15_000;

export interface AvatarOptions extends Pick<EngineContext, 'events' | 'log'> {
  dir: string;
  serverUrl: string;
  token: string;
}

export type Avatars = ReturnType<typeof createAvatars>;

/** The image's type from its first bytes; what a data: URL must name. */
function imageType(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

export function createAvatars(o: AvatarOptions) {
  /** Each person's avatar file id as last told, and its data URL once here. */
  const files = new Map<Address, string>();
  const urls = new Map<Address, string>();
  /** One fetch at a time: avatars are small and never urgent. */
  let queue: Promise<void> = Promise.resolve();

  async function bytesOf(fileId: string): Promise<Buffer> {
    const path = join(o.dir, fileId);
    if (existsSync(path)) return readFile(path);
    const response = await fetch(`${o.serverUrl.replace(/\/+$/, '')}/files/${fileId}`, {
      headers: { authorization: `Bearer ${o.token}` },
      // A server that never answers holds up only this avatar's queue, and not for ever.
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`the server answered ${response.status}: ${await answerText(response.body)}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > MAX_AVATAR_BYTES) throw new Error(`the avatar is ${declared} bytes, more than ${MAX_AVATAR_BYTES}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_AVATAR_BYTES) throw new Error(`the avatar is ${bytes.length} bytes, more than ${MAX_AVATAR_BYTES}`);
    await keep(fileId, bytes);
    return bytes;
  }

  async function keep(fileId: string, bytes: Uint8Array): Promise<void> {
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    const part = join(o.dir, `${fileId}.part`);
    await writeFile(part, bytes, { mode: 0o600 });
    await rename(part, join(o.dir, fileId));
  }

  async function load(address: Address, fileId: string): Promise<void> {
    const bytes = await bytesOf(fileId);
    const type = imageType(bytes);
    if (!type) throw new Error('the avatar is not a JPEG, PNG or WebP image');
    if (files.get(address) !== fileId) return; // changed meanwhile
    const url = `data:${type};base64,${bytes.toString('base64')}`;
    urls.set(address, url);
    o.events.emit('avatar', { address, url });
  }

  return {
    /** What the server says of this person's avatar (a file id; none: initials). */
    learn(address: Address, fileId: string | null | undefined): void {
      if ((files.get(address) ?? null) === (fileId ?? null)) return;
      if (!fileId) {
        files.delete(address);
        if (urls.delete(address)) o.events.emit('avatar', { address, url: null });
        return;
      }
      files.set(address, fileId);
      queue = queue.then(() =>
        load(address, fileId).catch((error: unknown) => {
          // Forgotten, so the next time it is told it is tried again.
          if (files.get(address) === fileId) files.delete(address);
          o.log(`could not get ${address}'s avatar`, error);
        }),
      );
    },
    /** My own new avatar, already here: kept under its id so it is never downloaded back. */
    keep,
    url(address: Address): string | null {
      return urls.get(address) ?? null;
    },
    all(): Record<Address, string> {
      return Object.fromEntries(urls);
    },
    /** Resolves when no avatar is being fetched. */
    idle(): Promise<void> {
      return queue;
    },
  };
}
