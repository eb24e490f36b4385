// For the migration tests: a fixture database copied into a temp dir (never migrated in place), and
// the user_version a database file is at.
import Database from 'better-sqlite3';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** A copy of test/fixtures/<fixture> at <temp dir>/<as>; answers its path. */
export function fixtureCopy(fixture: string, as: string): string {
  const file = join(tempDir(), as);
  copyFileSync(join(FIXTURES, fixture), file);
  return file;
}

export function userVersion(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}
