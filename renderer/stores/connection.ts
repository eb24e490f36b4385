// The engine's link to the server, as the host reports it.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ConnectionStatus } from '../../contract/types';

export interface SyncProgress {
  state: 'running' | 'done';
  behind: number;
}

export const useConnectionStore = defineStore('connection', () => {
  /** Null until the host has said (getSession, then connectionStatus events). */
  const status = ref<ConnectionStatus | null>(null);
  const sync = ref<SyncProgress | null>(null);

  function apply(next: ConnectionStatus): void {
    status.value = next;
  }

  function applySync(next: SyncProgress): void {
    sync.value = next;
  }

  return { status, sync, apply, applySync };
});
