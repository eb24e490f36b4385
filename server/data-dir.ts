// The server's data dir is its user's alone on POSIX: the folder 0700, the database 0600. SQLite
// creates the database's -wal and -shm files with the database file's own mode, so the database is
// made here, empty, before SQLite opens it. A data dir from an older version is tightened the same
// way. (The files folder, its uploads and the secrets files set their own modes as they are made.)
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

/** The files of the data dir itself that must be 0600; parley.db is what sqlite-storage opens. */
const PRIVATE_FILES = ['parley.db', 'parley.db-wal', 'parley.db-shm', 'app-token.json', 'file-capability-key.json'];

export function preparePrivateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return; // ACLs of the user's profile, not modes
  chmodSync(dataDir, 0o700);
  closeSync(openSync(join(dataDir, 'parley.db'), 'a', 0o600));
  for (const name of PRIVATE_FILES) {
    const path = join(dataDir, name);
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}
