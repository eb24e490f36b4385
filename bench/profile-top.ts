// `npm run bench:profile -- <dir> [workload]`: where the servers of bench:latency or bench:cluster
// spent their CPU during the load. Reads the profiles BENCH_CPU_PROF=<dir> wrote and the load windows
// (<dir>/windows.json), keeps the samples inside the load window, and prints the top functions by self
// time and the time by package or source folder: bench:latency's per server
// (<dir>/<workload>/<child>/*.cpuprofile), bench:cluster's per deployment, its nodes' profiles
// (<dir>/<deployment>/node-<i>/…) summed. Positions in a built child are mapped back to the
// TypeScript sources through the bundle's source map.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
type Window = { start: number; end: number };

const TOP = Number(process.env.PROFILE_TOP ?? 25);
const [dirArg, ...workloadArgs] = process.argv.slice(2);
if (!dirArg) {
  console.error('usage: npm run bench:profile -- <BENCH_CPU_PROF dir> [workload …]');
  process.exit(2);
}
const dir = resolve(dirArg);
/** bench:latency's: a window per side; bench:cluster's: one per deployment. */
const windows = JSON.parse(readFileSync(join(dir, 'windows.json'), 'utf8')) as Record<string, { parley: Window; relay: Window } | Window>;
const CHILDREN = { parley: 'server-child', relay: 'relay-baseline-child' } as const;

const maps = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  if (!maps.has(url)) {
    const path = url.startsWith('file:') ? `${fileURLToPath(url)}.map` : '';
    maps.set(url, path && existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as SourceMapPayload) : null);
  }
  return maps.get(url)!;
}

/** Where a frame's code came from: its TypeScript or package source when the bundle's map says, else its URL. */
function origin(frame: ProfileNode['callFrame']): { file: string; line: number } {
  const map = frame.url ? sourceMapOf(frame.url) : null;
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalSource' in entry) {
    return { file: entry.originalSource.replace(/^(\.\.\/)+/, '').replace(/^file:\/\/.*?\/(node_modules|server|protocol|common|bench)\//, '$1/'), line: entry.originalLine + 1 };
  }
  return { file: frame.url.replace(/^file:\/\/.*?\/(node_modules|out|server|protocol|common|bench)\//, '$1/'), line: frame.lineNumber + 1 };
}

/** A package (node_modules/<name>), a source folder (server/realtime), or V8's own (program), (garbage collector), native. */
function groupOf(file: string, functionName: string): string {
  if (!file) return functionName.startsWith('(') ? functionName : '(native)';
  if (file.startsWith('node:')) return 'node: built-ins';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1]!;
  return file.split('/').slice(0, 2).join('/');
}

/** The profiles' samples inside the window, summed (several processes: their busy times add up). */
function analyse(files: string[], window: Window) {
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    let time = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      time += profile.timeDeltas[i] ?? 0;
      if (time < window.start || time > window.end) continue;
      // A sample stands for the time until the next one.
      const span = profile.timeDeltas[i + 1] ?? 0;
      const frame = byId.get(profile.samples[i]!)!.callFrame;
      if (frame.functionName === '(idle)') {
        idle += span;
        continue;
      }
      busy += span;
      const { file: source, line } = origin(frame);
      const key = `${frame.functionName || '(anonymous)'}  ${source ? `${source}:${line}` : ''}`.trimEnd();
      self.set(key, (self.get(key) ?? 0) + span);
      const group = groupOf(source, frame.functionName);
      groups.set(group, (groups.get(group) ?? 0) + span);
    }
  }
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)}%`;
  const ms = (v: number) => `${(v / 1000).toFixed(0).padStart(6)} ms`;
  console.log(`  ${ms(busy)} busy, ${ms(idle)} idle in the load window (${((window.end - window.start) / 1e6).toFixed(1)} s)`);
  console.log(`  by self time:`);
  for (const [key, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${ms(v)} ${pct(v)}  ${key}`);
  console.log(`  by package or source folder:`);
  for (const [key, v] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${ms(v)} ${pct(v)}  ${key}`);
}

/** Every profile under a folder, at any depth. */
function profilesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.cpuprofile'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const workloads = workloadArgs.length > 0 ? workloadArgs : Object.keys(windows);
for (const workload of workloads) {
  const pair = windows[workload];
  if (!pair) throw new Error(`no load window for ${workload} in ${join(dir, 'windows.json')} (there are: ${Object.keys(windows).join(', ')})`);
  if ('start' in pair) {
    const profiles = profilesUnder(join(dir, workload));
    console.log(`\n${workload}: ${profiles.length} node${profiles.length === 1 ? '' : 's'} summed`);
    analyse(profiles, pair);
    continue;
  }
  for (const [side, child] of Object.entries(CHILDREN) as Array<[keyof typeof CHILDREN, string]>) {
    const folder = join(dir, workload, child);
    const profiles = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.cpuprofile')) : [];
    if (profiles.length !== 1) {
      console.log(`\n${workload} ${side}: expected one profile in ${folder}, found ${profiles.length}`);
      continue;
    }
    console.log(`\n${workload} ${side} (${join(folder, profiles[0]!)})`);
    analyse([join(folder, profiles[0]!)], pair[side]);
  }
}
