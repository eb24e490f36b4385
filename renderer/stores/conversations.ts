// The conversation list, which one is open, and the requests about conversations.
import { defineStore } from 'pinia';
import { computed, ref, shallowReactive } from 'vue';
import { parley } from '../bridge';
import type { Address, ConversationSummary, Participant, User } from '../../contract/types';
import { conversationTitle } from '../lib/conversation';
import { readPersisted, writePersisted } from '../lib/persisted';
import { useMessagesStore } from './messages';
import { useSessionStore } from './session';

const LAST_OPENED = 'parley.lastConversation';

export const useConversationsStore = defineStore('conversations', () => {
  const session = useSessionStore();
  const byId = ref<Record<string, ConversationSummary>>({});
  const loaded = ref(false);
  const activeId = ref<string | null>(null);
  const filter = ref('');
  /** Something to tell about opening a conversation (a link to one that is not mine), until dismissed. */
  const notice = ref<string | null>(null);
  /** Asked to open (a link, a notification) before the list was loaded. */
  let pendingReveal: { id: string; seq: number | undefined } | null = null;
  /**
   * Display names of everyone seen in a conversation, kept when they leave it ("Alice removed Carol"),
   * and reactive: a newcomer's name can arrive after the line that adds them is shown.
   */
  const knownNames = shallowReactive(new Map<Address, string>());

  function remember(conversation: ConversationSummary): void {
    for (const p of conversation.participants) if (p.name && knownNames.get(p.address) !== p.name) knownNames.set(p.address, p.name);
  }

  /** A person's display name as best known, else their address. */
  function displayName(address: Address): string {
    return knownNames.get(address) ?? address;
  }

  const sorted = computed(() => Object.values(byId.value).sort((a, b) => b.lastActivity - a.lastActivity));
  const active = computed(() => (activeId.value ? (byId.value[activeId.value] ?? null) : null));
  /** Conversations whose title or people match the text (all of them for none), most recent first. */
  function matching(text: string): ConversationSummary[] {
    const query = text.trim().toLowerCase();
    if (!query) return sorted.value;
    return sorted.value.filter(
      (c) => titleOf(c).toLowerCase().includes(query) || c.participants.some((p) => `${p.address} ${p.name ?? ''}`.toLowerCase().includes(query)),
    );
  }
  const visible = computed(() => matching(filter.value));
  // Muted conversations keep their own count but stay out of the total, as in the app badge.
  const totalUnread = computed(() => sorted.value.reduce((sum, c) => sum + (c.muted ? 0 : c.unread), 0));

  function titleOf(conversation: ConversationSummary): string {
    return conversationTitle(conversation, session.me);
  }

  async function load(): Promise<void> {
    const list = await parley.listConversations();
    list.forEach(remember);
    byId.value = Object.fromEntries(list.map((c) => [c.id, c]));
    loaded.value = true;
  }

  function upsert(conversation: ConversationSummary): void {
    remember(conversation);
    byId.value[conversation.id] = conversation;
  }

  /** A member's delivered and read marks moved (what message info shows). */
  function applyMarks({ conversationId, participant }: { conversationId: string; participant: Participant }): void {
    const member = byId.value[conversationId]?.participants.find((p) => p.address === participant.address);
    if (member) Object.assign(member, { deliveredSeq: participant.deliveredSeq, readSeq: participant.readSeq });
  }

  function applyUnread(change: { conversationId: string; unread: number }): void {
    const conversation = byId.value[change.conversationId];
    if (conversation) conversation.unread = change.unread;
  }

  function open(id: string): void {
    activeId.value = id;
    writePersisted(LAST_OPENED, id);
  }

  /** At launch: a conversation asked for meanwhile, else the one open last time, else the most recent one. */
  function openInitial(): void {
    if (pendingReveal !== null) {
      const { id, seq } = pendingReveal;
      pendingReveal = null;
      return reveal(id, seq);
    }
    const last = readPersisted<string | null>(LAST_OPENED, null);
    const id = last && byId.value[last] ? last : (sorted.value[0]?.id ?? null);
    if (id) open(id);
  }

  /**
   * The host asks to show a conversation (a parley: link, a notification, a search hit): open it if it
   * is mine, at the message with `seq` (loaded around it and highlighted) when there is one.
   */
  function reveal(id: string, seq?: number): void {
    if (!loaded.value) {
      pendingReveal = { id, seq };
      return;
    }
    if (!byId.value[id]) {
      notice.value = 'That link is to a conversation you are not in (or not on this device yet).';
      return;
    }
    notice.value = null;
    if (seq !== undefined) useMessagesStore().openAt(id, seq);
    open(id);
  }

  /** Muting is this device's: no notifications, and the conversation leaves the badge total. */
  async function setMuted(id: string, muted: boolean): Promise<void> {
    upsert(await parley.setConversationMuted({ conversationId: id, muted }));
  }

  /** Opens the next (1) or previous (-1) conversation in the visible list. */
  function step(delta: 1 | -1): void {
    const list = visible.value;
    if (list.length === 0) return;
    const index = list.findIndex((c) => c.id === activeId.value);
    const next = index === -1 ? (delta > 0 ? 0 : list.length - 1) : Math.min(Math.max(index + delta, 0), list.length - 1);
    open(list[next]!.id);
  }

  /** One person: a direct conversation; several: a group or channel, which needs a title. */
  async function create(participants: Address[], title?: string, type: 'group' | 'channel' = 'group'): Promise<ConversationSummary> {
    const conversation = await parley.createConversation(
      participants.length === 1 ? { type: 'direct', participants } : { type, participants, title },
    );
    upsert(conversation);
    open(conversation.id);
    return conversation;
  }

  /** The server's directory, for picking people to talk to. */
  async function searchPeople(query: string): Promise<User[]> {
    return (await parley.searchUsers({ query })).filter((user) => user.address !== session.me);
  }

  /** Moves my read mark; the engine answers with conversation and unread events. */
  async function markRead(id: string, seq: number): Promise<void> {
    const conversation = byId.value[id];
    if (!conversation || seq <= conversation.readSeq) return;
    // At once, so the badge goes and the same seq is not sent twice while the events are on their way.
    const before = { readSeq: conversation.readSeq, unread: conversation.unread, mentions: conversation.mentions };
    conversation.readSeq = seq;
    conversation.unread = Math.max(0, conversation.lastSeq - seq);
    if (seq >= conversation.lastSeq) conversation.mentions = 0;
    try {
      await parley.markRead({ conversationId: id, seq });
    } catch {
      Object.assign(conversation, before); // still unread: the next look marks it again
    }
  }

  function reset(): void {
    byId.value = {};
    loaded.value = false;
    activeId.value = null;
    filter.value = '';
    notice.value = null;
    pendingReveal = null;
    knownNames.clear();
  }

  return {
    byId,
    loaded,
    activeId,
    filter,
    notice,
    sorted,
    active,
    visible,
    totalUnread,
    titleOf,
    matching,
    load,
    upsert,
    applyMarks,
    displayName,
    applyUnread,
    open,
    openInitial,
    reveal,
    setMuted,
    step,
    create,
    searchPeople,
    markRead,
    reset,
  };
});
