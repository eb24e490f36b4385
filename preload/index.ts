// Sandboxed preload: exposes exactly the contract as `window.parley`. The page gets one function per
// request and a checked `on`; never ipcRenderer, its events, or a generic send/on.
import { contextBridge, ipcRenderer } from 'electron';
import { Emitter } from '../main/core/emitter.js';
import { EVENT_CHANNEL, requestChannel } from '../main/electron/channels.js';
import { eventNames, type BridgeEvents, type BridgeReply, type EventName, type ParleyBridge, type RequestName, type RequestResults } from './api.js';

type Request<K extends RequestName> = ParleyBridge[K];

function request<K extends RequestName>(name: K): Request<K> {
  return ((arg?: unknown) => ipcRenderer.invoke(requestChannel(name), arg) as Promise<BridgeReply<RequestResults[K]>>) as Request<K>;
}

// All events arrive on one channel; the page's listeners never see the IPC event (it carries the sender).
const events = new Emitter<BridgeEvents>();
ipcRenderer.on(EVENT_CHANNEL, (_event, name: EventName, payload: unknown) => events.emit(name, payload as never));

// Spelled out rather than generated from requestNames so a request added to the contract and not here fails the type-check.
const api: ParleyBridge = {
  getAppInfo: request('getAppInfo'),
  getSession: request('getSession'),
  signIn: request('signIn'),
  signInDemo: request('signInDemo'),
  signOut: request('signOut'),
  listConversations: request('listConversations'),
  createConversation: request('createConversation'),
  readMessages: request('readMessages'),
  sendMessage: request('sendMessage'),
  retryMessage: request('retryMessage'),
  markRead: request('markRead'),
  setTyping: request('setTyping'),
  searchUsers: request('searchUsers'),
  on(event, listener) {
    if (!(eventNames as readonly string[]).includes(event)) throw new Error(`there is no event ${JSON.stringify(String(event)).slice(0, 80)}`);
    if (typeof listener !== 'function') throw new Error('the listener is not a function');
    // A fresh wrapper per subscription: the same page function subscribed twice stays subscribed twice.
    return events.on(event, (payload) => listener(payload));
  },
};

contextBridge.exposeInMainWorld('parley', api);
