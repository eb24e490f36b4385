// Temp folders for tests, removed afterwards. Node-only, and light: no server, no engine, no vitest
// (the Playwright tests load it too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs `undo` at the next cleanup(), after whatever was registered later (last in, first out). */
export function onCleanup(undo: () => Promise<void> | void): void {
  cleanups.push(undo);
}

/** Undoes what tests registered (servers, engines, bridges, temp folders), newest first. Call it in afterEach. */
export async function cleanup(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!();
}

/** A fresh temp folder, removed at the next cleanup(). */
export function tempDir(prefix = 'parley-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
