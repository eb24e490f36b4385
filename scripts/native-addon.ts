// better-sqlite3's native addon, built for one runtime's ABI (NODE_MODULE_VERSION) at a time. Parley
// needs two on a developer's machine: Node's (the server, the tests, the browser host, and `npm start`
// itself, which runs the embedded server) and Electron's (`npm start` with Electron installed). So
// node_modules keeps Node's, always, and Electron's is built once beside it in a cache, which
// `npm start` hands to the Electron host (PARLEY_SQLITE_ADDON, honoured only while unpackaged).
// `npm run dist`, whose electron-builder rebuilds node_modules in place for Electron, puts Node's
// build back afterwards (scripts/dist.ts).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const ADDON_PATH = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

/** Runs a command (a stand-in in tests); answers its exit status and what it wrote to stderr. */
export type Run = (command: string, args: string[], cwd: string) => Pick<SpawnSyncReturns<string>, 'status' | 'stderr'>;
const run: Run = (command, args, cwd) =>
  // npm and the .bin shims are .cmd files on Windows, run through the shell there.
  spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'], shell: process.platform === 'win32' });

const versionOf = (root: string, name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Whether node_modules' addon is Node's: it loads here. Built for another ABI (after an older
 * `npm run dist`) it is rebuilt for Node with `npm rebuild better-sqlite3`; throws if that fails.
 */
export function ensureNodeAddon(root: string, log: (line: string) => void, runner: Run = run): void {
  const load = () => createRequire(join(root, 'package.json'))(join(root, ADDON_PATH)) as unknown;
  try {
    load();
    return;
  } catch (error) {
    if (!/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test((error as Error).message)) throw error;
    log(`better-sqlite3 in node_modules is built for another runtime than this Node (ABI ${process.versions.modules}); rebuilding it for Node…`);
  }
  const rebuilt = runner('npm', ['rebuild', 'better-sqlite3'], root);
  if (rebuilt.status !== 0) throw new Error(`npm rebuild better-sqlite3 failed: ${rebuilt.stderr.trim()}`);
}

/**
 * The path of better-sqlite3's addon built for this Electron, made once per Electron and better-sqlite3
 * version: its prebuilt binary for Electron's ABI where one is published (prebuild-install), else
 * compiled against Electron's headers (node-gyp). Both download, so the first start needs the network.
 */
export function ensureElectronAddon(root: string, log: (line: string) => void, runner: Run = run): string {
  const electron = versionOf(root, 'electron');
  const sqlite = versionOf(root, 'better-sqlite3');
  const dir = join(root, 'node_modules', '.cache', 'parley-native', `better-sqlite3-${sqlite}-electron-${electron}-${process.platform}-${process.arch}`);
  const addon = join(dir, 'better_sqlite3.node');
  if (existsSync(addon)) return addon;

  log(`Building better-sqlite3 ${sqlite} for Electron ${electron} (once; node_modules keeps Node's build)…`);
  // A copy of the package without its build, so node_modules' own build is never touched.
  const work = `${dir}.work`;
  rmSync(work, { recursive: true, force: true });
  cpSync(join(root, 'node_modules', 'better-sqlite3'), work, { recursive: true, filter: (source) => !source.startsWith(join(root, 'node_modules', 'better-sqlite3', 'build')) });
  const bin = (name: string) => join(root, 'node_modules', '.bin', name);
  const target = ['--runtime=electron', `--target=${electron}`, `--arch=${process.arch}`];
  const prebuilt = runner(bin('prebuild-install'), target, work);
  if (prebuilt.status !== 0) {
    log(`No prebuilt binary for Electron ${electron} (${prebuilt.stderr.trim() || 'prebuild-install failed'}); compiling against Electron's headers…`);
    const compiled = runner(bin('node-gyp'), ['rebuild', '--release', `--target=${electron}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers'], work);
    if (compiled.status !== 0) {
      rmSync(work, { recursive: true, force: true });
      throw new Error(`could not build better-sqlite3 for Electron ${electron}: ${compiled.stderr.trim() || 'node-gyp failed'}`);
    }
  }
  mkdirSync(dir, { recursive: true });
  renameSync(join(work, 'build', 'Release', 'better_sqlite3.node'), addon);
  rmSync(work, { recursive: true, force: true });
  return addon;
}
