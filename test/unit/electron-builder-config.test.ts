// electron-builder.yml against electron-builder's own schema (a misspelt or misplaced key fails here,
// not on the release machines), and the settings the installers depend on.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { requireBuilt } from '../support/built.js';

const root = resolve(import.meta.dirname, '../..');
const schema = createRequire(import.meta.url)('app-builder-lib/scheme.json') as object;

type Target = { target: string; arch: string[] };
interface Config {
  appId: string;
  productName?: string;
  files: string[];
  asarUnpack: string[];
  directories: { buildResources: string };
  electronFuses: Record<string, boolean>;
  toolsets: { appimage: string };
  publish: { provider: string; url: string };
  protocols: { name: string; schemes: string[] }[];
  nsis: { perMachine: boolean; oneClick: boolean };
  win: { icon: string; target: Target[] };
  mac: { icon: string; target: Target[] };
  linux: { icon: string; target: Target[] };
}

const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Config;
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { productName: string; dependencies: Record<string, string> };

describe('electron-builder.yml', () => {
  it("is valid against app-builder-lib's scheme.json", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validate(config);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('names the app and builds nsis (x64), dmg and zip (x64, arm64) and AppImage (x64)', () => {
    expect(config.appId).toBe('chat.parley.desktop');
    // In package.json, where Electron reads it at run time (userData, the keychain item, the macOS menus).
    expect(packageJson.productName).toBe('Parley');
    expect(config.productName).toBeUndefined();
    expect(config.win.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(config.mac.target).toEqual([
      { target: 'dmg', arch: ['x64', 'arm64'] },
      { target: 'zip', arch: ['x64', 'arm64'] }, // what electron-updater installs from on macOS
    ]);
    expect(config.linux.target).toEqual([{ target: 'AppImage', arch: ['x64'] }]);
  });

  it('writes the update feed files (a generic publish provider; the app reads its own server’s feed)', () => {
    expect(config.publish).toEqual({ provider: 'generic', url: 'https://parley.invalid/updates/stable' });
  });

  it('builds the AppImage with the static runtime, which needs no libfuse2', () => {
    expect(config.toolsets).toEqual({ appimage: '1.0.3' });
  });

  it('installs per user by default, with a choice', () => {
    expect(config.nsis.perMachine).toBe(false);
    expect(config.nsis.oneClick).toBe(false);
  });

  it('ships only the built app and unpacks the native modules from the asar', () => {
    expect(config.files.filter((pattern) => !pattern.includes('node_modules/'))).toEqual(['out/**', '!out/server/**', 'package.json']);
    // electron-builder applies only the exclusions to node_modules (electron-builder-files.test.ts runs its matcher).
    expect(config.files.filter((pattern) => pattern.includes('node_modules/')).every((pattern) => pattern.startsWith('!'))).toBe(true);
    const unpacked = (path: string) => config.asarUnpack.some((pattern) => minimatch(path, pattern, { dot: true }));
    for (const path of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/sharp/dist/index.cjs',
      'node_modules/@img/sharp-win32-x64/lib/sharp-win32-x64.node',
      'node_modules/@img/sharp-libvips-darwin-arm64/lib/libvips-cpp.8.17.3.dylib',
    ]) {
      expect(unpacked(path), path).toBe(true);
    }
    expect(unpacked('out/main/index.js')).toBe(false);
  });

  it('registers parley:// (on Linux electron-builder derives MimeType x-scheme-handler/parley from it)', () => {
    expect(config.protocols.flatMap((p) => p.schemes)).toContain('parley');
  });

  it('flips the fuses: no run-as-node, NODE_OPTIONS or --inspect; encrypted cookies; only a verified app.asar', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      resetAdHocDarwinSignature: true,
    });
  });

  it('takes its icons from build/icons, which npm run build generates', () => {
    expect(config.directories.buildResources).toBe('build');
    expect([config.win.icon, config.mac.icon, config.linux.icon]).toEqual(['build/icons/icon.ico', 'build/icons/icon.icns', 'build/icons/png']);
  });

  // The main bundle keeps "dependencies" as run-time imports and those are all that ships in
  // node_modules: each must be imported, and every package imported must be one of them.
  const mainBundle = join(root, 'out', 'main', 'index.js');
  it('ships exactly the packages the built main process imports (npm run build)', () => {
    requireBuilt('out/main/index.js');
    // Import statements start a line (a bundled package's doc comment, " * import X from 'x'", does
    // not), dynamic imports are import("x"); a specifier has no spaces or brackets.
    const code = readFileSync(mainBundle, 'utf8');
    const specifiers = [
      ...code.matchAll(/^[ \t]*(?:import|export)\b[^;]*?\bfrom\s*["']([^"'./\s][^"'\s(){}]*)["']/gm),
      ...code.matchAll(/^[ \t]*import\s*["']([^"'./\s][^"'\s(){}]*)["']/gm),
      ...code.matchAll(/\bimport\(\s*["']([^"'./\s][^"'\s(){}]*)["']\s*\)/g),
    ].map((m) => m[1] ?? '');
    const packages = new Set(
      specifiers.filter((s) => !s.startsWith('node:') && s !== 'electron').map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/')),
    );
    expect([...packages].sort()).toEqual(Object.keys(packageJson.dependencies).sort());
  });

  // A package whose native code comes in per-platform optional packages (sharp: @img/sharp-<os>-<arch>)
  // may be missing on a user's machine. Imported statically it would stop the main process at launch;
  // loaded on demand it costs only its feature (main/core/files/preview.ts). Judged from what ships.
  it('imports packages with per-platform optional binaries only on demand, never statically (npm run build)', () => {
    requireBuilt('out/main/index.js');
    const optional = Object.keys(packageJson.dependencies).filter((name) => {
      const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { optionalDependencies?: object };
      return Object.keys(manifest.optionalDependencies ?? {}).length > 0;
    });
    expect(optional).toEqual(['sharp']);
    const mainDir = join(root, 'out', 'main');
    const bundles = readdirSync(mainDir, { recursive: true, encoding: 'utf8' }).filter((file) => /\.[cm]?js$/.test(file));
    for (const file of bundles) {
      const code = readFileSync(join(mainDir, file), 'utf8');
      const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
      // import x from "p"; import "p"; export … from "p"; require("p") — all run when the bundle loads.
      const staticImports = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g)].map((m) => packageOf(m[1] ?? ''));
      const dynamicImports = [...code.matchAll(/\bimport\s*\(\s*["']([^"'./][^"']*)["']\s*\)/g)].map((m) => packageOf(m[1] ?? ''));
      for (const name of optional) expect(staticImports, `${file} imports ${name} statically`).not.toContain(name);
      if (file === 'index.js') expect(dynamicImports).toContain('sharp');
    }
  });
});

describe('release workflow', () => {
  type Step = { run?: string; uses?: string; with?: Record<string, string>; name?: string };
  const workflow = load(readFileSync(join(root, '.github/workflows/release.yml'), 'utf8')) as {
    jobs: { installers: { strategy: { matrix: { include: { os: string }[] } }; steps: Step[] } };
  };
  const { strategy, steps } = workflow.jobs.installers;

  it('builds on Windows, macOS and Linux with Node 22 (what @electron/rebuild needs)', () => {
    expect(strategy.matrix.include.map((m) => m.os)).toEqual(['windows-latest', 'macos-latest', 'ubuntu-latest']);
    expect(steps.find((step) => step.uses?.startsWith('actions/setup-node'))!.with!['node-version']).toBe(22);
  });

  it('runs the packaged smoke test after the installers (xvfb-run on Linux) and uploads installers, feed files and screenshots', () => {
    const index = (predicate: (step: Step) => boolean) => steps.findIndex(predicate);
    const dist = index((step) => step.run?.includes('npm run ${{ matrix.dist }}') ?? false);
    const smoke = index((step) => step.run?.includes('playwright test -c playwright.packaged.config.ts') ?? false);
    expect(dist).toBeGreaterThan(0);
    expect(smoke).toBeGreaterThan(dist);
    expect(steps[smoke]!.run).toMatch(/xvfb-run .*playwright test -c playwright\.packaged\.config\.ts/);
    const uploads = steps.filter((step) => step.uses?.startsWith('actions/upload-artifact')).map((step) => step.with!['path']).join('\n');
    for (const path of ['dist/*.exe', 'dist/*.dmg', 'dist/*.zip', 'dist/*.AppImage', 'dist/*.blockmap', 'dist/latest*.yml', 'test-results/packaged']) expect(uploads).toContain(path);
  });
});
