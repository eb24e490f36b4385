// A conversation's folders: the watched drop folders bound to it, each with its live status and the
// files it sent lately (the engine's folderStatus and folderFileSent events keep them current), the
// folder its incoming files are saved into, and the folders dialog: which conversation it is open
// for, and a folder already chosen by dropping it.
import { defineStore } from 'pinia';
import { computed, ref, shallowReactive } from 'vue';
import { parley } from '../bridge';
import { RECENT_FOLDER_FILES, type FolderFileSent, type StagedFolder, type WatchedFolder, type WatchedFolderView, type WatchFolderOptions } from '../../contract/types';
import { useSessionStore } from './session';

export type FolderOptions = Omit<WatchFolderOptions, 'includeExisting'>;

export const useFoldersStore = defineStore('folders', () => {
  const bindings = shallowReactive(new Map<string, WatchedFolderView>());
  /** Where each conversation's incoming files are saved (null: they are not), as far as loaded. */
  const saveFolders = shallowReactive(new Map<string, string | null>());
  const session = useSessionStore();
  /** The host lets the user pick a folder in a dialog (Electron), or asks for its path (the browser host). */
  const picksWithDialog = computed(() => session.appInfo?.host === 'electron');
  /** The folder dialog, open for this conversation, maybe with a folder dropped onto it. */
  const dialog = ref<{ conversationId: string; dropped: StagedFolder | null; error: string | null } | null>(null);

  async function load(): Promise<void> {
    const all = await parley.listWatchedFolders();
    bindings.clear();
    for (const folder of all) bindings.set(folder.id, folder);
  }

  function reset(): void {
    bindings.clear();
    saveFolders.clear();
    dialog.value = null;
  }

  const of = (conversationId: string): WatchedFolderView[] => [...bindings.values()].filter((b) => b.conversationId === conversationId);

  /** A status change: the binding's recent files stay as they are. */
  function applyStatus(folder: WatchedFolder): void {
    const known = bindings.get(folder.id);
    if (known) bindings.set(folder.id, { ...folder, recent: known.recent });
  }

  function applySent({ folderId, path, size, messageId, sentAt }: FolderFileSent): void {
    const known = bindings.get(folderId);
    if (known) bindings.set(folderId, { ...known, recent: [{ path, size, messageId, sentAt }, ...known.recent].slice(0, RECENT_FOLDER_FILES) });
  }

  const keep = (folder: WatchedFolderView): WatchedFolderView => (bindings.set(folder.id, folder), folder);

  return {
    bindings,
    saveFolders,
    picksWithDialog,
    dialog,
    load,
    reset,
    of,
    applyStatus,
    applySent,
    openDialog: (conversationId: string, dropped: StagedFolder | null = null, error: string | null = null) => {
      dialog.value = { conversationId, dropped, error };
    },
    closeDialog: () => {
      dialog.value = null;
    },
    /** The host's folder chooser: null when the user canceled its dialog. */
    choose: (typedPath?: string) => parley.chooseFolder(typedPath === undefined ? undefined : { path: typedPath }),
    watch: async (conversationId: string, folder: StagedFolder, options: WatchFolderOptions) =>
      keep(await parley.watchFolder({ conversationId, folderId: folder.id, options })),
    update: async (id: string, options: FolderOptions) => keep(await parley.updateWatchedFolder({ id, options })),
    pause: async (id: string) => keep(await parley.pauseWatchedFolder({ id })),
    resume: async (id: string) => keep(await parley.resumeWatchedFolder({ id })),
    remove: async (id: string) => {
      await parley.unwatchFolder({ id });
      bindings.delete(id);
    },
    loadSaveFolder: async (conversationId: string) => {
      saveFolders.set(conversationId, await parley.getSaveFolder({ conversationId }));
    },
    /** Saves the conversation's incoming files into this folder from now on, or stops with null. */
    setSaveFolder: async (conversationId: string, folder: StagedFolder | null) => {
      saveFolders.set(conversationId, await parley.setSaveFolder({ conversationId, folderId: folder?.id ?? null }));
    },
  };
});
