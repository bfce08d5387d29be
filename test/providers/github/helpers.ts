/** Builds a GitHub client wired like production: outbound client with the guard allow-listing the local simulator. */
import { type Logger, pino } from 'pino';
import { createOutboundClient, createOutboundGuard, type OutboundCallEvent, type OutboundClient } from '../../../src/http-client/index.ts';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions, type GitHubTarget } from '../../../src/providers/github/index.ts';

export const silentLogger: Logger = pino({ level: 'silent' });

/** A logger whose lines (as JSON text) are kept, to check that no secret reaches them. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

export function outbound(logger: Logger = silentLogger, onCall?: (event: OutboundCallEvent) => void): OutboundClient {
  return createOutboundClient({
    logger,
    ...(onCall ? { onCall } : {}),
    guard: createOutboundGuard({ allowedHosts: ['127.0.0.1', 'localhost'] }),
    defaultTimeoutMs: 10_000,
    // The GitHub client asks for one attempt per request; this default must not matter.
    maxRetries: 2,
    backoff: { baseDelayMs: 20, maxBackoffMs: 200 },
  });
}

/** Waits scaled down 100×, writes not spaced: tests stay fast, the logic is the same. */
export const FAST: Partial<GitHubClientOptions> = { secondMs: 10, writeIntervalMs: 0, notificationIntervalMs: 0 };

export function makeClient(
  target: GitHubTarget,
  extra: { http?: OutboundClient; logger?: Logger; options?: Partial<GitHubClientOptions> } = {},
): { client: GitHubClient; http: OutboundClient } {
  const logger = extra.logger ?? silentLogger;
  const http = extra.http ?? outbound(logger);
  return { client: createGitHubClient(target, { http, logger, options: { ...FAST, ...extra.options } }), http };
}

export const uniqueName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

export async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof type)) throw new Error(`expected ${type.name}, got ${error === undefined ? 'success' : String(error)}`);
  return error;
}
