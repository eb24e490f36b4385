// The rules that turn stored rows into what a person sees of a message: my messages' status from
// the others' receipts, an outbox message's status, a file's URL once its upload is done, unread.
import type { Participant, Receipt } from '../../../protocol/index.js';
import type { TransferRecord } from '../store/index.js';
import type { Message, MessageFile, MessageStatus } from '../types.js';

/** The marks that decide my messages' status: the lowest among the other participants. */
export interface Marks {
  delivered: number;
  read: number;
}

/** Kinds someone wrote, with a clientId and, for my own, a status. */
const WRITTEN: ReadonlySet<Message['kind']> = new Set(['text', 'file']);
export const isWritten = (kind: Message['kind']): boolean => WRITTEN.has(kind);

export function marksOf(participants: readonly Participant[], me: string): Marks {
  let delivered = Number.MAX_SAFE_INTEGER;
  let read = Number.MAX_SAFE_INTEGER;
  let others = 0;
  for (const p of participants) {
    if (p.address === me) continue;
    others++;
    delivered = Math.min(delivered, p.deliveredSeq);
    read = Math.min(read, p.readSeq);
  }
  return others === 0 ? { delivered: 0, read: 0 } : { delivered, read };
}

export const statusAt = (seq: number, marks: Marks): MessageStatus => (seq <= marks.read ? 'read' : seq <= marks.delivered ? 'delivered' : 'sent');

/** Not numbered by the server yet: sent elsewhere (Media Reference Send), refused, or on its way. */
export const pendingStatus = (r: { sentAt: number | null; error: string | null }): MessageStatus =>
  r.sentAt !== null ? 'sent' : r.error ? 'failed' : 'sending';

/** A file's metadata with its URL and checksum once its upload is done. */
export const withUpload = (file: MessageFile, upload: TransferRecord | null): MessageFile =>
  upload?.state === 'done' ? { ...file, url: upload.url!, sha256: upload.sha256! } : file;

/** Moves the receipt's sender's marks forward (read implies delivered); false when they are not a participant. */
export function advanceMarks(participants: Participant[], receipt: Receipt): boolean {
  const who = participants.find((p) => p.address === receipt.address);
  if (!who) return false;
  if (receipt.type === 'read') who.readSeq = Math.max(who.readSeq, receipt.seq);
  who.deliveredSeq = Math.max(who.deliveredSeq, receipt.seq);
  return true;
}
