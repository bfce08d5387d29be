/** Polling and process helpers shared by tests that wait on real workers, jobs and child processes. */
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config/index.ts';
import { type Runtime, startRuntime } from '../../src/runtime.ts';

/** Resolves with the probe's first truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A short-lived runtime on the given environment (for processes that share its database). */
export async function withRuntime<T>(env: Record<string, string>, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await startRuntime(loadConfig(env), { skipClockCheck: true });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Waits until a synchronous check holds (a marker file, a child's state); fails naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
