// Actions on messages: edit (a `revise` event), delete for everyone, reactions, and delete for me.
// Each of the first three is an event of the conversation's gap-free log, written in the same group
// commit as messages and idempotent by clientId like a send; its rules are checked inside the write
// against the members and the target as that write sees them, then it goes to the members like a
// message. Delete for me is the user's own hidden list, pushed to their other devices.
import { HIDDEN_PAGE, MAX_REACTIONS, ParleyError, type Address, type RequestPayload } from '../../protocol/index.js';
import type { ActionChange, NewAction, Storage } from '../storage/storage.js';
import type { Fanout } from './messaging.js';

export interface ActionDeps {
  storage: Storage;
  fanout: Fanout;
  now: () => number;
}

type Action = RequestPayload<'message:delete'>;

export function createActions({ storage, fanout, now }: ActionDeps) {
  async function act(sender: Address, deviceId: string, action: Action, change: ActionChange, authorize: NewAction['authorize'], socketId?: string) {
    const { event, duplicate, members } = await storage.appendAction({ ...action, sender, deviceId, change, serverTime: now(), authorize });
    if (!duplicate) fanout.emit(members, 'event', event, socketId);
    return { seq: event.seq, serverTime: event.serverTime };
  }

  return {
    /** A new body for my own message; in a channel, only while I am admin (only admins post there). */
    editMessage(sender: Address, deviceId: string, { body, mentions, ...action }: RequestPayload<'message:edit'>, socketId?: string) {
      return act(sender, deviceId, action, { type: 'revise', body, mentions }, (m, target) => {
        if (target.sender !== sender) throw new ParleyError('forbidden', 'you can only edit your own messages');
        if (m.type === 'channel' && m.roles.get(sender) !== 'admin') throw new ParleyError('forbidden', 'only admins post in a channel');
        if (!target.hasFile && body.trim() === '') throw new ParleyError('bad_request', 'the new text is empty: delete the message instead');
      }, socketId);
    },

    /** For everyone: my own message, or anyone's in a group or channel I am admin of (never another's in a direct conversation). */
    deleteMessage(sender: Address, deviceId: string, action: Action, socketId?: string) {
      return act(sender, deviceId, action, { type: 'delete' }, (m, target) => {
        if (target.sender === sender) return;
        if (m.type === 'direct') throw new ParleyError('forbidden', 'you can only delete your own messages in a direct conversation');
        if (m.roles.get(sender) !== 'admin') throw new ParleyError('forbidden', `only admins delete others' messages in a ${m.type}`);
      }, socketId);
    },

    /** Any member reacts, in channels too; at most MAX_REACTIONS distinct emoji on one message. */
    react(sender: Address, deviceId: string, { emoji, on, ...action }: RequestPayload<'message:react'>, socketId?: string) {
      return act(sender, deviceId, action, { type: 'react', emoji, on }, (_m, target) => {
        if (on && !target.emoji.includes(emoji) && target.emoji.length >= MAX_REACTIONS) {
          throw new ParleyError('bad_request', `a message carries at most ${MAX_REACTIONS} different reactions: add one of those already on it`);
        }
      }, socketId);
    },

    /** Delete for me: stored in my hidden list, told to my other devices. */
    async hideMessages(address: Address, { conversationId, seqs }: RequestPayload<'message:hide'>, socketId?: string) {
      const batch = await storage.hideMessages(address, conversationId, seqs);
      fanout.emit([address], 'hidden', batch, socketId);
      return { version: batch.version };
    },

    async hiddenList(address: Address, after: number) {
      const batches = await storage.hiddenAfter(address, after, HIDDEN_PAGE + 1);
      return { hidden: batches.slice(0, HIDDEN_PAGE), more: batches.length > HIDDEN_PAGE };
    },
  };
}
