import type { ParleyBridge } from '../preload/api';

declare global {
  interface Window {
    /** Exposed by preload/index.ts via contextBridge in Electron; absent in the browser host. */
    readonly parley?: ParleyBridge;
  }
}

export {};
