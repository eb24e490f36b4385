// The desktop follows the engine's events (through the bridge, across sign-ins): messages become
// notifications, the unread total (muted conversations left out, by the engine) becomes the badge.
import type { Bridge } from '../bridge/index.js';
import type { Unsubscribe } from '../core/index.js';
import type { createBadge } from './badge.js';
import type { createNotifier } from './notifications.js';

export function followEngine(bridge: Bridge, notifier: ReturnType<typeof createNotifier>, badge: ReturnType<typeof createBadge>): Unsubscribe {
  badge.set(bridge.unreadTotal());
  const offs = [
    bridge.on('message', notifier.message),
    bridge.on('unread', ({ conversationId, unread, total }) => {
      badge.set(total);
      if (unread === 0) notifier.dismiss(conversationId); // read here or on another device
    }),
    bridge.on('session', () => {
      // Signed in as someone else, or out: nothing shown belongs to them.
      notifier.clear();
      badge.set(bridge.unreadTotal());
    }),
  ];
  return () => offs.forEach((off) => off());
}
