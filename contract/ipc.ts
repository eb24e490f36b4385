// The Electron IPC channels between the preload and the main process (strings only: the sandboxed
// preload bundles this file). Every request crosses one channel as (name, arg); the main process
// checks the sender, then the bridge's dispatch checks the name and argument against the table.
export const REQUEST_CHANNEL = 'parley:request';
export const EVENT_CHANNEL = 'parley:event';
/**
 * Not a contract request: only the preload's stageFiles uses it, with paths webUtils gave for Files
 * the user chose, or the bytes of a File that has no path (a pasted image).
 */
export const STAGE_CHANNEL = 'parley-private:stage';
export type StageItem = { path: string } | { name: string; bytes: Uint8Array };
/** The same for a folder dragged onto the window: its path, from webUtils in the preload. */
export const STAGE_FOLDER_CHANNEL = 'parley-private:stage-folder';
