// What the renderer holds: `window.parley` (the preload, in Electron) or the browser host's socket
// client, both a ParleyBridge; and the ParleyApi the renderer's code calls, one method per request.
// Zod-free at run time: the renderer and preload bundles take only types from requests.ts.
import type { ErrorCode } from '../protocol/index.js';
import type { BridgeEvents, EventName } from './events.js';
import type { RequestArg, RequestName, RequestResult } from './requests.js';
import type { StagedFile, StagedFolder } from './types.js';

/** How a request's outcome crosses the bridge: errors keep their code, whichever host carries them. */
export type BridgeReply<T> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string } };

export type Unsubscribe = () => void;

type Arg<K extends RequestName> = undefined extends RequestArg<K> ? [arg?: RequestArg<K>] : [arg: RequestArg<K>];
type Subscribe = <E extends EventName>(event: E, listener: (payload: BridgeEvents[E]) => void) => Unsubscribe;

/**
 * What the preload exposes as `window.parley` (and the browser host's client provides): one typed
 * `request` the host checks by name and argument (Rocket.Chat's typed invoke), replies rather than
 * thrown errors, because an Error crossing contextBridge loses everything but its message.
 */
export interface ParleyBridge {
  readonly request: <K extends RequestName>(name: K, ...arg: Arg<K>) => Promise<BridgeReply<RequestResult<K>>>;
  readonly on: Subscribe;
  /**
   * Hands files the user picked, dropped or pasted to the host, which keeps them under ids for sendFile.
   * Not a request: it carries File objects (their paths stay in the preload, their bytes go to the host).
   */
  readonly stageFiles: (files: File[]) => Promise<BridgeReply<StagedFile[]>>;
  /** The same for a folder dragged from the file manager (a File whose path is a folder): only Electron has its path. */
  readonly stageFolder: (folder: File) => Promise<BridgeReply<StagedFolder>>;
}

/** What the renderer uses: each request resolves with its result or rejects with a BridgeError. */
export type ParleyApi = {
  readonly [K in RequestName]: (...arg: Arg<K>) => Promise<RequestResult<K>>;
} & {
  /** Subscribes to one event; the returned function unsubscribes. */
  readonly on: Subscribe;
  readonly stageFiles: (files: File[]) => Promise<StagedFile[]>;
  readonly stageFolder: (folder: File) => Promise<StagedFolder>;
};

/** The error a request rejects with: the host's error code and message. */
export class BridgeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

function unwrap<T>(reply: BridgeReply<T>): T {
  if (reply.ok) return reply.data;
  throw new BridgeError(reply.error.code, reply.error.message);
}

/**
 * The renderer's API over a bridge. Request methods are made on first use from their name, so the
 * renderer needs no list of names at run time (and no zod); a name outside the contract is refused
 * by the host's dispatch, and by the type-check before that.
 */
export function toApi(bridge: ParleyBridge): ParleyApi {
  const own = {
    on: bridge.on,
    stageFiles: async (files: File[]) => unwrap(await bridge.stageFiles(files)),
    stageFolder: async (folder: File) => unwrap(await bridge.stageFolder(folder)),
  };
  const methods = new Map<string, (arg?: unknown) => Promise<unknown>>();
  const send = bridge.request as (name: string, arg?: unknown) => Promise<BridgeReply<unknown>>;
  return new Proxy(own, {
    get(target, name) {
      if (Object.hasOwn(target, name)) return target[name as keyof typeof own];
      // Not requests: promise and JSON probes, Vue's reactivity flags, what every object has.
      if (typeof name !== 'string' || name === 'then' || name === 'toJSON' || name.startsWith('__') || name in Object.prototype) return undefined;
      let method = methods.get(name);
      if (!method) methods.set(name, (method = async (arg?: unknown) => unwrap(await send(name, arg))));
      return method;
    },
  }) as unknown as ParleyApi;
}
