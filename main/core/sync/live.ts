// What the server pushes while connected: each event is stored before it is announced; a gap, or a
// conversation heard of for the first time, starts catch-up; a file that arrives is downloaded (or
// saved into the conversation's folder) as the settings say.
import type { ConversationEvent, Participant, Receipt } from '../../../protocol/index.js';
import type { EngineContext } from '../context.js';
import type { AutoSave } from '../files/auto-save.js';
import type { Transfers } from '../files/transfers.js';
import type { CatchUp } from './catch-up.js';
import type { HiddenSync } from './hidden.js';
import type { Receipts } from './receipts.js';

export type LiveDeps = Pick<EngineContext, 'connection' | 'store' | 'views' | 'events' | 'announce' | 'log'> & {
  /** A pushed event further than this past what is stored is not stored (EngineLimits.maxSeqJump). */
  maxSeqJump: number;
  receipts: Receipts;
  catchUp: CatchUp;
  autoSave: AutoSave;
  transfers: Transfers;
  hidden: HiddenSync;
};

export function followPushes(d: LiveDeps): void {
  const { store, views, events, announce } = d;

  function onEvent(event: ConversationEvent): void {
    const known = store.conversations.get(event.conversationId);
    if (event.seq > (known?.haveSeq ?? 0) + d.maxSeqJump) {
      // Too far ahead to take on trust: catch-up fetches it in order if the server really has it
      // (and lowers the lastSeq again if it has not), so no absurd seq is ever stored.
      d.log(`an event of ${event.conversationId} at seq ${event.seq} is more than ${d.maxSeqJump} past what is stored; catching up instead`);
      if (known) store.conversations.bump(event.conversationId, event.seq, known.lastActivity);
      return d.catchUp.soon();
    }
    const { inserted, have, changed } = store.ingest([event], true);
    if (!known) return d.catchUp.soon(); // added to a conversation we have not heard of yet
    if (inserted.length === 0) return;
    const haveSeq = have.get(event.conversationId) ?? 0;
    if (haveSeq < event.seq - 1 || event.seq > known.lastSeq + 1) d.catchUp.soon();
    // Edited, deleted, reacted to, or a reply whose target just landed. Never news: no message event.
    for (const ref of changed) {
      const message = views.message(ref.conversationId, ref.seq);
      if (message) events.emit('messageChanged', message);
    }
    if (event.type !== 'message' && event.sender !== store.me) d.receipts.delivered(event.conversationId, haveSeq);
    if (event.type === 'message') {
      const message = views.message(event.conversationId, event.seq);
      if (message) events.emit('message', message);
      if (message?.file) {
        events.emit('file', message);
        // A conversation that saves its files gets this one in its folder, not the download dir.
        if (d.autoSave.covers(event.conversationId)) d.autoSave.scan(event.conversationId);
        else d.transfers.arrived(message);
      }
      if (event.sender !== store.me) d.receipts.delivered(event.conversationId, haveSeq);
    }
    announce.conversation(event.conversationId);
  }

  function onReceipt(receipt: Receipt): void {
    const marks = (participant: Participant) => events.emit('marks', { conversationId: receipt.conversationId, participant });
    for (const message of views.applyReceipt(receipt, marks)) {
      announce.status({ id: message.id, conversationId: message.conversationId, seq: message.seq, status: message.status! });
    }
    if (receipt.address === store.me && receipt.type === 'read') announce.conversation(receipt.conversationId);
  }

  d.connection.onPush('event', onEvent);
  d.connection.onPush('receipts', ({ receipts }) => receipts.forEach(onReceipt));
  d.connection.onPush('conversation', (conversation) => {
    store.upsertConversations([conversation]);
    announce.conversation(conversation.id);
    if (conversation.lastSeq > 0) d.catchUp.soon();
  });
  d.connection.onPush('hidden', (batch) => d.hidden.pushed(batch));
  d.connection.onPush('typing', (typing) => events.emit('typing', typing));
  d.connection.onPush('protocol:error', (error) => d.log(`the server refused a message: ${error.code}: ${error.message}`));
}
