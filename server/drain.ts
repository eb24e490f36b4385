// SIGTERM (systemd's stop, a container's) and SIGINT drain the node: RunningServer.close() stops
// accepting, closes the devices' connections (through the proxy they reconnect to another node),
// lets the requests in progress commit, then the process exits 0. A second signal exits at once.
import type { RunningServer } from './server.js';

export function drainOnSignals(server: RunningServer, say: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: draining (closing connections, finishing requests in progress, closing the database)`);
      process.once(signal, () => process.exit(1));
      server.close().then(
        () => process.exit(0),
        (error: Error) => {
          process.stderr.write(`shutdown failed: ${error.message}\n`);
          process.exit(1);
        },
      );
    });
  }
}
