// What the installers really carry from node_modules, decided by electron-builder's own code: its
// dependency collector (`npm list` of the production tree), the node_modules file matcher it builds from
// electron-builder.yml's `files`, the copy helper that walks each module (with its built-in exclusions)
// and the `asarUnpack` filter. A pattern that reads right but is not applied the way it reads (as
// when a re-include after `!…/build/**` was ignored and every installer lacked better_sqlite3.node)
// fails here rather than in a user's first launch.
import { existsSync, readFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/built.js';

// app-builder-lib's internals (no package exports map): the functions platformPackager.ts calls for
// the app's node_modules when it packs an asar.
const requireBuilder = createRequire(join(root, 'node_modules/app-builder-lib/package.json'));
type Filter = (file: string, stat: Stats) => boolean;
interface FileMatcher {
  patterns: string[];
  createFilter(): Filter;
}
interface FileSet {
  files: string[];
  metadata: Map<string, Stats & { moduleFullFilePath?: string }>;
}
type Expand = (pattern: string) => string;
const { getNodeModuleFileMatcher, getFileMatchers } = requireBuilder('./out/fileMatcher') as {
  getNodeModuleFileMatcher(appDir: string, destination: string, expand: Expand, platformOptions: object, packager: object): FileMatcher;
  getFileMatchers(config: object, name: 'asarUnpack', destination: string, options: object): FileMatcher[] | null;
};
const { computeNodeModuleFileSets } = requireBuilder('./out/util/appFileCopier') as {
  computeNodeModuleFileSets(platformPackager: object, matcher: FileMatcher): Promise<FileSet[]>;
};
const { PM } = requireBuilder('./out/node-module-collector') as { PM: { NPM: string } };
const { Platform } = requireBuilder('./out/core') as { Platform: { current(): unknown } };
const { TmpDir } = requireBuilder('builder-util') as { TmpDir: new (label: string) => { cleanup(): Promise<void> } };

const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as object;
const metadata = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
const sharpOptional = Object.keys(
  (JSON.parse(readFileSync(join(root, 'node_modules/sharp/package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }).optionalDependencies,
);

const destination = join(root, 'app'); // where the packager stages the app; only relative paths matter
const expand: Expand = (pattern) => pattern.replaceAll('${arch}', process.arch).replaceAll('${os}', process.platform);
const tmp = new TmpDir('parley-files-test');

/** Every file the installer would carry from node_modules, as `node_modules/…`, with whether it is unpacked. */
let packed: Map<string, boolean>;

beforeAll(async () => {
  // The few members of electron-builder's Packager and PlatformPackager these functions read.
  const info = {
    config,
    projectDir: root,
    appDir: root,
    tempDirManager: tmp,
    getWorkspaceRoot: () => Promise.resolve(root),
    getPackageManager: () => Promise.resolve(PM.NPM),
    originalMetadata: metadata,
    nodePackageName: metadata.name,
    appInfo: { type: 'app' },
    debugLogger: { isEnabled: false },
    areNodeModulesHandledExternally: false,
  };
  const matcher = getNodeModuleFileMatcher(root, destination, expand, {}, info);
  const fileSets = await computeNodeModuleFileSets({ info, config, platform: Platform.current() }, matcher);
  const unpackMatchers = getFileMatchers(config, 'asarUnpack', destination, { macroExpander: expand, customBuildOptions: {}, globalOutDir: join(root, 'dist'), defaultSrc: root });
  const unpack = unpackMatchers?.[0]?.createFilter() ?? (() => false);
  packed = new Map();
  for (const set of fileSets) {
    for (const file of set.files) {
      const stat = set.metadata.get(file);
      if (!stat || stat.isDirectory()) continue;
      packed.set(stat.moduleFullFilePath ?? relative(root, file), unpack(file, stat));
    }
  }
}, 60_000);

afterAll(() => tmp.cleanup());

describe("the installers' node_modules (electron-builder's own matcher over the production tree)", () => {
  it("carries better-sqlite3's addon, unpacked from the asar, and its JavaScript", () => {
    expect(packed.get('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(packed.has('node_modules/better-sqlite3/lib/index.js')).toBe(true);
    // …and whatever it requires to find the addon.
    for (const dependency of ['bindings', 'file-uri-to-path']) expect(packed.has(`node_modules/${dependency}/package.json`), dependency).toBe(true);
  });

  it("leaves out SQLite's sources and the build's leftovers", () => {
    const leftovers = [...packed.keys()].filter((path) => path.startsWith('node_modules/better-sqlite3/') && !/^node_modules\/better-sqlite3\/(lib\/|package\.json$|LICENSE$)/.test(path));
    expect(leftovers).toEqual(['node_modules/better-sqlite3/build/Release/better_sqlite3.node']);
  });

  it("carries sharp and each of its platform packages installed here, with their native code unpacked", () => {
    expect(packed.get('node_modules/sharp/package.json')).toBe(true);
    const installed = sharpOptional.filter((name) => existsSync(join(root, 'node_modules', name)));
    expect(installed.length).toBeGreaterThan(0); // at least this machine's own (@img/sharp-<os>-<arch> and its libvips)
    for (const name of installed) {
      const files = [...packed].filter(([path]) => path.startsWith(`node_modules/${name}/`));
      expect(files.map(([path]) => path), name).toContain(`node_modules/${name}/package.json`);
      const native = files.filter(([path]) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(path));
      expect(native.length, `${name} has native code`).toBeGreaterThan(0);
      for (const [path, unpacked] of native) expect(unpacked, path).toBe(true);
    }
  });

  it('carries every production dependency and no development one', () => {
    for (const name of Object.keys(metadata.dependencies)) expect(packed.has(`node_modules/${name}/package.json`), name).toBe(true);
    for (const name of ['electron', 'vitest', 'electron-builder', 'fastify']) expect(packed.has(`node_modules/${name}/package.json`), name).toBe(false);
  });

  it('keeps the rest inside the asar', () => {
    expect(packed.get('node_modules/zod/package.json')).toBe(false);
  });
});
