// Who is typing where: each signal shows "bob is typing…" for a few seconds.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { parley } from '../bridge';
import type { Address } from '../../contract/types';

/** The engine repeats the signal every 3 s while someone types; a little more bridges the gaps. */
export const TYPING_SHOWN_MS = 4000;

export const useTypingStore = defineStore('typing', () => {
  const typing = ref<Record<string, Address[]>>({});
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  function typersIn(conversationId: string): Address[] {
    return typing.value[conversationId] ?? [];
  }

  function stopped(conversationId: string, address: Address): void {
    const key = `${conversationId}\n${address}`;
    clearTimeout(timers.get(key));
    timers.delete(key);
    const left = typersIn(conversationId).filter((a) => a !== address);
    if (left.length) typing.value[conversationId] = left;
    else delete typing.value[conversationId];
  }

  function started(conversationId: string, address: Address): void {
    const key = `${conversationId}\n${address}`;
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => stopped(conversationId, address), TYPING_SHOWN_MS));
    if (!typersIn(conversationId).includes(address)) typing.value[conversationId] = [...typersIn(conversationId), address];
  }

  /** Tells the others I am typing here; the engine sends at most one signal every few seconds. */
  function announce(conversationId: string): void {
    parley.setTyping({ conversationId }).catch(() => {
      /* a lost typing signal is harmless */
    });
  }

  function reset(): void {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    typing.value = {};
  }

  return { typing, typersIn, started, stopped, announce, reset };
});
