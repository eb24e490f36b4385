// Opening a file on this device from the app: only ever a path the engine saved or sent (the bridge
// resolves it from a message id), handed to the desktop's own handler; an image the page wants to
// view itself is answered as its parley-file: URL instead.
import { shell } from 'electron';
import { ParleyError } from '../core/index.js';
import type { RevealFile } from '../bridge/index.js';
import { fileSchemeUrl } from './file-scheme.js';

export const revealWithShell: RevealFile = async (transfer, how) => {
  if (how === 'view' && transfer.mime.startsWith('image/')) return { url: fileSchemeUrl(transfer.id) };
  if (how === 'folder') shell.showItemInFolder(transfer.path);
  else {
    const problem = await shell.openPath(transfer.path);
    if (problem) throw new ParleyError('unavailable', `could not open the file: ${problem}`);
  }
  return { opened: true };
};
