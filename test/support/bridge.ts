// The host side of the contract in tests: a real bridge (main/bridge) on a temp data dir, closed at
// cleanup(), with every event it emits recorded; and calls into its dispatch, typed by request name.
import { createBridge, type Bridge, type BridgeOptions } from '../../main/bridge/index.js';
import type { BridgeReply } from '../../contract/api.js';
import type { BridgeEvents, EventName } from '../../contract/events.js';
import type { RequestArg, RequestName, RequestResult } from '../../contract/requests.js';
import type { ErrorCode } from '../../protocol/index.js';
import { onCleanup, tempDir } from './temp.js';

export const appInfo = { version: 'test', platform: process.platform, host: 'browser' } as const;

/** An event as the bridge emitted it, narrowed by its name. */
export type RecordedEvent = { [E in EventName]: [E, BridgeEvents[E]] }[EventName];

export type TestBridge = Bridge & { dataDir: string; events: RecordedEvent[] };

/** A request's argument, optional where the request takes none (as contract/api.ts's ParleyBridge has it). */
export type Arg<K extends RequestName> = undefined extends RequestArg<K> ? [arg?: RequestArg<K>] : [arg: RequestArg<K>];

/** A bridge on a temp data dir (or `options.dataDir`, to open one again), closed at cleanup() unless closed before. */
export function openBridge(options: Partial<BridgeOptions> = {}): TestBridge {
  const dataDir = options.dataDir ?? tempDir('parley-bridge-');
  const bridge = createBridge({ appInfo, log: () => {}, backoff: { minDelay: 50, maxDelay: 400 }, ...options, dataDir });
  const events: RecordedEvent[] = [];
  bridge.onEvent((event, payload) => void events.push([event, payload] as RecordedEvent));
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    bridge.close();
  };
  onCleanup(close);
  return Object.assign(bridge, { dataDir, events, close });
}

/** The payloads of one event the bridge emitted so far, in order. */
export function eventsOf<E extends EventName>(bridge: TestBridge, event: E): Array<BridgeEvents[E]> {
  return bridge.events.filter((e): e is Extract<RecordedEvent, [E, unknown]> => e[0] === event).map((e) => e[1] as BridgeEvents[E]);
}

/** An error a request answered with, keeping its code. */
export class ReplyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}

export function unwrap<T>(reply: BridgeReply<T>): T {
  if (!reply.ok) throw new ReplyError(reply.error.code, reply.error.message);
  return reply.data;
}

/** A request through the bridge's dispatch, checked by the type-check; rejects with a ReplyError. */
export async function call<K extends RequestName>(bridge: Bridge, name: K, ...arg: Arg<K>): Promise<RequestResult<K>> {
  return unwrap((await bridge.dispatch(name, arg[0])) as BridgeReply<RequestResult<K>>);
}

/**
 * Any name and argument, unchecked, as an untrusted renderer could send them: for tests of what the
 * host refuses. Answers the reply as it is.
 */
export function callRaw(bridge: Bridge, name: unknown, arg?: unknown): Promise<BridgeReply<unknown>> {
  return bridge.dispatch(name, arg);
}
