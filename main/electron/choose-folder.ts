// "Choose folder…": the OS folder dialog, modal to the app window. The page may not name a folder
// itself: a typed path is refused here (only the browser host, reached with its launch key, takes one).
import { dialog, type BrowserWindow } from 'electron';
import type { ChooseFolder } from '../bridge/index.js';
import { ParleyError } from '../core/index.js';

export function chooseFolderWithDialog(getWindow: () => BrowserWindow | null): ChooseFolder {
  return async (typedPath) => {
    if (typedPath !== undefined) throw new ParleyError('forbidden', 'choose the folder in the dialog');
    const options = { properties: ['openDirectory' as const, 'createDirectory' as const], buttonLabel: 'Choose folder' };
    const win = getWindow();
    const { canceled, filePaths } = await (win && !win.isDestroyed() ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options));
    return canceled ? null : (filePaths[0] ?? null);
  };
}
