// How watched folders read to people: a binding's status line and a summary of its options.
import type { FolderStatus, WatchFolderOptions } from '../../contract/types';
import { countdown } from './time';

export function folderStatusText(status: FolderStatus, now: number): string {
  switch (status.state) {
    case 'watching':
      return 'Watching';
    case 'sending':
      return `Sending ${Math.min(status.sent + 1, status.total)} of ${status.total}`;
    case 'paused':
      return 'Paused';
    case 'error': {
      const left = status.nextRetryAt === null ? 0 : status.nextRetryAt - now;
      return `${status.reason} — ${left > 500 ? `checking again in ${countdown(left)}` : 'checking again…'}`;
    }
  }
}

const AFTER_SEND = { move: 'moved into Sent', keep: 'left in place', delete: 'deleted' } as const;

/** "Sent files are moved into Sent · subfolders too". */
export function folderOptionsText(options: Required<WatchFolderOptions>): string {
  const parts = [`Sent files are ${AFTER_SEND[options.afterSend]}`];
  if (options.afterSend === 'keep' && options.resendChanged) parts.push('changed ones are sent again');
  if (options.includeSubfolders) parts.push('subfolders too');
  return parts.join(' · ');
}
