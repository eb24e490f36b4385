// What the composer of each conversation is doing besides writing a new message: answering one
// (a reply, sent with its seq) or changing one of mine (an edit, whose text takes the draft's place
// until it is sent or cancelled, when the draft comes back).
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Message } from '../../contract/types';
import { useDraftsStore } from './drafts';

export type ComposeMode = { kind: 'reply'; message: Message } | { kind: 'edit'; message: Message; draft: string };

export const useComposeStore = defineStore('compose', () => {
  const drafts = useDraftsStore();
  const modes = ref<Record<string, ComposeMode>>({});

  function modeOf(conversationId: string): ComposeMode | null {
    return modes.value[conversationId] ?? null;
  }

  /** Ends a reply or an edit; an edit gives the draft it had put aside back. */
  function cancel(conversationId: string): void {
    const mode = modes.value[conversationId];
    if (!mode) return;
    delete modes.value[conversationId];
    if (mode.kind === 'edit') drafts.setDraft(conversationId, mode.draft);
  }

  function reply(message: Message): void {
    const id = message.conversationId;
    if (!id || message.seq === null) return;
    cancel(id);
    modes.value[id] = { kind: 'reply', message };
  }

  function edit(message: Message): void {
    const id = message.conversationId;
    if (!id || !message.mine) return;
    const current = modes.value[id];
    const draft = current?.kind === 'edit' ? current.draft : drafts.draftOf(id);
    modes.value[id] = { kind: 'edit', message, draft };
    drafts.setDraft(id, message.body);
  }

  function reset(): void {
    modes.value = {};
  }

  return { modes, modeOf, cancel, reply, edit, reset };
});
