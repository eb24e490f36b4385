// The atomic, optionally sealed JSON file helper, on real temp dirs: replace by rename, the default
// for every kind of bad file (with a log line), sealing, versions, and files written before versions.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { readJsonFile, writeJsonFile, type Codec, type JsonFile } from '../../common/node/json-file.js';
import { fileTempDirs } from '../support/file-temp.js';

const tempDir = fileTempDirs('parley-json-file-');

const Prefs = z.strictObject({ name: z.string(), count: z.number().int() });
type Prefs = z.infer<typeof Prefs>;
const DEFAULT: Prefs = { name: 'nobody', count: 0 };

/** Stands in for safeStorage: refuses what another key sealed. */
const keyed = (key: string): Codec => ({
  seal: (plain) => `${key}:${Buffer.from(plain).toString('base64')}`,
  open: (sealed) => {
    if (!sealed.startsWith(`${key}:`)) throw new Error('sealed with another key');
    return Buffer.from(sealed.slice(key.length + 1), 'base64').toString();
  },
});

const prefsFile = (path: string, extra: Partial<JsonFile<Prefs>> = {}): JsonFile<Prefs> => ({ path, schema: Prefs, version: 1, default: DEFAULT, ...extra });

describe('json file', () => {
  it('reads the default when missing, without a log line, and hands out a copy', () => {
    const log = vi.fn();
    const file = prefsFile(join(tempDir(), 'prefs.json'));
    const read = readJsonFile(file, log);
    expect(read).toEqual(DEFAULT);
    read.count = 5;
    expect(readJsonFile(file, log)).toEqual(DEFAULT);
    expect(log).not.toHaveBeenCalled();
  });

  it('writes { version, ...data }, making its folder, and replaces the old file by a rename', () => {
    const file = prefsFile(join(tempDir(), 'deep', 'er', 'prefs.json'), { mode: 0o600 });
    writeJsonFile(file, { name: 'ann', count: 1 });
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toEqual({ version: 1, name: 'ann', count: 1 });
    if (process.platform !== 'win32') expect(statSync(file.path).mode & 0o777).toBe(0o600);
    const before = statSync(file.path).ino;
    writeJsonFile(file, { name: 'bea', count: 2 });
    expect(readJsonFile(file, () => {})).toEqual({ name: 'bea', count: 2 });
    // A new file took the old one's name: the old file was never rewritten in place.
    expect(statSync(file.path).ino).not.toBe(before);
    expect(existsSync(`${file.path}.tmp`)).toBe(false);
  });

  it('keeps the old file whole when a write dies before the rename', () => {
    const path = join(tempDir(), 'prefs.json');
    writeJsonFile(prefsFile(path), { name: 'ann', count: 1 });
    const dying = prefsFile(path, { codec: { seal: () => { throw new Error('died mid-write'); }, open: (s) => s } });
    expect(() => writeJsonFile(dying, { name: 'bea', count: 2 })).toThrow('died mid-write');
    // What a crash mid-write leaves: half a temp file beside the real one.
    writeFileSync(`${path}.tmp`, '{"version":1,"name":"be');
    expect(readJsonFile(prefsFile(path), () => {})).toEqual({ name: 'ann', count: 1 });
    // The next write goes over the leftover.
    writeJsonFile(prefsFile(path), { name: 'cy', count: 3 });
    expect(readJsonFile(prefsFile(path), () => {})).toEqual({ name: 'cy', count: 3 });
  });

  it('reads every kind of bad file as the default, with a log line that names the fault but not the contents', () => {
    const path = join(tempDir(), 'prefs.json');
    const cases: Array<[string, string]> = [
      ['{"name":"ann",', 'is not JSON'],
      ['[1,2]', 'is not a JSON object'],
      ['null', 'is not a JSON object'],
      ['{"version":2,"name":"ann","count":1}', 'is version 2, not 1'],
      ['{"version":"1","name":"ann","count":1}', 'is version "1", not 1'],
      ['{"version":1,"name":"secret-password","count":"x"}', 'does not match its schema at count'],
      ['{"name":"ann","count":1,"extra":true}', 'does not match its schema at (top)'],
    ];
    for (const [text, reason] of cases) {
      const log = vi.fn();
      writeFileSync(path, text);
      expect(readJsonFile(prefsFile(path), log), text).toEqual(DEFAULT);
      expect(log).toHaveBeenCalledExactlyOnceWith(`prefs.json ${reason}; using the defaults`, path);
    }
    // A folder where the file should be cannot be read at all.
    const log = vi.fn();
    expect(readJsonFile(prefsFile(tempDir()), log)).toEqual(DEFAULT);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/cannot be read; using the defaults$/), expect.anything());
  });

  it('reads a file written before versions as version 1', () => {
    const path = join(tempDir(), 'prefs.json');
    writeFileSync(path, '{"name":"ann","count":1}');
    expect(readJsonFile(prefsFile(path), () => {})).toEqual({ name: 'ann', count: 1 });
    const sealed = prefsFile(path, { codec: keyed('k1') });
    writeFileSync(path, keyed('k1').seal('{"name":"bea","count":2}'));
    expect(readJsonFile(sealed, () => {})).toEqual({ name: 'bea', count: 2 });
  });

  it('round-trips through its codec, and reads what another key sealed as the default', () => {
    const path = join(tempDir(), 'prefs.json');
    writeJsonFile(prefsFile(path, { codec: keyed('k1') }), { name: 'ann', count: 7 });
    expect(readFileSync(path, 'utf8')).toMatch(/^k1:/);
    expect(readFileSync(path, 'utf8')).not.toContain('ann');
    expect(readJsonFile(prefsFile(path, { codec: keyed('k1') }), () => {})).toEqual({ name: 'ann', count: 7 });

    const log = vi.fn();
    expect(readJsonFile(prefsFile(path, { codec: keyed('k2') }), log)).toEqual(DEFAULT);
    expect(log).toHaveBeenCalledExactlyOnceWith('prefs.json cannot be unsealed; using the defaults', path);
    // No codec at all (the keychain went away): the sealed text is no JSON.
    log.mockClear();
    expect(readJsonFile(prefsFile(path), log)).toEqual(DEFAULT);
    expect(log).toHaveBeenCalledExactlyOnceWith('prefs.json is not JSON; using the defaults', path);
  });
});
