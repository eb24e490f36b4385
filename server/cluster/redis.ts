// The node's connections to Redis (issue 17): fan-out between nodes through a socket.io adapter on a
// Redis stream, and the shared state the nodes keep there (presence, tus upload locks, node liveness).
//
// The adapter is @socket.io/redis-streams-adapter rather than @socket.io/redis-adapter: the pub/sub
// one drops whatever is published while a node is cut from Redis, the streams one reads the stream
// from the offset it had reached, so a short outage of the link delays pushes instead of losing them
// (a Redis that restarts empty loses what it held: devices then close the gaps by seq, as after any cut).
//
// Two kinds of client. Commands that answer a device now (publishing a push, presence, locks) fail at
// once while Redis is away (no offline queue): a push still reaches this node's own devices, the rest
// wait for catch-up, and nothing stalls behind a dead link. The adapter's stream reader and pub/sub
// subscriber wait for Redis instead (their duplicate() gets a queue and unbounded retries).
import { Redis, type RedisOptions } from 'ioredis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { FastifyBaseLogger } from 'fastify';

export interface RedisOptionsForNode {
  url: string;
  /** Every key, stream and channel of this deployment starts with it (default "parley:"). */
  prefix: string;
}

export interface ClusterRedis {
  /** Fails fast while Redis is away. */
  client: Redis;
  prefix: string;
  /** The socket.io adapter over this Redis. */
  adapter: ReturnType<typeof createAdapter>;
  /** True while the link is up. */
  up(): boolean;
  /** Told when the link comes back after an outage (presence re-registers this node's devices). */
  onReconnect(listener: () => void): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Reconnects every 100 ms, backing off to 2 s: a restarted Redis is found within 2 s. */
const retryStrategy = (attempt: number) => Math.min(100 * attempt, 2000);

/**
 * After a read of the stream that found entries, the reader waits this long before the next: under
 * load one read brings what a few milliseconds published (a round trip and a parse of the reply
 * each, where there was one per entry); at light load the next read blocks anyway. A full read (the
 * reader is behind) is followed at once.
 */
const READ_PAUSE_MS = 2;
/** After a failed read: a closed client fails at once, and the adapter's loop would spin on it. */
const READ_ERROR_PAUSE_MS = 100;

export async function connectRedis(options: RedisOptionsForNode, log: FastifyBaseLogger): Promise<ClusterRedis> {
  const base: RedisOptions = { lazyConnect: true, retryStrategy, connectTimeout: 5000, connectionName: 'parley' };
  const client = new Redis(options.url, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const waiting: RedisOptions = { ...base, enableOfflineQueue: true, maxRetriesPerRequest: null };
  const duplicates: Redis[] = [];
  let forAdapter = false;
  // The adapter duplicates the client for its stream reader and its subscriber: those wait for Redis.
  client.duplicate = (override?: Partial<RedisOptions>) => {
    const copy = new Redis(options.url, { ...waiting, ...override });
    // The outage is told once, by the client above; without a listener ioredis prints every retry.
    copy.on('error', () => {});
    if (forAdapter) settleWhenUp(copy);
    duplicates.push(copy);
    // A copy closed by its user (tus's lock subscriber that could not subscribe) is forgotten.
    copy.once('end', () => {
      const at = duplicates.indexOf(copy);
      if (at >= 0) duplicates.splice(at, 1);
    });
    streamReads(copy);
    return copy;
  };

  // The adapter publishes its server-side events without waiting for the answer: while Redis is away
  // that promise rejects with no one to hear it, which would end the process. Marked handled here;
  // a caller that awaits still sees the failure.
  const publish = client.publish.bind(client) as (channel: string, message: string | Buffer) => Promise<number>;
  client.publish = ((channel: string, message: string | Buffer) => {
    const published = publish(channel, message);
    published.catch(() => {});
    return published;
  }) as typeof client.publish;

  let up = false;
  // The link dropped since it was last ready: the next 'ready' is a recovery. A link can drop
  // without an error (Redis shut down and back before the first retry, a proxy's cut), and a Redis
  // back empty needs what this node keeps there written again all the same.
  let lost = false;
  // The outage was logged: one line per outage, not one per retry.
  let told = false;
  const reconnectListeners: Array<() => void> = [];
  client.on('ready', () => {
    up = true;
    if (!lost) return;
    lost = false;
    log.info(told ? 'redis is reachable again: fan-out between nodes resumes' : 'the link to redis was cut and is back');
    told = false;
    for (const listener of reconnectListeners) listener();
  });
  client.on('close', () => {
    if (up) lost = true;
    up = false;
  });
  client.on('error', (error: Error) => {
    if (!told) log.warn({ err: error }, 'redis is unreachable: devices on other nodes miss pushes until it is back, then catch up by seq');
    told = true;
    up = false;
    lost = true;
  });
  client.on('end', () => (up = false));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`could not reach Redis at ${redactUrl(options.url)}: ${(error as Error).message}`, { cause: error });
  }
  up = true;

  // createAdapter duplicates the client (its stream reader, its subscriber) before it returns.
  forAdapter = true;
  let adapter: ReturnType<typeof createAdapter>;
  try {
    adapter = createAdapter(client, {
      streamName: `${options.prefix}socket.io`,
      channelPrefix: `${options.prefix}socket.io`,
      // A second of blocking read: a closing node's reader notices within a second.
      blockTimeInMs: 1000,
      // Pushes are JSON: the binary scan of every packet is skipped.
      onlyPlaintext: true,
    });
  } finally {
    forAdapter = false;
  }

  return {
    client,
    prefix: options.prefix,
    adapter,
    up: () => up,
    onReconnect: (listener) => reconnectListeners.push(listener),
    async ping() {
      await client.ping();
    },
    async close() {
      // QUIT after what is queued; the adapter's own clients are dropped (their reads only wait).
      await client.quit().catch(() => client.disconnect());
      for (const copy of [...duplicates]) copy.disconnect();
    },
  };
}

/**
 * connect() rejects when the link drops before it is up, though the copy goes on retrying; the
 * adapter awaits it where nothing catches, so a node started as Redis went away ended with an
 * unhandled rejection, and its stream reader never began. Here it settles once the copy is up at
 * last (never, for a copy closed first). ioredis calls connect() itself at each retry: they share
 * one wait for 'ready'.
 */
function settleWhenUp(copy: Redis): void {
  const connect = copy.connect.bind(copy);
  let up: Promise<void> | null = null;
  const whenUp = () =>
    (up ??= new Promise<void>((resolve) =>
      copy.once('ready', () => {
        up = null;
        resolve();
      }),
    ));
  copy.connect = ((callback?: () => void) => connect(callback).catch(whenUp)) as typeof copy.connect;
}

/**
 * XREAD on this client (the adapter's reader, in a loop): it waits READ_PAUSE_MS after a read that
 * found entries but not its COUNT, and reads from a position, never from '$'. The adapter asks for
 * '$' (what comes after now) until it has read an entry, so an entry published between two of its
 * blocking reads of a quiet stream was lost: the first push after a node started could be (a test
 * lost one in 35 runs). The stream's last entry when the reader began stands in for '$'.
 */
function streamReads(copy: Redis): void {
  const xread = copy.xread.bind(copy) as (...args: unknown[]) => Promise<unknown>;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let found = -Infinity;
  let start: string | null = null;
  copy.xread = (async (...args: unknown[]) => {
    const wait = Math.min(READ_PAUSE_MS, found + READ_PAUSE_MS - performance.now());
    if (wait > 0) await sleep(wait);
    try {
      // [… 'STREAMS', key, id]: one stream.
      if (args.at(-1) === '$') {
        const key = args.at(-2) as string;
        start ??= ((await copy.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0');
        args = [...args.slice(0, -1), start];
      }
      const reply = await xread(...args);
      found = reply && entriesIn(reply) < countIn(args) ? performance.now() : -Infinity;
      return reply;
    } catch (error) {
      // Closed (ClusterRedis.close): the adapter's loop reads until its namespace closes, which a
      // link used without a socket.io server (or one whose start failed) never does: it ends here.
      if (copy.status === 'end') return new Promise(() => {});
      await sleep(READ_ERROR_PAUSE_MS);
      throw error;
    }
  }) as typeof copy.xread;
}

/** Entries in an XREAD reply of one stream: [[stream, [[id, fields], …]]]. */
const entriesIn = (reply: unknown) => {
  const entries = (reply as Array<[string, unknown[]]>)[0]?.[1];
  return Array.isArray(entries) ? entries.length : 0;
};

/** The COUNT an XREAD asked for (none: unbounded). */
const countIn = (args: unknown[]) => {
  const at = args.findIndex((arg) => typeof arg === 'string' && arg.toUpperCase() === 'COUNT');
  return at >= 0 ? Number(args[at + 1]) : Infinity;
};

/** A Redis URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unreadable URL)';
  }
}
