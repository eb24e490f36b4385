// What a host process (the browser host and `npm start`, the Electron main process) does with an error
// nobody handled, instead of Node's default of dying on both kinds:
//
// - An unhandled rejection is logged and the process keeps running. A promise rejects after the code
//   that started it has moved on: the rejection unwound nothing but that promise's own chain, so no
//   other work was left half done by it. The failed work (a catch-up pass when the link dropped, a
//   request) is the engine's to redo, and the store's writes are transactions, so the state the
//   process keeps is the state it had. Dying here is what turned a network blip into a crash (issue 12).
// - An uncaught exception is logged, then the process closes what it can and exits with code 1 and a
//   message. A synchronous throw unwound a stack in the middle of whatever callback it hit: a handler
//   that ran halfway, a stream or socket left without its listener, a flag never reset. Nothing tells
//   which, so the state is not known to be good, and Node documents resuming after it as unsafe. A
//   host that stays up half broken (a window that no longer answers, a socket nobody reads) is worse
//   than a clean exit: every store write is a SQLite transaction, JSON files are replaced whole, and
//   the outbox resends idempotently at the next launch, so exiting loses nothing acknowledged.
//   Known sources of such throws (a peer's socket error, a bad request line) are handled where they
//   arise; this is the net under them. A second one while closing exits at once.
import type { Log } from '../../common/node/json-file.js';

/** The part of `process` the guard uses (a stand-in in tests). */
type GuardedEvent = 'unhandledRejection' | 'uncaughtException';
export interface GuardedProcess {
  on(event: GuardedEvent, listener: (error: unknown) => void): unknown;
  off(event: GuardedEvent, listener: (error: unknown) => void): unknown;
  exitCode?: number | string | undefined | null;
}

export interface ProcessGuardOptions {
  log: Log;
  /** Closes what the process opened (host, bridge, server) before it exits after an uncaught exception. */
  shutdown(): Promise<void> | void;
  /** Ends the process; `process.exit` by default (Electron: `app.exit`). */
  exit?: (code: number) => void;
  /** Tells the user why the app stopped where a log line is not seen (Electron: an error box). */
  tellUser?: (message: string) => void;
  /** How long shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
  target?: GuardedProcess;
}

export const STOPPED_MESSAGE =
  'Parley stopped after an unexpected error (logged above). Nothing you sent or received is lost: start Parley again.';

/** Installs both handlers; returns a function that removes them. */
export function guardProcess(options: ProcessGuardOptions): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeout = options.shutdownTimeoutMs ?? 5_000;
  let stopping = false;

  const onRejection = (reason: unknown) => {
    options.log('a promise was rejected and nothing handled it; Parley keeps running', reason);
  };

  const onException = (error: unknown) => {
    options.log('an uncaught exception; Parley cannot tell what it left half done, so it stops', error);
    if (stopping) return exit(1);
    stopping = true;
    // If the event loop drains before exit() is called, the process still ends with 1.
    target.exitCode = 1;
    try {
      options.tellUser?.(STOPPED_MESSAGE);
    } catch (told) {
      options.log('could not tell the user why Parley stops', told);
    }
    const deadline = setTimeout(() => {
      options.log(`closing took longer than ${timeout} ms; stopping without it`);
      exit(1);
    }, timeout);
    Promise.resolve()
      .then(() => options.shutdown())
      .catch((closing: unknown) => options.log('could not close cleanly while stopping', closing))
      .finally(() => {
        clearTimeout(deadline);
        options.log(STOPPED_MESSAGE);
        exit(1);
      })
      .catch(() => {});
  };

  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
