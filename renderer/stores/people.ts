// People: the presence of those I share a conversation with, everyone's avatar on this device, and
// my own profile. Presence is live: while this device is not connected nothing is shown, rather
// than what was true before the link dropped.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { parley } from '../bridge';
import type { Address, AvatarChange, Presence, Profile } from '../../contract/types';
import { useConnectionStore } from './connection';

export const usePeopleStore = defineStore('people', () => {
  const connection = useConnectionStore();
  const presence = ref<Record<Address, Presence>>({});
  const avatars = ref<Record<Address, string>>({});
  const profile = ref<Profile | null>(null);

  const live = computed(() => connection.status?.state === 'online');

  /** Someone's presence as last told, while connected; undefined when not known. */
  function presenceOf(address: Address | null | undefined): Presence | undefined {
    return address && live.value ? presence.value[address] : undefined;
  }

  function avatarOf(address: Address | null | undefined): string | null {
    return (address && avatars.value[address]) || null;
  }

  function applyPresence(list: readonly Presence[]): void {
    for (const p of list) presence.value[p.address] = p;
  }

  function applyAvatar({ address, url }: AvatarChange): void {
    if (url) avatars.value[address] = url;
    else delete avatars.value[address];
  }

  function applyProfile(next: Profile): void {
    profile.value = next;
    applyAvatar({ address: next.address, url: next.avatar });
  }

  async function load(): Promise<void> {
    const [list, all, mine] = await Promise.all([parley.getPresence(), parley.getAvatars(), parley.getProfile()]);
    presence.value = {};
    applyPresence(list);
    avatars.value = { ...all };
    if (mine) applyProfile(mine);
  }

  async function setProfile(change: { name?: string; hideLastSeen?: boolean }): Promise<void> {
    applyProfile(await parley.setProfile(change));
  }

  /** From a picked or dropped image: staged by the host (never a path from here), then resized and uploaded by the engine. */
  async function setAvatar(file: File | null): Promise<void> {
    const stagedId = file ? (await parley.stageFiles([file]))[0]!.id : null;
    applyProfile(await parley.setAvatar({ stagedId }));
  }

  function reset(): void {
    presence.value = {};
    avatars.value = {};
    profile.value = null;
  }

  return { presence, avatars, profile, presenceOf, avatarOf, applyPresence, applyAvatar, applyProfile, load, setProfile, setAvatar, reset };
});
