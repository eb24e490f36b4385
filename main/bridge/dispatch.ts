// Where every call from the renderer enters, whichever host carried it: the request name must be in
// the contract and its argument must pass the contract's schema before any handler sees it.
import { ParleyError, invalidPayload } from '../../protocol/index.js';
import type { BridgeReply } from '../../contract/api.js';
import { isRequestName, requests } from '../../contract/requests.js';
import type { Handlers } from './handlers.js';

export type Dispatch = (name: unknown, arg: unknown) => Promise<BridgeReply<unknown>>;

export function createDispatch(handlers: Handlers, log: (message: string, detail?: unknown) => void): Dispatch {
  return async (name, arg) => {
    try {
      if (!isRequestName(name)) {
        throw new ParleyError('unknown_event', `there is no request ${nameOf(name)}`);
      }
      const parsed = requests[name].args.safeParse(arg);
      if (!parsed.success) throw invalidPayload(name, parsed.error);
      const handler = handlers[name] as (arg: unknown) => unknown;
      return { ok: true, data: await handler(parsed.data) };
    } catch (error) {
      if (error instanceof ParleyError) return { ok: false, error: error.toBody() };
      log(`request ${nameOf(name)} failed`, error);
      return { ok: false, error: { code: 'internal', message: 'Parley hit an internal error; the details are in its log' } };
    }
  };
}

/** A name as a renderer sent it, for a message: a string quoted and cut; anything else by its type (String() throws on some objects). */
export function nameOf(name: unknown): string {
  if (typeof name === 'string') return JSON.stringify(name).slice(0, 80);
  return name === null ? 'null' : Array.isArray(name) ? 'named by an array' : `named by a value of type ${typeof name}`;
}
