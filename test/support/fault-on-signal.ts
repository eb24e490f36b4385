// Loaded with `--import` into a host process a test spawns (npm start's scripts/start.ts), never by
// the app: the first SIGUSR2 rejects a promise nobody handles, the next throws an exception nobody
// catches, each on its own event-loop turn, as a fault in the app's own code would.
let raised = 0;
let unhandled: Promise<never> | undefined;

process.on('SIGUSR2', () => {
  raised += 1;
  if (raised === 1) {
    setImmediate(() => {
      unhandled = Promise.reject(new Error('a deliberate rejection from the test'));
    });
  } else {
    setImmediate(() => {
      throw new Error('a deliberate uncaught exception from the test');
    });
  }
});

export { unhandled };
