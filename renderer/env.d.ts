import type { ParleyApi } from '../preload/api.js';

declare global {
  interface Window {
    /** Exposed by preload/index.ts via contextBridge. */
    readonly parley: ParleyApi;
  }
}

export {};
