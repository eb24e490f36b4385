// Electronegativity over the Electron-relevant sources (main/, preload/, renderer/): fails on any HIGH
// or MEDIUM finding that security/electronegativity-accepted.json does not justify, on a justification
// that no longer matches a finding, on a file it could not parse, and when it scanned or checked nothing.
// It does not read .vue files, so each SFC is staged twice with its line numbers kept: as .vue.html
// (the template, for the HTML checks) and as .vue.ts (only the <script> blocks, for the JS checks).
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { BLOCKING_SEVERITIES, parseAccepted, reviewFindings, type Finding } from './security/review.js';

const root = resolve(import.meta.dirname, '..');
const SCANNED = ['main', 'preload', 'renderer'];
const SCRIPT_EXTENSIONS = /\.(ts|js|html)$/;
const ACCEPTED_FILE = 'security/electronegativity-accepted.json';
// A window it must report, staged beside the sources: proof that the checks ran on what was staged.
const CANARY = { file: 'canary.ts', id: 'CONTEXT_ISOLATION_JS_CHECK', code: 'new BrowserWindow({ webPreferences: { contextIsolation: false } });\n' };
// It fetches Electron's release notes from the network, so its verdict changes with the day, not the
// code; Electron updates are tracked with the other dependencies.
const EXCLUDED_CHECKS = ['availablesecurityfixesglobalcheck'];

interface Level {
  name: string;
}
interface Issue {
  id: string;
  file: string;
  location: { line: number };
  severity: Level;
  confidence: Level;
  description: string;
}
interface Result {
  errors: { file: string; message: string; tolerable: boolean }[];
  issues: Issue[];
}
type Run = (options: Record<string, unknown>) => Promise<Result>;

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity') as Run;
const electronVersion = (require('electron/package.json') as { version: string }).version;

/** Keeps only the <script> blocks' lines, so line numbers still match the .vue file. */
function scriptLinesOnly(sfc: string): string {
  let inScript = false;
  return sfc
    .split('\n')
    .map((line) => {
      if (/^<script\b/.test(line)) inScript = true;
      else if (/^<\/script>/.test(line)) inScript = false;
      else if (inScript) return line;
      return '';
    })
    .join('\n');
}

/** Copies the scanned folders to `dir`, the SFCs in the two shapes Electronegativity reads; returns the files it will scan. */
function stage(dir: string): string[] {
  const files: string[] = [];
  for (const folder of SCANNED) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const source = join(entry.parentPath, entry.name);
      const target = join(dir, relative(root, source));
      if (entry.name.endsWith('.vue')) {
        const sfc = readFileSync(source, 'utf8');
        cpSync(source, `${target}.html`);
        writeFileSync(`${target}.ts`, scriptLinesOnly(sfc));
        files.push(`${target}.html`, `${target}.ts`);
      } else if (SCRIPT_EXTENSIONS.test(entry.name)) {
        cpSync(source, target);
        files.push(target);
      }
    }
  }
  writeFileSync(join(dir, CANARY.file), CANARY.code);
  return files;
}

const staging = mkdtempSync(join(tmpdir(), 'parley-electronegativity-'));
try {
  const staged = stage(staging);
  if (staged.length === 0) throw new Error(`no files to scan in ${SCANNED.join(', ')}`);
  const result = await run({ input: staging, isRelative: true, electronVersionOverride: electronVersion, excludeFromScan: EXCLUDED_CHECKS });

  const unparsed = result.errors.filter((e) => !e.tolerable);
  const all: Finding[] = result.issues.map((issue) => ({
    id: issue.id,
    file: issue.file.replace(/\\/g, '/').replace(/\.vue\.(html|ts)$/, '.vue'),
    line: issue.location.line,
    severity: issue.severity.name,
    confidence: issue.confidence.name,
    description: issue.description,
  }));
  if (!all.some((f) => f.file === CANARY.file && f.id === CANARY.id)) throw new Error(`Electronegativity did not report the canary window (${CANARY.id}): it checked nothing`);
  const findings = all.filter((f) => f.file !== CANARY.file);
  const accepted = parseAccepted(JSON.parse(readFileSync(join(root, ACCEPTED_FILE), 'utf8')));
  const { unaccepted, stale } = reviewFindings(findings, accepted);

  console.log(`Electronegativity (Electron ${electronVersion}): ${staged.length} files from ${SCANNED.join('/, ')}/; ${findings.length} findings`);
  for (const f of findings) {
    const verdict = !BLOCKING_SEVERITIES.includes(f.severity) ? 'info' : unaccepted.includes(f) ? 'NOT ACCEPTED' : 'accepted';
    console.log(`  ${f.severity.padEnd(13)} ${f.id} ${f.file}:${f.line} (${f.confidence}) [${verdict}]`);
  }
  for (const e of unparsed) console.error(`Could not parse ${e.file}: ${e.message}`);
  for (const f of unaccepted) console.error(`${f.severity} ${f.id} in ${f.file}:${f.line}: ${f.description.replace(/\.$/, '')}. Fix it, or justify it in ${ACCEPTED_FILE}.`);
  for (const entry of stale) console.error(`${ACCEPTED_FILE}: ${entry.id} in ${entry.file} matches no finding any more; remove the entry.`);
  if (unparsed.length + unaccepted.length + stale.length > 0) process.exitCode = 1;
  else console.log(`No unaccepted HIGH or MEDIUM findings (${accepted.length} accepted with reasons in ${ACCEPTED_FILE}).`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
