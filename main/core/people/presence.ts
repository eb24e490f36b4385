// Presence on this device: whether it is in use (told to the server as it connects and whenever it
// changes) and what the server last said of the people I share a conversation with. Presence is
// live, never stored: after a reconnect the sync's answer replaces it all.
import type { Presence } from '../../../protocol/index.js';
import type { EngineContext } from '../context.js';

export type PresenceTracker = ReturnType<typeof createPresenceTracker>;

export function createPresenceTracker(d: Pick<EngineContext, 'connection' | 'events'>) {
  const known = new Map<string, Presence>();
  let active = true;

  const apply = (list: readonly Presence[]) => {
    for (const p of list) known.set(p.address, p);
    if (list.length > 0) d.events.emit('presence', [...list]);
  };
  d.connection.onPush('presence', ({ presence }) => apply(presence));

  return {
    /** Whether this device is in use: the connection's handshake says so as it connects. */
    get active() {
      return active;
    },
    /** The sync's answer: everyone's presence as the server knows it now (absent: it keeps none). */
    synced(list: readonly Presence[] | undefined): void {
      known.clear();
      apply(list ?? []);
    },
    setActivity(next: boolean): void {
      if (next === active) return;
      active = next;
      // Offline it is not sent: the next connect's handshake carries it.
      d.connection.signal('activity', { active });
    },
    read(): Presence[] {
      return [...known.values()];
    },
  };
}
