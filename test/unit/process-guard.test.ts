// The hosts' process guard (main/bridge/process-guard.ts), installed on a stand-in for `process`: a
// rejection nobody handled is logged and the process keeps running; an uncaught exception is logged,
// told to the user, closes what is open and exits 1. The real processes are in
// test/integration/browser-host-hardening.test.ts (npm start) and test/unit/electron-host.test.ts (main/index.ts).
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { STOPPED_MESSAGE, guardProcess, type GuardedProcess } from '../../main/bridge/process-guard.js';

function standIn() {
  const target = Object.assign(new EventEmitter(), { exitCode: undefined as GuardedProcess['exitCode'] });
  const log = vi.fn();
  let exited: (code: number) => void = () => {};
  const exit = vi.fn((code: number) => exited(code));
  const exitedWith = new Promise<number>((done) => (exited = done));
  return { target, log, exit, exitedWith };
}

describe('process guard', () => {
  it('logs a rejection nobody handled and keeps running', () => {
    const { target, log, exit } = standIn();
    const shutdown = vi.fn();
    guardProcess({ log, shutdown, exit, target });
    const reason = new Error('the link dropped during catch-up');
    target.emit('unhandledRejection', reason, Promise.resolve());
    target.emit('unhandledRejection', 'not even an Error', Promise.resolve());
    expect(log).toHaveBeenCalledWith('a promise was rejected and nothing handled it; Parley keeps running', reason);
    expect(log).toHaveBeenCalledTimes(2);
    expect(shutdown).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    expect(target.exitCode).toBeUndefined();
  });

  it('after an uncaught exception: logs it, tells the user, closes what is open, then exits 1', async () => {
    const { target, log, exit, exitedWith } = standIn();
    const order: string[] = [];
    const tellUser = vi.fn(() => void order.push('told'));
    const shutdown = vi.fn(async () => {
      order.push('closing');
      await Promise.resolve();
      order.push('closed');
    });
    guardProcess({ log, shutdown, exit: (code) => (order.push(`exit ${code}`), exit(code)), tellUser, target });
    const error = new Error('a listener threw');
    target.emit('uncaughtException', error, 'uncaughtException');
    expect(target.exitCode).toBe(1);
    expect(await exitedWith).toBe(1);
    expect(order).toEqual(['told', 'closing', 'closed', 'exit 1']);
    expect(tellUser).toHaveBeenCalledWith(STOPPED_MESSAGE);
    expect(log).toHaveBeenCalledWith('an uncaught exception; Parley cannot tell what it left half done, so it stops', error);
    expect(log).toHaveBeenLastCalledWith(STOPPED_MESSAGE);
  });

  it('exits 1 also when closing fails, or hangs past its time, or a second exception comes while closing', async () => {
    const failing = standIn();
    guardProcess({ log: failing.log, shutdown: () => Promise.reject(new Error('the disk is gone')), exit: failing.exit, target: failing.target });
    failing.target.emit('uncaughtException', new Error('first'));
    expect(await failing.exitedWith).toBe(1);
    expect(failing.log).toHaveBeenCalledWith('could not close cleanly while stopping', expect.objectContaining({ message: 'the disk is gone' }));

    const hanging = standIn();
    guardProcess({ log: hanging.log, shutdown: () => new Promise<void>(() => {}), exit: hanging.exit, target: hanging.target, shutdownTimeoutMs: 50 });
    hanging.target.emit('uncaughtException', new Error('first'));
    expect(await hanging.exitedWith).toBe(1);
    expect(hanging.log).toHaveBeenCalledWith('closing took longer than 50 ms; stopping without it');

    const twice = standIn();
    guardProcess({ log: twice.log, shutdown: () => new Promise<void>(() => {}), exit: twice.exit, target: twice.target });
    twice.target.emit('uncaughtException', new Error('first'));
    expect(twice.exit).not.toHaveBeenCalled();
    twice.target.emit('uncaughtException', new Error('while closing'));
    expect(twice.exit).toHaveBeenCalledWith(1);
  });

  it('an error box that fails to show does not stop the exit; uninstalling removes both handlers', async () => {
    const { target, log, exit, exitedWith } = standIn();
    const uninstall = guardProcess({
      log,
      shutdown: () => {},
      exit,
      tellUser: () => {
        throw new Error('no display');
      },
      target,
    });
    expect(target.listenerCount('unhandledRejection')).toBe(1);
    expect(target.listenerCount('uncaughtException')).toBe(1);
    target.emit('uncaughtException', new Error('boom'));
    expect(await exitedWith).toBe(1);
    expect(log).toHaveBeenCalledWith('could not tell the user why Parley stops', expect.objectContaining({ message: 'no display' }));
    uninstall();
    expect(target.listenerCount('unhandledRejection')).toBe(0);
    expect(target.listenerCount('uncaughtException')).toBe(0);
  });
});
