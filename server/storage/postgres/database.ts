// The connection side of the PostgreSQL storage: a pg Pool with the types Parley reads, every query
// parameterised and named (each connection parses and plans it once), transactions on one pooled
// connection, the numbered migrations, and one rule for what a lost database looks like to callers:
// ParleyError 'unavailable', retryable, with nothing half-written (a statement or transaction the
// database did not commit left nothing).
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { ParleyError } from '../../../protocol/index.js';

/** Connections per node: each runs one statement at a time, and a message is one statement. */
export const DEFAULT_POOL_SIZE = 10;
/**
 * Queries waiting for a connection at most (a few seconds of the most one node writes): past it the
 * database cannot keep up, and a new one is refused as busy rather than queued without end.
 */
export const MAX_WAITING = 20_000;
/** How long a query waits for a new connection before the database counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * A session idle this long inside a transaction is ended by PostgreSQL, which undoes it: Parley's
 * transactions never pause between statements, so it is a node that died without closing its
 * connection (a host gone, no FIN), whose row locks would otherwise hold every write to those
 * conversations until TCP keepalive notices, two hours by default.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_MS = 10_000;
/** Advisory lock held while migrating: nodes starting together migrate one at a time. ('parley' in ASCII.) */
const MIGRATION_LOCK = 0x7061726c6579;

/**
 * int8 (every seq, time and count) as a JS number: they stay far below 2^53. numeric is never read
 * (sums are cast to bigint).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A statement: its name is its identity on every connection, so one text is one name. */
export interface Statement {
  name: string;
  text: string;
}

export interface Queryable {
  query<R extends QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<R[]>;
}

/** Inside a transaction: statements without parameters too, several in one text (a migration). */
export interface Transaction extends Queryable {
  exec(text: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Applies the migrations this database has not had yet, each in its own transaction. */
  migrate(migrations: readonly string[]): Promise<void>;
  close(): Promise<void>;
  readonly pool: pg.Pool;
}

// SQLSTATE classes and codes that mean the database, not the request, failed: a connection lost or
// refused, the server shutting down or out of connections, a transaction chosen to give way, a
// session ended for idling inside its transaction.
const UNAVAILABLE_CLASSES = ['08', '53', '57P'];
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '25P03']);

/**
 * Whether an error from pg means "the database is not there right now". Errors without a SQLSTATE
 * come from the connection itself (a socket refused or reset, pg's "Connection terminated", a
 * connect timeout); a SQLSTATE error is the database's answer to the statement, so only the classes
 * above count.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof ParleyError || !(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.some((c) => code.startsWith(c));
  }
  return true;
}

/**
 * The error a caller sees: 'unavailable' for a lost database; bad_request for text holding U+0000
 * (which PostgreSQL cannot store and SQLite keeps); the database's own otherwise.
 */
export function asParleyError(error: unknown): unknown {
  if (isUnavailable(error)) return new ParleyError('unavailable', 'the database is unreachable; retry shortly');
  const state = sqlState(error);
  if (state === '22021' || state === '22P05') return new ParleyError('bad_request', 'text with a NUL character (U+0000) cannot be stored');
  return error;
}

/** SQLSTATE of a database error, if it is one. */
export const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A unique index or constraint refused the row; which one, by name. */
export const uniqueViolation = (error: unknown): string | null =>
  sqlState(error) === '23505' ? ((error as { constraint?: string }).constraint ?? '') : null;

export interface DatabaseOptions {
  poolSize?: number;
  /** Default DEFAULT_IDLE_IN_TRANSACTION_MS. */
  idleInTransactionMs?: number;
  /** Told about a connection that failed while idle (the pool replaces it). */
  log: (message: string, error: unknown) => void;
}

export async function openDatabase(url: string, options: DatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    types,
    application_name: 'parley',
    // Every statement is named and run with parameters: plan it once per connection. Otherwise the
    // first executions, and any whose plan PostgreSQL keeps custom, are planned anew each time, and
    // planning the message statement costs more than running it (measured: 2.6 → 0.85 ms of
    // PostgreSQL CPU per message with its two receipts). A session idle in a transaction is ended
    // (DEFAULT_IDLE_IN_TRANSACTION_MS).
    options: `-c plan_cache_mode=force_generic_plan -c idle_in_transaction_session_timeout=${options.idleInTransactionMs ?? DEFAULT_IDLE_IN_TRANSACTION_MS}`,
  });
  // An idle connection the database dropped: without a listener, pg's 'error' event ends the process.
  pool.on('error', (error) => options.log('a database connection failed while idle', error));

  const run = async <R extends QueryResultRow>(on: pg.Pool | PoolClient, statement: Statement, values: readonly unknown[]): Promise<R[]> => {
    try {
      return (await on.query<R>({ name: statement.name, text: statement.text, values: values as unknown[] })).rows;
    } catch (error) {
      throw asParleyError(error);
    }
  };

  const checkout = async (): Promise<PoolClient> => {
    if (pool.waitingCount >= MAX_WAITING) throw new ParleyError('rate_limited', 'the server is busy writing; retry shortly');
    try {
      return await pool.connect();
    } catch (error) {
      throw asParleyError(error);
    }
  };

  const simple = async (client: PoolClient, text: string) => {
    try {
      await client.query(text);
    } catch (error) {
      throw asParleyError(error);
    }
  };

  const transaction = async <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => {
    const client = await checkout();
    let broken: Error | undefined;
    try {
      await simple(client, 'BEGIN');
      const result = await work({ query: (statement, values) => run(client, statement, values), exec: (text) => simple(client, text) });
      await simple(client, 'COMMIT');
      return result;
    } catch (error) {
      // A connection that failed is dropped, not pooled; otherwise the transaction is undone here.
      if (isUnavailable(error) || (error instanceof ParleyError && error.code === 'unavailable')) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  };

  const db: Database = {
    pool,
    query: (statement, values) => {
      if (pool.waitingCount >= MAX_WAITING) return Promise.reject(new ParleyError('rate_limited', 'the server is busy writing; retry shortly'));
      return run(pool, statement, values);
    },
    transaction,
    async migrate(migrations) {
      for (;;) {
        const applied = await transaction(async (tx) => {
          // Under the lock, each node sees what the one before it did.
          await tx.query({ name: 'migration-lock', text: 'SELECT pg_advisory_xact_lock($1)' }, [MIGRATION_LOCK]);
          await tx.query(
            { name: 'migration-table', text: 'CREATE TABLE IF NOT EXISTS parley_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)' },
            [],
          );
          const [{ version }] = await tx.query<{ version: number }>(
            { name: 'migration-version', text: 'SELECT COALESCE(MAX(version), 0) AS version FROM parley_migrations' },
            [],
          ) as [{ version: number }];
          if (version > migrations.length) {
            throw new Error(`the database's schema version ${version} is newer than this build knows (${migrations.length})`);
          }
          if (version === migrations.length) return false;
          await tx.exec(migrations[version]!);
          await tx.query({ name: 'migration-done', text: 'INSERT INTO parley_migrations (version, applied_at) VALUES ($1, $2)' }, [version + 1, Date.now()]);
          return true;
        });
        if (!applied) return;
      }
    },
    close: () => pool.end(),
  };

  // Reached and usable before anything starts on it: a wrong address fails the start, clearly.
  const [{ server_encoding: encoding }] = (await db.query<{ server_encoding: string }>({ name: 'server-encoding', text: 'SHOW server_encoding' }, [])) as [
    { server_encoding: string },
  ];
  if (encoding !== 'UTF8') {
    await pool.end();
    throw new Error(`the database's encoding is ${encoding}; Parley needs UTF8 (CREATE DATABASE … ENCODING 'UTF8')`);
  }
  return db;
}
