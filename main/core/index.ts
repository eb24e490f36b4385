// The Parley client engine: plain Node, no Electron, hosted by the desktop app's main process.
export { createClient, type Client, type ClientOptions } from './client.js';
export { DEFAULT_LIMITS, type EngineLimits } from './limits.js';
export { DEFAULT_SAVE_FOLDER_LIMITS, type SaveFolderLimits } from './files/auto-save.js';
export { verifyToken } from './net/verify-token.js';
// For the hosts: the same name rules for a copy saved or staged, the same check of Media Reference Send keys.
export { sanitizeFileName } from './files/file-name.js';
export { parseMediaRefSend } from './files/media-ref-send.js';
export type { Unsubscribe } from '../../common/emitter.js';
export * from './types.js';
export { ParleyError } from '../../protocol/index.js';
