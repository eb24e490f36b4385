// Real servers and engines for tests: a Parley server on 127.0.0.1 with a temp data dir, engines
// on temp data dirs, raw protocol devices for what an engine would never send, and waiting helpers.
import { io, type Socket } from 'socket.io-client';
import { createClient, type Client, type ClientOptions, type EngineEvents } from '../../main/core/index.js';
import type { Reply } from '../../protocol/index.js';
import { startServer, type RunningServer, type ServerOptions } from '../../server/server.js';
import { testDatabase } from './postgres.js';
import { onCleanup, tempDir } from './temp.js';

export { cleanup, onCleanup, tempDir } from './temp.js';

export const APP_TOKEN = 'test-app-token-0123456789';

/**
 * PARLEY_TEST_STORAGE=postgres runs every test server on PostgreSQL, in a database of its own (.ci/run
 * runs the server-level suites that way once more); otherwise SQLite in the data dir.
 */
const STORAGE = process.env.PARLEY_TEST_STORAGE ?? 'sqlite';
if (STORAGE !== 'sqlite' && STORAGE !== 'postgres') throw new Error(`PARLEY_TEST_STORAGE is sqlite or postgres, not ${STORAGE}`);

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** Creates a user and returns a fresh access token for them. */
  user(address: string, name?: string): Promise<string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestServer(options: { port?: number; dataDir?: string; database?: string; rateLimit?: { burst: number; perSecond: number }; limits?: ServerOptions['limits']; maxFileSize?: number; uploadExpiryMs?: number } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('parley-server-');
  const database = options.database ?? (STORAGE === 'postgres' ? await testDatabase() : undefined);
  // Tests flood on purpose: rates are lifted unless a test sets them; the other limits keep their defaults.
  const limits = { userRateLimit: { burst: 10_000, perSecond: 10_000 }, ...options.limits };
  const open = (port: number) =>
    startServer({ port, host: '127.0.0.1', dataDir, database, appToken: APP_TOKEN, logger: false, rateLimit: options.rateLimit ?? { burst: 10_000, perSecond: 10_000 }, limits, maxFileSize: options.maxFileSize, uploadExpiryMs: options.uploadExpiryMs });
  let server = await open(options.port ?? 0);
  let running = true;
  const t: TestServer = {
    get server() {
      return server;
    },
    get url() {
      return server.url;
    },
    dataDir,
    async api(method, path, body, token = APP_TOKEN) {
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    async user(address, name = address) {
      const created = await t.api('POST', '/users', { address, name });
      if (created.status !== 201 && created.status !== 409) throw new Error(`could not create ${address}: ${JSON.stringify(created.body)}`);
      const { body } = await t.api<{ token: string }>('POST', `/users/${address}/tokens`, {});
      return body.token;
    },
    async stop() {
      if (!running) return;
      running = false;
      await server.close();
    },
    async restart() {
      await t.stop();
      server = await open(server.port);
      running = true;
    },
  };
  onCleanup(() => t.stop());
  return t;
}

/** An engine's options in tests: a temp data dir, quick reconnects and no log unless told. */
export type EngineOptions = Partial<Omit<ClientOptions, 'serverUrl' | 'token'>>;
export type TestClient = Client & { dataDir: string };

/** A started engine on a temp data dir (or `options.dataDir`), stopped at cleanup(). */
export function startClient(url: string, token: string, options: EngineOptions = {}): TestClient {
  const dataDir = options.dataDir ?? tempDir('parley-client-');
  const client = createClient({ backoff: { minDelay: 50, maxDelay: 400 }, log: () => {}, ...options, dataDir, serverUrl: url, token });
  onCleanup(() => client.stop());
  client.start();
  return Object.assign(client, { dataDir });
}

export interface Pair {
  alice: TestClient;
  bob: TestClient;
  aliceToken: string;
  bobToken: string;
  /** Their direct conversation, known to both. */
  conversationId: string;
}

/**
 * Users alice and bob on the server, an engine each (online and caught up), and their direct
 * conversation, created by alice and known to bob. `aliceUrl`/`bobUrl` reach the server another
 * way (a proxy); `engine` applies to both engines.
 */
export async function pair(t: TestServer, options: { aliceUrl?: string; bobUrl?: string; engine?: EngineOptions } = {}): Promise<Pair> {
  const [aliceToken, bobToken] = [await t.user('alice'), await t.user('bob')];
  const alice = startClient(options.aliceUrl ?? t.url, aliceToken, options.engine);
  const bob = startClient(options.bobUrl ?? t.url, bobToken, options.engine);
  await Promise.all([online(alice), online(bob)]);
  const { id } = await alice.createConversation({ participants: ['bob'], type: 'direct' });
  await until(() => bob.readConversations().length === 1, 'conversation at bob');
  return { alice, bob, aliceToken, bobToken, conversationId: id };
}

export async function online(client: Client): Promise<void> {
  await until(() => client.status.state === 'online', `online (is ${client.status.state})`);
  await client.caughtUp();
}

export function nextEvent<K extends keyof EngineEvents>(
  client: Client,
  event: K,
  match: (payload: EngineEvents[K]) => boolean = () => true,
  timeout = 10_000,
): Promise<EngineEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeout);
    const off = client.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Polls until the predicate holds; past the timeout, fails naming what it waited for (and `detail()`: where things stood). */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeout = 10_000, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} ${detail()}`.trimEnd());
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A device speaking the wire protocol directly, to send what a well-behaved engine never would. */
export interface RawDevice {
  socket: Socket;
  request<T = unknown>(name: string, payload: unknown): Promise<Reply<T>>;
  pushes: Array<{ name: string; payload: unknown }>;
}

export async function rawDevice(url: string, token: string, deviceId = 'raw-device'): Promise<RawDevice> {
  const socket = io(url, { auth: { token, deviceId }, transports: ['websocket'], reconnection: false, forceNew: true });
  onCleanup(() => void socket.disconnect());
  const pushes: RawDevice['pushes'] = [];
  socket.onAny((name: string, payload: unknown) => pushes.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    pushes,
    request: (name, payload) => socket.timeout(5000).emitWithAck(name, payload),
  };
}
