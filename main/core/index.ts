// The Parley client engine: plain Node, no Electron, hosted by the desktop app's main process.
export { createClient, type Client, type ClientOptions } from './client.js';
export { verifyToken } from './net/verify-token.js';
export type { Unsubscribe } from '../../common/emitter.js';
export * from './types.js';
export { ParleyError } from '../../protocol/index.js';
