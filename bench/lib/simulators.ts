/**
 * What the fan-out benchmarks measure on a simulator: every request it received (its fault injector's
 * decide() runs once per non-admin request, before the request log; 429s are answered before the log
 * sees them, so the log alone would under-count), requests grouped by path and status, and a phase
 * deadline.
 */
import type { FaultDecision } from '../../test/simulators/common/faults.ts';

interface CountableSimulator {
  admin: { faults: { decide(): FaultDecision } };
}

/** Counts every decision the simulator's fault injector makes, by kind. */
export function countCalls(sim: CountableSimulator): { total(): number; byKind(): Record<string, number>; reset(): void } {
  const injector = sim.admin.faults;
  const original = injector.decide.bind(injector);
  let counts: Record<string, number> = {};
  injector.decide = (): FaultDecision => {
    const decision = original();
    counts[decision.kind] = (counts[decision.kind] ?? 0) + 1;
    return decision;
  };
  return {
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    byKind: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
  };
}

/** Requests received since the log was cleared, grouped as "METHOD /path status". */
export function callsByPath(sim: { admin: { received(): { method: string; path: string; status: number | null }[] } }): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const entry of sim.admin.received()) {
    const key = `${entry.method} ${entry.path} ${entry.status ?? 'no-answer'}`;
    groups[key] = (groups[key] ?? 0) + 1;
  }
  return groups;
}

/** Fails after `ms` with a message naming the phase; the underlying work is left to the cleanup. */
export async function withDeadline<T>(ms: number, phase: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${phase} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
