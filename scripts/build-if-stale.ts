// Rebuilds out/ when any source it is built from is newer than the last build: used by npm start,
// the end-to-end tests and the startup benchmark, so none of them runs a stale app.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const SOURCES = ['renderer', 'preload', 'main', 'protocol', 'common'];

function newest(path: string): number {
  const info = statSync(path);
  if (info.isFile()) return info.mtimeMs;
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((max, e) => Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

/** Throws when the build fails. */
export function buildIfStale(log: (line: string) => void = console.log): void {
  const built = join(root, 'out', 'renderer', 'index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const changed = Math.max(...[...SOURCES, 'electron.vite.config.ts'].map((p) => newest(join(root, p))));
  if (changed <= builtAt) return;
  log('Building Parley (out/)…');
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build (electron-vite build) failed');
}
