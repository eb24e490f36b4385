// The contract over the browser host's WebSocket: the same requests and events as the preload,
// authorised by the per-launch key the host put in the page's URL fragment.
import type { BridgeReply, ParleyBridge } from '../../contract/api';
import { isEventName, type BridgeEvents, type EventName } from '../../contract/events';
import type { RequestName } from '../../contract/requests';
import type { OpenFileResult, SaveFileResult, StagedFile } from '../../contract/types';

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

  // The host's /local URLs take the same key as the socket; only this page holds it.
  const withKey = (reply: BridgeReply<unknown>) => {
    if (!reply.ok || typeof reply.data !== 'object' || reply.data === null || !('url' in reply.data)) return reply;
    const { url } = reply.data as Extract<OpenFileResult | SaveFileResult, { url: string }>;
    return { ok: true as const, data: { url: `${url}${url.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}` } };
  };
  const withKeyReplies = new Set<string>(['openFile', 'showFileInFolder', 'saveFileAs'] satisfies RequestName[]);

  const on = <E extends EventName>(event: E, listener: (payload: BridgeEvents[E]) => void) => {
    if (!isEventName(event)) throw new Error(`no event ${String(event)}`);
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  };

  // Each file's bytes stream to the host, which keeps them under an id for sendFile.
  const stageFiles = async (files: File[]): Promise<BridgeReply<StagedFile[]>> => {
    const staged: StagedFile[] = [];
    for (const file of files) {
      const query = `key=${encodeURIComponent(key)}&name=${encodeURIComponent(file.name || 'pasted')}`;
      try {
        const response = await fetch(`/stage?${query}`, { method: 'POST', body: file });
        const body = (await response.json()) as StagedFile | { code: never; message: string };
        if (!response.ok || !('id' in body)) return { ok: false, error: body as { code: never; message: string } };
        staged.push(body);
      } catch {
        return { ok: false, error: { code: 'unavailable', message: 'lost the connection to the Parley host' } };
      }
    }
    return { ok: true, data: staged };
  };
  // A page never learns a dropped folder's path: here the user types it (chooseFolder) instead.
  const stageFolder = async (): Promise<BridgeReply<never>> => ({
    ok: false,
    error: { code: 'bad_request', message: 'dropping a folder works in the desktop app; here, add it by typing its path' },
  });
  const send = async (name: string, arg?: unknown) => {
    const reply = await request(name, arg);
    return withKeyReplies.has(name) ? withKey(reply) : reply;
  };
  return { request: send as ParleyBridge['request'], on, stageFiles, stageFolder };
}
