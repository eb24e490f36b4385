// A native notification for a message someone else wrote while the window is not focused. Catch-up
// after time away stores history without message events (main/core/sync), so only live messages
// get here; a busy stretch still cannot flood the desktop: one notification per conversation (the
// newest replaces the one before) and at most a few a minute in all. A message that mentions me
// notifies even in a muted conversation (mute silences the chatter, not what is addressed to me, as
// in Slack); edits, reactions and deletes arrive as messageChanged, never here, so never notify.
import { Notification, type NativeImage } from 'electron';
import { chatText, conversationTitle, nameOf } from '../../common/conversation-text.js';
import type { ConversationTarget } from '../../common/deep-link.js';
import type { DesktopSettings } from '../../contract/requests.js';
import type { Address, ConversationSummary, Message } from '../core/index.js';

export interface NotifierOptions {
  settings(): Pick<DesktopSettings, 'notifications' | 'showMessagePreview'>;
  windowFocused(): boolean;
  conversation(id: string): ConversationSummary | null;
  me(): Address | null;
  /** A notification was clicked: show the window and this message in its conversation. */
  open(target: ConversationTarget): void;
  icon?: NativeImage | null;
  /** At most `count` notifications per `perMs` (default 6 a minute). */
  rate?: { count: number; perMs: number };
  now?: () => number;
}

const PREVIEW_CHARS = 200;

export function createNotifier(options: NotifierOptions) {
  const { count, perMs } = options.rate ?? { count: 6, perMs: 60_000 };
  const now = options.now ?? Date.now;
  // Electron's Notification has no tag on every platform: the shown one per conversation is kept here
  // to close it when a newer one replaces it (and so it is not collected while its click matters).
  const shown = new Map<string, Notification>();
  let recent: number[] = [];

  function forget(conversationId: string, notification: Notification): void {
    if (shown.get(conversationId) === notification) shown.delete(conversationId);
  }

  function dismiss(conversationId: string): void {
    shown.get(conversationId)?.close();
    shown.delete(conversationId);
  }

  function allowedNow(): boolean {
    const t = now();
    recent = recent.filter((at) => t - at < perMs);
    if (recent.length >= count) return false;
    recent.push(t);
    return true;
  }

  function text(message: Message, conversation: ConversationSummary, showPreview: boolean): { title: string; body: string } {
    const sender = nameOf(conversation, message.sender);
    const title = conversation.type === 'direct' ? sender : `${sender} in ${conversationTitle(conversation, options.me())}`;
    if (!showPreview) return { title, body: 'New message' };
    const body = chatText(message);
    return { title, body: body.length > PREVIEW_CHARS ? `${body.slice(0, PREVIEW_CHARS - 1)}…` : body };
  }

  return {
    /** A message event from the engine. */
    message(message: Message): void {
      const settings = options.settings();
      // Mine (from another of my devices) and membership or title changes never notify.
      if (!settings.notifications || message.mine || !message.conversationId || (message.kind !== 'text' && message.kind !== 'file')) return;
      if (options.windowFocused() || !Notification.isSupported()) return;
      const conversation = options.conversation(message.conversationId);
      const me = options.me();
      const forMe = me !== null && (message.mentions?.includes(me) ?? false);
      if (!conversation || (conversation.muted && !forMe) || !allowedNow()) return;
      const conversationId = message.conversationId;
      const notification = new Notification({ ...text(message, conversation, settings.showMessagePreview), ...(options.icon ? { icon: options.icon } : {}) });
      notification.on('click', () => {
        forget(conversationId, notification);
        options.open(message.seq === null ? { conversationId } : { conversationId, seq: message.seq });
      });
      notification.on('close', () => forget(conversationId, notification));
      dismiss(conversationId);
      shown.set(conversationId, notification);
      notification.show();
    },
    /** Read elsewhere (or opened): its notification has nothing left to say. */
    dismiss,
    clear(): void {
      for (const notification of shown.values()) notification.close();
      shown.clear();
    },
  };
}
