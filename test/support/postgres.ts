// A database of its own for each test that asks: created on the local PostgreSQL with a random name,
// dropped at cleanup(). PostgreSQL is required, never skipped: when it cannot be reached the test
// fails saying so (.ci/run starts it, or installs it, first).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onCleanup } from './temp.js';

/** The server to make test databases on (a role that may CREATE DATABASE). */
export const POSTGRES_ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs `sql` (with parameters) on the admin connection of the test server, or on the database of `url`. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = [], url = POSTGRES_ADMIN_URL): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (${(error as Error).message}); these tests need it: .ci/run starts or installs it, or set PARLEY_TEST_POSTGRES_URL`,
      { cause: error },
    );
  }
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The URL of a new, empty database, dropped (its connections ended) at the next cleanup(). */
export async function testDatabase(): Promise<string> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  onCleanup(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Ends every connection to the database of `url` from the server's side, as a database restart would. */
export async function terminateConnections(url: string): Promise<number> {
  const name = new URL(url).pathname.slice(1);
  const rows = await adminQuery<{ ended: boolean }>(
    'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  return rows.filter((r) => r.ended).length;
}
