// The renderer's one way to the host: the preload's `window.parley` in Electron, else the browser
// host's WebSocket. Stores and components import `parley` from here and never touch either directly.
import { toApi, type ParleyApi } from '../../contract/api';
import { connectBrowserBridge } from './browser-bridge';

export const parley: ParleyApi = toApi(window.parley ?? connectBrowserBridge(window.location));

/** The Electron host (which opens files with the desktop) rather than the browser host. */
export const desktop = window.parley !== undefined;
