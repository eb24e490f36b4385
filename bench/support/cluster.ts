// Several real server nodes for test/cluster/ and bench:cluster: each node a process (server-child)
// on its own port and data dir, all on one PostgreSQL database made for the run, one Redis of the
// run's own (redis-server on a free port, nothing saved) and one shared files dir, behind a real
// nginx started from deploy/nginx/parley.conf (or HAProxy from deploy/haproxy/parley.cfg) with the
// nodes' and its own ports swapped in. A "cluster" of one node without a database URL or Redis is
// the plain SQLite server (bench:cluster's baseline).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { POSTGRES_ADMIN_URL, adminQuery } from '../../test/support/postgres.js';
import { forkServer, type ChildServer } from './server-process.js';

export const CLUSTER_APP_TOKEN = 'cluster-app-token-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resolves once something accepts TCP connections on the port; rejects past the timeout. */
export async function listening(port: number, what: string, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeout} ms`);
    await sleep(50);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface OwnRedis {
  url: string;
  port: number;
  /** The running redis-server's pid (bench:cluster reads its CPU); null while it is down. */
  pid(): number | null;
  /** Killed (SIGKILL): it keeps nothing, so it comes back empty. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server of the run's own on a free port, keeping nothing on disk. */
export async function startRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    await listening(port, 'redis-server');
  };
  await start();
  const kill = async () => {
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
    child = null;
  };
  return { url: `redis://127.0.0.1:${port}`, port, pid: () => child?.pid ?? null, kill, start, stop: kill };
}

/** A proxy in front of the nodes: nginx or HAProxy. */
export interface FrontProxy {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** deploy/nginx/parley.conf, its nodes and listen address replaced, inside a minimal nginx.conf of the run. */
export function nginxConfig(dir: string, listen: number, nodePorts: readonly number[]): string {
  const site = readFileSync(new URL('../../deploy/nginx/parley.conf', import.meta.url), 'utf8');
  // Each node's line with the parameters the example gives its nodes.
  const parameters = /^\s*server 127\.0\.0\.1:\d+([^;\n]*);/m.exec(site)?.[1] ?? '';
  const nodes = nodePorts.map((port) => `    server 127.0.0.1:${port}${parameters};`).join('\n');
  let replaced = false;
  const ours = site
    .replace(/^\s*server 127\.0\.0\.1:\d+[^\n]*\n/gm, () => (replaced ? '' : ((replaced = true), `${nodes}\n`)))
    .replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${listen};`);
  if (!replaced || !ours.includes(`listen 127.0.0.1:${listen};`)) throw new Error('deploy/nginx/parley.conf no longer has the lines the tests replace');
  const temp = (name: string) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  return [
    `daemon off;`,
    `worker_processes 1;`,
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    `events { worker_connections 8192; }`,
    `http {`,
    `  access_log off;`,
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    ours,
    `}`,
  ].join('\n');
}

/** A real nginx (Debian's /usr/sbin/nginx) on a free port in front of these nodes. */
export async function startNginx(dir: string, nodePorts: readonly number[]): Promise<FrontProxy> {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, nginxConfig(dir, port, nodePorts));
  // Run as whoever runs the tests (root in CI): its workers then read and write the run's temp dir.
  const user = process.getuid?.() === 0 ? ['-g', 'user root;'] : [];
  return proxyProcess('nginx', '/usr/sbin/nginx', ['-c', file, '-p', dir, ...user], port);
}

/** deploy/haproxy/parley.cfg, its nodes and bind address replaced. */
export function haproxyConfig(listen: number, nodePorts: readonly number[]): string {
  const site = readFileSync(new URL('../../deploy/haproxy/parley.cfg', import.meta.url), 'utf8');
  let replaced = false;
  // Each node's line with the parameters the example gives its nodes.
  const parameters = /^\s*server node\d+ 127\.0\.0\.1:\d+([^\n]*)$/m.exec(site)?.[1] ?? '';
  const nodes = nodePorts.map((port, i) => `    server node${i + 1} 127.0.0.1:${port}${parameters}`).join('\n');
  const ours = site
    .replace(/^\s*server node\d+ 127\.0\.0\.1:\d+[^\n]*\n/gm, () => (replaced ? '' : ((replaced = true), `${nodes}\n`)))
    .replace(/^(\s*)bind :80$/m, `$1bind 127.0.0.1:${listen}`)
    // Two descriptors a connection: 200,000 needs a hard limit above 400,000 (systemd's default is
    // 524,288), more than a test machine may allow.
    .replace(/^(\s*)maxconn 200000$/m, '$1maxconn 5000');
  if (!replaced || !ours.includes(`bind 127.0.0.1:${listen}`) || !ours.includes('maxconn 5000')) {
    throw new Error('deploy/haproxy/parley.cfg no longer has the lines the tests replace');
  }
  return ours;
}

/** A real HAProxy (Debian's /usr/sbin/haproxy) on a free port in front of these nodes. */
export async function startHaproxy(dir: string, nodePorts: readonly number[]): Promise<FrontProxy> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(port, nodePorts));
  // -db: in the foreground, logs on stdout (ignored).
  return proxyProcess('haproxy', '/usr/sbin/haproxy', ['-db', '-f', file], port);
}

async function proxyProcess(what: string, binary: string, args: string[], port: number): Promise<FrontProxy> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  // Not installed, or a config it refuses: said at once, not after the wait for its port.
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`${what} could not start (${binary}): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before listening (its config: ${args.join(' ')})`)));
  });
  failed.catch(() => {});
  await Promise.race([listening(port, what), failed]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited(child), sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export interface Database {
  url: string;
  drop(): Promise<void>;
}

/** A PostgreSQL database of the run's own (test/support/postgres.ts's server), created now and dropped at the end. */
export async function createDatabase(): Promise<Database> {
  const name = `parley_cluster_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface ClusterNode {
  index: number;
  port: number;
  /** Direct, bypassing the proxy. */
  url: string;
  proc: ChildServer | null;
  /** Starts the node (again) on its port and data dir. */
  start(): Promise<void>;
  /** SIGKILL: no drain, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM, the drain, as systemd stops a node; resolves once it exited. */
  terminate(): Promise<number | null>;
  load(): Promise<{ connections: number }>;
}

export interface ClusterOptions {
  dir: string;
  nodes: number;
  /** None: each node alone (one node only). */
  redisUrl?: string;
  /** None: SQLite in the node's data dir (one node only). */
  databaseUrl?: string;
  /** Default: a fresh one per run. */
  redisPrefix?: string;
  /** Extra environment for the nodes (the server child reads PARLEY_… like the CLI). */
  env?: NodeJS.ProcessEnv;
  /** Built with esbuild and run with plain node (bench); default tsx. */
  script?: string;
  /** With BENCH_CPU_PROF: each node's profile goes under <profileTag>/node-<index>. */
  profileTag?: string;
}

export interface Cluster {
  nodes: ClusterNode[];
  filesDir: string;
  api<T>(method: string, path: string, body?: unknown, base?: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  if (o.nodes > 1 && !(o.redisUrl && o.databaseUrl)) throw new Error('several nodes need a shared database and Redis');
  const filesDir = join(o.dir, 'files');
  mkdirSync(filesDir, { recursive: true });
  const prefix = o.redisPrefix ?? `parley-test-${randomBytes(4).toString('hex')}:`;
  const script = o.script ?? './server-child.ts';
  const nodes: ClusterNode[] = [];
  for (let index = 0; index < o.nodes; index++) {
    const port = await freePort();
    const dataDir = join(o.dir, `node-${index}`);
    let starts = 0;
    const node: ClusterNode = {
      index,
      port,
      url: `http://127.0.0.1:${port}`,
      proc: null,
      async start() {
        // A restarted node is a new process: a new id, as hostname-pid would give it.
        const id = `node-${index}-${starts++}`;
        node.proc = await forkServer(script, [dataDir, String(port)], {
          ...process.env,
          ...o.env,
          PARLEY_APP_TOKEN: CLUSTER_APP_TOKEN,
          ...(o.databaseUrl && { PARLEY_DATABASE_URL: o.databaseUrl }),
          ...(o.redisUrl && { PARLEY_REDIS_URL: o.redisUrl, PARLEY_REDIS_PREFIX: prefix }),
          PARLEY_NODE_ID: id,
          PARLEY_FILES_DIR: filesDir,
          PARLEY_LOG_FILE: join(o.dir, `${id}.log`),
        }, { profileTag: join(o.profileTag ?? '', `node-${index}`) });
      },
      async kill() {
        const child = node.proc?.child;
        node.proc = null;
        if (!child) return;
        child.kill('SIGKILL');
        await exited(child);
      },
      async terminate() {
        const child = node.proc?.child;
        node.proc = null;
        if (!child) return null;
        child.kill('SIGTERM');
        await exited(child);
        return child.exitCode;
      },
      async load() {
        if (!node.proc) return { connections: 0 };
        return node.proc.call<{ connections: number }>('load');
      },
    };
    nodes.push(node);
  }
  // The first creates the schema; the others then start together.
  await nodes[0]!.start();
  await Promise.all(nodes.slice(1).map((node) => node.start()));
  return {
    nodes,
    filesDir,
    async api<T>(method: string, path: string, body?: unknown, base = nodes[0]!.url) {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${CLUSTER_APP_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async stop() {
      await Promise.all(nodes.map(async (node) => node.proc?.stop()));
    },
  };
}
