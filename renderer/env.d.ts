import type { ParleyBridge } from '../contract/api';

declare global {
  interface Window {
    /** Exposed by preload/index.ts via contextBridge in Electron; absent in the browser host. */
    readonly parley?: ParleyBridge;
  }
}

export {};
