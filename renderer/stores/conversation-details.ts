// A group's or channel's details panel and a message's info: which one is open, and the changes an
// admin (or a member leaving) asks for. Each answer is the conversation as the engine stored it
// after the server's event, so the list, the header and the thread follow from it.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { parley } from '../bridge';
import type { Address, ConversationSummary, Message, Participant } from '../../contract/types';
import { useConversationsStore } from './conversations';

export const useConversationDetailsStore = defineStore('conversationDetails', () => {
  const conversations = useConversationsStore();
  /** The conversation whose details panel is open. */
  const detailsOf = ref<string | null>(null);
  /** The message (mine, in a group) whose info is open. */
  const messageInfo = ref<Message | null>(null);

  const apply = async (change: Promise<ConversationSummary>): Promise<void> => conversations.upsert(await change);

  return {
    detailsOf,
    messageInfo,
    openDetails: (conversationId: string) => void (detailsOf.value = conversationId),
    closeDetails: () => void (detailsOf.value = null),
    openMessageInfo: (message: Message) => void (messageInfo.value = message),
    closeMessageInfo: () => void (messageInfo.value = null),
    edit: (conversationId: string, details: { title?: string; description?: string }) => apply(parley.editConversation({ conversationId, ...details })),
    add: (conversationId: string, members: Address[]) => apply(parley.addMembers({ conversationId, members })),
    remove: (conversationId: string, address: Address) => apply(parley.removeMembers({ conversationId, members: [address] })),
    leave: (conversationId: string) => apply(parley.leaveConversation({ conversationId })),
    setRole: (conversationId: string, address: Address, role: Participant['role']) => apply(parley.setMemberRole({ conversationId, address, role })),
    reset(): void {
      detailsOf.value = null;
      messageInfo.value = null;
    },
  };
});
