// The loaded part of each conversation's history, kept in step with the host's events.
//
// A thread holds a contiguous run of messages: usually the newest (older pages are prepended as the
// reader scrolls up) followed by my messages still being sent (seq null); opened at a message (the first
// unread, a link, a search hit) it is a window around it, paged both ways until it reaches the newest.
// Threads are immutable values in a shallow map: a change replaces the thread, so a 100,000-message
// history is never made deeply reactive.
import { defineStore } from 'pinia';
import { shallowReactive, shallowRef } from 'vue';
import { parley } from '../bridge';
import type { ConversationSummary, FileProgress, Message, MessageStatus, MessageStatusChange } from '../../contract/types';
import { errorText } from '../lib/errors';
import { background } from '../lib/background';

export interface Thread {
  /** Oldest first; my messages still being sent (seq null) last. */
  readonly messages: readonly Message[];
  /** The first page has arrived. */
  readonly loaded: boolean;
  /** The local store holds messages before the oldest loaded one. */
  readonly hasOlder: boolean;
  readonly loadingOlder: boolean;
  /** A window on older history: the store holds messages after the newest loaded one, which live ones do not join. */
  readonly hasNewer: boolean;
  readonly loadingNewer: boolean;
}

/** A message to show and highlight in its conversation, asked for by a link, a notification or a search hit. */
export interface Focus {
  readonly conversationId: string;
  readonly seq: number;
}

const FIRST_PAGE = 50;
/** Bigger than the first page: fewer round trips for someone flinging through a long history. */
const OLDER_PAGE = 100;
const NEWER_PAGE = OLDER_PAGE;
/** A window around a message: half of it before, for the context above it. */
const AROUND_PAGE = 100;

const EMPTY: Thread = { messages: [], loaded: false, hasOlder: false, loadingOlder: false, hasNewer: false, loadingNewer: false };
const RANK: Record<MessageStatus, number> = { sending: 0, failed: 0, sent: 1, delivered: 2, read: 3 };

const bySeq = (a: Message, b: Message) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || a.time - b.time;

export function newestSeq(messages: readonly Message[]): number | null {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.seq !== null) return messages[i]!.seq;
  return null;
}

function oldestSeq(messages: readonly Message[]): number | null {
  return messages.find((m) => m.seq !== null)?.seq ?? null;
}

/** Of two copies of one message, the later state: a message never loses its seq and its ticks never go back. */
function later(known: Message, incoming: Message): Message {
  if (known.seq !== null && incoming.seq === null) return known;
  if (known.seq !== null && RANK[incoming.status ?? 'sent'] < RANK[known.status ?? 'sent']) return { ...incoming, status: known.status };
  return incoming;
}

/** Merges by id and keeps seq order. Both inputs are sorted, so the sort only interleaves two runs. */
function merge(messages: readonly Message[], incoming: readonly Message[]): readonly Message[] {
  if (incoming.length === 0) return messages;
  const fresh = new Map(incoming.map((m) => [m.id, m]));
  const merged = messages.map((m) => {
    const copy = fresh.get(m.id);
    if (!copy) return m;
    fresh.delete(m.id);
    return later(m, copy);
  });
  return merged.concat([...fresh.values()]).sort(bySeq);
}

/** Whether a message with this seq belongs between the oldest and newest loaded messages of the thread. */
function inWindow(thread: Thread, seq: number | null): boolean {
  if (seq === null) return false;
  const numbered = thread.messages.filter((m) => m.seq !== null);
  const oldest = numbered[0]?.seq ?? null;
  const newest = numbered.at(-1)?.seq ?? null;
  return (!thread.hasOlder || (oldest !== null && seq >= oldest)) && (!thread.hasNewer || (newest !== null && seq <= newest));
}

function withStatus(message: Message, change: MessageStatusChange): Message {
  const { error: _previous, ...rest } = message;
  const next = { ...rest, status: change.status, seq: change.seq ?? message.seq };
  return change.error ? { ...next, error: change.error } : next;
}

export const useMessagesStore = defineStore('messages', () => {
  const threads = shallowReactive<Record<string, Thread>>({});
  /** Statuses that overtook the message they are about (sendMessage's answer can come after them). */
  const early = new Map<string, MessageStatusChange>();
  const refreshing = new Map<string, { again: boolean }>();
  /** Bumped when a thread is replaced by another window: pages asked for the one before are dropped. */
  const windows = new Map<string, number>();
  const focus = shallowRef<Focus | null>(null);

  function threadOf(conversationId: string): Thread {
    return threads[conversationId] ?? EMPTY;
  }

  function update(conversationId: string, patch: Partial<Thread>): void {
    threads[conversationId] = { ...threadOf(conversationId), ...patch };
  }

  /** Takes in the newest page; what it does not join up with is dropped (a gap the reader pages into again). */
  function takeNewest(conversationId: string, page: readonly Message[]): void {
    const thread = threadOf(conversationId);
    const first = oldestSeq(page);
    const joins = first === null || first === 1 || thread.messages.some((m) => m.seq === first - 1);
    const kept = joins ? thread.messages : thread.messages.filter((m) => m.seq === null || m.seq >= first);
    const messages = merge(kept, page);
    const hasOlder = joins && thread.loaded ? thread.hasOlder : (oldestSeq(messages) ?? 0) > 1;
    update(conversationId, { messages, loaded: true, hasOlder });
  }

  /** Replaces the thread with a page read at some place in its history. */
  function replace(conversationId: string, page: readonly Message[], hasNewer: boolean): void {
    windows.set(conversationId, (windows.get(conversationId) ?? 0) + 1);
    threads[conversationId] = { ...EMPTY, messages: page, loaded: true, hasOlder: (oldestSeq(page) ?? 0) > 1, hasNewer };
  }

  const numbered = (page: readonly Message[]) => page.filter((m) => m.seq !== null).length;

  /** Reads the newest page; concurrent calls for one conversation collapse into one more read. A window on older history is left alone. */
  async function refresh(conversationId: string): Promise<void> {
    const running = refreshing.get(conversationId);
    if (running) return void (running.again = true);
    const state = { again: true };
    refreshing.set(conversationId, state);
    try {
      while (state.again && !threadOf(conversationId).hasNewer) {
        state.again = false;
        takeNewest(conversationId, await parley.readMessages({ conversationId, limit: FIRST_PAGE }));
      }
    } catch {
      // The host is unreachable: the next event about this conversation (or opening it) reads again.
    } finally {
      refreshing.delete(conversationId);
    }
  }

  /** Shows a conversation's newest messages: from the local store at once, then kept up to date by events. */
  async function open(conversationId: string): Promise<void> {
    const thread = threadOf(conversationId);
    if (thread.hasNewer) return showNewest(conversationId);
    if (thread.loaded) return;
    threads[conversationId] ??= EMPTY; // from now on, live messages for it are kept
    await refresh(conversationId);
  }

  /** Leaves a window on older history for the newest messages. */
  async function showNewest(conversationId: string): Promise<void> {
    if (!threadOf(conversationId).hasNewer) return;
    const page = await parley.readMessages({ conversationId, limit: FIRST_PAGE });
    replace(conversationId, page, false);
  }

  /** Makes sure the message with this seq is loaded: the thread has it, or becomes a window around it. */
  async function show(conversationId: string, seq: number): Promise<void> {
    const thread = threadOf(conversationId);
    if (thread.loaded && thread.messages.some((m) => m.seq === seq)) return;
    threads[conversationId] ??= EMPTY;
    const page = await parley.readMessages({ conversationId, aroundSeq: seq, limit: AROUND_PAGE });
    const reachesNewest = numbered(page) < AROUND_PAGE;
    replace(conversationId, page, !reachesNewest);
    // What arrived while the page was read joins it now.
    if (reachesNewest) await refresh(conversationId);
  }

  /**
   * Opens a conversation at a message (a parley:// link, a notification, a search hit): the message
   * list showing it goes there and highlights it, loading the history around it.
   */
  function openAt(conversationId: string, seq: number): void {
    focus.value = { conversationId, seq };
  }

  /** The message this conversation's list is asked to go to, once: it is forgotten as it is taken. */
  function takeFocus(conversationId: string): number | null {
    const asked = focus.value;
    if (asked?.conversationId !== conversationId) return null;
    focus.value = null;
    return asked.seq;
  }

  /** Reads a page next to the loaded ones; dropped if the thread became another window meanwhile. */
  async function loadPage(conversationId: string, direction: 'older' | 'newer'): Promise<void> {
    const thread = threadOf(conversationId);
    const older = direction === 'older';
    const from = older ? oldestSeq(thread.messages) : newestSeq(thread.messages);
    if (!(older ? thread.hasOlder : thread.hasNewer) || (older ? thread.loadingOlder : thread.loadingNewer) || from === null) return;
    const loading = older ? 'loadingOlder' : 'loadingNewer';
    const window = windows.get(conversationId);
    update(conversationId, { [loading]: true });
    try {
      const limit = older ? OLDER_PAGE : NEWER_PAGE;
      const page = await parley.readMessages(older ? { conversationId, beforeSeq: from, limit } : { conversationId, afterSeq: from, limit });
      if (windows.get(conversationId) !== window) return;
      const messages = merge(threadOf(conversationId).messages, page);
      if (older) return update(conversationId, { messages, hasOlder: (oldestSeq(page) ?? 0) > 1 });
      const reachesNewest = numbered(page) < limit;
      update(conversationId, { messages, hasNewer: !reachesNewest });
      if (reachesNewest) await refresh(conversationId);
    } finally {
      if (windows.get(conversationId) === window) update(conversationId, { [loading]: false });
    }
  }

  const loadOlder = (conversationId: string) => loadPage(conversationId, 'older');
  const loadNewer = (conversationId: string) => loadPage(conversationId, 'newer');

  /** Adds a message that is new to this device; one that leaves a gap is read with its neighbours instead. */
  function receive(message: Message): void {
    const id = message.conversationId;
    const thread = id ? threads[id] : undefined;
    if (!id || !thread) return; // not loaded: it is read from the store when opened
    // A window on older history reads it when paged to it; what I send shows at once, so the newest come back.
    if (thread.hasNewer) return message.mine && message.seq === null ? background(showNewest(id)) : undefined;
    const newest = newestSeq(thread.messages);
    if (thread.loaded && message.seq !== null && newest !== null && message.seq > newest + 1) return void refresh(id);
    update(id, { messages: merge(thread.messages, [message]) });
    const status = early.get(message.id);
    if (status) {
      early.delete(message.id);
      applyStatus(status);
    }
  }

  function applyStatus(change: MessageStatusChange): void {
    const ids = change.conversationId ? [change.conversationId] : Object.keys(threads);
    for (const id of ids) {
      const thread = threads[id];
      const message = thread?.messages.findLast((m) => m.id === change.id);
      if (thread && message) return update(id, { messages: merge(thread.messages, [withStatus(message, change)]) });
    }
    // Receipts for old messages that are not loaded concern nobody; a newer one is on its way here.
    const thread = change.conversationId ? threads[change.conversationId] : undefined;
    const newest = thread ? newestSeq(thread.messages) : null;
    if (thread && (change.seq === null || newest === null || change.seq > newest)) early.set(change.id, change);
  }

  /**
   * A transfer's progress onto its message: only that message is replaced (the thread array is copied,
   * its other messages are not), so ten updates a second stay cheap.
   */
  function applyProgress(progress: FileProgress): void {
    if (!progress.messageId) return;
    const ids = progress.conversationId ? [progress.conversationId] : Object.keys(threads);
    for (const id of ids) {
      const thread = threads[id];
      const index = thread?.messages.findLastIndex((m) => m.id === progress.messageId) ?? -1;
      if (!thread || index < 0) continue;
      const messages = thread.messages.slice();
      messages[index] = { ...messages[index]!, transfer: progress };
      return update(id, { messages });
    }
  }

  /** A summary newer than the loaded history (membership and title changes only arrive this way). */
  function onConversation(conversation: ConversationSummary): void {
    const thread = threads[conversation.id];
    if (thread?.loaded && conversation.lastSeq > (newestSeq(thread.messages) ?? 0)) background(refresh(conversation.id));
  }

  /** After a catch-up, the loaded threads may have holes the engine filled without events. */
  function refreshLoaded(): void {
    for (const id of Object.keys(threads)) background(refresh(id));
  }

  /** A stored message changed (edited, deleted for everyone, reacted to): its copy here is replaced, if loaded. */
  function applyChanged(message: Message): void {
    const id = message.conversationId;
    const thread = id ? threads[id] : undefined;
    if (!id || !thread?.loaded) return;
    // One the thread lacks joins it only inside the loaded window: a delete for me the server refused brings it back.
    if (!thread.messages.some((m) => m.id === message.id) && !inWindow(thread, message.seq)) return;
    update(id, { messages: merge(thread.messages, [message]) });
  }

  /** Messages deleted for me (here or on another of my devices) leave the thread. */
  function applyRemoved({ conversationId, ids }: { conversationId: string; ids: string[] }): void {
    const thread = threads[conversationId];
    if (!thread) return;
    const gone = new Set(ids);
    if (thread.messages.some((m) => gone.has(m.id))) update(conversationId, { messages: thread.messages.filter((m) => !gone.has(m.id)) });
  }

  /** Sends a message, as a reply to the message with seq `replyTo` when given. */
  async function send(conversationId: string, text: string, replyTo?: number): Promise<void> {
    receive(await parley.sendMessage(replyTo === undefined ? { conversationId, text } : { conversationId, text, replyTo }));
  }

  /** My message's new text: shown at once (the engine answers with it), sent when online. */
  async function edit(messageId: string, text: string): Promise<void> {
    applyChanged(await parley.editMessage({ messageId, text }));
  }

  /** The message whose delete for everyone waits for a yes (DeleteForEveryone.vue asks). */
  const deleting = shallowRef<Message | null>(null);

  /** For everyone, or for me only: the engine's messageChanged or messagesRemoved event shows it. */
  async function remove(messageId: string, forEveryone: boolean): Promise<void> {
    await parley.deleteMessage({ messageId, forEveryone });
  }

  /** Adds my emoji to a message, or takes it back. */
  async function react(messageId: string, emoji: string, on: boolean): Promise<void> {
    applyChanged(await parley.react({ messageId, emoji, on }));
  }

  async function retry(id: string): Promise<void> {
    applyStatus({ id, conversationId: null, seq: null, status: 'sending' });
    try {
      await parley.retryMessage({ id });
    } catch (e) {
      applyStatus({ id, conversationId: null, seq: null, status: 'failed', error: errorText(e) });
    }
  }

  function reset(): void {
    for (const id of Object.keys(threads)) delete threads[id];
    early.clear();
    windows.clear();
    focus.value = null;
    deleting.value = null;
  }

  return {
    threads,
    focus,
    threadOf,
    open,
    show,
    showNewest,
    openAt,
    takeFocus,
    loadOlder,
    loadNewer,
    receive,
    applyStatus,
    applyProgress,
    onConversation,
    refreshLoaded,
    applyChanged,
    applyRemoved,
    send,
    edit,
    remove,
    deleting,
    askDelete: (message: Message) => void (deleting.value = message),
    cancelDelete: () => void (deleting.value = null),
    react,
    retry,
    reset,
  };
});
