// Dates as the UI shows them. English names (the UI is English) and a 24-hour clock, so the same
// instant reads the same on every machine.
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const weekdayShort = new Intl.DateTimeFormat('en', { weekday: 'short' });
const weekdayLong = new Intl.DateTimeFormat('en', { weekday: 'long' });
const monthShort = new Intl.DateTimeFormat('en', { month: 'short' });
const monthLong = new Intl.DateTimeFormat('en', { month: 'long' });

/** "14:02" */
export function clockTime(time: number): string {
  const d = new Date(time);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function startOfDay(time: number): number {
  const d = new Date(time);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole calendar days from `time` to `now` (0 = same day), DST-proof. */
function daysAgo(time: number, now: number): number {
  return Math.round((startOfDay(now) - startOfDay(time)) / DAY);
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** For the conversation list: "now", "5 min", "14:02", "Mon", "12 Mar", "12 Mar 2023". */
export function relativeTime(time: number, now: number): string {
  const age = now - time;
  if (age < MINUTE) return 'now';
  if (age < 60 * MINUTE && sameDay(time, now)) return `${Math.floor(age / MINUTE)} min`;
  const days = daysAgo(time, now);
  if (days === 0) return clockTime(time);
  const d = new Date(time);
  if (days < 7) return weekdayShort.format(d);
  const date = `${d.getDate()} ${monthShort.format(d)}`;
  return d.getFullYear() === new Date(now).getFullYear() ? date : `${date} ${d.getFullYear()}`;
}

/** For day separators: "Today", "Yesterday", "Monday", "Tuesday 12 March", "12 March 2023". */
export function dayLabel(time: number, now: number): string {
  const days = daysAgo(time, now);
  if (days <= 0) return 'Today'; // or a server clock a little ahead
  if (days === 1) return 'Yesterday';
  const d = new Date(time);
  if (days < 7) return weekdayLong.format(d);
  const date = `${d.getDate()} ${monthLong.format(d)}`;
  return d.getFullYear() === new Date(now).getFullYear() ? `${weekdayLong.format(d)} ${date}` : `${date} ${d.getFullYear()}`;
}

/** "12 s", "2 min 5 s": a countdown's remaining time. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
