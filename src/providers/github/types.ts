/**
 * The GitHub client contract the PR engine builds on: repositories, the git data API (trees, blobs,
 * commits, refs), pull requests, labels and comments. Works against api.github.com and GitHub
 * Enterprise Server (`https://{host}/api/v3`). Every method throws GitHubError (see errors.ts).
 */
import type { Logger } from 'pino';
import type { OutboundClient } from '../../http-client/index.ts';
import type { CodeHost, CodeHostTarget } from '../code-host/types.ts';

export type {
  CodeHostFailure,
  CommitFile,
  CommitFilesInput,
  CommitInfo,
  CommitSummary,
  ParsedRepoUrl,
  PullRef,
  RepoInfo,
  RepoRef,
  TreeEntry,
} from '../code-host/types.ts';

/** https://api.github.com or https://{host}/api/v3 (GitHub Enterprise Server), and the credential source. */
export type GitHubTarget = CodeHostTarget;

/** GitHub implements the code-host interface as it is; every method throws GitHubError. */
export type GitHubClient = CodeHost;

/** Tunables; the defaults suit production, tests shrink the waits. */
export interface GitHubClientOptions {
  /** Per HTTP request. Default 30 s. */
  timeoutMs: number;
  /** Retries of 5xx, timeouts and broken connections, for calls that are safe to resend. Default 2. */
  maxRetries: number;
  /** Retries after a primary or secondary rate limit. Default 2. */
  maxRateLimitRetries: number;
  /** A rate limit asking for a longer wait is given back as GITHUB_RATE_LIMITED (the job queue waits instead). Default 120 s. */
  maxRateLimitWaitMs: number;
  /** Length of one "second" of retry-after and of the retry backoff unit. Default 1000; tests shrink it. */
  secondMs: number;
  /** Minimum spacing of content-creating requests per token, as GitHub asks (at least one second). Default 1000. */
  writeIntervalMs: number;
  /** Minimum spacing of writes that notify people (PRs, comments, labels). Default 3000, octokit's own choice. */
  notificationIntervalMs: number;
  /** Concurrent subtree requests when a truncated tree is walked. Default 8. */
  treeWalkConcurrency: number;
}

export interface GitHubClientDeps {
  http: OutboundClient;
  logger: Logger;
  options?: Partial<GitHubClientOptions>;
}
