/** `migrate`: apply pending database migrations and exit. */
import { databaseTarget, openDatabase } from '../../db/database.ts';
import { pendingMigrations, runMigrations } from '../../db/migrate.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';

export const summary = 'apply pending database migrations and exit';

export async function run(args: string[], io: CliIo): Promise<number> {
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  const db = await openDatabase(databaseTarget(config));
  try {
    if (args.includes('--status')) {
      const pending = await pendingMigrations(db);
      io.stdout(`${JSON.stringify({ database: db.kind, pending })}\n`);
      return pending === 0 ? 0 : 1;
    }
    const { applied } = await runMigrations(db);
    io.stdout(`${JSON.stringify({ database: db.kind, applied })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
