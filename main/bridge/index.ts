// The host side of the contract, for both hosts: a session, its handler table behind one dispatch,
// and the events the renderer may subscribe to. Hosts only carry calls and events across.
import { eventNames, type AppInfo, type BridgeEvents, type EventName } from '../../preload/api.js';
import type { Unsubscribe } from '../core/index.js';
import { createDispatch, type Dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';
import { createSession, type SessionOptions } from './session.js';

export type { DemoAccount, TokenCodec } from './session.js';

export interface BridgeOptions extends SessionOptions {
  appInfo: AppInfo;
  /** Sign in as this demo user at launch (npm start --user); by default the first demo user on a first launch. */
  signInAs?: string;
  /** Sign in with this token at launch (npm start --server-url --token). */
  signInWith?: { serverUrl: string; token: string };
}

export interface Bridge {
  dispatch: Dispatch;
  /** Every event of the contract, to forward to the renderer. */
  onEvent(listener: <E extends EventName>(event: E, payload: BridgeEvents[E]) => void): Unsubscribe;
  close(): void;
}

export function createBridge(options: BridgeOptions): Bridge {
  const log = options.log ?? ((message: string, detail?: unknown) => console.warn(`[parley] ${message}`, detail ?? ''));
  const session = createSession({ ...options, log });
  const demoUser = options.signInAs ?? (session.firstLaunch ? options.demo?.users[0]?.address : undefined);
  if (options.signInWith) {
    const { serverUrl, token } = options.signInWith;
    session.signIn(serverUrl, token).catch((error: unknown) => log('could not sign in at launch', error));
  } else if (demoUser) session.signInDemo(demoUser);
  return {
    dispatch: createDispatch(createHandlers(session, options.appInfo), log),
    onEvent(listener) {
      const offs = eventNames.map((name) => session.on(name, (payload) => listener(name, payload)));
      return () => offs.forEach((off) => off());
    },
    close: () => session.close(),
  };
}
