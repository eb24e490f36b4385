// The contract suite (test/support/contract-suite.ts) against the real bridge and a real server on
// 127.0.0.1; test/renderer/contract.test.ts runs the same suite against the renderer's fake.
import { afterEach } from 'vitest';
import { openBridge } from '../support/bridge.js';
import { contractSuite } from '../support/contract-suite.js';
import { cleanup, online, startClient, startTestServer, until } from '../support/harness.js';

afterEach(cleanup);

contractSuite('the real bridge', async () => {
  const server = await startTestServer();
  const token = await server.user('alice');
  const bob = startClient(server.url, await server.user('bob'));
  await online(bob);
  const bridge = openBridge();
  return {
    host: { request: (name, arg?: unknown) => bridge.dispatch(name, arg) as never, on: bridge.on },
    credentials: { serverUrl: server.url, token },
    me: 'alice',
    peer: 'bob',
    async peerSends(conversationId, text) {
      await until(() => bob.readConversation(conversationId) !== null, 'the conversation at the peer');
      const message = bob.sendMessage({ conversationId }, text);
      await until(() => bob.readMessages(conversationId).some((m) => m.id === message.id && m.seq !== null), 'the peer’s message sent');
    },
  };
});
