// Benchmark servers run in child processes, so a benchmark measures a server's CPU apart from the
// clients that load it. A child reports { type: 'ready', url } and answers { type, id } with
// { id, data } (see server-child.ts and relay-baseline-child.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** BENCH_CPU_PROF=<dir> writes a CPU profile of each child (NODE_OPTIONS does not take --cpu-prof). */
export async function forkServer(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<ChildServer> {
  const profileDir = process.env.BENCH_CPU_PROF && join(process.env.BENCH_CPU_PROF, basename(script, '.ts'));
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
    execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (data: unknown) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.once('error', reject);
    child.on('message', (m: { type?: string; url?: string; id?: number; data?: unknown }) => {
      if (m.type === 'ready') resolve(m.url!);
      else if (m.id !== undefined) pending.get(m.id)?.(m.data);
    });
  });
  const call = <T>(type: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, (data) => {
        pending.delete(id);
        resolve(data as T);
      });
      child.send({ type, id, ...args });
    });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
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

/** A Parley server with a known app token, and its backend API. */
export async function startServerProcess(dataDir: string): Promise<ServerProcess> {
  const appToken = 'bench-app-token-0123456789';
  const server = await forkServer('./server-child.ts', [dataDir], { ...process.env, PARLEY_APP_TOKEN: appToken });
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
