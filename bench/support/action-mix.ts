// bench:catchup's mix of message actions: one event in ACTION_EVERY is an action on the message
// just before it, in turn an edit, a reaction, an edit, a reaction taken back and a delete (so no
// action ever names a deleted message). The server child seeds it; the raw baseline writes the same rows.
import type { ActionChange } from '../../server/storage/storage.js';

/** The k-th action of a conversation, on its n-th event. */
export function seedAction(k: number, n: number): ActionChange {
  switch (k % 5) {
    case 0:
    case 2:
      return { type: 'revise', body: `Message number ${n}, edited: the quick brown fox jumps over the lazy dog.` };
    case 1:
      return { type: 'react', emoji: '👍', on: true };
    case 3:
      return { type: 'react', emoji: '👍', on: false };
    default:
      return { type: 'delete' };
  }
}

/** Whether the i-th event (0-based) of a conversation is an action, with one in `every` (0: none). */
export const isAction = (i: number, every: number): boolean => every > 0 && i % every === every - 1;
