// Sandboxed preload: exposes exactly the contract as `window.parley`. The page gets one typed
// request function, a checked `on` and the staging calls; never ipcRenderer, its events, or a
// generic send/on.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { BridgeReply, ParleyBridge } from '../contract/api.js';
import { isEventName, type BridgeEvents } from '../contract/events.js';
import { EVENT_CHANNEL, REQUEST_CHANNEL, STAGE_CHANNEL, STAGE_FOLDER_CHANNEL, type StageItem } from '../contract/ipc.js';
import type { StagedFile, StagedFolder } from '../contract/types.js';
import { Emitter } from '../common/emitter.js';

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
ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (isEventName(name)) events.emit(name, payload as never);
});

const api: ParleyBridge = {
  // The main process checks the sender, the name and the argument; here only that it is a name at all.
  request: ((name: unknown, arg?: unknown) =>
    typeof name === 'string' && name.length <= 64
      ? ipcRenderer.invoke(REQUEST_CHANNEL, name, arg)
      : Promise.resolve({ ok: false, error: { code: 'unknown_event', message: 'a request is named by a string' } })) as ParleyBridge['request'],
  stageFiles,
  stageFolder,
  on(event, listener) {
    if (!isEventName(event)) throw new Error(`there is no event ${JSON.stringify(String(event)).slice(0, 80)}`);
    if (typeof listener !== 'function') throw new Error('the listener is not a function');
    // A fresh wrapper per subscription: the same page function subscribed twice stays subscribed twice.
    return events.on(event, (payload) => listener(payload));
  },
};

contextBridge.exposeInMainWorld('parley', api);
