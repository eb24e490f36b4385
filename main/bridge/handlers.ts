// The one handler table behind the contract, shared by the Electron host and the browser host.
// Arguments arrive already checked against preload/api.ts's schemas (see dispatch.ts).
import type { AppInfo, RequestArg, RequestName, RequestResults } from '../../preload/api.js';
import type { Session } from './session.js';

export type Handlers = {
  [K in RequestName]: (arg: RequestArg<K>) => RequestResults[K] | Promise<RequestResults[K]>;
};

export function createHandlers(session: Session, appInfo: AppInfo): Handlers {
  const client = () => session.client();
  return {
    getAppInfo: () => appInfo,
    getSession: () => session.state(),
    signIn: ({ serverUrl, token }) => session.signIn(serverUrl, token),
    signInDemo: ({ address }) => session.signInDemo(address),
    signOut: () => session.signOut(),
    listConversations: () => client().readConversations(),
    createConversation: (request) => client().createConversation(request),
    readMessages: ({ conversationId, ...page }) => client().readMessages(conversationId, page),
    sendMessage: ({ conversationId, text }) => client().sendMessage({ conversationId }, text),
    retryMessage: ({ id }) => client().retryMessage(id),
    markRead: ({ conversationId, seq }) => client().markRead(conversationId, seq),
    setTyping: ({ conversationId }) => client().setTyping(conversationId),
    searchUsers: ({ query }) => client().searchUsers(query),
  };
}
