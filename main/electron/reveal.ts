// Opening a file on this device from the app: only ever a path the engine saved or sent (the bridge
// resolves it from a message id), handed to the desktop's own handler.
import { shell } from 'electron';
import { ParleyError } from '../core/index.js';
import type { RevealFile } from '../bridge/index.js';

export const revealWithShell: RevealFile = async ({ path }, how) => {
  if (how === 'folder') shell.showItemInFolder(path);
  else {
    const problem = await shell.openPath(path);
    if (problem) throw new ParleyError('unavailable', `could not open the file: ${problem}`);
  }
  return { opened: true };
};
