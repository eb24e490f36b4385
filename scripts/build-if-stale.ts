// Rebuilds out/ when any source it is built from is newer than the last build: used by npm start,
// the end-to-end tests and the startup benchmark, so none of them runs a stale app.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// The icons (resources/ and their generator) are built into out/icons by the same `npm run build`.
const SOURCES = ['renderer', 'preload', 'main', 'contract', 'protocol', 'common', 'resources', 'scripts/make-icons.ts', 'scripts/icons', 'electron.vite.config.ts', 'package.json'];

function newest(path: string): number {
  const info = statSync(path);
  if (info.isFile()) return info.mtimeMs;
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((max, e) => Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

/** Throws when the build fails. */
export function buildIfStale(log: (line: string) => void = console.log): void {
  // Both halves of the build (the bundles and the icons) must be newer than every source.
  const built = [join(root, 'out', 'renderer', 'index.html'), join(root, 'out', 'icons', 'icon.png')];
  const builtAt = Math.min(...built.map((p) => (existsSync(p) ? statSync(p).mtimeMs : 0)));
  const changed = Math.max(...SOURCES.map((p) => newest(join(root, p))));
  if (changed <= builtAt) return;
  log('Building Parley (out/)…');
  const started = Date.now();
  // The one definition of the build is package.json's; npm is a .cmd on Windows, run through the shell there.
  // Its listing of every bundle is shown only when it fails: otherwise it buries what a newcomer needs to read.
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, shell: process.platform === 'win32' });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `${build.error.message}\n` : ''}`);
    throw new Error('the build (npm run build) failed');
  }
  log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
