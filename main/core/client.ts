// The client engine: a local store that answers at once, a connection that keeps it in step with
// the server, and the seeds' API on top (sendMessage, readConversations, onMessage…).
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { Address, Body, ParleyError, invalidPayload, type ConversationEvent, type Receipt } from '../../protocol/index.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import { createConnection } from './net/connection.js';
import { createOutbox } from './outbox.js';
import { openStore } from './store/store.js';
import { createCatchUp } from './sync/catch-up.js';
import type { ClientEvents, ConversationSummary, ConversationType, Destination, Message } from './types.js';

export interface ClientOptions {
  dataDir: string;
  serverUrl: string;
  token: string;
  /** Reconnect backoff bounds in ms (defaults 500 and 30,000). */
  backoff?: { minDelay: number; maxDelay: number };
  /** Where engine problems are reported (default console.warn). */
  log?: (message: string, detail?: unknown) => void;
}

const DELIVERED_FLUSH_MS = 30;
const TYPING_EVERY_MS = 3000;
const MAX_PAGE = 500;

export type Client = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const log = options.log ?? ((message, detail) => console.warn(`[parley] ${message}`, detail ?? ''));
  const events = new Emitter<ClientEvents>((error) => log('an event listener threw', error));
  const store = openStore(options.dataDir);
  store.init();
  let deviceId = store.meta('deviceId');
  if (!deviceId) store.setMeta('deviceId', (deviceId = randomUUID()));

  let stopped = false;
  const pendingDelivered = new Map<string, number>();
  let deliveredTimer: NodeJS.Timeout | null = null;
  const lastTyping = new Map<string, number>();

  const connection = createConnection({
    serverUrl: options.serverUrl,
    token: options.token,
    deviceId,
    ...options.backoff,
    onStatus: (status) => events.emit('connectionStatus', status),
    onOnline: () => void onOnline(),
    onInvalidPush: (name, problem) => log(`ignored a malformed "${name}" from the server: ${problem}`),
  });

  const emitConversation = (id: string) => {
    const summary = store.conversation(id);
    if (!summary) return;
    events.emit('conversation', summary);
    events.emit('unread', { conversationId: id, unread: summary.unread, total: store.totalUnread() });
  };

  const outbox = createOutbox(store, connection, {
    sent: (message) => {
      events.emit('messageStatus', { id: message.id, conversationId: message.conversationId, seq: message.seq, status: 'sent' });
      emitConversation(message.conversationId!);
    },
    failed: (item, reason) =>
      events.emit('messageStatus', {
        id: `${store.me}:${item.clientId}`,
        conversationId: item.conversationId,
        seq: null,
        status: 'failed',
        error: reason,
      }),
    conversationCreated: emitConversation,
  });

  const catchUp = createCatchUp(store, connection, {
    stored: (conversationId, haveSeq, last) => {
      scheduleDelivered(conversationId, haveSeq);
      if (last) emitConversation(conversationId);
    },
    progress: (state, behind) => events.emit('sync', { state, behind }),
  });

  /** "A device stored it": one cumulative receipt per conversation, coalesced over a few ms. */
  function scheduleDelivered(conversationId: string, seq: number) {
    if (seq <= (pendingDelivered.get(conversationId) ?? 0)) return;
    pendingDelivered.set(conversationId, seq);
    deliveredTimer ??= setTimeout(() => {
      deliveredTimer = null;
      for (const [id, upTo] of pendingDelivered) {
        connection.request('receipt', { conversationId: id, type: 'delivered', seq: upTo }).catch(() => {
          /* sent again after the next catch-up */
        });
      }
      pendingDelivered.clear();
    }, DELIVERED_FLUSH_MS);
  }

  async function onOnline() {
    try {
      const { me, conversations } = await connection.request('sync', {});
      if (stopped) return;
      if (store.me && store.me !== me.address) {
        connection.stop();
        events.emit('connectionStatus', {
          state: 'authFailed',
          reason: `this data directory belongs to ${store.me}, but the token is ${me.address}'s`,
        });
        return;
      }
      if (!store.me) store.setMe(me.address);
      const localRead = new Map(store.conversations().map((c) => [c.id, c.readSeq]));
      store.upsertConversations(conversations);
      for (const c of conversations) {
        const mine = c.participants.find((p) => p.address === me.address);
        const read = localRead.get(c.id) ?? 0;
        // Read here while offline: tell the server (and through it my other devices).
        if (read > (mine?.readSeq ?? 0)) void sendRead(c.id, read);
        // A delivered receipt lost with the connection is sent again.
        const have = store.haveSeq(c.id);
        if (have > (mine?.deliveredSeq ?? 0)) scheduleDelivered(c.id, have);
        emitConversation(c.id);
      }
      outbox.kick();
      await catchUp.run();
    } catch (error) {
      if (!stopped && !(error instanceof ParleyError && error.code === 'unavailable')) log('sync failed', error);
    }
  }

  async function sendRead(conversationId: string, seq: number) {
    try {
      await connection.request('receipt', { conversationId, type: 'read', seq });
    } catch {
      /* the next sync compares read marks again */
    }
  }

  function onEvent(event: ConversationEvent) {
    const known = store.conversation(event.conversationId);
    const { inserted, have } = store.ingest([event], true);
    if (!known) return void catchUp.run(); // added to a conversation we have not heard of yet
    if (inserted.length === 0) return;
    const haveSeq = have.get(event.conversationId) ?? 0;
    if (haveSeq < event.seq - 1 || event.seq > known.lastSeq + 1) void catchUp.run();
    if (event.type === 'message') {
      const message = store.message(event.conversationId, event.seq);
      if (message) events.emit('message', message);
      if (event.sender !== store.me) scheduleDelivered(event.conversationId, haveSeq);
    }
    emitConversation(event.conversationId);
  }

  function onReceipt(receipt: Receipt) {
    for (const message of store.applyReceipt(receipt)) {
      events.emit('messageStatus', {
        id: message.id,
        conversationId: message.conversationId,
        seq: message.seq,
        status: message.status!,
      });
    }
    if (receipt.address === store.me && receipt.type === 'read') emitConversation(receipt.conversationId);
  }

  connection.onPush('event', onEvent);
  connection.onPush('receipt', onReceipt);
  connection.onPush('conversation', (conversation) => {
    store.upsertConversations([conversation]);
    emitConversation(conversation.id);
    if (conversation.lastSeq > 0) void catchUp.run();
  });
  connection.onPush('typing', (typing) => events.emit('typing', typing));
  connection.onPush('protocol:error', (error) => log(`the server refused a message: ${error.code}: ${error.message}`));

  /** Requests a person is waiting on ride out a connection attempt in progress instead of failing at once. */
  function whenOnline(timeoutMs = 10_000): Promise<void> {
    const offline = () => new ParleyError('unavailable', 'Parley is offline; this needs the server');
    if (connection.online) return Promise.resolve();
    if (connection.status.state !== 'connecting') return Promise.reject(offline());
    return new Promise((resolve, reject) => {
      const off = events.on('connectionStatus', (status) => {
        if (status.state === 'connecting') return;
        settle();
        if (status.state === 'online') resolve();
        else reject(offline());
      });
      const timer = setTimeout(() => {
        settle();
        reject(offline());
      }, timeoutMs);
      const settle = () => {
        off();
        clearTimeout(timer);
      };
    });
  }

  function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw invalidPayload(what, parsed.error);
    return parsed.data;
  }

  return {
    on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): Unsubscribe {
      return events.on(event, listener);
    },
    get status() {
      return connection.status;
    },
    get me() {
      return store.me;
    },
    get deviceId() {
      return deviceId!;
    },
    start(): void {
      if (stopped) throw new ParleyError('bad_request', 'this client was stopped; create a new one');
      connection.start();
    },
    /** Disconnects and closes the store; anything unsent stays in the outbox for next time. */
    stop(): void {
      if (stopped) return;
      stopped = true;
      outbox.stop();
      if (deliveredTimer) clearTimeout(deliveredTimer);
      connection.stop();
      events.clear();
      store.close();
    },

    /** Stores the message and returns it with status "sending"; the outbox delivers it. */
    sendMessage(to: Destination, text: string): Message {
      const body = check(Body, text, 'message');
      let conversationId: string | null = null;
      let peer: string | null = null;
      if ('conversationId' in to) {
        if (!store.conversation(to.conversationId)) {
          throw new ParleyError('not_found', `no conversation ${to.conversationId} on this device`);
        }
        conversationId = to.conversationId;
      } else {
        peer = check(Address, to.peer, 'peer');
        if (peer === store.me) throw new ParleyError('bad_request', 'a direct conversation needs someone else');
        conversationId = store.findDirect(peer);
      }
      const message = store.addToOutbox({ clientId: randomUUID(), conversationId, peer, body, createdAt: Date.now() });
      events.emit('messageStatus', { id: message.id, conversationId, seq: null, status: 'sending' });
      outbox.kick();
      return message;
    },

    /** Sends a failed message again, with the same clientId. */
    retryMessage(id: string): void {
      const clientId = id.slice(id.lastIndexOf(':') + 1);
      if (!store.retryOutbox(clientId)) throw new ParleyError('not_found', `no failed message ${id}`);
      events.emit('messageStatus', { id, conversationId: null, seq: null, status: 'sending' });
      outbox.kick();
    },

    readConversations(): ConversationSummary[] {
      return store.conversations();
    },

    readMessages(conversationId: string, options: { beforeSeq?: number; limit?: number } = {}): Message[] {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), MAX_PAGE);
      return store.messages(conversationId, options.beforeSeq, limit);
    },

    markRead(conversationId: string, seq: number): void {
      if (!Number.isSafeInteger(seq) || seq < 1) throw new ParleyError('bad_request', 'seq is a positive integer');
      if (!store.markRead(conversationId, seq)) return;
      emitConversation(conversationId);
      const readSeq = store.conversation(conversationId)!.readSeq;
      if (connection.online) void sendRead(conversationId, readSeq);
    },

    async createConversation(request: {
      participants: string[];
      type: ConversationType;
      title?: string;
      distinct?: boolean;
    }): Promise<ConversationSummary> {
      await whenOnline();
      const conversation = await connection.request('conversation:create', request);
      store.upsertConversations([conversation]);
      emitConversation(conversation.id);
      if (conversation.lastSeq > 0) void catchUp.run();
      return store.conversation(conversation.id)!;
    },

    setTyping(conversationId: string): void {
      const now = Date.now();
      if (now - (lastTyping.get(conversationId) ?? 0) < TYPING_EVERY_MS) return;
      lastTyping.set(conversationId, now);
      connection.signal('typing', { conversationId });
    },

    async searchUsers(query: string, limit = 20) {
      await whenOnline();
      return (await connection.request('users:search', { query, limit })).users;
    },

    /** Resolves when no catch-up pass is running (or at once when offline). */
    caughtUp(): Promise<void> {
      return connection.online ? catchUp.run() : Promise.resolve();
    },
  };
}
