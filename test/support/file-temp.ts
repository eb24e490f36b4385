// Temp folders that live as long as a vitest test file (for what a beforeAll opens, or a file that
// does not call cleanup()).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A tempDir() whose folders are removed when the test file ends. Call it at the top level of the file. */
export function fileTempDirs(prefix = 'parley-test-'): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
