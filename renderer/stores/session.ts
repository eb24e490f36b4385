// Who is signed in (or why nobody is), and the sign-in / sign-out requests.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { parley } from '../bridge';
import type { Address, AppInfo, SessionState } from '../../contract/types';
import { errorText } from '../lib/errors';

export const useSessionStore = defineStore('session', () => {
  /** Null until the host has answered getSession. */
  const state = ref<SessionState | null>(null);
  /** Which host this is (the Electron app has desktop settings; the browser host has none). */
  const appInfo = ref<AppInfo | null>(null);
  const pending = ref(false);
  /** Why the last sign-in attempt failed, for the sign-in form. */
  const error = ref<string | null>(null);

  const me = computed<Address | null>(() => (state.value?.state === 'signedIn' ? state.value.me : null));
  const signedOutReason = computed(() => (state.value?.state === 'signedOut' ? state.value.reason : null));
  const serverUrl = computed(() => state.value?.serverUrl ?? null);
  const demoUsers = computed(() => state.value?.demoUsers ?? []);

  function apply(next: SessionState): void {
    state.value = next;
  }

  async function load(): Promise<void> {
    try {
      const [info, current] = await Promise.all([parley.getAppInfo(), parley.getSession()]);
      appInfo.value = info;
      apply(current);
    } catch (e) {
      error.value = errorText(e);
    }
  }

  async function request(send: () => Promise<SessionState>): Promise<void> {
    pending.value = true;
    error.value = null;
    try {
      apply(await send());
    } catch (e) {
      error.value = errorText(e);
    } finally {
      pending.value = false;
    }
  }

  const signIn = (serverUrl: string, token: string) => request(() => parley.signIn({ serverUrl, token }));
  const signInDemo = (address: Address) => request(() => parley.signInDemo({ address }));
  const signOut = () => request(() => parley.signOut());

  return { state, appInfo, pending, error, me, signedOutReason, serverUrl, demoUsers, apply, load, signIn, signInDemo, signOut };
});
