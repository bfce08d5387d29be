/**
 * A fresh PostgreSQL database for one benchmark run: created as `bench_<random>` through an admin
 * connection and dropped afterwards, so runs never see each other's leftovers.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/database.ts';
import type { BenchEnv } from './types.ts';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface AdminTarget {
  url: string;
  /** true when the URL was given (BENCH_DATABASE_URL / TEST_DATABASE_URL): failing to reach it is an error, not a skip. */
  explicit: boolean;
  source: 'BENCH_DATABASE_URL' | 'TEST_DATABASE_URL' | 'default';
}

export function adminTarget(env: BenchEnv): AdminTarget {
  if (env.BENCH_DATABASE_URL) return { url: env.BENCH_DATABASE_URL, explicit: true, source: 'BENCH_DATABASE_URL' };
  if (env.TEST_DATABASE_URL) return { url: env.TEST_DATABASE_URL, explicit: true, source: 'TEST_DATABASE_URL' };
  return { url: DEFAULT_ADMIN_URL, explicit: false, source: 'default' };
}

/** The URL without its credentials, for result files. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

export interface ScratchDatabase {
  url: string;
  name: string;
  serverVersion: string;
  drop(): Promise<void>;
}

async function adminClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Throws when the server does not answer. */
export async function createScratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient(adminUrl);
  let serverVersion: string;
  try {
    const version = await admin.query<{ server_version: string }>('show server_version');
    serverVersion = version.rows[0]?.server_version ?? 'unknown';
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const scratch = new URL(adminUrl);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    name,
    serverVersion,
    async drop() {
      const client = await adminClient(adminUrl);
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Runs `measure` on a fresh scratch database (opened as the service opens PostgreSQL), then closes and
 * drops it. No server at the default URL: `{ status: 'skipped' }`; a URL that was given and does not
 * answer is an error. The result says which server and database were measured.
 */
export async function onScratchPostgres(env: BenchEnv, measure: (database: Database) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const target = adminTarget(env);
  let scratch: ScratchDatabase;
  try {
    scratch = await createScratchDatabase(target.url);
  } catch (error) {
    if (target.explicit) throw new Error(`${target.source} (${describeUrl(target.url)}) did not answer: ${(error as Error).message}`, { cause: error });
    return { status: 'skipped', reason: `no PostgreSQL at ${describeUrl(target.url)} (set BENCH_DATABASE_URL)` };
  }
  try {
    const database = await openDatabase({ kind: 'postgres', url: scratch.url });
    try {
      return { status: 'measured', database: `PostgreSQL ${scratch.serverVersion}`, server: describeUrl(target.url), url_source: target.source, scratch_database: scratch.name, ...(await measure(database)) };
    } finally {
      await database.close();
    }
  } finally {
    await scratch.drop();
  }
}
