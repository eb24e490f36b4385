// Run as a child process: queues messages in an engine that cannot reach its server, says so,
// then waits to be killed with SIGKILL, as a crash would end it.
import { createClient } from '../../main/core/index.js';

const [dataDir, serverUrl, token, peer, count] = process.argv.slice(2) as [string, string, string, string, string];
const client = createClient({ dataDir, serverUrl, token, log: () => {} });
client.start();
for (let i = 0; i < Number(count); i++) client.sendMessage({ peer }, `queued ${i}`);
process.stdout.write('queued\n');
setInterval(() => {}, 1000);
