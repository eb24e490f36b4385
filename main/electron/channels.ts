// IPC channel names, shared by the preload and the main process (no Electron import: the preload bundles it).
export const requestChannel = (name: string): string => `parley:${name}`;
export const EVENT_CHANNEL = 'parley:event';
/**
 * Not a contract request: only the preload's stageFiles uses it, with paths webUtils gave for Files
 * the user chose, or the bytes of a File that has no path (a pasted image).
 */
export const STAGE_CHANNEL = 'parley-private:stage';
export type StageItem = { path: string } | { name: string; bytes: Uint8Array };
/** The same for a folder dragged onto the window: its path, from webUtils in the preload. */
export const STAGE_FOLDER_CHANNEL = 'parley-private:stage-folder';
