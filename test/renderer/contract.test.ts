// The contract suite (test/support/contract-suite.ts) against the renderer tests' fake host;
// test/integration/contract.test.ts runs the same suite against the real bridge.
import { contractSuite } from '../support/contract-suite';
import { createFakeParley } from './fake-parley';

contractSuite('the renderer’s fake host', async () => {
  const fake = createFakeParley({ me: null, autoSend: true });
  return {
    host: fake.bridge,
    credentials: { serverUrl: 'http://127.0.0.1:7300', token: 'good-token' },
    me: 'alice',
    peer: 'bob',
    peerSends: async (conversationId, text) => void fake.receive(conversationId, 'bob', text),
  };
});
