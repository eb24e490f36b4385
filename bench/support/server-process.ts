// Starts bench/support/server-child.ts in a child process and talks to it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  appToken: string;
  child: ChildProcess;
  call<T>(type: string, args?: Record<string, unknown>): Promise<T>;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startServerProcess(dataDir: string): Promise<ServerProcess> {
  const appToken = 'bench-app-token-0123456789';
  const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [dataDir], {
    // BENCH_CPU_PROF=<dir> profiles the server (NODE_OPTIONS does not take --cpu-prof).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, PARLEY_APP_TOKEN: appToken },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (data: unknown) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
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
  return {
    url,
    appToken,
    child,
    call,
    async api<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async close() {
      await call('close').catch(() => {});
    },
  };
}
