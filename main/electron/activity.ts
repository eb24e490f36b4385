// The Electron host's presence source: the system's idle time (no input for IDLE_AFTER_S) and a
// locked screen or a suspend mean away; input again, an unlock or a resume mean back. The engine
// hears only changes, and each new sign-in (a new engine, which starts active) hears the state again.
import type { PowerMonitor } from 'electron';
import type { Bridge } from '../bridge/index.js';
import type { Unsubscribe } from '../core/index.js';

/** Five minutes without keyboard or mouse input: away (as Slack). */
export const IDLE_AFTER_S = 5 * 60;
/** How often the idle time is read: a return is noticed within this long. */
export const IDLE_CHECK_MS = 15_000;

type Monitor = Pick<PowerMonitor, 'on' | 'off' | 'getSystemIdleTime'>;

export function followActivity(powerMonitor: Monitor, bridge: Pick<Bridge, 'on' | 'setActivity'>): Unsubscribe {
  let locked = false;
  let active = true;
  const apply = (next: boolean, always = false) => {
    if (next === active && !always) return;
    active = next;
    bridge.setActivity(active);
  };
  const check = () => apply(!locked && powerMonitor.getSystemIdleTime() < IDLE_AFTER_S);
  const away = () => {
    locked = true;
    apply(false);
  };
  const back = () => {
    locked = false;
    check();
  };
  const listeners = { 'lock-screen': away, suspend: away, 'unlock-screen': back, resume: back, 'user-did-become-active': check } as const;
  for (const [event, listener] of Object.entries(listeners)) powerMonitor.on(event as 'resume', listener);
  const timer = setInterval(check, IDLE_CHECK_MS);
  timer.unref();
  const offSession = bridge.on('session', () => apply(active, true));
  return () => {
    clearInterval(timer);
    offSession();
    for (const [event, listener] of Object.entries(listeners)) powerMonitor.off(event as 'resume', listener);
  };
}
