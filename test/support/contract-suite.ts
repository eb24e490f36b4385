// One set of contract tests for every host the renderer may talk to: the real bridge (main/bridge,
// against a real server) and the renderer tests' fake (test/renderer/fake-parley.ts). Both run the
// same sequence through a ParleyBridge's `request` and `on`, so the fake cannot drift from the host.
// Isomorphic (no Node imports): the node project and the renderer project (happy-dom) both run it.
import { describe, expect, it, vi } from 'vitest';
import type { BridgeReply, ParleyBridge } from '../../contract/api.js';
import { eventNames, type BridgeEvents, type EventName } from '../../contract/events.js';
import type { RequestArg, RequestName, RequestResult } from '../../contract/requests.js';
import type { ConversationSummary, Message } from '../../contract/types.js';

/** What the renderer holds of a host: one typed request, and events. */
export type ContractHost = Pick<ParleyBridge, 'request' | 'on'>;

/** A host signed out, with a server behind it where `me` and `peer` are users. */
export interface ContractSubject {
  host: ContractHost;
  /** What signs `me` in (a token the server accepts). */
  credentials: { serverUrl: string; token: string };
  me: string;
  /** Another user, who writes to me when told. */
  peer: string;
  /** The peer sends `text` to the conversation; resolves once the server has it. */
  peerSends(conversationId: string, text: string): Promise<void>;
}

const WAIT = { timeout: 10_000, interval: 10 };

type Arg<K extends RequestName> = undefined extends RequestArg<K> ? [arg?: RequestArg<K>] : [arg: RequestArg<K>];

/** Every event the host emits from the start, by name, in order. */
function record(host: ContractHost) {
  const seen: { [E in EventName]?: Array<BridgeEvents[E]> } = {};
  for (const name of eventNames) host.on(name, (payload) => void (seen[name] ??= [] as never[]).push(payload as never));
  return <E extends EventName>(name: E): Array<BridgeEvents[E]> => (seen[name] ?? []) as Array<BridgeEvents[E]>;
}

/**
 * Runs the contract suite against the hosts `open` makes (a fresh one for each test, signed out;
 * the caller cleans up after each).
 */
export function contractSuite(label: string, open: () => Promise<ContractSubject>): void {
  async function start() {
    const subject = await open();
    const { host } = subject;
    const events = record(host);
    const call = async <K extends RequestName>(name: K, ...arg: Arg<K>): Promise<RequestResult<K>> => {
      const reply = await host.request(name, ...arg);
      if (!reply.ok) throw Object.assign(new Error(`${name}: ${reply.error.code}: ${reply.error.message}`), { code: reply.error.code });
      return reply.data;
    };
    /** What an untrusted renderer could send: any name, any argument. */
    const raw = (name: string, arg?: unknown) => (host.request as (name: string, arg?: unknown) => Promise<BridgeReply<unknown>>)(name, arg);
    const refused = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });
    const signIn = () => call('signIn', subject.credentials);
    return { ...subject, events, call, raw, refused, signIn };
  }

  describe(`contract: ${label}`, () => {
    it('refuses bad requests by name and shape, everything but the session before signing in, and a token the server refuses', async () => {
      const { call, raw, refused, events, credentials, me } = await start();
      expect(await call('getSession')).toMatchObject({ state: 'signedOut', reason: null });
      expect(await raw('constructor')).toEqual(refused('unknown_event'));
      expect(await raw('noSuchRequest', {})).toEqual(refused('unknown_event'));
      expect(await raw('signIn', { serverUrl: 'file:///etc/passwd', token: 'x' })).toEqual(refused('bad_request'));
      expect(await raw('getSession', { me: 'mallory' })).toEqual(refused('bad_request'));
      expect(await raw('sendMessage', { conversationId: 'c', text: 'hi', sender: 'mallory' })).toEqual(refused('bad_request'));
      expect(await raw('sendMessage', { conversationId: 'c', text: 'x'.repeat(70_000) })).toEqual(refused('payload_too_large'));
      expect(await raw('markRead', { conversationId: 'c', seq: 0 })).toEqual(refused('bad_request'));
      expect(await raw('readMessages', { conversationId: 'c', aroundSeq: 2, beforeSeq: 3 })).toEqual(refused('bad_request'));

      expect(await raw('listConversations')).toEqual(refused('unauthorized'));
      expect(await raw('readMessages', { conversationId: 'c' })).toEqual(refused('unauthorized'));
      expect(await raw('sendMessage', { conversationId: 'c', text: 'hi' })).toEqual(refused('unauthorized'));
      expect(await raw('signInDemo', { address: 'nobody' })).toEqual(refused('not_found'));
      expect(await raw('signIn', { serverUrl: credentials.serverUrl, token: 'plu_wrong' })).toEqual(refused('auth_failed'));
      expect(await call('getSession')).toMatchObject({ state: 'signedOut' });
      expect(events('session').filter((s) => s.state === 'signedIn')).toEqual([]);

      expect(await call('signIn', credentials)).toMatchObject({ state: 'signedIn', me });
      expect(await call('getSession')).toMatchObject({ state: 'signedIn', me, serverUrl: credentials.serverUrl });
      await vi.waitFor(() => expect(events('session')).toContainEqual(expect.objectContaining({ state: 'signedIn', me })), WAIT);
    });

    it('creates a conversation, sends, receives, pages and marks read, with the events the renderer follows', async () => {
      const { call, events, signIn, me, peer, peerSends } = await start();
      await signIn();
      const created = await call('createConversation', { type: 'direct', participants: [peer] });
      expect(created).toMatchObject({ type: 'direct', muted: false });
      expect(created.participants.map((p) => p.address).sort()).toEqual([me, peer].sort());
      const conversationId = created.id;
      // A direct conversation is one per pair of users.
      expect((await call('createConversation', { type: 'direct', participants: [peer] })).id).toBe(conversationId);
      await vi.waitFor(() => expect(events('conversation').map((c) => c.id)).toContain(conversationId), WAIT);
      expect((await call('listConversations')).map((c) => c.id)).toContain(conversationId);

      // Mine: sending at once, then sent with the next seq, under the same id.
      const sent = await call('sendMessage', { conversationId, text: 'hello from the contract' });
      expect(sent).toMatchObject({ conversationId, kind: 'text', sender: me, mine: true, body: 'hello from the contract', seq: null, status: 'sending' });
      const mySeq = created.lastSeq + 1;
      await vi.waitFor(() => expect(events('messageStatus')).toContainEqual(expect.objectContaining({ id: sent.id, status: 'sent', seq: mySeq })), WAIT);
      expect(events('messageStatus').find((s) => s.id === sent.id)).toMatchObject({ status: 'sending', seq: null });
      const mine = (await call('readMessages', { conversationId })).find((m) => m.id === sent.id);
      expect(mine).toMatchObject({ seq: mySeq, mine: true, status: expect.stringMatching(/^(sent|delivered|read)$/) });

      // The peer's: a message event, the conversation and the unread count that follow it.
      const before = (await call('listConversations')).find((c) => c.id === conversationId)!;
      await peerSends(conversationId, 'hello back');
      const theirSeq = mySeq + 1;
      await vi.waitFor(() => expect(events('message').map((m) => m.body)).toContain('hello back'), WAIT);
      const received = events('message').find((m) => m.body === 'hello back')!;
      expect(received).toMatchObject<Partial<Message>>({ conversationId, sender: peer, mine: false, seq: theirSeq, kind: 'text', status: null });
      await vi.waitFor(
        () => expect(events('conversation').at(-1)).toMatchObject<Partial<ConversationSummary>>({ id: conversationId, lastSeq: theirSeq, unread: before.unread + 1 }),
        WAIT,
      );
      expect(events('conversation').at(-1)!.lastMessage).toMatchObject({ id: received.id, body: 'hello back' });
      const unread = events('unread').filter((u) => u.conversationId === conversationId).at(-1)!;
      expect(unread).toMatchObject({ unread: before.unread + 1 });
      expect(unread.total).toBeGreaterThanOrEqual(unread.unread);

      // Pages: the newest, then those before, after or around a seq, oldest first.
      expect((await call('readMessages', { conversationId, limit: 1 })).map((m) => m.seq)).toEqual([theirSeq]);
      expect((await call('readMessages', { conversationId, beforeSeq: theirSeq, limit: 1 })).map((m) => m.seq)).toEqual([mySeq]);
      expect((await call('readMessages', { conversationId, afterSeq: mySeq - 1, limit: 1 })).map((m) => m.seq)).toEqual([mySeq]);
      expect((await call('readMessages', { conversationId, aroundSeq: theirSeq, limit: 2 })).map((m) => m.seq)).toEqual([mySeq, theirSeq]);

      // Read up to the peer's message: nothing unread, and the events say so.
      expect(await call('markRead', { conversationId, seq: theirSeq })).toBeUndefined();
      await vi.waitFor(() => expect(events('unread').at(-1)).toMatchObject({ conversationId, unread: 0 }), WAIT);
      expect(events('conversation').at(-1)).toMatchObject({ id: conversationId, unread: 0, readSeq: theirSeq });
      expect((await call('listConversations')).find((c) => c.id === conversationId)).toMatchObject({ unread: 0, readSeq: theirSeq });

      // Muted: the conversation says so, answered and as an event.
      expect(await call('setConversationMuted', { conversationId, muted: true })).toMatchObject({ id: conversationId, muted: true });
      await vi.waitFor(() => expect(events('conversation').at(-1)).toMatchObject({ id: conversationId, muted: true }), WAIT);
    });

    it('answers unknown ids with not_found (reads of an unknown conversation are empty), and signing out ends access', async () => {
      const { call, raw, refused, events, signIn } = await start();
      await signIn();
      expect(await raw('sendMessage', { conversationId: 'no-such-conversation', text: 'hi' })).toEqual(refused('not_found'));
      expect(await raw('setConversationMuted', { conversationId: 'no-such-conversation', muted: true })).toEqual(refused('not_found'));
      expect(await raw('retryMessage', { id: 'nobody:no-such-message' })).toEqual(refused('not_found'));
      expect(await raw('pauseWatchedFolder', { id: 'no-such-folder' })).toEqual(refused('not_found'));
      expect(await raw('watchFolder', { conversationId: 'no-such-conversation', folderId: 'no-such-staged-folder' })).toEqual(refused('not_found'));
      expect(await call('readMessages', { conversationId: 'no-such-conversation' })).toEqual([]);

      expect(await call('signOut')).toMatchObject({ state: 'signedOut', reason: null });
      await vi.waitFor(() => expect(events('session').at(-1)).toMatchObject({ state: 'signedOut' }), WAIT);
      expect(await raw('listConversations')).toEqual(refused('unauthorized'));
    });
  });
}
