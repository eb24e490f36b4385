// Opening a SQLite file the way both the server and the engine want it: WAL, one writer,
// numbered migrations tracked in user_version (each applied once, in its own transaction), and
// private to its owner on POSIX: a folder it creates is 0700, the database and its -wal and -shm
// files 0600 (SQLite gives -wal and -shm the database's mode; an older install's 0644 files are
// tightened on open).
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

export interface OpenOptions {
  /** The database file's mode on POSIX (default 0600), also given to its -wal and -shm files. */
  fileMode?: number;
  /** The mode of the folders created for it on POSIX (default 0700); an existing folder is left as it is. */
  dirMode?: number;
  /** WAL pages before a checkpoint copies them into the database (SQLite's default 1000, 4 MB). */
  walAutocheckpoint?: number;
}

const POSIX = process.platform !== 'win32';

/** better-sqlite3's addon, when not the one in node_modules (npm start's Electron host: one built for Electron's ABI). */
let nativeBinding: string | undefined;

/** Opens every later database with the addon at `path`; set once at launch, before the first open. */
export function useSqliteAddon(path: string): void {
  nativeBinding = path;
}

export function openDatabase(file: string, migrations: readonly string[], options: OpenOptions = {}): Db {
  const fileMode = options.fileMode ?? 0o600;
  mkdirSync(dirname(file), { recursive: true, mode: options.dirMode ?? 0o700 });
  // Created with its mode before SQLite opens it, so it is never readable by others, not even briefly.
  if (POSIX && file !== ':memory:') closeSync(openSync(file, 'a', fileMode));
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (options.walAutocheckpoint !== undefined) db.pragma(`wal_autocheckpoint = ${Math.trunc(options.walAutocheckpoint)}`);
  if (POSIX && file !== ':memory:') {
    for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, fileMode);
  }
  migrate(db, migrations);
  return db;
}

function migrate(db: Db, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this build knows (${migrations.length})`);
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
