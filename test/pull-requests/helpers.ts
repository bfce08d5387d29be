/**
 * Shared pieces of the PR engine tests: the real GitHub client against the simulator with the write
 * spacing shrunk (production waits a second between writes, tests need not), and engine deps built
 * from a test service's context.
 */
import type { AppContext } from '../../src/context.ts';
import { createGitHubClient } from '../../src/providers/github/index.ts';
import type { EngineDeps } from '../../src/services/pull-requests/index.ts';

export const FAST_GITHUB = { writeIntervalMs: 0, notificationIntervalMs: 0, secondMs: 10, maxRetries: 1 };

export function engineDeps(context: AppContext, orgId: string, options: { record?: boolean } = {}): EngineDeps {
  return {
    http: context.outbound,
    guard: context.outboundGuard,
    logger: context.logger,
    orm: options.record === false ? null : context.db.orm,
    orgId,
    clientFor: (target) => createGitHubClient(target, { http: context.outbound, logger: context.logger, options: FAST_GITHUB }),
  };
}
