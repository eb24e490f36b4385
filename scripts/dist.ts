// npm run dist[:win|:mac|:linux]: electron-builder with the arguments given, then node_modules'
// better-sqlite3 addon put back as it was. electron-builder (npmRebuild) rebuilds native modules in
// place for Electron's ABI; left so, the server, `npm test` and `npm start` would fail under Node
// with "compiled against a different Node.js version" until someone ran `npm rebuild`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ADDON_PATH } from './native-addon.js';

/** Runs `build` with the addon saved aside, and puts it back whatever happens; answers build's exit code. */
export function keepingNodeAddon(root: string, build: () => number): number {
  const addon = join(root, ADDON_PATH);
  const saved = join(mkdtempSync(join(tmpdir(), 'parley-dist-')), 'better_sqlite3.node');
  const had = existsSync(addon);
  if (had) copyFileSync(addon, saved);
  try {
    return build();
  } finally {
    if (had) copyFileSync(saved, addon);
    rmSync(join(saved, '..'), { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(import.meta.dirname, '..');
  const code = keepingNodeAddon(root, () => {
    const builder = spawnSync('npx', ['electron-builder', '--publish', 'never', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    return builder.status ?? 1;
  });
  process.exit(code);
}
