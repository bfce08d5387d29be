/**
 * One worker at a time per fix-PR branch: a lease row in `pr_branch_locks`, keyed by the repository
 * (its web URL, which names the host) and the branch. Taking it is one INSERT … ON CONFLICT DO UPDATE
 * that only replaces an expired lease, so of two workers racing for the same branch exactly one gets
 * it, on PostgreSQL and on the embedded database alike (no session-held advisory lock: the embedded
 * database has one connection, and a PR run must not hold a transaction open across GitHub calls).
 * A worker that dies keeps its lease until it expires (the job timeout), which is also when the job
 * queue hands the job to another worker.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { prBranchLocks } from '../../db/schema.ts';

export function branchLockKey(repoWebUrl: string, branch: string): string {
  return `${repoWebUrl.toLowerCase()}#${branch}`;
}

export type LeaseResult = { acquired: true } | { acquired: false; holder: string; retryAfterMs: number };

/** Takes the lease for `ttlSeconds` unless another holder has an unexpired one. */
export async function acquireBranchLock(orm: Orm, key: string, holder: string, ttlSeconds: number): Promise<LeaseResult> {
  const expires = sql`now() + make_interval(secs => ${ttlSeconds}::double precision)`;
  const taken = await orm
    .insert(prBranchLocks)
    .values({ key, holder, expiresAt: expires })
    .onConflictDoUpdate({
      target: prBranchLocks.key,
      set: { holder, expiresAt: expires, createdAt: sql`now()` },
      setWhere: sql`${prBranchLocks.expiresAt} < now() or ${prBranchLocks.holder} = ${holder}`,
    })
    .returning({ holder: prBranchLocks.holder });
  if (taken.length > 0) return { acquired: true };
  const [current] = await orm
    .select({ holder: prBranchLocks.holder, waitMs: sql<number>`greatest(0, extract(epoch from (${prBranchLocks.expiresAt} - now())) * 1000)::float8` })
    .from(prBranchLocks)
    .where(eq(prBranchLocks.key, key));
  // Released between the two statements: the caller may try again at once.
  if (!current) return { acquired: false, holder: '', retryAfterMs: 0 };
  return { acquired: false, holder: current.holder, retryAfterMs: Math.ceil(Number(current.waitMs)) };
}

/** Gives the lease back (only our own). */
export async function releaseBranchLock(orm: Orm, key: string, holder: string): Promise<void> {
  await orm.delete(prBranchLocks).where(and(eq(prBranchLocks.key, key), eq(prBranchLocks.holder, holder)));
}

const POLL_MS = 250;

/**
 * Runs `fn` holding the branch's lease. When another holder has it, waits up to `waitMs` for it
 * (a live holder finishes within seconds); still held then, answers `busy` with how long its lease
 * still runs (the caller retries then) without running `fn`.
 */
export async function withBranchLock<T>(
  orm: Orm,
  input: { repoWebUrl: string; branch: string; holder: string; ttlSeconds: number; waitMs?: number; onWait?: (holder: string) => void },
  fn: () => Promise<T>,
): Promise<{ busy: false; value: T } | { busy: true; holder: string; retryAfterMs: number }> {
  const key = branchLockKey(input.repoWebUrl, input.branch);
  const deadline = Date.now() + (input.waitMs ?? 0);
  let lease = await acquireBranchLock(orm, key, input.holder, input.ttlSeconds);
  if (!lease.acquired) input.onWait?.(lease.holder);
  while (!lease.acquired && Date.now() + POLL_MS <= deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, lease.acquired ? 0 : lease.retryAfterMs))));
    lease = await acquireBranchLock(orm, key, input.holder, input.ttlSeconds);
  }
  if (!lease.acquired) return { busy: true, holder: lease.holder, retryAfterMs: lease.retryAfterMs };
  try {
    return { busy: false, value: await fn() };
  } finally {
    await releaseBranchLock(orm, key, input.holder);
  }
}
