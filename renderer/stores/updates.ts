// The desktop app's own update (main/electron/updates.ts): where it stands, as the host reports it, and
// the user's three steps: check, download, restart. Only the Electron host has one.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { parley } from '../bridge';
import type { UpdateState } from '../../contract/types';
import { errorText } from '../lib/errors';

export const useUpdatesStore = defineStore('updates', () => {
  /** Null in the browser host, and until the host has answered. */
  const state = ref<UpdateState | null>(null);
  /** Why the last step the user took was refused (e.g. a restart while a transfer runs). */
  const error = ref<string | null>(null);

  function apply(next: UpdateState): void {
    state.value = next;
  }

  async function load(): Promise<void> {
    try {
      apply(await parley.getUpdateState());
    } catch {
      state.value = null; // an app run from its sources (npm start) does not update itself
    }
  }

  async function step(send: () => Promise<UpdateState | void>): Promise<void> {
    error.value = null;
    try {
      const next = await send();
      if (next) apply(next);
    } catch (e) {
      error.value = errorText(e);
    }
  }

  return {
    state,
    error,
    apply,
    load,
    check: () => step(() => parley.checkForUpdate()),
    download: () => step(() => parley.downloadUpdate()),
    restart: () => step(() => parley.installUpdate()),
  };
});
