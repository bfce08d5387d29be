/** Shared set-up for the git tests: the simulator, a guard allow-listing it, a private temp root, captured logs. */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { createOutboundGuard, type OutboundGuard } from '../../src/http-client/index.ts';

export const localGuard: OutboundGuard = createOutboundGuard({ allowedHosts: ['127.0.0.1'] });

export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

/** A temp root of the test's own, so counting leftover dirs is not disturbed by other tests. */
export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'git-test-root-'));
}

export async function leftovers(root: string): Promise<string[]> {
  return (await readdir(root)).filter((name) => name.startsWith('integration-git-'));
}

export async function rejected(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error as Error & { code?: string };
}

export const uniqueBranch = (prefix: string): string => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
