// My profile (display name, avatar, hide last seen) and everyone else's name and avatar as they
// change. My profile is kept in the store's meta so the app shows it offline; another person's name
// lives in the participants of the conversations we share, which a profile push rewrites.
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ParleyError, User, type Participant } from '../../../protocol/index.js';
import type { EngineContext } from '../context.js';
import { authFor } from '../files/http.js';
import { loadSharp } from '../files/preview.js';
import { tusUpload } from '../files/tus-upload.js';
import type { Profile } from '../types.js';
import type { Avatars } from './avatars.js';

/** Avatars are made this many px square: sharp enough on a 2× screen at the largest size shown (56 px). */
export const AVATAR_SIDE = 256;

export interface ProfileOptions extends Pick<EngineContext, 'store' | 'connection' | 'events' | 'announce' | 'log'> {
  avatars: Avatars;
  serverUrl: string;
  token: string;
  /** Where the resized image waits for its upload. */
  dir: string;
}

export type Profiles = ReturnType<typeof createProfiles>;

interface Mine {
  user: User;
  hideLastSeen: boolean;
}

/** A square WebP of the image, upright per EXIF; throws a ParleyError a person can act on. */
async function squareAvatar(path: string): Promise<Buffer> {
  const sharp = await loadSharp().catch((error: unknown) => {
    throw new ParleyError('unavailable', `avatars cannot be made on this device: ${(error as Error).message}`);
  });
  try {
    return await sharp(path, { autoOrient: true, failOn: 'error', pages: 1 })
      .resize(AVATAR_SIDE, AVATAR_SIDE, { fit: 'cover' })
      .webp({ quality: 80 })
      .toBuffer();
  } catch (error) {
    throw new ParleyError('bad_request', `the file could not be read as an image (${(error as Error).message}); choose a JPEG, PNG or WebP picture`);
  }
}

export function createProfiles(o: ProfileOptions) {
  const stored = o.store.prefs.meta('profile');
  let mine: Mine | null = stored ? (JSON.parse(stored) as Mine) : null;
  if (mine) o.avatars.learn(mine.user.address, mine.user.avatar);

  const view = (): Profile | null =>
    mine && { address: mine.user.address, name: mine.user.name, avatar: o.avatars.url(mine.user.address), hideLastSeen: mine.hideLastSeen };

  function setMine(next: Mine): Profile {
    mine = next;
    o.store.prefs.setMeta('profile', JSON.stringify(next));
    o.avatars.learn(next.user.address, next.user.avatar);
    const profile = view()!;
    o.events.emit('profile', profile);
    return profile;
  }

  /** Someone's new name or avatar into every conversation we share, each announced again. */
  function renamed(user: User): void {
    for (const c of o.store.conversations.all()) {
      if (!c.participants.some((p) => p.address === user.address)) continue;
      const participants = c.participants.map((p): Participant => {
        if (p.address !== user.address) return p;
        const { avatar: _old, ...rest } = p;
        return { ...rest, name: user.name, ...(user.avatar ? { avatar: user.avatar } : {}) };
      });
      o.store.conversations.setParticipants(c.id, participants);
      o.announce.conversation(c.id);
    }
  }

  o.connection.onPush('profile', (user) => {
    o.avatars.learn(user.address, user.avatar);
    if (user.address === o.store.me) setMine({ user, hideLastSeen: mine?.hideLastSeen ?? false });
    renamed(user);
  });
  o.connection.onPush('profile:settings', ({ hideLastSeen }) => {
    if (mine) setMine({ ...mine, hideLastSeen });
  });
  // My own avatar shows once it is here, in the profile as well as beside my messages.
  o.events.on('avatar', ({ address }) => {
    if (mine && address === mine.user.address) o.events.emit('profile', view()!);
  });

  async function save(change: { name?: string; hideLastSeen?: boolean; avatar?: string | null }): Promise<Profile> {
    const { me, hideLastSeen } = await o.connection.request('profile:set', change);
    return setMine({ user: me, hideLastSeen });
  }

  return {
    /** What the sync said of me. */
    synced(user: User, hideLastSeen: boolean | undefined): void {
      setMine({ user, hideLastSeen: hideLastSeen ?? false });
    },
    getProfile: view,
    setProfile(change: { name?: string | undefined; hideLastSeen?: boolean | undefined }): Promise<Profile> {
      return save({
        ...(change.name !== undefined && { name: change.name }),
        ...(change.hideLastSeen !== undefined && { hideLastSeen: change.hideLastSeen }),
      });
    },
    /**
     * My avatar from an image file on this device: made a 256 px square WebP, uploaded to the
     * Parley server (tus) and set on my profile. null removes it.
     */
    async setAvatar(path: string | null): Promise<Profile> {
      if (path === null) return save({ avatar: null });
      if (!o.connection.online) throw new ParleyError('unavailable', 'not connected to the server; try again once online');
      const image = await squareAvatar(path);
      const file = join(o.dir, `avatar-${randomUUID()}.webp`);
      await mkdir(o.dir, { recursive: true, mode: 0o700 });
      await writeFile(file, image, { mode: 0o600 });
      try {
        const filesUrl = `${o.serverUrl.replace(/\/+$/, '')}/files`;
        const url = await tusUpload({
          filesUrl,
          headers: authFor(filesUrl, o.serverUrl, o.token),
          path: file,
          size: image.length,
          name: 'avatar.webp',
          mime: 'image/webp',
          remote: null,
          signal: AbortSignal.timeout(60_000),
          onRemote: () => {},
          onOffset: () => {},
        });
        const fileId = /\/files\/([0-9a-f]{32})$/.exec(new URL(url).pathname)?.[1];
        if (!fileId) throw new ParleyError('internal', `the server stored the avatar at an unexpected address (${url})`);
        await o.avatars.keep(fileId, image);
        await save({ avatar: fileId });
        await o.avatars.idle(); // read back from the copy just kept: the answer carries it
        return view()!;
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}
