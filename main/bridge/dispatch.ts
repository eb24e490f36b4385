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
        throw new ParleyError('unknown_event', `there is no request ${JSON.stringify(String(name)).slice(0, 80)}`);
      }
      const parsed = requests[name].args.safeParse(arg);
      if (!parsed.success) throw invalidPayload(name, parsed.error);
      const handler = handlers[name] as (arg: unknown) => unknown;
      return { ok: true, data: await handler(parsed.data) };
    } catch (error) {
      if (error instanceof ParleyError) return { ok: false, error: error.toBody() };
      log(`request ${String(name)} failed`, error);
      return { ok: false, error: { code: 'internal', message: 'Parley hit an internal error; the details are in its log' } };
    }
  };
}
