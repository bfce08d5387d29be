/**
 * The GitHub client contract the PR engine builds on: repositories, the git data API (trees, blobs,
 * commits, refs), pull requests, labels and comments. Works against api.github.com and GitHub
 * Enterprise Server (`https://{host}/api/v3`). Every method throws GitHubError (see errors.ts).
 */
import type { Logger } from 'pino';
import type { OutboundClient } from '../../http-client/index.ts';

export interface GitHubTarget {
  /** https://api.github.com or https://{host}/api/v3 (GitHub Enterprise Server). */
  apiUrl: string;
  token: string;
  connectionId?: string;
  orgId?: string;
}

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface ParsedRepoUrl extends RepoRef {
  /** https://github.com/acme/web */
  webUrl: string;
  /** https://api.github.com, or https://{host}/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** https://github.com/acme/web.git */
  gitUrl: string;
}

export interface TreeEntry {
  path: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
  mode: string;
}

export interface PullRef {
  number: number;
  /** html_url */
  url: string;
  apiUrl: string;
  state: 'open' | 'closed';
  merged: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  title: string;
  body: string | null;
}

export interface RepoInfo {
  defaultBranch: string;
  private: boolean;
  cloneUrl: string;
  htmlUrl: string;
  canPush: boolean;
}

export interface CommitInfo {
  sha: string;
  treeSha: string;
  parents: string[];
  authorEmail: string | null;
  committerEmail: string | null;
  message: string;
}

export interface CommitFile {
  path: string;
  content: Buffer | string;
  /** Default 100644. */
  mode?: string;
}

export interface CommitFilesInput {
  parentSha: string;
  baseTreeSha: string;
  message: string;
  files: CommitFile[];
  author?: { name: string; email: string };
}

export interface CommitSummary {
  sha: string;
  authorEmail: string | null;
  committerEmail: string | null;
}

export interface GitHubClient {
  getRepo(ref: RepoRef): Promise<RepoInfo>;
  /** Commit sha at the tip of the branch, null when the branch does not exist (GITHUB_NOT_FOUND when the repository does not). */
  getBranchHead(ref: RepoRef, branch: string): Promise<string | null>;
  getCommit(ref: RepoRef, sha: string): Promise<CommitInfo>;
  /** Recursive and complete: when GitHub truncates the listing, subtrees are walked one by one. */
  listTree(ref: RepoRef, treeSha: string): Promise<TreeEntry[]>;
  readBlob(ref: RepoRef, sha: string): Promise<Buffer>;
  /** Tree on top of baseTreeSha, then a commit with parentSha as its parent. Moves no ref. */
  commitFiles(ref: RepoRef, input: CommitFilesInput): Promise<{ commitSha: string; treeSha: string }>;
  /** GITHUB_REF_EXISTS when the branch is already there. */
  createRef(ref: RepoRef, branch: string, sha: string): Promise<void>;
  /** GITHUB_NOT_FAST_FORWARD when sha does not descend from the tip and force is false. */
  updateRef(ref: RepoRef, branch: string, sha: string, force: boolean): Promise<void>;
  /** Commits reachable from head and not from base, oldest first; tells whether someone else pushed to our branch. */
  listCommitsBetween(ref: RepoRef, base: string, head: string): Promise<CommitSummary[]>;
  /** head is a branch name in ref's repository (the owner: prefix is added here). */
  findPull(ref: RepoRef, options: { head: string; base?: string; state: 'open' | 'all' }): Promise<PullRef | null>;
  /** GITHUB_PULL_EXISTS when an open PR for head → base exists (find it and update it instead). */
  createPull(ref: RepoRef, input: { title: string; body: string; head: string; base: string; maintainerCanModify?: boolean }): Promise<PullRef>;
  updatePull(ref: RepoRef, number: number, input: { title?: string; body?: string }): Promise<PullRef>;
  addLabels(ref: RepoRef, number: number, labels: string[]): Promise<void>;
  comment(ref: RepoRef, number: number, body: string): Promise<{ id: number; url: string }>;
  whoAmI(): Promise<{ login: string; email: string | null }>;
}

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
