// The host side of the contract against a real server: sessions, the handler table behind dispatch,
// and the browser host's WebSocket with its key and Origin checks.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost } from '../../main/browser/host.js';
import { appInfo, call, callRaw, eventsOf, openBridge } from '../support/bridge.js';
import { cleanup, startTestServer, tempDir, until } from '../support/harness.js';

afterEach(cleanup);

describe('bridge', () => {
  it('refuses unknown requests and bad arguments before any handler, naming the field', async () => {
    const bridge = openBridge();
    expect(await callRaw(bridge, 'constructor')).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    expect(await callRaw(bridge, 42)).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    const badUrl = await callRaw(bridge, 'signIn', { serverUrl: 'file:///etc/passwd', token: 'x' });
    expect(badUrl).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('serverUrl') } });
    const extraKey = await callRaw(bridge, 'sendMessage', { conversationId: 'c', text: 'hi', sender: 'mallory' });
    expect(extraKey).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const huge = await callRaw(bridge, 'sendMessage', { conversationId: 'c', text: 'x'.repeat(70_000) });
    expect(huge).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    expect(await callRaw(bridge, 'listConversations')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call(bridge, 'getSession')).toMatchObject({ state: 'signedOut', reason: null });
    // call() is typed by request name: a wrong shape fails the type-check before it can reach the host.
    // @ts-expect-error a key sendMessage does not take
    await expect(call(bridge, 'sendMessage', { conversationId: 'c', text: 'hi', sender: 'mallory' })).rejects.toMatchObject({ code: 'bad_request' });
    // @ts-expect-error getSession takes no argument
    await expect(call(bridge, 'getSession', { me: 'mallory' })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('offers the server it was given (npm start --server-url without --token) on the sign-in screen', async () => {
    const bridge = openBridge({ offerServer: 'https://chat.example.org' });
    expect(await call(bridge, 'getSession')).toMatchObject({ state: 'signedOut', serverUrl: 'https://chat.example.org', demoUsers: [] });
  });

  it('signs in only with a token the server accepts, and resumes the session offline at the next launch', async () => {
    const server = await startTestServer();
    const aliceToken = await server.user('alice');
    await server.user('bob');
    const bridge = openBridge();

    await expect(call(bridge, 'signIn', { serverUrl: server.url, token: 'plu_wrong' })).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(call(bridge, 'signIn', { serverUrl: 'http://127.0.0.1:1', token: aliceToken })).rejects.toMatchObject({ code: 'unavailable' });
    expect(await call(bridge, 'signIn', { serverUrl: server.url, token: aliceToken })).toMatchObject({ state: 'signedIn', me: 'alice' });
    expect(eventsOf(bridge, 'session').some((s) => s.state === 'signedIn')).toBe(true);

    const conversation = await call(bridge, 'createConversation', { type: 'direct', participants: ['bob'] });
    await call(bridge, 'sendMessage', { conversationId: conversation.id, text: 'kept on this device' });
    await until(() => eventsOf(bridge, 'messageStatus').some((s) => s.status === 'sent'), 'sent');
    bridge.close();
    await server.stop();

    // Launched for another server: that one is offered, the session kept for a launch without it.
    const elsewhere = openBridge({ dataDir: bridge.dataDir, offerServer: 'https://chat.example.org' });
    expect(await call(elsewhere, 'getSession')).toMatchObject({ state: 'signedOut', serverUrl: 'https://chat.example.org' });
    elsewhere.close();

    const again = openBridge({ dataDir: bridge.dataDir });
    expect(await call(again, 'getSession')).toMatchObject({ state: 'signedIn', me: 'alice' });
    const [summary] = await call(again, 'listConversations');
    expect(summary).toMatchObject({ id: conversation.id, lastMessage: { body: 'kept on this device' } });
  });

  it('a revoked token ends the session with a reason, and signing out forgets the token but keeps history', async () => {
    const server = await startTestServer();
    const token = await server.user('alice');
    await server.user('bob');
    const bridge = openBridge();
    await call(bridge, 'signIn', { serverUrl: server.url, token });
    const { id } = await call(bridge, 'createConversation', { type: 'direct', participants: ['bob'] });
    await call(bridge, 'sendMessage', { conversationId: id, text: 'before revocation' });

    expect((await server.api('DELETE', '/users/alice/tokens')).status).toBe(200);
    await until(() => eventsOf(bridge, 'session').some((s) => s.state === 'signedOut'), 'signed out');
    const state = await call(bridge, 'getSession');
    // Said once: the server gives the fact, the app the instruction.
    expect(state).toMatchObject({ state: 'signedOut', serverUrl: server.url, reason: 'You were signed out: your access token was revoked. Sign in again with a new access token.' });
    await expect(call(bridge, 'listConversations')).rejects.toMatchObject({ code: 'unauthorized' });

    // The next launch does not resume with the dead token; signing in again finds the history.
    bridge.close();
    const again = openBridge({ dataDir: bridge.dataDir });
    expect(await call(again, 'getSession')).toMatchObject({ state: 'signedOut', serverUrl: server.url });
    await call(again, 'signIn', { serverUrl: server.url, token: await server.user('alice') });
    const messages = await call(again, 'readMessages', { conversationId: id });
    expect(messages.map((m) => m.body)).toContain('before revocation');
  });
});

describe('browser host', () => {
  async function startHost() {
    const bridge = openBridge();
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
