// A Parley server in its own process, so a benchmark measures the server's CPU apart from the
// clients that load it. Speaks to its parent over the IPC channel.
import { drainOnSignals } from '../../server/drain.js';
import { startServer } from '../../server/server.js';
import { mixEvents, tally, type MixOptions } from './mix.js';

const dataDir = process.argv[2]!;
// An optional port: a restarted server (the fault suite) listens where its clients know it.
const port = Number(process.argv[3] ?? 0);
const server = await startServer({
  port,
  host: '127.0.0.1',
  dataDir,
  appToken: process.env.PARLEY_APP_TOKEN,
  // Warnings and errors to a file when asked (test/cluster/ shows them when a wait fails); none otherwise.
  logger: process.env.PARLEY_LOG_FILE ? { level: 'warn', file: process.env.PARLEY_LOG_FILE } : false,
  // Raised, per connection and per user: a benchmark measures the server's work, not its limiter.
  rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
  limits: {
    userRateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
    ...(process.env.PARLEY_TOKEN_RECHECK_SECONDS && { tokenRecheckSeconds: Number(process.env.PARLEY_TOKEN_RECHECK_SECONDS) }),
  },
  // bench:latency's presence workload measures the same reconnect without presence as its baseline.
  presence: process.env.PARLEY_BENCH_PRESENCE !== 'off',
  // One node of several (bench:cluster, test/cluster/): the same variables as the CLI's.
  database: process.env.PARLEY_DATABASE_URL || undefined,
  ...(process.env.PARLEY_REDIS_URL && { redis: { url: process.env.PARLEY_REDIS_URL, prefix: process.env.PARLEY_REDIS_PREFIX } }),
  ...(process.env.PARLEY_NODE_ID && { nodeId: process.env.PARLEY_NODE_ID }),
  ...(process.env.PARLEY_FILES_DIR && { filesDir: process.env.PARLEY_FILES_DIR }),
});

type Request = { type: string; id: number; [key: string]: unknown };
// A failed request ends the child loudly: the benchmark sees the exit instead of waiting forever.
process.on('message', (message: Request) => {
  answer(message).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});

async function answer(message: Request): Promise<unknown> {
  const reply = (data: unknown) => process.send!({ id: message.id, data });
  switch (message.type) {
    case 'cpu':
      return reply(process.cpuUsage());
    case 'memory':
      return reply(process.memoryUsage());
    case 'load':
      return reply(server.realtimeLoad());
    case 'seed': {
      // Writes messages through the storage interface, as the server would on sends.
      const { conversationId, sender, count, from } = message as unknown as { conversationId: string; sender: string; count: number; from: number };
      for (let i = 0; i < count; i++) {
        await server.storage.appendMessage({
          conversationId,
          sender,
          deviceId: 'seed',
          clientId: `seed-${from + i}`,
          body: `Message number ${from + i}: the quick brown fox jumps over the lazy dog.`,
          serverTime: Date.now(),
        });
      }
      return reply(count);
    }
    case 'seedMix': {
      // bench:catchup's mix (bench/support/mix.ts): messages and actions through the storage interface,
      // as the server writes them on sends; answers what the history leaves, to check the device against.
      const { conversationId, count, seed, senders } = message as unknown as { conversationId: string; count: number; seed: number; senders: string[] };
      const options: MixOptions = { seed, senders, body: mixBody };
      const counted = tally();
      let seq = 0;
      for (const e of mixEvents(options)) {
        if (++seq > count) break;
        counted.add(e);
        const base = { conversationId, sender: e.sender, deviceId: 'seed', clientId: `mix-${seq}`, serverTime: Date.now() };
        const { event } =
          e.type === 'message'
            ? await server.storage.appendMessage({ ...base, body: e.body, replyTo: e.replyTo?.seq, mentions: e.mentions })
            : await server.storage.appendAction({
                ...base,
                target: e.target,
                change: e.type === 'revise' ? { type: 'revise', body: e.body } : e.type === 'delete' ? { type: 'delete' } : { type: 'react', emoji: e.emoji, on: e.on },
                authorize: () => {},
              });
        if (event.seq !== seq) throw new Error(`${conversationId}: event ${seq} was stored at seq ${event.seq}`);
      }
      return reply(counted.summary());
    }
    case 'close':
      await server.close();
      return process.send!({ id: message.id, data: true }, () => process.exit(0));
  }
}
// As the CLI: a SIGTERM drains (test/cluster/ stops nodes so).
drainOnSignals(server, () => {});
process.send!({ type: 'ready', url: server.url });

/** The mix's text: the message's number, and which edit. */
function mixBody(seq: number, edits: number): string {
  return `Message ${seq}${edits ? ` (edit ${edits})` : ''}: the quick brown fox jumps over the lazy dog.`;
}
