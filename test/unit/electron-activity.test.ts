// The Electron host's presence source against a stand-in powerMonitor (the Electron binary cannot
// run here): idle time past five minutes, a locked screen and a suspend are away; back is active;
// a new sign-in hears the current state again.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDLE_AFTER_S, IDLE_CHECK_MS, followActivity } from '../../main/electron/activity.js';

afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  vi.useFakeTimers();
  let idleSeconds = 0;
  const monitor = Object.assign(new EventEmitter(), { getSystemIdleTime: () => idleSeconds });
  const session = new EventEmitter();
  const told: boolean[] = [];
  const stop = followActivity(monitor as never, {
    setActivity: (active) => told.push(active),
    on: ((event: string, listener: () => void) => {
      session.on(event, listener);
      return () => session.off(event, listener);
    }) as never,
  });
  return { monitor, session, told, stop, idle: (s: number) => (idleSeconds = s) };
}

describe('Electron activity', () => {
  it('goes away after five idle minutes and comes back with input', () => {
    const { told, idle, stop } = setup();
    vi.advanceTimersByTime(IDLE_CHECK_MS);
    expect(told).toEqual([]); // active from the start: nothing to say
    idle(IDLE_AFTER_S);
    vi.advanceTimersByTime(IDLE_CHECK_MS);
    expect(told).toEqual([false]);
    vi.advanceTimersByTime(IDLE_CHECK_MS);
    expect(told).toEqual([false]); // only changes
    idle(1);
    vi.advanceTimersByTime(IDLE_CHECK_MS);
    expect(told).toEqual([false, true]);
    stop();
  });

  it('is away while the screen is locked or the machine suspended, and tells a new sign-in', () => {
    const { monitor, session, told, stop } = setup();
    monitor.emit('lock-screen');
    expect(told).toEqual([false]);
    vi.advanceTimersByTime(IDLE_CHECK_MS); // idle time 0 behind a locked screen is still away
    expect(told).toEqual([false]);
    session.emit('session');
    expect(told).toEqual([false, false]);
    monitor.emit('unlock-screen');
    expect(told).toEqual([false, false, true]);
    monitor.emit('suspend');
    monitor.emit('resume');
    expect(told).toEqual([false, false, true, false, true]);
    stop();
    monitor.emit('lock-screen');
    expect(told).toHaveLength(5);
  });
});
