// The whole app mounted against the fake host that installFake() put in place last (test files
// mock renderer/bridge with fake-bridge), with a laid-out message list; unmounted after each test.
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { vi } from 'vitest';
import App from '../../renderer/App.vue';
import { withStores } from './fake-bridge';
import { fakeLayout } from './layout';

let wrapper: VueWrapper | null = null;

/** Mounts App, its first requests still on their way; `lastOpened` is the conversation a previous run left open. */
export function startApp(lastOpened?: string): VueWrapper {
  fakeLayout();
  if (lastOpened) localStorage.setItem('parley.lastConversation', JSON.stringify(lastOpened));
  return (wrapper = mount(App, { ...withStores(), attachTo: document.body }));
}

/** Mounts App and lets its first requests answer. */
export async function mountApp(lastOpened?: string): Promise<VueWrapper> {
  const app = startApp(lastOpened);
  await flushPromises();
  return app;
}

/** For afterEach: unmounts the app and restores what the test mocked. */
export function unmountApp(): void {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
}
