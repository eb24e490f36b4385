// "Save as…": the OS save dialog, then a copy of the file the engine saved or sent (the bridge resolves
// it from a message id). The destination is whatever the user picked in that dialog.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, dialog, type BrowserWindow } from 'electron';
import type { SaveFileAs } from '../bridge/index.js';
import { ParleyError, sanitizeFileName } from '../core/index.js';

/** The dialog is modal to the app window while there is one. */
export function saveAsWithDialog(getWindow: () => BrowserWindow | null): SaveFileAs {
  return async (transfer) => {
    const options = { defaultPath: join(app.getPath('downloads'), sanitizeFileName(transfer.name)) };
    const win = getWindow();
    const { canceled, filePath } = await (win && !win.isDestroyed() ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options));
    if (canceled || !filePath) return { canceled: true };
    // A failure here is the user's to see (a full disk, a read-only folder), not an internal error.
    await copyFile(transfer.path, filePath).catch((error: Error) => {
      throw new ParleyError('unavailable', `could not save the file: ${error.message}`);
    });
    return { saved: true };
  };
}
