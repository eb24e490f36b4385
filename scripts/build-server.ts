// Builds the server for plain node: one ESM bundle per entry (esbuild), with its source map beside
// it, rebuilt only when a source it is built from is newer. `npm run server` builds
// out/server/cli.js first (package.json's preserver); bench:latency builds its server and relay
// children the same way, so its figures are those of the built server.
//
// Only native addons stay outside the bundle (better-sqlite3, loaded from node_modules); everything
// else is inlined, which is what makes the built server start faster and smaller than under tsx
// (bench:latency's startup phase measures both). Stack traces point into the bundle, whose code is
// not minified; `node --enable-source-maps` maps them to the TypeScript sources, at ~20 MB of RSS.
import { buildSync } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { newest } from './build-if-stale.js';

const root = resolve(import.meta.dirname, '..');
/** What any server bundle may be built from, besides its entry. */
const SOURCES = ['server', 'protocol', 'common', 'package.json', 'scripts/build-server.ts'];

export interface Bundle {
  /** The entry, relative to the repo root. */
  entry: string;
  /** The bundle, relative to the repo root. */
  outfile: string;
}

export const SERVER_BUNDLE: Bundle = { entry: 'server/cli.ts', outfile: 'out/server/cli.js' };

/** Builds the bundle when it is missing or older than a source; answers its absolute path. Throws when the build fails. */
export function buildServerIfStale({ entry, outfile }: Bundle, log: (line: string) => void = console.log): string {
  const out = join(root, outfile);
  const builtAt = existsSync(out) ? statSync(out).mtimeMs : 0;
  if (Math.max(...[...SOURCES, entry].map((p) => newest(join(root, p)))) <= builtAt) return out;
  log(`Building ${outfile} from ${entry}…`);
  buildSync({
    entryPoints: [join(root, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    external: ['better-sqlite3'],
    // CommonJS packages in an ESM bundle still require() Node's built-ins and their optional
    // packages (ws's bufferutil, in a try): an ESM module has no require of its own.
    banner: { js: "import { createRequire as parleyCreateRequire } from 'node:module'; const require = parleyCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
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
