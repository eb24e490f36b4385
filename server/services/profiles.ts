// A user's profile (display name, avatar) and presence setting (hide last seen). The avatar is a
// file the user uploaded to this server like any other (tus), named by its id: only their own,
// finished, a small image. Who may download it: anyone who shares a conversation with them (the
// same people who see their presence), checked where files are read (storage.mayReadFile).
import { AVATAR_TYPES, MAX_AVATAR_BYTES, ParleyError, type Address } from '../../protocol/index.js';
import type { PresenceService } from '../presence/presence.js';
import type { ProfileChange, Storage } from '../storage/storage.js';
import type { Fanout } from './messaging.js';

/** The people a profile change goes to at most, besides the user's own devices. */
export const MAX_PROFILE_AUDIENCE = 5000;

export function createProfiles(storage: Storage, fanout: Fanout, presence: PresenceService | null) {
  async function requireAvatar(owner: Address, fileId: string): Promise<void> {
    const file = await storage.getFile(fileId);
    if (!file || file.owner !== owner) throw new ParleyError('not_found', `no file ${fileId} of yours to use as an avatar`);
    if (!file.complete) throw new ParleyError('bad_request', 'the avatar image has not finished uploading');
    if (file.size > MAX_AVATAR_BYTES) {
      throw new ParleyError('payload_too_large', `an avatar is at most ${MAX_AVATAR_BYTES} bytes (this one is ${file.size}); send a smaller image`);
    }
    if (!(AVATAR_TYPES as readonly string[]).includes(file.mime)) {
      throw new ParleyError('bad_request', `an avatar is a JPEG, WebP or PNG image (this file is ${file.mime})`);
    }
  }

  return {
    async setProfile(address: Address, change: ProfileChange, socketId?: string) {
      if (change.avatar) await requireAvatar(address, change.avatar);
      const before = await storage.getProfile(address);
      if (!before) throw new ParleyError('auth_failed', `the user ${address} no longer exists`);
      const after = (await storage.setProfile(address, change))!;
      const { user, hideLastSeen } = after;
      if (user.name !== before.user.name || (user.avatar ?? null) !== (before.user.avatar ?? null)) {
        const contacts = await storage.contactsOf(address, MAX_PROFILE_AUDIENCE);
        fanout.emit([address, ...contacts.map((c) => c.address)], 'profile', user, socketId);
      }
      if (hideLastSeen !== before.hideLastSeen) {
        fanout.emit([address], 'profile:settings', { hideLastSeen }, socketId);
        presence?.settingsChanged(address);
      }
      return { me: user, hideLastSeen };
    },
  };
}
