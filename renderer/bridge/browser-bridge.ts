// The contract over the browser host's WebSocket: the same requests and events as the preload,
// authorised by the per-launch key the host put in the page's URL fragment.
import { eventNames, requestNames, type BridgeEvents, type BridgeReply, type EventName, type ParleyBridge } from '../../preload/api';

type ServerFrame = { id: number; reply: BridgeReply<unknown> } | { event: EventName; payload: unknown };

const RECONNECT_MS = 1000;

export function connectBrowserBridge(location: Pick<Location, 'host' | 'hash' | 'protocol'>): ParleyBridge {
  const key = new URLSearchParams(location.hash.slice(1)).get('key') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge?key=${encodeURIComponent(key)}`;
  const pending = new Map<number, (reply: BridgeReply<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket;

  const open = () => {
    socket = new WebSocket(url);
    socket.onopen = () => {
      for (const frame of queue.splice(0)) socket.send(frame);
    };
    socket.onmessage = (message) => {
      const frame = JSON.parse(String(message.data)) as ServerFrame;
      if ('id' in frame) {
        pending.get(frame.id)?.(frame.reply);
        pending.delete(frame.id);
      } else {
        for (const listener of listeners.get(frame.event) ?? []) listener(frame.payload as never);
      }
    };
    socket.onclose = () => {
      // Requests in flight are lost with the socket: answer them rather than leave them hanging.
      for (const [id, settle] of pending) {
        settle({ ok: false, error: { code: 'unavailable', message: 'lost the connection to the Parley host' } });
        pending.delete(id);
      }
      setTimeout(open, RECONNECT_MS);
    };
  };
  open();

  const request = (method: string, arg: unknown) =>
    new Promise<BridgeReply<unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      const frame = JSON.stringify({ id, method, arg });
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      else queue.push(frame);
    });

  const bridge: Record<string, unknown> = {
    on: <E extends EventName>(event: E, listener: (payload: BridgeEvents[E]) => void) => {
      if (!eventNames.includes(event)) throw new Error(`no event ${String(event)}`);
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => void set.delete(listener as (payload: never) => void);
    },
  };
  for (const name of requestNames) bridge[name] = (arg?: unknown) => request(name, arg);
  return bridge as ParleyBridge;
}
