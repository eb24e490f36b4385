// Sending: a message is stored in the outbox and answered at once with status "sending"; the outbox
// delivers it (outbox.ts). A file message starts its upload first and is sent once that is done. A
// retry sends the same clientId again, so the server stores it once whatever happened before.
import { z } from 'zod';
import { Address, Body, Caption, FileInfo, ParleyError, Seq } from '../../../protocol/index.js';
import { check } from '../check.js';
import type { EngineContext } from '../context.js';
import { inspectFile } from '../files/local-file.js';
import { canPreview, makePreview } from '../files/preview.js';
import { sniffMime } from '../files/sniff.js';
import type { Transfers } from '../files/transfers.js';
import type { Outbox } from '../outbox.js';
import type { Destination, Message, MessageFile, SendFileOptions } from '../types.js';
import { clientIdOf, newClientId, writtenId } from './id.js';
import { mentionsIn } from './mentions.js';

const SendFileOptionsSchema = z.strictObject({
  title: FileInfo.shape.title,
  message: Caption.optional(),
  geolocation: FileInfo.shape.geolocation,
});

export type SendDeps = Pick<EngineContext, 'store' | 'views' | 'announce' | 'stopped' | 'log'> & {
  outbox: Outbox;
  transfers: Transfers;
  maxFileBytes: number;
};

export type Sending = ReturnType<typeof createSending>;

export function createSending(d: SendDeps) {
  const { store, views, transfers } = d;

  /** A known conversation, or a peer whose direct conversation may not exist yet. */
  function destination(to: Destination): { conversationId: string | null; peer: string | null } {
    if ('conversationId' in to) {
      if (!store.conversations.get(to.conversationId)) throw new ParleyError('not_found', `no conversation ${to.conversationId} on this device`);
      return { conversationId: to.conversationId, peer: null };
    }
    const peer = check(Address, to.peer, 'peer');
    if (peer === store.me) throw new ParleyError('bad_request', 'a direct conversation needs someone else');
    return { conversationId: store.conversations.findDirect(peer), peer };
  }

  /** Starts a transfer without waiting on it; its failures arrive as its state (fileProgress, the outbox). */
  function startTransfer(id: string): void {
    transfers.start(id).catch((error: unknown) => d.log(`file transfer ${id} did not start`, error));
  }

  /** A failed message back in the outbox: its upload resumes unless done. */
  function resume(clientId: string): boolean {
    const retried = store.outbox.retry(clientId);
    if (!retried) return false;
    if (retried.upload && transfers.get(retried.upload)?.state !== 'done') startTransfer(retried.upload);
    return true;
  }

  /** I wrote in the conversation: it is active now (seq 0 leaves its seq alone), and the list is told. */
  function announceWritten(conversationId: string, time: number): void {
    store.conversations.bump(conversationId, 0, time);
    d.announce.conversation(conversationId);
  }

  /** sendFile with the clientId given: watched folders journal it before the message is stored. */
  async function sendFileAs(to: Destination, path: string, options: SendFileOptions, clientId: string): Promise<Message> {
    const { message: caption = '', ...extra } = check(SendFileOptionsSchema, options, 'file options');
    const { conversationId, peer } = destination(to);
    const file = await inspectFile(path, d.maxFileBytes);
    const mime = await sniffMime(file.path, file.name);
    // No preview is no reason not to send: the receiver shows a type icon instead.
    const preview = canPreview(mime)
      ? await makePreview(file.path).catch((error: unknown) => {
          d.log(`no preview for ${file.name}`, error);
          return undefined;
        })
      : undefined;
    if (d.stopped()) throw new ParleyError('bad_request', 'this client was stopped; create a new one');
    const upload = transfers.forUpload(file, mime, { messageId: writtenId(store.me, clientId), conversationId });
    const info: MessageFile = { name: file.name, size: file.size, mime, ...extra, ...(preview ? { preview } : {}) };
    store.outbox.add({ clientId, conversationId, peer, body: caption, createdAt: Date.now(), file: { info, upload: upload.id } });
    startTransfer(upload.id);
    // Read after the start: the message shows its upload running.
    const message = views.pending(store.outbox.get(clientId)!);
    d.announce.status({ id: message.id, conversationId, seq: null, status: 'sending' });
    if (conversationId) announceWritten(conversationId, message.time);
    return message;
  }

  return {
    sendFileAs,
    /** A watched folder's message back in the outbox after a restart or a failure. */
    resumeOutbox(clientId: string): void {
      resume(clientId);
      d.outbox.kick();
    },
    /**
     * Stores the message and returns it with status "sending"; the outbox delivers it. `@address`
     * tokens of participants become its mentions; replyTo is the seq of the message it answers.
     */
    sendMessage(to: Destination, text: string, options: { replyTo?: number } = {}): Message {
      const body = check(Body, text, 'message');
      const { conversationId, peer } = destination(to);
      const replyTo = options.replyTo === undefined ? undefined : check(Seq.min(1), options.replyTo, 'replyTo');
      if (replyTo !== undefined && !(conversationId && store.messages.get(conversationId, replyTo))) {
        throw new ParleyError('not_found', `no message at seq ${replyTo} to reply to on this device`);
      }
      const participants = conversationId ? store.conversations.get(conversationId)!.participants.map((p) => p.address) : peer ? [peer, store.me] : [];
      const mentions = mentionsIn(body, participants);
      const message = views.pending(
        store.outbox.add({ clientId: newClientId(), conversationId, peer, body, createdAt: Date.now(), mentions, ...(replyTo !== undefined ? { replyTo } : {}) }),
      );
      d.announce.status({ id: message.id, conversationId, seq: null, status: 'sending' });
      // The list shows my newest message, and its conversation on top, while it is still being sent.
      if (conversationId) announceWritten(conversationId, message.time);
      d.outbox.kick();
      return message;
    },
    /**
     * The seed's sendFile: the message is stored and returned with status "sending" and its upload
     * running (fileProgress tells how far); once the upload is done the outbox sends it with the
     * file's URL, name, size, MIME type (from its content), sha256 and, for images, a preview.
     * Messages written meanwhile do not wait for the upload (see outbox.ts).
     */
    sendFile(to: Destination, path: string, options: SendFileOptions = {}): Promise<Message> {
      return sendFileAs(to, path, options, newClientId());
    },
    /** Sends a failed message again, with the same clientId; a file whose upload failed resumes it. */
    retryMessage(id: string): void {
      const clientId = clientIdOf(id);
      if (clientId === null || !resume(clientId)) throw new ParleyError('not_found', `no failed message ${id}`);
      d.announce.status({ id, conversationId: null, seq: null, status: 'sending' });
      d.outbox.kick();
    },
  };
}
