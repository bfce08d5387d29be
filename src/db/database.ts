/**
 * Opens the database the service runs on: PostgreSQL when DATABASE_URL is set (any number of API and
 * worker processes share it), else an embedded PGlite database in DATA_DIR (zero setup, one process).
 * Both are driven through the same drizzle schema and the same migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema.ts';

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string | null };

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  readonly orm: Orm;
  /** Raw SQL with positional parameters, for the few statements drizzle does not express. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** The PGlite instance (embedded) or connection URL (postgres), for pg-boss. */
  readonly pglite: PGlite | null;
  readonly url: string | null;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * node-postgres errors do not say which statement failed; PGlite's and drizzle's carry `query` and
 * `params`. Attach the same (not enumerable), so the log serializer (src/logging/redact.ts) can
 * write the statement's shape and withhold the values, whichever driver failed.
 */
function withStatement(error: unknown, query: string, params: unknown[]): unknown {
  if (error !== null && typeof error === 'object' && !('params' in error)) {
    Object.defineProperties(error, { query: { value: query, configurable: true }, params: { value: params, configurable: true } });
  }
  return error;
}

/** `dir: null` opens an in-memory embedded database (tests). */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: 10, idleTimeoutMillis: 30_000 });
    // Without a listener an idle client's network error would crash the process.
    pool.on('error', () => {});
    const orm = drizzlePg(pool, { schema }) as unknown as Orm;
    let closed = false;
    return {
      kind: 'postgres',
      orm,
      pglite: null,
      url: target.url,
      async query<Row>(text: string, params: unknown[] = []) {
        const result = await pool.query(text, params).catch((error: unknown) => {
          throw withStatement(error, text, params);
        });
        return result.rows as Row[];
      },
      async ping() {
        await pool.query('select 1');
      },
      async close() {
        if (closed) return;
        closed = true;
        await pool.end();
      },
    };
  }
  if (target.dir) fs.mkdirSync(path.dirname(target.dir), { recursive: true });
  const pglite = target.dir ? await PGlite.create(target.dir) : await PGlite.create();
  const orm = drizzlePglite(pglite, { schema }) as unknown as Orm;
  return {
    kind: 'embedded',
    orm,
    pglite,
    url: null,
    async query<Row>(text: string, params: unknown[] = []) {
      const result = await pglite.query<Row>(text, params);
      return result.rows;
    },
    async ping() {
      await pglite.query('select 1');
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}

export function databaseTarget(config: { databaseUrl: string | null; dataDir: string }): DatabaseTarget {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl }
    : { kind: 'embedded', dir: path.join(config.dataDir, 'pgdata') };
}
