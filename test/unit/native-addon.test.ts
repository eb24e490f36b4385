// better-sqlite3's addon for two runtimes (scripts/native-addon.ts, scripts/dist.ts): Electron's built
// once into a cache beside node_modules, never over Node's; npm run dist puts Node's back whatever
// electron-builder did to it. The downloads and compilers are stand-ins here.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepingNodeAddon } from '../../scripts/dist.js';
import { ADDON_PATH, ensureElectronAddon, ensureNodeAddon, type Run } from '../../scripts/native-addon.js';
import { root } from '../support/built.js';
import { cleanup, tempDir } from '../support/temp.js';

afterEach(cleanup);

/** A project with Electron 41.0.0 and better-sqlite3 12.0.0 whose addon is Node's. */
function project(): string {
  const dir = tempDir('parley-native-');
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('package.json', '{}');
  write('node_modules/electron/package.json', '{"version":"41.0.0"}');
  write('node_modules/better-sqlite3/package.json', '{"version":"12.0.0"}');
  write('node_modules/better-sqlite3/lib/index.js', '');
  write(ADDON_PATH, 'node build');
  return dir;
}

describe("Electron's better-sqlite3 for npm start", () => {
  it('is its prebuilt binary when published, built once in a cache; node_modules keeps Node’s', () => {
    const dir = project();
    const runner = vi.fn<Run>((_command, _args, cwd) => {
      expect(existsSync(join(cwd, 'lib', 'index.js'))).toBe(true); // a copy of the package…
      expect(existsSync(join(cwd, 'build'))).toBe(false); // …without node_modules' build
      mkdirSync(join(cwd, 'build', 'Release'), { recursive: true });
      writeFileSync(join(cwd, 'build', 'Release', 'better_sqlite3.node'), 'electron build');
      return { status: 0, stderr: '' };
    });
    const addon = ensureElectronAddon(dir, () => {}, runner);
    expect(runner).toHaveBeenCalledTimes(1);
    expect(runner.mock.calls[0]![0]).toMatch(/prebuild-install$/);
    expect(runner.mock.calls[0]![1]).toEqual(['--runtime=electron', '--target=41.0.0', `--arch=${process.arch}`]);
    expect(addon).toBe(join(dir, 'node_modules/.cache/parley-native', `better-sqlite3-12.0.0-electron-41.0.0-${process.platform}-${process.arch}`, 'better_sqlite3.node'));
    expect(readFileSync(addon, 'utf8')).toBe('electron build');
    expect(readFileSync(join(dir, ADDON_PATH), 'utf8')).toBe('node build');
    expect(readdirSync(join(dir, 'node_modules/.cache/parley-native'))).toHaveLength(1); // no work dir left

    expect(ensureElectronAddon(dir, () => {}, runner)).toBe(addon);
    expect(runner).toHaveBeenCalledTimes(1);
  });

  it("is compiled against Electron's headers when no binary is published, and says why when that fails too", () => {
    const dir = project();
    const log = vi.fn();
    const runner = vi.fn<Run>((command, _args, cwd) => {
      if (command.endsWith('prebuild-install')) return { status: 1, stderr: 'No prebuilt binaries found (target=41.0.0 runtime=electron)' };
      mkdirSync(join(cwd, 'build', 'Release'), { recursive: true });
      writeFileSync(join(cwd, 'build', 'Release', 'better_sqlite3.node'), 'compiled');
      return { status: 0, stderr: '' };
    });
    expect(readFileSync(ensureElectronAddon(dir, log, runner), 'utf8')).toBe('compiled');
    expect(runner.mock.calls[1]![1]).toEqual(['rebuild', '--release', '--target=41.0.0', `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers']);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('No prebuilt binaries found'));

    const offline = project();
    const failing: Run = () => ({ status: 1, stderr: 'getaddrinfo ENOTFOUND' });
    expect(() => ensureElectronAddon(offline, () => {}, failing)).toThrow('could not build better-sqlite3 for Electron 41.0.0: getaddrinfo ENOTFOUND');
    expect(readdirSync(join(offline, 'node_modules/.cache/parley-native'))).toEqual([]);
  });

  it("leaves node_modules' addon alone when it is Node's", () => {
    const runner = vi.fn<Run>();
    ensureNodeAddon(root, () => {}, runner);
    expect(runner).not.toHaveBeenCalled();
  });
});

describe('npm run dist', () => {
  it("puts node_modules' addon back after electron-builder rebuilt it for Electron, also when the build fails", () => {
    const dir = project();
    const addon = join(dir, ADDON_PATH);
    const rebuildInPlace = (status: number) => () => {
      writeFileSync(addon, 'electron build');
      return status;
    };
    expect(keepingNodeAddon(dir, rebuildInPlace(0))).toBe(0);
    expect(readFileSync(addon, 'utf8')).toBe('node build');
    expect(keepingNodeAddon(dir, rebuildInPlace(1))).toBe(1);
    expect(readFileSync(addon, 'utf8')).toBe('node build');
    expect(() =>
      keepingNodeAddon(dir, () => {
        writeFileSync(addon, 'half written');
        throw new Error('killed');
      }),
    ).toThrow('killed');
    expect(readFileSync(addon, 'utf8')).toBe('node build');
  });
});
