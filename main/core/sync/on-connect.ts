// The sync that follows every connect: who I am (a data dir belongs to one account), every
// conversation's marks compared with what is stored here (a read made offline and a delivered
// receipt lost with the link are sent again), the outbox and save folders resumed, then catch-up.
import { ParleyError } from '../../../protocol/index.js';
import type { EngineContext } from '../context.js';
import type { AutoSave } from '../files/auto-save.js';
import type { Outbox } from '../outbox.js';
import type { PresenceTracker } from '../people/presence.js';
import type { Profiles } from '../people/profile.js';
import type { CatchUp } from './catch-up.js';
import type { HiddenSync } from './hidden.js';
import type { Receipts } from './receipts.js';

export type OnConnectDeps = Pick<EngineContext, 'connection' | 'store' | 'events' | 'announce' | 'stopped' | 'log'> & {
  receipts: Receipts;
  outbox: Outbox;
  autoSave: AutoSave;
  catchUp: CatchUp;
  presence: PresenceTracker;
  profiles: Profiles;
  hidden: HiddenSync;
};

export type OnConnect = ReturnType<typeof syncOnConnect>;

/** A failed sync is tried again after 2 s, then twice as long each time, at most every 30 s. */
const SYNC_RETRY_MS = 2000;
const SYNC_RETRY_MAX_MS = 30_000;

export function syncOnConnect(d: OnConnectDeps) {
  const { connection, store } = d;
  /** The sync in progress, for idle(). */
  let syncing: Promise<void> | null = null;

  async function sync(): Promise<void> {
    const { me, conversations, left = [], presence, hideLastSeen, hiddenVersion } = await connection.request('sync', {});
    if (d.stopped()) return;
    if (store.me && store.me !== me.address) {
      connection.stop();
      d.events.emit('connectionStatus', { state: 'authFailed', reason: `this data directory belongs to ${store.me}, but the token is ${me.address}'s` });
      return;
    }
    if (!store.me) store.setMe(me.address);
    d.profiles.synced(me, hideLastSeen);
    d.presence.synced(presence);
    const localRead = new Map(store.conversations.all().map((c) => [c.id, c.readSeq]));
    store.upsertConversations(conversations);
    for (const c of conversations) {
      const mine = c.participants.find((p) => p.address === me.address);
      const read = localRead.get(c.id) ?? 0;
      // Read here while offline: tell the server (and through it my other devices).
      if (read > (mine?.readSeq ?? 0)) d.receipts.read(c.id, read);
      const have = store.conversations.haveSeq(c.id) ?? 0;
      if (have > (mine?.deliveredSeq ?? 0)) d.receipts.delivered(c.id, have);
      d.announce.conversation(c.id);
    }
    // Removed while away: the history up to the removal is still mine, and catch-up fetches it.
    for (const { conversationId, seq } of left) {
      const known = store.conversations.get(conversationId);
      if (known && known.lastSeq < seq) store.conversations.bump(conversationId, seq, known.lastActivity);
    }
    d.outbox.kick();
    d.autoSave.resume();
    // Messages deleted for me elsewhere meanwhile (hidden whether stored yet or not), beside catch-up.
    await Promise.all([d.hidden.synced(hiddenVersion), d.catchUp.run()]);
  }

  /** Set while a sync that failed on a link still up waits to be tried again. */
  let retry: NodeJS.Timeout | null = null;
  /** Syncs failed in a row on this link: a refusal that lasts is asked again ever less often. */
  let failures = 0;

  function start(): void {
    const running = sync()
      .then(() => {
        failures = 0;
      })
      .catch((error: unknown) => {
        if (d.stopped()) return;
        if (!(error instanceof ParleyError && error.code === 'unavailable')) d.log('sync failed', error);
        // Refused or unanswered while the link stays up (rate limited, a node not ready, a lost reply): no
        // reconnect comes to sync again, and only a sync resumes the outbox and catches up. A sync of an
        // earlier link that fails late is not retried: the latest link's own sync stands.
        if (connection.online && syncing === running) {
          retry = setTimeout(() => {
            retry = null;
            start();
          }, Math.min(SYNC_RETRY_MS * 2 ** failures++, SYNC_RETRY_MAX_MS));
        }
      })
      // A reconnect may start another sync before this one ends: only the latest clears the mark.
      .finally(() => {
        if (syncing === running) syncing = null;
      });
    syncing = running;
  }

  // The connection reports 'online' after every connect and reconnect. Any change of the link ends a
  // wait to retry: a reconnect syncs anew, and nothing syncs offline or once stopped.
  d.events.on('connectionStatus', (status) => {
    if (retry) clearTimeout(retry);
    retry = null;
    failures = 0;
    if (status.state === 'online') start();
  });

  return {
    /** Resolves when no sync is running (the retry after a failed one is not waited for). */
    async idle(): Promise<void> {
      while (syncing) await syncing;
    },
  };
}
