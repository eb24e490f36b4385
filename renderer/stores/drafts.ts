// Unsent text per conversation, kept across conversation switches and launches.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { readPersisted, writePersisted } from '../lib/persisted';

const KEY = 'parley.drafts';

export const useDraftsStore = defineStore('drafts', () => {
  const drafts = ref<Record<string, string>>(readPersisted(KEY, {}));

  function draftOf(conversationId: string): string {
    return drafts.value[conversationId] ?? '';
  }

  function setDraft(conversationId: string, text: string): void {
    if (text) drafts.value[conversationId] = text;
    else delete drafts.value[conversationId];
    writePersisted(KEY, drafts.value);
  }

  return { drafts, draftOf, setDraft };
});
