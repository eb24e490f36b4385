// Builds the server for plain node: one ESM bundle per entry (esbuild), with its source map beside
// it, rebuilt when a file it was built from changed. `npm run server` builds out/server/cli.js first
// (package.json's preserver); bench:latency builds its server and relay children the same way into
// out/server/bench/, so its figures are the built server's. electron-builder leaves out/server/ out
// of the app.
//
// Only native addons stay outside the bundle (better-sqlite3, loaded from node_modules); everything
// else is inlined, which is what makes the built server start faster and smaller than under tsx
// (bench:latency's startup phase measures both). Stack traces point into the bundle, whose code is
// not minified; `node --enable-source-maps` maps them to the TypeScript sources, at ~20 MB of RSS.
import { buildSync } from 'esbuild';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
/** Changes to these rebuild every bundle: the packages inlined (through the lock) and how they are built. */
const ALWAYS = ['package.json', 'package-lock.json', 'scripts/build-server.ts'];

export interface Bundle {
  /** The entry, relative to the repo root. */
  entry: string;
  /** The bundle, relative to the repo root. */
  outfile: string;
}

export const SERVER_BUNDLE: Bundle = { entry: 'server/cli.ts', outfile: 'out/server/cli.js' };

/** Stale when missing, or when a file of ours it was built from (esbuild's metafile, kept beside it) changed or went. */
function isStale(out: string, inputsFile: string): boolean {
  if (!existsSync(out) || !existsSync(inputsFile)) return true;
  const builtAt = statSync(out).mtimeMs;
  const inputs = [...(JSON.parse(readFileSync(inputsFile, 'utf8')) as string[]), ...ALWAYS];
  return inputs.some((input) => {
    const path = join(root, input);
    return !existsSync(path) || statSync(path).mtimeMs > builtAt;
  });
}

/** Builds the bundle when it is stale; answers its absolute path. Throws when the build fails. */
export function buildServerIfStale({ entry, outfile }: Bundle, log: (line: string) => void = console.log): string {
  const out = join(root, outfile);
  const inputsFile = `${out}.inputs.json`;
  if (!isStale(out, inputsFile)) return out;
  log(`Building ${outfile} from ${entry}…`);
  const { metafile } = buildSync({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    external: ['better-sqlite3'],
    // CommonJS packages in an ESM bundle still require() Node's built-ins and their optional
    // packages (ws's bufferutil, in a try): an ESM module has no require of its own.
    banner: { js: "import { createRequire as parleyCreateRequire } from 'node:module'; const require = parleyCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  // Packages change through the lock file (ALWAYS); listing their files would only slow the check.
  const inputs = Object.keys(metafile.inputs).filter((input) => !input.includes('node_modules/'));
  writeFileSync(inputsFile, JSON.stringify(inputs));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    buildServerIfStale(SERVER_BUNDLE);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
