// The checks in `npm test` must fail when they should. The layer check (dependency-cruiser) is run,
// exactly as `npm run check:layers` runs it, on test/fixtures/layers/, a tree shaped like the repo
// with one deliberate violation per rule; ESLint runs with the repo's own config on a fixture with
// floating promises. Each must report what it is there to catch, by rule name, and nothing else.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const DEPCRUISE = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const SLOW = 120_000; // whole-program work on a shared 2-core machine

interface Cruise {
  modules: Array<{ source: string }>;
  summary: { error: number; violations: Array<{ rule: { name: string }; from: string; to: string }> };
}

/** `npm run check:layers` in `cwd`, its config made absolute so it can run in another folder. */
async function checkLayers(cwd: string, ...extra: string[]): Promise<{ code: number | null; stdout: string }> {
  const args = scripts['check:layers']!.split(' ');
  expect(args.slice(0, 3)).toEqual(['depcruise', '--config', '.dependency-cruiser.cjs']);
  const child = spawn(process.execPath, [DEPCRUISE, '--config', join(root, args[2]!), ...args.slice(3), ...extra], { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done, fail) => child.once('error', fail).once('close', done));
  if (!stdout.trim()) throw new Error(`depcruise printed nothing (exit ${code}): ${stderr}`);
  return { code, stdout };
}

async function cruise(cwd: string): Promise<Cruise> {
  return JSON.parse((await checkLayers(cwd, '--output-type', 'json')).stdout) as Cruise;
}

/** A package is named by its path inside node_modules, wherever that node_modules is. */
const pkg = (to: string) => to.replace(/^.*node_modules\//, 'node_modules/');

describe('layer check (dependency-cruiser)', () => {
  it('is what npm test runs', () => {
    expect(scripts['check:layers']).toBe('depcruise --config .dependency-cruiser.cjs .');
    expect(scripts.test).toContain('npm run check:layers');
    expect(scripts.test).toContain('npm run lint');
  });

  it(
    'fails on the fixture tree, naming each deliberate violation by its rule and nothing clean',
    async () => {
      const fixture = join(root, 'test/fixtures/layers');
      // Exactly what npm test sees: the error lines and the exit code that stops it.
      const { code, stdout } = await checkLayers(fixture);
      const reported = [...stdout.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(([, rule, from, to]) => `${rule} ${from} -> ${pkg(to!)}`);
      expect(reported.sort()).toEqual(
        [
          'contract-imports-only contract/api.ts -> main/core/index.ts',
          'core-only-via-index main/bridge/deep.ts -> main/core/sync/catch-up.ts',
          'no-electron-outside-host main/core/sync/catch-up.ts -> node_modules/electron/index.js',
          'no-import-preload main/browser/host.ts -> preload/index.ts',
          'no-node-in-isomorphic common/text.ts -> path',
          'no-node-in-isomorphic renderer/view.ts -> fs',
          'no-node-packages-in-isomorphic renderer/db.ts -> node_modules/better-sqlite3/lib/index.js',
          'preload-imports-only preload/index.ts -> main/core/index.ts',
          'renderer-imports-only renderer/view.ts -> main/core/index.ts',
          'server-imports-only server/app.ts -> main/core/index.ts',
        ].sort(),
      );
      expect(code).toBe(reported.length); // depcruise exits with the number of errors
      // The clean files (common/node/, main/bridge/ok.ts, main/electron/) were cruised, and passed.
      const { modules } = await cruise(fixture);
      expect(modules.map((m) => m.source)).toEqual(expect.arrayContaining(['common/node/file.ts', 'main/bridge/ok.ts', 'main/electron/window.ts']));
    },
    SLOW,
  );

  it(
    'on the repo sees every source folder, resolves every import and leaves the fixtures out',
    async () => {
      const result = await cruise(root);
      const sources = result.modules.map((m) => m.source);
      expect(sources).toEqual(
        expect.arrayContaining(['main/core/index.ts', 'main/index.ts', 'preload/index.ts', 'renderer/main.ts', 'renderer/App.vue', 'server/server.ts', 'protocol/index.ts']),
      );
      expect(sources.filter((s) => s.startsWith('test/fixtures/'))).toEqual([]);
      // Whether the tree passes is `npm run check:layers`'s verdict; a blind spot would be this one's.
      expect(result.summary.violations.filter((v) => v.rule.name === 'not-to-unresolvable')).toEqual([]);
    },
    SLOW,
  );
});

describe('lint (ESLint with eslint.config.js)', () => {
  it(
    'reports a floating promise, also behind void, and an async callback where a void one is expected',
    async () => {
      const file = join(root, 'test/fixtures/lint/floating.ts');
      // The fixture marks each line that must be reported with the rule's name in a comment.
      const expected = readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => {
          const rule = /\/\/ (no-floating-promises|no-misused-promises)\b/.exec(line)?.[1];
          return rule ? [`${i + 1} @typescript-eslint/${rule}`] : [];
        });
      expect(expected).toHaveLength(3);
      // ignore: false lets the config's own ignore of test/fixtures/ step aside for this one file.
      const [report] = await new ESLint({ cwd: root, ignore: false }).lintFiles([file]);
      expect(report!.messages.map((m) => `${m.line} ${m.ruleId}`)).toEqual(expected);
    },
    SLOW,
  );
});
