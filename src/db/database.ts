/**
 * Opens the database the service runs on: PostgreSQL when DATABASE_URL is set (any number of API and
 * worker processes share it), else an embedded PGlite database in DATA_DIR (zero setup, one process).
 * Both are driven through the same drizzle schema and the same migrations.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite, types } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema.ts';

const execFileAsync = promisify(execFile);

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string | null };

/** Raw SQL inside one transaction (Database.transaction). */
export interface SqlTransaction {
  /**
   * Positional parameters (`$1`…); a JS array is sent as a PostgreSQL array. `name` prepares the
   * statement once per connection (PostgreSQL) and reuses its plan: for hot statements whose text
   * never changes (one text per name). Statements issued without awaiting the previous one (e.g.
   * Promise.all) run in the order issued; on PostgreSQL they go out together and share one round
   * trip (pg's pipeline mode), and once one fails the rest fail with it (the transaction is aborted).
   */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[], options?: { name?: string }): Promise<Row[]>;
  /**
   * Ends the work with statements whose answers COMMIT need not wait for. `issue` issues them
   * (through `query`, or through a library given this transaction) and calls `issued()` once they are
   * all handed over; where the transaction pipelines, COMMIT is sent right then, behind them, and
   * shares their round trip. If they fail, the transaction is rolled back (a failed statement aborts
   * it, so the COMMIT behind it rolls back) and their error is thrown; if `issue` fails before
   * calling `issued()`, nothing is committed. Resolves with `issue`'s result once committed. At most
   * once per transaction, as its last step.
   */
  commitAfter<T>(issue: (issued: () => void) => Promise<T>): Promise<T>;
}

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  readonly orm: Orm;
  /** Raw SQL with positional parameters, for the few statements drizzle does not express. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Raw SQL statements in one transaction, committed when `work` resolves and rolled back when it
   * throws. For hot paths where drizzle's query building costs more than the statement (the webhook
   * ingest's group commit); everything else uses `orm.transaction`. On PostgreSQL they run on
   * connections of their own in pipeline mode: BEGIN goes out with the first statement, and
   * statements issued together share a round trip (SqlTransaction.query).
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** The PGlite instance (embedded) or connection URL (postgres), for pg-boss. */
  readonly pglite: PGlite | null;
  readonly url: string | null;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * PostgreSQL settings inside PGlite. Its WASM heap never shrinks, so every buffer PostgreSQL touches
 * stays resident: initdb's `shared_buffers = 128MB` alone cost about 120 MB of RSS (bench: `memory`).
 * One backend on a small local database needs far less; the settings are passed at start, so they
 * apply to data folders created by older versions too.
 */
const embeddedStartParams = [
  ...PGlite.defaultStartParams,
  ...['shared_buffers=16MB', 'maintenance_work_mem=16MB', 'temp_buffers=2MB'].flatMap((setting) => ['-c', setting]),
];

/**
 * A new data folder is created (initdb) in a short-lived child process: PGlite runs initdb in a
 * second WASM instance whose memory the process keeps after it is closed (about 150 MB, measured),
 * and a service on a fresh folder would otherwise hold that for its whole life.
 */
async function initEmbeddedInChildProcess(dir: string): Promise<void> {
  const script = fileURLToPath(new URL('./embedded-init.ts', import.meta.url));
  const { stderr } = await execFileAsync(process.execPath, [script, dir], { timeout: 120_000 }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`could not create the embedded database in ${dir}: ${(error.stderr ?? '').trim() || error.message}`);
  });
  if (stderr.trim()) process.stderr.write(stderr);
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
    // The raw transactions' connections: pipelined, so statements issued together share a round
    // trip (BEGIN goes with the first statement, COMMIT behind the last ones: SqlTransaction.commitAfter);
    // the ingest's group commit takes two (bench webhook-ingest). Two connections: it writes at most
    // two groups at a time.
    const pipelinedPool = new pg.Pool({ connectionString: target.url, max: 2, idleTimeoutMillis: 30_000, pipeline: true });
    pipelinedPool.on('error', () => {});
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
      async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
        const client = await pipelinedPool.connect();
        let broken: unknown = null;
        // Sent now, answered with the first statement's round trip. A BEGIN that fails leaves the
        // connection unusable, and so fails the statements behind it as well.
        const begun = client.query('begin');
        begun.catch(() => {});
        let commit: Promise<unknown> | null = null;
        const sendCommit = () => {
          commit ??= client.query('commit');
          return commit;
        };
        try {
          const result = await work({
            async query<Row>(text: string, params: unknown[] = [], options: { name?: string } = {}) {
              const done = await client.query(options.name ? { name: options.name, text, values: params } : { text, values: params }).catch((error: unknown) => {
                throw withStatement(error, text, params);
              });
              return done.rows as Row[];
            },
            async commitAfter<T>(issue: (issued: () => void) => Promise<T>): Promise<T> {
              if (commit) throw new Error('commitAfter: the transaction is already committing');
              let markIssued!: () => void;
              const issued = new Promise<void>((resolve) => {
                markIssued = resolve;
              });
              const outcome = issue(markIssued);
              outcome.catch(() => {});
              // A failure before everything was issued rejects here, before any COMMIT is sent.
              await Promise.race([issued, outcome]);
              const [last, committed] = await Promise.allSettled([outcome, sendCommit()]);
              if (last.status === 'rejected') throw last.reason;
              if (committed.status === 'rejected') throw committed.reason;
              return last.value;
            },
          });
          await begun;
          await sendCommit();
          return result;
        } catch (error) {
          await client.query('rollback').catch((rollbackError: unknown) => {
            // A connection that cannot roll back is not given back to the pool.
            broken = rollbackError;
          });
          throw error;
        } finally {
          client.release(broken instanceof Error ? broken : undefined);
        }
      },
      async ping() {
        await pool.query('select 1');
      },
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all([pool.end(), pipelinedPool.end()]);
      },
    };
  }
  if (target.dir) {
    fs.mkdirSync(path.dirname(target.dir), { recursive: true });
    if (!fs.existsSync(path.join(target.dir, 'PG_VERSION'))) await initEmbeddedInChildProcess(target.dir);
  }
  const options = {
    startParams: embeddedStartParams,
    // bytea goes as it is, and PGlite then binds it in binary; it is read back from hex text
    // natively. PGlite's own converters go byte by byte in JavaScript (a string per byte), and a
    // group of webhook payloads is hundreds of kilobytes (bench webhook-ingest).
    serializers: { [types.BYTEA]: (value: Uint8Array | string) => value as string },
    // Hex is bytea's default output, which PGlite's own parser assumes as well.
    parsers: { [types.BYTEA]: (text: string) => Buffer.from(text.slice(2), 'hex') },
  };
  const pglite = target.dir ? await PGlite.create(target.dir, options) : await PGlite.create(options);
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
    async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
      // One connection: PGlite runs the transaction's statements exclusively until it ends.
      return pglite.transaction((tx) =>
        work({
          // Statements issued together still run in the order issued: PGlite queues them.
          async query<Row>(text: string, params: unknown[] = []) {
            return (await tx.query<Row>(text, params)).rows;
          },
          // Nothing to gain on one in-process connection: the statements run, then PGlite commits.
          commitAfter: (issue) => issue(() => {}),
        }),
      );
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
