// The desktop follows the engine's events (through the bridge, across sign-ins): messages become
// notifications, the unread total (muted conversations left out, by the engine) becomes the badge.
import type { BridgeEvents } from '../../preload/api.js';
import type { Bridge } from '../bridge/index.js';
import type { Unsubscribe } from '../core/index.js';
import type { createBadge } from './badge.js';
import type { createNotifier } from './notifications.js';

export function followEngine(bridge: Bridge, notifier: ReturnType<typeof createNotifier>, badge: ReturnType<typeof createBadge>): Unsubscribe {
  badge.set(bridge.unreadTotal());
  return bridge.onEvent((event, payload) => {
    if (event === 'message') notifier.message(payload as BridgeEvents['message']);
    else if (event === 'unread') {
      const { conversationId, unread, total } = payload as BridgeEvents['unread'];
      badge.set(total);
      if (unread === 0) notifier.dismiss(conversationId); // read here or on another device
    } else if (event === 'session') {
      // Signed in as someone else, or out: nothing shown belongs to them.
      notifier.clear();
      badge.set(bridge.unreadTotal());
    }
  });
}
