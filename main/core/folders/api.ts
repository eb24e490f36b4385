// The engine's folder methods: watched drop folders (manager.ts) and the folders incoming files are
// saved into (files/auto-save.ts), as the host calls them.
import type { AutoSave, SaveFolderLimits } from '../files/auto-save.js';
import type { FolderSentFile, WatchedFolder, WatchFolderOptions } from '../types.js';
import type { Folders } from './manager.js';

export function createFolderApi(folders: Folders, autoSave: AutoSave) {
  return {
    /**
     * Binds a folder to a conversation: files that land there (complete, under a final name) are
     * sent once each, then kept, moved into its Sent subfolder (the default) or deleted.
     */
    watchFolder(path: string, conversationId: string, options: WatchFolderOptions = {}): Promise<WatchedFolder> {
      return folders.watch(path, conversationId, options);
    },
    /** Stops watching; files not yet sent stay in the folder. */
    unwatchFolder(id: string): Promise<void> {
      return folders.unwatch(id);
    },
    listWatchedFolders(): WatchedFolder[] {
      return folders.list();
    },
    /** Changes includeSubfolders, afterSend or resendChanged of a binding. */
    updateWatchedFolder(id: string, options: Omit<WatchFolderOptions, 'includeExisting'>): Promise<WatchedFolder> {
      return folders.update(id, options);
    },
    /** The files a binding sent most recently, newest first. */
    recentFolderFiles(id: string, limit?: number): FolderSentFile[] {
      return folders.recent(id, limit);
    },
    pauseWatchedFolder(id: string): Promise<WatchedFolder> {
      return folders.pause(id);
    },
    resumeWatchedFolder(id: string): WatchedFolder {
      return folders.resume(id);
    },
    /** Resolves once the watched folders have nothing pending (no file stabilising, queued, sending or due for a retry). */
    whenFoldersIdle(): Promise<void> {
      return folders.whenIdle();
    },
    /**
     * Saves the files others send to this conversation from now on into `dir` on this device (sanitised
     * names, never overwriting), or stops with null. Answers the folder used.
     */
    setSaveFolder(conversationId: string, dir: string | null): string | null {
      return autoSave.set(conversationId, dir);
    },
    getSaveFolder(conversationId: string): string | null {
      return autoSave.get(conversationId);
    },
    /**
     * What save folders download without asking: files up to maxBytes (default 100 MiB) from the
     * Parley server's /files/ routes or an allowed origin; anything else waits for a click. Fields
     * left out keep their value; answers the limits now in force.
     */
    setSaveFolderLimits(limits: Partial<SaveFolderLimits>): SaveFolderLimits {
      return autoSave.setLimits(limits);
    },
    getSaveFolderLimits(): SaveFolderLimits {
      return autoSave.limits();
    },
  };
}
