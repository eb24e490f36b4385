// The systemd example (deploy/systemd/) as far as it runs without systemd as PID 1: systemd reads the
// unit without a complaint, and a node started as the unit starts it (its Environment= lines, the
// shared env file, its ExecStart with /opt/parley this checkout) joins PostgreSQL and Redis and
// answers /readyz. What only systemd does (the user, the hardening, restarts) is not run here.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../../bench/support/cluster.js';
import { SERVER_BUNDLE, buildServerIfStale } from '../../scripts/build-server.js';
import { useDeployment } from '../support/deployment.js';
import { onCleanup, until } from '../support/harness.js';

const root = resolve(import.meta.dirname, '../..');
const unit = readFileSync(join(root, 'deploy/systemd/parley@.service'), 'utf8');

const d = useDeployment({ name: 'deploy-units' });

/** The values of a key in the unit's [Service] section, %i and %H expanded. */
function settings(key: string, instance: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.replaceAll('%i', instance).replaceAll('%H', hostname()));
}

/** KEY=value lines of an environment file, comments and blanks left out. */
const environmentFile = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

it('is read by systemd without a complaint', () => {
  // An instance, as systemctl would load it (a template alone is not a unit systemd starts).
  // ExecStart's node is the one running these tests (verify checks that the program exists; the unit
  // expects Node.js at /usr/bin/node, see deploy/README.md).
  const copy = join(d.dir, 'parley@7301.service');
  writeFileSync(copy, unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
  expect(readFileSync(copy, 'utf8')).toContain(`ExecStart=${process.execPath} `);
  const verified = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  expect(verified.error, 'systemd-analyze (Debian: systemd) runs').toBeUndefined();
  // It exits 0 on what it ignores (an unknown key, a bad value): those are on stderr.
  expect(`${verified.stdout}${verified.stderr}`).toBe('');
  expect(verified.status).toBe(0);
});

it('starts a node that joins PostgreSQL and Redis and answers /readyz, from the unit and the example env file', async () => {
  const port = await freePort();
  const instance = String(port);
  const shared = environmentFile(readFileSync(join(root, 'deploy/systemd/parley.env.example'), 'utf8'));
  const own = Object.fromEntries(settings('Environment', instance).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  // The machine's own: this run's database, Redis and dirs instead of the example's.
  const env = {
    ...shared,
    ...own,
    PARLEY_DATABASE_URL: d.database.url,
    PARLEY_REDIS_URL: d.redis.url,
    PARLEY_FILES_DIR: join(d.dir, 'files'),
    PARLEY_DATA_DIR: join(d.dir, 'data', instance),
    PARLEY_APP_TOKEN: 'deploy-units-app-token-0123456789',
  };
  expect(Object.keys(env).sort()).toEqual(Object.keys({ ...shared, ...own }).sort());
  const [execStart] = settings('ExecStart', instance);
  const [binary, ...args] = execStart!.split(' ').map((part) => part.replace('/opt/parley', root));
  expect(binary).toBe('/usr/bin/node');
  buildServerIfStale(SERVER_BUNDLE, () => {});
  // WorkingDirectory=/opt/parley: this checkout; the node running these tests for /usr/bin/node.
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.on('error', (error) => (output += `\n${error.message}`));
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  onCleanup(() => void child.kill('SIGKILL'));
  const ready = async () => {
    if (child.exitCode !== null) throw new Error(`the node exited with ${child.exitCode}: ${output.slice(-2000)}`);
    return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200;
  };
  await until(ready, 'the node ready', 30_000, () => output.slice(-2000));
  const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { node?: string };
  expect(body.node).toBe(`${hostname()}-${instance}`);
  // The drain the unit's KillSignal asks for: exit 0.
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', (exitCode) => resolveExit(exitCode)));
  expect(code, output.slice(-2000)).toBe(0);
});
