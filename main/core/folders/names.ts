// Which names in a watched folder are not (yet) files to send: partial downloads, editors' temporary
// and lock files, hidden files, and the Sent subfolder files are moved into after sending.
import { sep } from 'node:path';

/** The subfolder of a watched folder that sent files move into (afterSend 'move'); never watched as input. */
export const SENT_DIR = 'Sent';

const TEMPORARY = [/\.part$/i, /\.crdownload$/i, /\.tmp$/i, /\.download$/i, /\.partial$/i, /\.swp$/i, /~$/];

/** A partial or temporary name: ignored until the file is renamed to its final name. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~$') || TEMPORARY.some((re) => re.test(name));
}

/** Whether a path relative to the watched folder is input: not in Sent, no temporary segment. */
export function isInput(rel: string): boolean {
  if (rel === '') return true;
  const parts = rel.split(sep);
  if (parts[0] === SENT_DIR) return false;
  return !parts.some(isTemporaryName);
}
