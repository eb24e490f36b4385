// Who has one of my messages and who has read it, from each member's cumulative marks: a member has
// read everything up to their readSeq and has everything up to their deliveredSeq.
import type { Address, ConversationSummary, Participant } from '../../contract/types';

export interface MessageInfo {
  read: Participant[];
  /** Delivered and not read yet. */
  delivered: Participant[];
  /** Not on any of their devices yet. */
  waiting: Participant[];
}

export function messageInfo(conversation: Pick<ConversationSummary, 'participants'>, seq: number, me: Address | null): MessageInfo {
  const info: MessageInfo = { read: [], delivered: [], waiting: [] };
  for (const p of conversation.participants) {
    if (p.address === me) continue;
    (p.readSeq >= seq ? info.read : p.deliveredSeq >= seq ? info.delivered : info.waiting).push(p);
  }
  return info;
}
