// Stands in for renderer/bridge in tests: vi.mock('../../renderer/bridge', () => import('./fake-bridge')).
// `parley` is a live binding, so each test's installFake() swaps the host the stores talk to.
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import type { ParleyApi } from '../../contract/api';
import { createFakeParley, type FakeOptions, type FakeParley } from './fake-parley';

export let parley: ParleyApi = createFakeParley().api;

let pinia: Pinia = createPinia();

/** A fresh fake host, fresh stores and empty localStorage. */
export function installFake(options?: FakeOptions): FakeParley {
  const fake = createFakeParley(options);
  parley = fake.api;
  pinia = createPinia();
  setActivePinia(pinia);
  localStorage.clear();
  return fake;
}

/** Mount options giving components the stores the test set up. */
export const withStores = () => ({ global: { plugins: [pinia] } });

export const desktop = false;
