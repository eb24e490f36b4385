// What a person does to a message: edit my own, delete it (for everyone, or for me on all my
// devices), react to it. Each shows here at once and is queued in the outbox like a message
// (exactly once by clientId, in order, offline first); the server's answer then stores it as the
// conversation event it is, or a refusal for good takes the change back and the message is told
// once why (a retryable failure keeps it queued).
// My message not sent yet is simpler: an edit changes its queued text, a delete cancels it.
import { Body, Caption, Emoji, ParleyError } from '../../../protocol/index.js';
import { check } from '../check.js';
import type { EngineContext } from '../context.js';
import type { Outbox } from '../outbox.js';
import type { OutboxAction, RemovedRef } from '../store/index.js';
import type { Message } from '../types.js';
import { clientIdOf, newClientId } from './id.js';
import { mentionsIn } from './mentions.js';
import { idOf } from './views.js';

/** What a person did, as the refusal names it. */
const REFUSED: Record<OutboxAction, string> = {
  edit: 'Your edit',
  delete: 'Your delete for everyone',
  react: 'Your reaction',
  unreact: 'Removing your reaction',
  hide: 'Your delete for me',
};

/** Why, for a person: the server's words, but for the refusals that name ids. */
function why(error: ParleyError): string {
  if (error.code === 'not_member') return 'you are not a member of this conversation';
  if (error.code === 'not_found') return 'the message or its conversation is gone';
  return error.message;
}

export type ActionDeps = Pick<EngineContext, 'store' | 'views' | 'events' | 'announce'> & { outbox: Outbox };

export type MessageActions = ReturnType<typeof createMessageActions>;

export function createMessageActions(d: ActionDeps) {
  const { store, views, outbox } = d;

  /** A message shown here that a person may act on (not an action, not a membership or title event). */
  function find(id: string): Message & { conversationId: string } {
    const message = views.byId(id);
    if (!message || !message.conversationId || (message.kind !== 'text' && message.kind !== 'file')) {
      throw new ParleyError('not_found', `no message ${id} on this device`);
    }
    return message as Message & { conversationId: string };
  }

  /** My message still in the outbox and not on its way: changed or cancelled there, not acted on. */
  function unsent(message: Message): string | null {
    const clientId = message.seq === null ? clientIdOf(message.id) : null;
    return clientId !== null && outbox.sending() !== clientId ? clientId : null;
  }

  /** Queues an action on a message (after my message it acts on, if that is not sent yet). */
  function queue(message: Message & { conversationId: string }, action: OutboxAction, body: string, mentions?: string[]): void {
    store.outbox.add({
      clientId: newClientId(),
      conversationId: message.conversationId,
      peer: null,
      body,
      createdAt: Date.now(),
      action,
      target: message.id,
      waitsFor: message.seq === null ? clientIdOf(message.id) : null,
      ...(mentions ? { mentions } : {}),
    });
    outbox.kick();
  }

  /** The message as shown now, told to the host. */
  function changed(id: string): Message {
    const now = views.byId(id)!;
    d.events.emit('messageChanged', now);
    return now;
  }

  function removed(conversationId: string, refs: readonly RemovedRef[] | readonly string[]): void {
    const ids = refs.map((r) => (typeof r === 'string' ? r : idOf(r)));
    if (ids.length === 0) return;
    d.events.emit('messagesRemoved', { conversationId, ids });
    d.announce.conversation(conversationId);
  }

  return {
    /** My own message's new text (a file's caption may be emptied): shown at once, sent when online. */
    editMessage(id: string, text: string): Message {
      const message = find(id);
      if (!message.mine) throw new ParleyError('forbidden', 'only its sender edits a message');
      if (message.deleted) throw new ParleyError('conflict', 'that message was deleted');
      const body = message.kind === 'text' ? check(Body, text, 'message') : check(Caption, text, 'caption');
      const participants = store.conversations.get(message.conversationId)?.participants.map((p) => p.address) ?? [];
      const mentions = mentionsIn(body, participants);
      const clientId = unsent(message);
      if (clientId !== null) {
        store.outbox.rewrite(clientId, body, mentions);
        return changed(id);
      }
      queue(message, 'edit', body, mentions);
      return changed(id);
    },

    /** For everyone (my own, or any as a group's or channel's admin), or for me only, on all my devices. */
    deleteMessage(id: string, forEveryone: boolean): void {
      const message = find(id);
      const clientId = unsent(message);
      if (clientId !== null) {
        store.outbox.cancel(clientId);
        return removed(message.conversationId, [id]);
      }
      if (forEveryone) {
        const conversation = store.conversations.get(message.conversationId)!;
        const admin = conversation.type !== 'direct' && conversation.participants.some((p) => p.address === store.me && p.role === 'admin');
        if (!message.mine && !admin) throw new ParleyError('forbidden', "only its sender, or a group's admin, deletes a message for everyone");
        if (message.deleted) return;
        queue(message, 'delete', '');
        return void changed(id);
      }
      // Gone here at once; the server tells my other devices. My message on its way is hidden once it lands.
      if (message.seq !== null) removed(message.conversationId, store.hide(message.conversationId, [message.seq]));
      queue(message, 'hide', '');
    },

    /** Adds my emoji to a message, or takes it back. */
    react(id: string, emoji: string, on: boolean): Message {
      const message = find(id);
      const checked = check(Emoji, emoji, 'emoji');
      if (message.deleted) throw new ParleyError('conflict', 'that message was deleted');
      const mine = message.reactions?.find((r) => r.emoji === checked)?.mine ?? false;
      if (mine === on) return message;
      queue(message, on ? 'react' : 'unreact', checked);
      return changed(id);
    },

    /**
     * My action the server refused for good, already out of the outbox and its change taken back:
     * the message as stored, told once with why (the reason is not kept: the next read has none).
     */
    refused(target: string, action: OutboxAction, error: ParleyError): void {
      const now = views.byId(target);
      if (!now) return;
      d.events.emit('messageChanged', { ...now, error: `${REFUSED[action]} was refused: ${why(error)}` });
      // A delete for me taken back shows the message again, and may count it unread again.
      if (action === 'hide' && now.conversationId) d.announce.conversation(now.conversationId);
    },

    /** The messages a delete for me removed, told to the host (another device's, or mine acknowledged). */
    removed,
    changed,
  };
}
