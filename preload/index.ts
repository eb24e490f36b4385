// Sandboxed preload: exposes exactly the contract as `window.parley`. The page gets one function per
// request and a checked `on`; never ipcRenderer, its events, or a generic send/on.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { Emitter } from '../main/core/emitter.js';
import { EVENT_CHANNEL, STAGE_CHANNEL, STAGE_FOLDER_CHANNEL, requestChannel, type StageItem } from '../main/electron/channels.js';
import {
  eventNames,
  type BridgeEvents,
  type BridgeReply,
  type EventName,
  type ParleyBridge,
  type RequestName,
  type RequestResults,
  type StagedFile,
  type StagedFolder,
} from './api.js';

type Request<K extends RequestName> = ParleyBridge[K];

function request<K extends RequestName>(name: K): Request<K> {
  return ((arg?: unknown) => ipcRenderer.invoke(requestChannel(name), arg) as Promise<BridgeReply<RequestResults[K]>>) as Request<K>;
}

// All events arrive on one channel; the page's listeners never see the IPC event (it carries the sender).
const events = new Emitter<BridgeEvents>();
/** A File without a path (a pasted image) crosses as bytes: at most this many. */
const MAX_PASTED_BYTES = 25 * 1024 * 1024;

// A path only ever comes from webUtils, for a File the user picked or dropped: a File made by page
// script has none, so the page cannot name a file on disk.
async function stageFiles(files: File[]): Promise<BridgeReply<StagedFile[]>> {
  const items: StageItem[] = [];
  for (const file of Array.from(files)) {
    const path = webUtils.getPathForFile(file);
    if (path) items.push({ path });
    else if (file.size > MAX_PASTED_BYTES) return { ok: false, error: { code: 'payload_too_large', message: `${file.name || 'the pasted file'} is over 25 MB; attach it as a file instead` } };
    else items.push({ name: file.name || 'pasted', bytes: new Uint8Array(await file.arrayBuffer()) });
  }
  return ipcRenderer.invoke(STAGE_CHANNEL, items) as Promise<BridgeReply<StagedFile[]>>;
}
async function stageFolder(folder: File): Promise<BridgeReply<StagedFolder>> {
  const path = webUtils.getPathForFile(folder);
  if (!path) return { ok: false, error: { code: 'bad_request', message: 'drag a folder from the file manager' } };
  return ipcRenderer.invoke(STAGE_FOLDER_CHANNEL, path) as Promise<BridgeReply<StagedFolder>>;
}
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
  sendFile: request('sendFile'),
  startFileTransfer: request('startFileTransfer'),
  stopFileTransfer: request('stopFileTransfer'),
  downloadFile: request('downloadFile'),
  openFile: request('openFile'),
  showFileInFolder: request('showFileInFolder'),
  saveFileAs: request('saveFileAs'),
  getFileSettings: request('getFileSettings'),
  setFileSettings: request('setFileSettings'),
  chooseFolder: request('chooseFolder'),
  listWatchedFolders: request('listWatchedFolders'),
  watchFolder: request('watchFolder'),
  updateWatchedFolder: request('updateWatchedFolder'),
  pauseWatchedFolder: request('pauseWatchedFolder'),
  resumeWatchedFolder: request('resumeWatchedFolder'),
  unwatchFolder: request('unwatchFolder'),
  getSaveFolder: request('getSaveFolder'),
  setSaveFolder: request('setSaveFolder'),
  setConversationMuted: request('setConversationMuted'),
  getDesktopSettings: request('getDesktopSettings'),
  setDesktopSettings: request('setDesktopSettings'),
  stageFiles,
  stageFolder,
  on(event, listener) {
    if (!(eventNames as readonly string[]).includes(event)) throw new Error(`there is no event ${JSON.stringify(String(event)).slice(0, 80)}`);
    if (typeof listener !== 'function') throw new Error('the listener is not a function');
    // A fresh wrapper per subscription: the same page function subscribed twice stays subscribed twice.
    return events.on(event, (payload) => listener(payload));
  },
};

contextBridge.exposeInMainWorld('parley', api);
