// bench:soak's client engine, in a process of its own so its memory is its own: a member of some of
// the load's groups, it stores what arrives there (and answers with delivered receipts, as any
// engine does) and sends one message every `intervalMs` to one of them in turn. Speaks to its
// parent over IPC as server-process.ts expects: { type: 'ready' } once online and caught up, then
// answers 'memory' (process.memoryUsage() and its counts) and 'close'.
import { createClient } from '../../main/core/index.js';

const [dataDir, serverUrl, token, conversations, interval] = process.argv.slice(2) as [string, string, string, string, string];
const conversationIds = JSON.parse(conversations) as string[];
const intervalMs = Number(interval);
const counts = { received: 0, sent: 0, errors: 0 };

const client = createClient({ dataDir, serverUrl, token, log: (message, detail) => {
  counts.errors++;
  console.error(`soak engine: ${message}`, detail ?? '');
} });
client.on('message', () => counts.received++);
client.on('messageStatus', (change) => {
  if (change.status === 'sent' && change.seq !== null) counts.sent++;
  if (change.status === 'failed') counts.errors++;
});
client.start();
await new Promise<void>((resolve) => {
  const off = client.on('connectionStatus', (status) => {
    if (status.state !== 'online') return;
    off();
    resolve();
  });
});
await client.caughtUp();

let next = 0;
const sender = setInterval(() => {
  client.sendMessage({ conversationId: conversationIds[next++ % conversationIds.length]! }, `engine ${next}: the quick brown fox jumps over the lazy dog`);
}, intervalMs);

type Request = { type: string; id: number };
process.on('message', (message: Request) => {
  const reply = (data: unknown, then: () => void = () => {}) => process.send!({ id: message.id, data }, then);
  switch (message.type) {
    case 'memory':
      return reply({ ...process.memoryUsage(), ...counts, written: next });
    case 'close':
      clearInterval(sender);
      // Whatever is still in the outbox goes out before the engine stops.
      client.idle().then(
        () => {
          client.stop();
          reply({ ...counts, written: next }, () => process.exit(0));
        },
        (error: unknown) => {
          console.error('soak engine: could not finish', error);
          process.exit(1);
        },
      );
      return;
  }
});
process.send!({ type: 'ready', url: serverUrl });
