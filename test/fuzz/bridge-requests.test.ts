// Fuzzing the renderer → host contract: for every request in contract/requests.ts, arguments drawn
// from its schema and mutated (as an untrusted renderer could send them), through a real bridge's
// dispatch signed in to a real server on 127.0.0.1. Every refusal must be {ok: false, error: {code,
// message}} with a known code and never 'internal'; a refused call changes neither the session nor
// the store. Replay a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS to run longer).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requests, type RequestName } from '../../contract/requests.js';
import { call, callRaw, openBridge, type TestBridge } from '../support/bridge.js';
import { cleanup, startTestServer, tempDir, until, type TestServer } from '../support/harness.js';
import { assertNoPollution, clearError, fuzzParams, hostileValue, preview, validOrMutated, type KeyHints, fuzzTimeout } from './arbitraries.js';

const RUNS = 30;

let server: TestServer;
let bridge: TestBridge;
let conversationId: string;
let messageId: string;
let hints: KeyHints;

/** What a refused call must leave as it was: who is signed in, and what the store holds (not statuses, which move on their own). */
async function snapshot(): Promise<unknown> {
  const session = await call(bridge, 'getSession');
  const conversations = (await call(bridge, 'listConversations')).map((c) => ({ id: c.id, title: c.title, muted: c.muted }));
  const messages = (await call(bridge, 'readMessages', { conversationId })).map((m) => [m.id, m.body]);
  const folders = (await call(bridge, 'listWatchedFolders')).map((f) => f.id);
  return {
    session: session.state === 'signedIn' ? { me: session.me, serverUrl: session.serverUrl } : session,
    conversations,
    messages,
    folders,
    saveFolder: await call(bridge, 'getSaveFolder', { conversationId }),
    fileSettings: await call(bridge, 'getFileSettings'),
  };
}

beforeAll(async () => {
  server = await startTestServer();
  const aliceToken = await server.user('alice');
  await server.user('bob');
  bridge = openBridge();
  await call(bridge, 'signIn', { serverUrl: server.url, token: aliceToken });
  conversationId = (await call(bridge, 'createConversation', { type: 'direct', participants: ['bob'] })).id;
  messageId = (await call(bridge, 'sendMessage', { conversationId, text: 'before the fuzzing' })).id;
  const outside = tempDir('parley-fuzz-outside-');
  // No request may reach past 127.0.0.1: URLs are this server or a closed port.
  const local = fc.constantFrom(server.url, 'http://127.0.0.1:1', `${server.url}/files/${'0'.repeat(32)}`);
  hints = {
    conversationId: fc.constantFrom(conversationId, 'no-such-conversation', '__proto__'),
    messageId: fc.constantFrom(messageId, 'no-such-message', '__proto__'),
    serverUrl: local,
    uploadUrl: local,
    url: local,
    participants: fc.array(fc.constantFrom('bob', 'alice', 'nobody'), { minLength: 1, maxLength: 3 }),
    path: fc.constantFrom(outside, '/nonexistent/folder', bridge.dataDir, '.', '..', '\u0000'),
  };
  await until(async () => (await call(bridge, 'getSession')).state === 'signedIn', 'signed in');
}, 30_000);

afterAll(cleanup);

describe('fuzz: bridge requests', { timeout: fuzzTimeout(60_000) }, () => {
  for (const name of Object.keys(requests) as RequestName[]) {
    it(`${name}: mutated arguments answer a reply or a clear error, and a refusal changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(validOrMutated(requests[name].args, hints, { hugeChars: 100_000 }), async ({ how, value }) => {
          // Signing out is the one valid call that changes the session on purpose.
          if (name === 'signOut' && value === undefined) return;
          const before = await snapshot();
          const reply = await callRaw(bridge, name, value);
          if (reply.ok) return;
          const finding = clearError(reply.error);
          if (finding) throw new Error(`${name} (${how}): ${finding}\nargument: ${preview(value)}`);
          expect(await snapshot(), `${name} (${how}) refused with ${reply.error.code} but changed state; argument: ${preview(value)}`).toEqual(before);
        }),
        fuzzParams(RUNS),
      );
      expect((await call(bridge, 'getSession')).state).toBe('signedIn');
      assertNoPollution();
    });
  }

  it('names outside the contract, of any type, are refused as unknown', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileValue({ hugeChars: 100_000 }),
          fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'getSession ', 'GETSESSION'),
          // An object that String() cannot turn into text (its toString is not a function).
          fc.constant({ toString: '>', valueOf: 1 } as unknown),
        ),
        hostileValue({ hugeChars: 10_000 }),
        async (name, arg) => {
          const reply = await callRaw(bridge, name, arg);
          if (typeof name === 'string' && Object.hasOwn(requests, name)) return;
          if (reply.ok || reply.error.code !== 'unknown_event' || clearError(reply.error)) {
            throw new Error(`name ${preview(name)} answered ${preview(reply)}`);
          }
        },
      ),
      fuzzParams(100),
    );
    assertNoPollution();
  });
});
