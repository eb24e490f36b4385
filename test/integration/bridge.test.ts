// The host side of the contract against a real server: sessions, the handler table behind dispatch,
// and the browser host's WebSocket with its key and Origin checks.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBridge, type Bridge } from '../../main/bridge/index.js';
import { startBrowserHost } from '../../main/browser/host.js';
import type { BridgeReply } from '../../contract/api.js';
import type { BridgeEvents, EventName } from '../../contract/events.js';
import type { SessionState } from '../../contract/types.js';
import { cleanup, startTestServer, tempDir, until } from '../support/harness.js';

const appInfo = { version: 'test', platform: process.platform, host: 'browser' } as const;

function openBridge(dataDir = tempDir('parley-bridge-')): Bridge & { dataDir: string; events: Array<[EventName, unknown]> } {
  const bridge = createBridge({ dataDir, appInfo, log: () => {}, backoff: { minDelay: 50, maxDelay: 400 } });
  const events: Array<[EventName, unknown]> = [];
  bridge.onEvent((event, payload) => void events.push([event, payload]));
  return Object.assign(bridge, { dataDir, events });
}

async function call<T>(bridge: Bridge, name: string, arg?: unknown): Promise<T> {
  const reply = (await bridge.dispatch(name, arg)) as BridgeReply<T>;
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.data;
}

const bridges: Bridge[] = [];
afterEach(async () => {
  while (bridges.length) bridges.pop()!.close();
  await cleanup();
});

describe('bridge', () => {
  it('refuses unknown requests and bad arguments before any handler, naming the field', async () => {
    const bridge = openBridge();
    bridges.push(bridge);
    expect(await bridge.dispatch('constructor', undefined)).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    expect(await bridge.dispatch(42, undefined)).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    const badUrl = await bridge.dispatch('signIn', { serverUrl: 'file:///etc/passwd', token: 'x' });
    expect(badUrl).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('serverUrl') } });
    const extraKey = await bridge.dispatch('sendMessage', { conversationId: 'c', text: 'hi', sender: 'mallory' });
    expect(extraKey).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const huge = await bridge.dispatch('sendMessage', { conversationId: 'c', text: 'x'.repeat(70_000) });
    expect(huge).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    expect(await bridge.dispatch('listConversations', undefined)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call<SessionState>(bridge, 'getSession')).toMatchObject({ state: 'signedOut', reason: null });
  });

  it('signs in only with a token the server accepts, and resumes the session offline at the next launch', async () => {
    const server = await startTestServer();
    const aliceToken = await server.user('alice');
    await server.user('bob');
    const bridge = openBridge();
    bridges.push(bridge);

    await expect(call(bridge, 'signIn', { serverUrl: server.url, token: 'plu_wrong' })).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(call(bridge, 'signIn', { serverUrl: 'http://127.0.0.1:1', token: aliceToken })).rejects.toMatchObject({ code: 'unavailable' });
    expect(await call<SessionState>(bridge, 'signIn', { serverUrl: server.url, token: aliceToken })).toMatchObject({ state: 'signedIn', me: 'alice' });
    expect(bridge.events.some(([e, p]) => e === 'session' && (p as SessionState).state === 'signedIn')).toBe(true);

    const conversation = await call<{ id: string }>(bridge, 'createConversation', { type: 'direct', participants: ['bob'] });
    await call(bridge, 'sendMessage', { conversationId: conversation.id, text: 'kept on this device' });
    await until(() => bridge.events.some(([e, p]) => e === 'messageStatus' && (p as BridgeEvents['messageStatus']).status === 'sent'), 'sent');
    bridge.close();
    bridges.pop();
    await server.stop();

    const again = openBridge(bridge.dataDir);
    bridges.push(again);
    expect(await call<SessionState>(again, 'getSession')).toMatchObject({ state: 'signedIn', me: 'alice' });
    const [summary] = await call<Array<{ id: string; lastMessage: { body: string } }>>(again, 'listConversations');
    expect(summary).toMatchObject({ id: conversation.id, lastMessage: { body: 'kept on this device' } });
  });

  it('a revoked token ends the session with a reason, and signing out forgets the token but keeps history', async () => {
    const server = await startTestServer();
    const token = await server.user('alice');
    await server.user('bob');
    const bridge = openBridge();
    bridges.push(bridge);
    await call(bridge, 'signIn', { serverUrl: server.url, token });
    const { id } = await call<{ id: string }>(bridge, 'createConversation', { type: 'direct', participants: ['bob'] });
    await call(bridge, 'sendMessage', { conversationId: id, text: 'before revocation' });

    expect((await server.api('DELETE', '/users/alice/tokens')).status).toBe(200);
    await until(() => bridge.events.some(([e, p]) => e === 'session' && (p as SessionState).state === 'signedOut'), 'signed out');
    const state = await call<SessionState>(bridge, 'getSession');
    expect(state).toMatchObject({ state: 'signedOut', serverUrl: server.url, reason: expect.stringMatching(/revoked.*sign in again/i) });
    await expect(call(bridge, 'listConversations')).rejects.toMatchObject({ code: 'unauthorized' });

    // The next launch does not resume with the dead token; signing in again finds the history.
    bridge.close();
    bridges.pop();
    const again = openBridge(bridge.dataDir);
    bridges.push(again);
    expect(await call<SessionState>(again, 'getSession')).toMatchObject({ state: 'signedOut', serverUrl: server.url });
    await call(again, 'signIn', { serverUrl: server.url, token: await server.user('alice') });
    const messages = await call<Array<{ body: string }>>(again, 'readMessages', { conversationId: id });
    expect(messages.map((m) => m.body)).toContain('before revocation');
  });
});

describe('browser host', () => {
  async function startHost() {
    const bridge = openBridge();
    bridges.push(bridge);
    const rendererDir = tempDir('parley-renderer-');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${rendererDir}/index.html`, '<!doctype html><title>Parley</title>');
    const host = await startBrowserHost({ bridge, rendererDir, log: () => {} });
    const origin = `http://127.0.0.1:${host.port}`;
    const key = new URL(host.url).hash.slice('#key='.length);
    return { bridge, host, origin, key };
  }

  const connect = (url: string, origin: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { origin });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });

  it('serves the renderer and nothing outside it', async () => {
    const { host, origin } = await startHost();
    try {
      const page = await fetch(`${origin}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect((await fetch(`${origin}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
      expect((await fetch(`${origin}/..%2f..%2fpackage.json`)).status).toBe(404);
      expect((await fetch(`${origin}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      await host.close();
    }
  });

  it('carries the contract over the socket only with the key and from its own origin', async () => {
    const { host, origin, key } = await startHost();
    try {
      const bridgeUrl = `ws://127.0.0.1:${host.port}/bridge?key=${key}`;
      await expect(connect(`ws://127.0.0.1:${host.port}/bridge?key=wrong`, origin)).rejects.toThrow('403');
      await expect(connect(bridgeUrl, 'http://evil.example')).rejects.toThrow('403');

      const ws = await connect(bridgeUrl, origin);
      const replies: unknown[] = [];
      ws.on('message', (data) => replies.push(JSON.parse(String(data))));
      ws.send(JSON.stringify({ id: 1, method: 'getAppInfo' }));
      ws.send(JSON.stringify({ id: 2, method: 'signInDemo', arg: { address: '../../etc' } }));
      await until(() => replies.length === 2, 'two replies');
      expect(replies).toContainEqual({ id: 1, reply: { ok: true, data: appInfo } });
      expect(replies).toContainEqual({ id: 2, reply: { ok: false, error: expect.objectContaining({ code: 'bad_request' }) } });

      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send('not json');
      expect(await closed).toBe(1003);
    } finally {
      await host.close();
    }
  });
});
