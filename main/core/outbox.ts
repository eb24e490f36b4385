// Sends my messages one at a time, in the order written, until the server acknowledges each.
// A resend carries the same clientId, so the server stores it once whatever was lost on the way.
//
// A file message waits for its upload, and only it: messages written after it pass it and are sent
// at once, so no text waits behind a large file (the seeds' out-of-band rule; Slack and Telegram
// behave so). The file message takes its place in the conversation when its upload is done and the
// server numbers it. Among messages that are ready, the order written holds.
//
// With the account's Media Reference Send configured (seed 004), a file message goes to that web
// service instead, one request per recipient, and stays on this device only, marked sent.
//
// My actions on messages (edit, delete, react, delete for me) travel the same way, in the same
// order, each idempotent by its clientId; one on my message still here waits for that message (the
// store's next() passes it over), then names it by the seq the server gave it.
import { ParleyError, type ErrorCode, type FileInfo } from '../../protocol/index.js';
import { recipientsFor, sendToRecipients, type MediaRefSendAccount, type MediaRefSendKeys } from './files/media-ref-send.js';
import { parseMessageId } from './messages/id.js';
import { withUpload } from './messages/status.js';
import type { Views } from './messages/views.js';
import type { Connection } from './net/connection.js';
import type { OutboxAction, Store } from './store/index.js';
import type { Message } from './types.js';

/** Refusals that a resend would only repeat. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set([
  'bad_request',
  'payload_too_large',
  'forbidden',
  'not_member',
  'not_found',
  'conflict',
  'unknown_event',
]);
const RETRY_AFTER_MS = 2000;

/** A message to send, as the server takes it. */
export interface OutboxItem {
  clientId: string;
  conversationId: string | null;
  peer: string | null;
  body: string;
  /** Complete once the upload is done; the outbox sends nothing before. */
  file: FileInfo | null;
  createdAt: number;
  error: string | null;
  /** Null for a message; else what is done to `target` (a message id). */
  action: OutboxAction | null;
  target: string | null;
  replyTo: number | null;
  mentions: string[] | null;
}

export interface MediaRefSetting {
  keys: MediaRefSendKeys;
  account: MediaRefSendAccount;
}

export interface OutboxHooks {
  sent(message: Message, item: OutboxItem): void;
  /** Sent through Media Reference Send: no seq, no conversation event. */
  sentElsewhere(message: Message): void;
  /** Refused for good: my message failed (`dropped`: actions waiting for it went), or my action taken back. */
  failed(item: OutboxItem, error: ParleyError, dropped: boolean): void;
  /** The server took my action, and it is stored. */
  actionSent(item: OutboxItem): void;
  /** My delete for me is on the server's list, at this version of it. */
  hidden(version: number, conversationId: string, seqs: number[]): void;
  conversationCreated(conversationId: string): void;
  log(message: string, detail?: unknown): void;
}

export type Outbox = ReturnType<typeof createOutbox>;

export function createOutbox(store: Store, views: Views, connection: Connection, hooks: OutboxHooks) {
  let draining = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  let mediaRefSend: MediaRefSetting | null = null;
  /** The item on its way to the server now: a message's text is fixed (an edit of it is sent after it). */
  let sending: string | null = null;

  /** The next message ready to send; a file message takes its URL and checksum from its finished upload. */
  function next(): OutboxItem | null {
    const r = store.outbox.next();
    if (!r) return null;
    const file = r.file && withUpload(r.file, r.upload ? store.transfers.get(r.upload) : null);
    return {
      clientId: r.clientId,
      conversationId: r.conversationId,
      peer: r.peer,
      body: r.body,
      file: file?.url && file.sha256 ? (file as FileInfo) : null,
      createdAt: r.createdAt,
      error: r.error,
      action: r.action,
      target: r.target,
      replyTo: r.replyTo,
      mentions: r.mentions,
    };
  }

  /** Where the message an action names is stored (my own, if it was waiting, once sent); null when it is not here. */
  function storedAt(target: string): { conversationId: string; seq: number } | null {
    const parsed = parseMessageId(target);
    if (!parsed) return null;
    return 'seq' in parsed ? parsed : store.messages.written(parsed.sender, parsed.clientId);
  }

  function targetSeq(target: string): number {
    const at = storedAt(target);
    if (!at) throw new ParleyError('not_found', 'that message is not on this device');
    return at.seq;
  }

  async function sendAction(item: OutboxItem & { action: OutboxAction }, conversationId: string): Promise<void> {
    const target = targetSeq(item.target!);
    const base = { conversationId, clientId: item.clientId, target };
    if (item.action === 'hide') {
      const { version } = await connection.request('message:hide', { conversationId, seqs: [target] });
      if (stopped) return;
      store.outbox.remove(item.clientId);
      return hooks.hidden(version, conversationId, [target]);
    }
    const mentions = item.mentions ?? [];
    const stored =
      item.action === 'edit'
        ? await connection.request('message:edit', { ...base, body: item.body, mentions })
        : item.action === 'delete'
          ? await connection.request('message:delete', base)
          : await connection.request('message:react', { ...base, emoji: item.body, on: item.action === 'react' });
    if (stopped) return;
    const event = { ...base, seq: stored.seq, serverTime: stored.serverTime, sender: store.me };
    store.markSent(
      item.action === 'edit'
        ? { type: 'revise', ...event, body: item.body, mentions }
        : item.action === 'delete'
          ? { type: 'delete', ...event }
          : { type: 'react', ...event, emoji: item.body, on: item.action === 'react' },
    );
    hooks.actionSent(item);
  }

  async function sendOne(item: OutboxItem): Promise<void> {
    let conversationId = item.conversationId;
    if (!conversationId) {
      const conversation = await connection.request('conversation:create', { participants: [item.peer!], type: 'direct' });
      store.upsertConversations([conversation]);
      hooks.conversationCreated(conversation.id);
      conversationId = conversation.id;
    }
    if (item.action) return sendAction({ ...item, action: item.action }, conversationId);
    const mediaRef = item.file && mediaRefSend;
    if (item.file && mediaRef) return sendElsewhere(item, conversationId, mediaRef);
    const extra = {
      ...(item.file ? { file: item.file } : {}),
      ...(item.replyTo !== null ? { replyTo: item.replyTo } : {}),
      ...(item.mentions ? { mentions: item.mentions } : {}),
    };
    const ack = await connection.request('message:send', { conversationId, clientId: item.clientId, body: item.body, ...extra });
    if (stopped) return;
    // The reply's preview is read from its target, stored here (the server's quote is for devices without it).
    const answered = item.replyTo === null ? null : store.messages.get(conversationId, item.replyTo);
    store.markSent({
      type: 'message',
      conversationId,
      seq: ack.seq,
      sender: store.me,
      clientId: item.clientId,
      body: item.body,
      serverTime: ack.serverTime,
      ...(item.file ? { file: item.file } : {}),
      ...(item.mentions ? { mentions: item.mentions } : {}),
      ...(item.replyTo !== null ? { replyTo: { seq: item.replyTo, sender: answered?.sender ?? store.me, quote: '' } } : {}),
    });
    hooks.sent(views.message(conversationId, ack.seq)!, item);
  }

  async function sendElsewhere(item: OutboxItem, conversationId: string, { keys, account }: MediaRefSetting): Promise<void> {
    const file = item.file!;
    const participants = store.conversations.get(conversationId)?.participants.map((p) => p.address) ?? [];
    const outcomes = await sendToRecipients(keys, account, recipientsFor(participants, store.me), {
      description: item.body,
      media: { url: file.url, contentType: file.mime },
      ...(file.preview && { preview: { width: file.preview.width, height: file.preview.height, jpegBase64: file.preview.jpeg } }),
    });
    if (stopped) return;
    const failed = outcomes.filter((o) => !o.ok);
    // A retry sends to every recipient again: the service has no idempotency key to dedupe by.
    if (failed.length > 0) {
      throw new ParleyError('bad_request', failed.map((o) => `${o.to}: ${o.ok ? '' : o.error.message}`).join('; '));
    }
    hooks.sentElsewhere(views.pending(store.outbox.markSentElsewhere(item.clientId, Date.now())));
  }

  /**
   * Refused for good: a message stays, failed, for a retry (the actions waiting for it go, and
   * their changes with them); an action leaves the outbox, its change taken back.
   */
  function refused(item: OutboxItem, error: ParleyError): void {
    if (!item.action) return hooks.failed(item, error, store.outbox.refuse(item.clientId, error.message));
    // A delete for me hid its message here at once (when it was stored): it shows again.
    store.refuseAction(item.clientId, item.action === 'hide' ? storedAt(item.target!) : null);
    hooks.failed(item, error, false);
  }

  /** The last pass started; while `draining`, the one sending (idle() waits for it). */
  let pass: Promise<void> = Promise.resolve();
  function drain(): Promise<void> {
    if (!draining) pass = drainOnce();
    return pass;
  }

  async function drainOnce(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      for (let item = next(); item && connection.online && !stopped; item = next()) {
        try {
          sending = item.clientId;
          await sendOne(item);
        } catch (error) {
          if (stopped) return;
          if (error instanceof ParleyError && PERMANENT.has(error.code)) {
            refused(item, error);
            continue;
          }
          // Offline, rate limited or a server fault: try again later, in the same order.
          if (connection.online && !retryTimer) {
            retryTimer = setTimeout(() => {
              retryTimer = null;
              drainSoon();
            }, RETRY_AFTER_MS);
          }
          return;
        } finally {
          sending = null;
        }
      }
    } finally {
      draining = false;
    }
  }

  // A throw outside a send (the store, a hook) stops this drain only: the next kick starts another.
  function drainSoon(): void {
    drain().catch((error: unknown) => {
      if (!stopped) hooks.log('the outbox stopped on an error; it resumes on the next send or reconnect', error);
    });
  }

  return {
    /** File messages go through this Media Reference Send service (seed 004), or null: the Parley server. */
    setMediaRef(setting: MediaRefSetting | null): void {
      mediaRefSend = setting;
    },
    kick: drainSoon,
    /** The clientId of the message on its way to the server, if any. */
    sending: (): string | null => sending,
    stop(): void {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
    },
    /**
     * Resolves when no pass is sending: what is left waits for an upload, a retry, or the connection.
     * A resend after a server fault (RETRY_AFTER_MS later) is not waited for.
     */
    async idle(): Promise<void> {
      while (draining) await pass;
    },
  };
}
