// How presence reads: "Online", "Away", "Last seen 5 min ago", "Last seen yesterday at 14:02".
import type { Presence, PresenceState } from '../../contract/types';
import { clockTime, sameDay } from './time';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const STATE_LABELS: Record<PresenceState, string> = { online: 'Online', away: 'Away', offline: 'Offline' };

/** Offline says since when, if the server told (nobody hides it); else the bare state. */
export function presenceText(presence: Presence, now: number): string {
  if (presence.state !== 'offline' || presence.lastSeen === null) return STATE_LABELS[presence.state];
  const seen = presence.lastSeen;
  const age = Math.max(0, now - seen);
  if (age < MINUTE) return 'Last seen just now';
  if (age < HOUR) return `Last seen ${Math.floor(age / MINUTE)} min ago`;
  if (sameDay(seen, now)) return `Last seen today at ${clockTime(seen)}`;
  if (sameDay(seen, now - DAY)) return `Last seen yesterday at ${clockTime(seen)}`;
  return `Last seen ${new Date(seen).toLocaleDateString('en', { day: 'numeric', month: 'short', year: 'numeric' })}`;
}
