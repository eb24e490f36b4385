// Benchmark servers run in child processes, so a benchmark measures a server's CPU apart from the
// clients that load it. A child reports { type: 'ready', url } and answers { type, id } with
// { id, data } (see server-child.ts and relay-baseline-child.ts). `script` is relative to this
// folder, a file: URL (the fault suite forks its engines the same way) or an absolute path; a .ts
// script runs through tsx, a built .js one (builtChild) with plain node.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServerIfStale } from '../../scripts/build-server.js';

export interface ChildServer {
  url: string;
  child: ChildProcess;
  call<T>(type: string, args?: Record<string, unknown>): Promise<T>;
  /** Asks the child to close and waits for it to exit; kills it if it does not in time. */
  stop(): Promise<void>;
}

export interface ServerProcess extends ChildServer {
  appToken: string;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A child of bench/support (e.g. 'server-child'), built like the server (scripts/build-server.ts)
 * into out/server/bench/ when its sources changed: answers its path, for forkServer to run with plain node.
 */
export function builtChild(name: string): string {
  return buildServerIfStale({ entry: `bench/support/${name}.ts`, outfile: `out/server/bench/${name}.js` }, (line) => console.log(`  ${line}`));
}

export interface ForkOptions {
  /** With BENCH_CPU_PROF: the profile goes to <BENCH_CPU_PROF>/<profileTag>/<script's name>/ (default: no tag). */
  profileTag?: string;
}

/** BENCH_CPU_PROF=<dir> writes a CPU profile of each child (NODE_OPTIONS does not take --cpu-prof). */
export async function forkServer(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  options: ForkOptions = {},
): Promise<ChildServer> {
  const name = basename(script).replace(/\.[cm]?[jt]s$/, '');
  const profileDir = process.env.BENCH_CPU_PROF && join(process.env.BENCH_CPU_PROF, options.profileTag ?? '', name);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const path = isAbsolute(script) ? script : fileURLToPath(new URL(script, import.meta.url));
  const child = fork(path, args, {
    execArgv: [...(path.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (data: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const gone = () => new Error(`${script} exited (${child.signalCode ?? child.exitCode})`);
  // A call in flight when the child dies (killed, crashed) rejects instead of waiting forever.
  child.once('exit', () => {
    for (const { reject } of pending.values()) reject(gone());
    pending.clear();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.once('error', reject);
    child.on('message', (m: { type?: string; url?: string; id?: number; data?: unknown }) => {
      if (m.type === 'ready') resolve(m.url!);
      else if (m.id !== undefined) pending.get(m.id)?.resolve(m.data);
    });
  });
  const call = <T>(type: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      if (exited()) return reject(gone());
      const id = nextId++;
      pending.set(id, {
        resolve: (data) => {
          pending.delete(id);
          resolve(data as T);
        },
        reject,
      });
      child.send({ type, id, ...args }, (error) => {
        if (!error) return;
        pending.delete(id);
        reject(error);
      });
    });
  return {
    url,
    child,
    call,
    async stop() {
      if (exited()) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await Promise.race([call('close').catch(() => {}), sleep(10_000)]);
      await Promise.race([gone, sleep(10_000)]);
      if (!exited()) child.kill('SIGKILL');
    },
  };
}

export interface ServerProcessOptions extends ForkOptions {
  /** Default: any free port. */
  port?: number;
  /** Runs server-child built (builtChild) with plain node, as production runs the server; default: the TypeScript sources through tsx. */
  built?: boolean;
  /** Presence on (default) or off: bench:latency's presence baseline. */
  presence?: boolean;
}

/** A Parley server with a known app token, and its backend API. */
export async function startServerProcess(dataDir: string, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const appToken = 'bench-app-token-0123456789';
  const args = options.port === undefined ? [dataDir] : [dataDir, String(options.port)];
  const script = options.built ? builtChild('server-child') : './server-child.ts';
  const env = { ...process.env, PARLEY_APP_TOKEN: appToken, ...(options.presence === false && { PARLEY_BENCH_PRESENCE: 'off' }) };
  const server = await forkServer(script, args, env, options);
  return {
    ...server,
    appToken,
    async api<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
  };
}
