// Presence: who of the people I share a conversation with is online, away or offline (and since
// when). Devices report connects, disconnects and activity; a change of a user's state is pushed
// to the people who share a conversation with them (their circle, read from memberships, bounded),
// coalesced per user and at most once a second per user, so no device hears of a peer more than
// once a second however often that peer flaps. What is due in one turn goes out as one `presence`
// push per recipient (like receipts), so 1,000 devices reconnecting at once cost one push per
// recipient per tick, not one per pair. The state of devices lives behind PresenceRegistry (one
// node's memory today; Redis with several nodes); circles and last-seen times are read from storage.
import { PRESENCE_PUSH, type Address, type Presence, type PresenceState } from '../../protocol/index.js';
import type { Contact, Storage } from '../storage/storage.js';
import type { PresenceRegistry } from './registry.js';

export interface PresenceOptions {
  registry: PresenceRegistry;
  storage: Storage;
  /** Sends one `presence` push to every device of this user. */
  push(to: Address, presence: Presence[]): void;
  log(message: string, error: unknown): void;
  now?: () => number;
  /** A user's changes reach their circle at most this often, in ms (default 1,000). */
  intervalMs?: number;
  /** The people a user's presence goes to at most (default 5,000): a bigger circle hears of the first only. */
  maxCircle?: number;
  /** How long a circle read from storage is used (default 60 s); membership changes drop it at once. */
  circleMs?: number;
  /** Circles and last-seen times kept in memory at most (default 50,000 each). */
  maxCached?: number;
}

export type PresenceService = ReturnType<typeof createPresence>;

interface Circle {
  /** The user's own setting. */
  hideLastSeen: boolean;
  contacts: Contact[];
}

/** A Map with a bound: past it, the oldest entry goes (insertion order; a refresh re-inserts). */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

export function createPresence(o: PresenceOptions) {
  const now = o.now ?? Date.now;
  const interval = o.intervalMs ?? 1000;
  const maxCircle = o.maxCircle ?? 5000;
  const circleMs = o.circleMs ?? 60_000;
  const maxCached = o.maxCached ?? 50_000;

  const circles = new Map<Address, { circle: Promise<Circle>; at: number }>();
  /** Last-seen times learnt since storage was read: newer than the circles' copies. */
  const seen = new Map<Address, number>();
  /** Last-seen times not yet written: one write a turn for all of them. */
  let unwritten: Array<readonly [Address, number]> = [];
  /** Users whose change waits to go out, and when each last went out (oldest first). */
  const dirty = new Set<Address>();
  const sentAt = new Map<Address, number>();
  let flushQueued = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let closed = false;

  function circleOf(address: Address): Promise<Circle> {
    const cached = circles.get(address);
    if (cached && now() - cached.at < circleMs) return cached.circle;
    const circle = (async (): Promise<Circle> => {
      const [profile, contacts] = await Promise.all([o.storage.getProfile(address), o.storage.contactsOf(address, maxCircle)]);
      return { hideLastSeen: profile?.hideLastSeen ?? false, contacts };
    })();
    const entry = { circle, at: now() };
    boundedSet(circles, address, entry, maxCached);
    // A failed read is not kept: the next change reads again.
    circle.catch(() => circles.get(address) === entry && circles.delete(address));
    return circle;
  }

  const lastSeenOf = (address: Address, stored: number | null): number | null => seen.get(address) ?? stored;

  function changed(address: Address): void {
    dirty.add(address);
    if (flushQueued || closed) return;
    flushQueued = true;
    setImmediate(flush);
  }

  function flush(): void {
    flushQueued = false;
    if (closed) return;
    if (unwritten.length > 0) {
      const batch = unwritten;
      unwritten = [];
      o.storage.setLastSeen(batch).catch((error: unknown) => o.log('could not store last-seen times', error));
    }
    const t = now();
    const due: Address[] = [];
    let next = Infinity;
    for (const address of dirty) {
      const last = sentAt.get(address);
      if (last === undefined || t - last >= interval) {
        due.push(address);
        dirty.delete(address);
        sentAt.delete(address);
        sentAt.set(address, t);
      } else {
        next = Math.min(next, last + interval);
      }
    }
    // sentAt only matters for a second: entries older than that are dropped as they go by.
    for (const [address, at] of sentAt) {
      if (t - at < interval) break;
      if (!dirty.has(address)) sentAt.delete(address);
    }
    // One timer, for the soonest user due: a later one waits for the flush it starts.
    if (next < timerAt && !closed) {
      if (timer) clearTimeout(timer);
      timerAt = next;
      timer = setTimeout(() => {
        timer = null;
        timerAt = Infinity;
        if (!flushQueued) {
          flushQueued = true;
          flush();
        }
      }, next - t);
    }
    if (due.length > 0) send(due).catch((error: unknown) => o.log('could not push presence', error));
  }

  /** The current state of these users, to each of their circle, one push per recipient. */
  async function send(subjects: Address[]): Promise<void> {
    const [states, loaded] = await Promise.all([o.registry.states(subjects), Promise.all(subjects.map(circleOf))]);
    const owed = new Map<Address, Presence[]>();
    subjects.forEach((address, i) => {
      const circle = loaded[i]!;
      const state = states.get(address) ?? 'offline';
      const full: Presence = { address, state, lastSeen: state === 'offline' ? lastSeenOf(address, null) : null };
      const bare: Presence = { address, state, lastSeen: null };
      for (const contact of circle.contacts) {
        const entry = circle.hideLastSeen || contact.hideLastSeen ? bare : full;
        const list = owed.get(contact.address);
        if (list) list.push(entry);
        else owed.set(contact.address, [entry]);
      }
    });
    for (const [to, list] of owed) {
      for (let i = 0; i < list.length; i += PRESENCE_PUSH) o.push(to, list.slice(i, i + PRESENCE_PUSH));
    }
  }

  const follow = (address: Address, transition: { before: PresenceState; after: PresenceState }) => {
    if (transition.before === transition.after) return;
    if (transition.after === 'offline') {
      const t = now();
      boundedSet(seen, address, t, maxCached);
      unwritten.push([address, t]);
    }
    changed(address);
  };

  o.registry.watch?.(follow);

  return {
    async connected(address: Address, deviceKey: string, active: boolean): Promise<void> {
      follow(address, await o.registry.connect(address, deviceKey, active));
    },
    async activity(address: Address, deviceKey: string, active: boolean): Promise<void> {
      follow(address, await o.registry.setActive(address, deviceKey, active));
    },
    async disconnected(address: Address, deviceKey: string): Promise<void> {
      follow(address, await o.registry.disconnect(address, deviceKey));
    },

    /** The presence of everyone I share a conversation with, as I may see it: the sync's answer. */
    async of(viewer: Address): Promise<Presence[]> {
      const circle = await circleOf(viewer);
      const contacts = circle.contacts.slice(0, PRESENCE_PUSH);
      const states = await o.registry.states(contacts.map((c) => c.address));
      return contacts.map((c) => {
        const state = states.get(c.address) ?? 'offline';
        const hidden = circle.hideLastSeen || c.hideLastSeen || state !== 'offline';
        return { address: c.address, state, lastSeen: hidden ? null : lastSeenOf(c.address, c.lastSeen) };
      });
    },

    /** These users' circles changed (a conversation made, members added or removed): read them again and tell them. */
    membersChanged(addresses: readonly Address[]): void {
      for (const address of addresses) {
        circles.delete(address);
        changed(address);
      }
    },

    /** A user hid or showed their last seen: every circle that lists them holds the old setting. */
    settingsChanged(address: Address): void {
      circles.clear();
      changed(address);
    },

    /**
     * Another node changed these circles (null: someone's setting, so every circle): the copies here
     * are dropped, and that node tells the people concerned.
     */
    forgetCircles(addresses: readonly Address[] | null): void {
      if (addresses === null) circles.clear();
      else for (const address of addresses) circles.delete(address);
    },

    /** Stops pushing; the last-seen times of devices that left (the server's own close included) are written. */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      dirty.clear();
      const batch = unwritten;
      unwritten = [];
      await o.storage.setLastSeen(batch);
      await o.registry.close?.();
    },
  };
}
