// Muting a conversation: a per-device preference in the engine's store, carried on the summaries
// the engine lists and emits, left out of the unread total, and reachable through the bridge.
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge } from '../../main/bridge/index.js';
import type { BridgeReply } from '../../contract/api.js';
import type { ConversationSummary } from '../../contract/types.js';
import { cleanup, nextEvent, online, startClient, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

describe('muted conversations', () => {
  it('persist on this device only, show on summaries and events, and leave the unread total', async () => {
    const t = await startTestServer();
    const annToken = await t.user('ann');
    const ann = startClient(t.url, annToken);
    const bob = startClient(t.url, await t.user('bob'));
    const carol = startClient(t.url, await t.user('carol'));
    const laptop = startClient(t.url, annToken); // ann's other device
    await Promise.all([ann, bob, carol, laptop].map(online));
    const withBob = await bob.createConversation({ participants: ['ann'], type: 'direct' });
    const withCarol = await carol.createConversation({ participants: ['ann'], type: 'direct' });
    await until(() => ann.readConversations().length === 2 && laptop.readConversations().length === 2, 'conversations on both devices');
    expect(ann.readConversations().every((c) => c.muted === false)).toBe(true);

    const emitted = nextEvent(ann, 'conversation', (c) => c.id === withBob.id);
    const total = nextEvent(ann, 'unread', (u) => u.conversationId === withBob.id);
    expect(ann.setConversationMuted(withBob.id, true)).toMatchObject({ id: withBob.id, muted: true });
    expect(await emitted).toMatchObject({ muted: true });
    expect(await total).toEqual({ conversationId: withBob.id, unread: 0, total: 0 });

    bob.sendMessage({ conversationId: withBob.id }, 'muted one');
    bob.sendMessage({ conversationId: withBob.id }, 'muted two');
    const fromCarol = nextEvent(ann, 'unread', (u) => u.conversationId === withCarol.id && u.unread === 1);
    carol.sendMessage({ conversationId: withCarol.id }, 'not muted');
    await until(() => ann.readConversation(withBob.id)?.unread === 2, 'two unread in the muted conversation');
    // Still counted per conversation, but not in the total the badge shows.
    expect((await fromCarol).total).toBe(1);
    await until(() => laptop.readConversations().reduce((n, c) => n + c.unread, 0) === 3, 'laptop unread');
    expect(laptop.readConversation(withBob.id)).toMatchObject({ muted: false });

    // Kept across a restart of the engine on the same store.
    const dataDir = ann.dataDir;
    ann.stop();
    const again = startClient(t.url, annToken, { dataDir });
    expect(again.readConversation(withBob.id)).toMatchObject({ muted: true, unread: 2 });
    expect(again.readConversation(withCarol.id)).toMatchObject({ muted: false });
    expect(again.setConversationMuted(withBob.id, false)).toMatchObject({ muted: false });
    expect(() => again.setConversationMuted('no-such-conversation', true)).toThrow(/no conversation/);
    again.stop();
  });

  it('is a contract request: checked by the bridge, answered with the summary', async () => {
    const t = await startTestServer();
    const token = await t.user('ann');
    await t.user('bob');
    const bridge = createBridge({ dataDir: tempDir('parley-bridge-'), appInfo: { version: 'test', platform: 'linux', host: 'browser' }, log: () => {} });
    try {
      await bridge.dispatch('signIn', { serverUrl: t.url, token });
      const created = (await bridge.dispatch('createConversation', { type: 'direct', participants: ['bob'] })) as BridgeReply<ConversationSummary>;
      if (!created.ok) throw new Error(created.error.message);
      const id = created.data.id;
      expect(await bridge.dispatch('setConversationMuted', { conversationId: id, muted: 'yes' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(await bridge.dispatch('setConversationMuted', { conversationId: id, muted: true })).toMatchObject({ ok: true, data: { id, muted: true } });
      expect(bridge.conversation(id)).toMatchObject({ muted: true });
      expect(await bridge.dispatch('listConversations', undefined)).toMatchObject({ ok: true, data: [{ id, muted: true }] });
      // The browser host has no desktop integration: it says so rather than pretending.
      expect(await bridge.dispatch('getDesktopSettings', undefined)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    } finally {
      bridge.close();
    }
  });
});
