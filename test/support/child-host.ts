// An engine in a child process (catch-up-host.ts) for tests that cut links or kill it: its stdout
// as JSON lines, whether it has exited, and a wait for a line that fails at once if it exits first.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup, until } from './harness.js';

export function startChildHost(dataDir: string, serverUrl: string, token: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./catch-up-host.ts', import.meta.url)), dataDir, serverUrl, token], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const state = { exited: null as number | null, stderr: '' };
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (data: string) => {
    const parts = (rest + data).split('\n');
    rest = parts.pop()!;
    for (const part of parts) if (part) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (data: string) => (state.stderr += data));
  child.on('exit', (code) => (state.exited = code ?? -1));
  onCleanup(() => {
    if (state.exited === null) child.kill('SIGKILL');
  });
  /** Waits for a line matching `match` at or after `from`; fails at once if the process exits first. */
  const waitLine = (what: string, match: (line: Record<string, unknown>) => boolean, from = 0, timeout = 60_000) =>
    until(
      () => {
        if (state.exited !== null) throw new Error(`the host exited with code ${state.exited} while waiting for ${what}:\n${state.stderr}`);
        return lines.slice(from).some(match);
      },
      what,
      timeout,
    );
  return { child, lines, state, waitLine };
}
