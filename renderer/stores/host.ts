// The one place where the host feeds the stores: its events go to the stores' actions, and signing
// in or out loads or clears everything that belongs to the user.
import { onScopeDispose, watch } from 'vue';
import { parley } from '../bridge';
import { useComposeStore } from './compose';
import { useConnectionStore } from './connection';
import { useConversationDetailsStore } from './conversation-details';
import { useConversationsStore } from './conversations';
import { useFoldersStore } from './folders';
import { useMessagesStore } from './messages';
import { usePeopleStore } from './people';
import { reportPageActivity } from '../composables/activity';
import { useSearchStore } from './search';
import { useSessionStore } from './session';
import { useTypingStore } from './typing';
import { useUpdatesStore } from './updates';
import { background } from '../lib/background';

/** Call once, from the root component's setup: everything stops with it. */
export function connectToHost(): void {
  const session = useSessionStore();
  const connection = useConnectionStore();
  const conversations = useConversationsStore();
  const details = useConversationDetailsStore();
  const messages = useMessagesStore();
  const typing = useTypingStore();
  const folders = useFoldersStore();
  const updates = useUpdatesStore();
  const people = usePeopleStore();
  const search = useSearchStore();
  const compose = useComposeStore();

  const unsubscribes = [
    parley.on('session', (state) => session.apply(state)),
    parley.on('connectionStatus', (status) => connection.apply(status)),
    parley.on('sync', (progress) => {
      connection.applySync(progress);
      if (progress.state !== 'done') return;
      messages.refreshLoaded();
      // A first sign-in starts from an empty store: open a conversation once the first sync brought some.
      if (!conversations.activeId) conversations.openInitial();
    }),
    parley.on('conversation', (conversation) => {
      conversations.upsert(conversation);
      messages.onConversation(conversation);
    }),
    parley.on('unread', (change) => conversations.applyUnread(change)),
    parley.on('marks', (change) => conversations.applyMarks(change)),
    parley.on('message', (message) => {
      messages.receive(message);
      if (message.conversationId) typing.stopped(message.conversationId, message.sender);
    }),
    parley.on('messageStatus', (change) => messages.applyStatus(change)),
    parley.on('messageChanged', (message) => messages.applyChanged(message)),
    parley.on('messagesRemoved', (removed) => messages.applyRemoved(removed)),
    // After its message event: the same message, now known to carry a file.
    parley.on('file', (message) => messages.receive(message)),
    parley.on('fileProgress', (progress) => messages.applyProgress(progress)),
    parley.on('folderStatus', (folder) => folders.applyStatus(folder)),
    parley.on('folderFileSent', (sent) => folders.applySent(sent)),
    parley.on('typing', ({ conversationId, address }) => {
      if (address !== session.me) typing.started(conversationId, address);
    }),
    parley.on('openConversation', ({ conversationId, seq }) => conversations.reveal(conversationId, seq)),
    parley.on('update', (state) => updates.apply(state)),
    parley.on('presence', (list) => people.applyPresence(list)),
    parley.on('avatar', (change) => people.applyAvatar(change)),
    parley.on('profile', (profile) => people.applyProfile(profile)),
    parley.on('searchProgress', (progress) => search.applyProgress(progress)),
  ];
  reportPageActivity();
  onScopeDispose(() => unsubscribes.forEach((unsubscribe) => unsubscribe()));

  // The status at sign-in or reload; connectionStatus events carry it on from there.
  watch(
    () => session.state,
    (state) => {
      if (state?.state === 'signedIn') connection.apply(state.connection);
    },
  );

  watch(
    () => session.me,
    async (me, before) => {
      if (before) {
        conversations.reset();
        details.reset();
        messages.reset();
        compose.reset();
        search.reset();
        typing.reset();
        folders.reset();
        people.reset();
      }
      if (!me) return;
      void folders.load().catch(() => {}); // the folder dialog loads them again when it opens
      void people.load().catch(() => {}); // presence, avatar and profile events fill them as they come
      try {
        await conversations.load();
      } catch {
        return; // the engine's conversation events fill the list as it syncs
      }
      if (session.me === me) conversations.openInitial();
    },
  );

  background(session.load());
  // Only the desktop app updates itself; its update events carry on from here.
  watch(
    () => session.appInfo?.host,
    (host) => {
      if (host === 'electron') background(updates.load());
    },
  );
}
