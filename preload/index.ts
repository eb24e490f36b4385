// Sandboxed preload: exposes a frozen, data-only API. Never expose ipcRenderer itself.
import { contextBridge } from 'electron';
import type { ParleyApi } from './api.js';

declare const __PARLEY_VERSION__: string; // injected by electron.vite.config.ts (define)

const api: ParleyApi = Object.freeze({
  version: __PARLEY_VERSION__,
  platform: process.platform,
});

contextBridge.exposeInMainWorld('parley', api);
