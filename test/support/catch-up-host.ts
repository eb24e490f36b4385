// Run as a child process: a plain-Node host of one engine, with nothing that catches unhandled
// rejections (Node's default ends the process with code 1, as it would end a host). Says on stdout,
// one JSON line each, what the engine reports; answers "ping" with "pong" (the event loop is
// alive) and "stop" by stopping the engine and exiting with code 0.
import { createClient } from '../../main/core/index.js';

const [dataDir, serverUrl, token] = process.argv.slice(2) as [string, string, string];
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const client = createClient({ dataDir, serverUrl, token, backoff: { minDelay: 20, maxDelay: 200 }, log: () => {} });
client.on('connectionStatus', (status) => say({ status: status.state }));
client.on('sync', (sync) => say({ sync: sync.state, behind: sync.behind }));
client.on('conversation', (c) => say({ conversation: c.id, lastSeq: c.lastSeq }));
process.stdin.setEncoding('utf8');
process.stdin.on('data', (data: string) => {
  for (const command of data.split('\n')) {
    if (command === 'ping') say({ pong: true });
    if (command === 'stop') {
      client.stop();
      say({ stopped: true });
      process.exit(0);
    }
  }
});
client.start();
