/**
 * CPU time, for "what does one request cost" figures that survive a noisy shared machine better than
 * wall-clock rates: this process's CPU (all threads, so a load generator in a worker thread counts
 * on both sides of a comparison alike) and, when PostgreSQL runs on this host, the CPU of the
 * backends serving one database (read from /proc; null when they cannot be read).
 */
import { readFileSync } from 'node:fs';
import type { Database } from '../../src/db/database.ts';

/** CPU milliseconds this process has used (user + system). */
export function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const TICKS_PER_SECOND = 100;

function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds used so far by the PostgreSQL backends connected to the database `database`
 * is connected to (its pool's connections), or null when the server is not on this host. Backends
 * that come and go between two readings are missed, so pools should be warm and steady.
 */
export async function postgresBackendsCpuMs(database: Database): Promise<number | null> {
  if (database.kind !== 'postgres') return null;
  const rows = await database.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  let total = 0;
  for (const { pid } of rows) {
    const ms = procCpuMs(pid);
    if (ms === null) return null;
    total += ms;
  }
  return total;
}
