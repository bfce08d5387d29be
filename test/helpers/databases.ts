/**
 * The databases every storage-touching test runs against: the embedded one always, PostgreSQL when
 * TEST_DATABASE_URL is set. Each PostgreSQL test gets a fresh database of its own (created through
 * an admin connection, dropped at close), so leftovers from earlier runs never interfere.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/database.ts';

export type DatabaseKind = 'embedded' | 'postgres';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL || null;

export function databaseKinds(): DatabaseKind[] {
  return testDatabaseUrl ? ['embedded', 'postgres'] : ['embedded'];
}

export interface TestDatabase {
  db: Database;
  /** For postgres: the URL of the fresh database, for child processes. */
  url: string | null;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl ?? '' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty PostgreSQL database and returns its URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `is_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin(async (client) => {
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        await client.query(`drop database if exists ${name}`);
      }),
  };
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'embedded') {
    const db = await openDatabase({ kind: 'embedded', dir: null });
    return { db, url: null, drop: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = await openDatabase({ kind: 'postgres', url: created.url });
  return {
    db,
    url: created.url,
    async drop() {
      await db.close();
      await created.drop();
    },
  };
}
