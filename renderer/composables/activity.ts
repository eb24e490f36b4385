// The browser host's presence source: the page hidden (another tab, the window minimised) means
// away, shown again means in use. The Electron host reports activity itself from the system (idle
// time, a locked screen), so there the page says nothing.
import { onScopeDispose, watch } from 'vue';
import { parley } from '../bridge';
import { useSessionStore } from '../stores/session';

export function reportPageActivity(): void {
  const session = useSessionStore();
  const report = () => {
    if (session.appInfo?.host !== 'browser' || !session.me) return;
    parley.setActivity({ active: document.visibilityState !== 'hidden' }).catch(() => {
      /* not signed in any more: the next sign-in reports again */
    });
  };
  document.addEventListener('visibilitychange', report);
  onScopeDispose(() => document.removeEventListener('visibilitychange', report));
  // Each sign-in starts an engine that thinks itself in use.
  watch(() => [session.me, session.appInfo?.host], report);
}
