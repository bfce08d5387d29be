/**
 * GitHub as a code host (src/providers/code-host): the registry's entry point. Its errors map to
 * the conflicts the PR engine reacts to, so the engine never names a GitHub error code.
 */
import type { CodeHostConflict, CodeHostFailure, CodeHostProvider } from '../code-host/types.ts';
import { createGitHubClient } from './client.ts';
import { GITHUB_NOT_FAST_FORWARD, GITHUB_NOT_FOUND, GITHUB_PULL_EXISTS, GITHUB_REF_EXISTS, GitHubError } from './errors.ts';
import { parseRepoUrl } from './parse-repo-url.ts';

const CONFLICTS: Readonly<Record<string, CodeHostConflict>> = {
  [GITHUB_NOT_FOUND]: 'not-found',
  [GITHUB_REF_EXISTS]: 'branch-exists',
  [GITHUB_PULL_EXISTS]: 'pull-exists',
  [GITHUB_NOT_FAST_FORWARD]: 'not-fast-forward',
};

export function githubFailureOf(error: unknown): CodeHostFailure | null {
  if (!(error instanceof GitHubError)) return null;
  return { code: error.code, message: error.message, retryable: error.retryable, conflict: CONFLICTS[error.code] ?? null };
}

export const githubCodeHost: CodeHostProvider = {
  parseRepoUrl,
  create: (target, deps) => createGitHubClient(target, { http: deps.http, logger: deps.logger, ...(deps.timeoutMs ? { options: { timeoutMs: deps.timeoutMs } } : {}) }),
  failureOf: githubFailureOf,
};
