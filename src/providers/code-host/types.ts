/**
 * The code-host interface the PR engine builds on: repository and default branch, the tree and file
 * contents, commits and branches over the host's API (or a URL and token for the git transport),
 * pull requests (find, open, update, label, comment and list comments, close). GitHub implements it in
 * src/providers/github/; GitLab would be one more folder. test/providers/code-host/contract.case.ts
 * is the suite every implementation passes.
 */
import type { Logger } from 'pino';
import type { OutboundClient } from '../../http-client/index.ts';
import type { CredentialSource } from '../credentials/index.ts';

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface ParsedRepoUrl extends RepoRef {
  /** https://github.com/acme/web */
  webUrl: string;
  /** The API root for this repository's host (https://api.github.com, https://{host}/api/v3). */
  apiUrl: string;
  /** https://github.com/acme/web.git, for the git transport. */
  gitUrl: string;
}

export interface CodeHostTarget {
  apiUrl: string;
  /** Asked for the credential at each request; a 401 is retried once when the source renews it. */
  credentials: CredentialSource;
  connectionId?: string;
  orgId?: string;
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
  /** The page a person opens. */
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

/** The outcomes the engine reacts to, whatever the host's own error codes. */
export type CodeHostConflict = 'not-found' | 'branch-exists' | 'pull-exists' | 'not-fast-forward';

export interface CodeHostFailure {
  /** A catalogue code. */
  code: string;
  message: string;
  retryable: boolean;
  conflict: CodeHostConflict | null;
}

export interface CodeHost {
  getRepo(ref: RepoRef): Promise<RepoInfo>;
  /** Commit sha at the tip of the branch, null when the branch does not exist (a missing repository is an error). */
  getBranchHead(ref: RepoRef, branch: string): Promise<string | null>;
  getCommit(ref: RepoRef, sha: string): Promise<CommitInfo>;
  /** Recursive and complete. */
  listTree(ref: RepoRef, treeSha: string): Promise<TreeEntry[]>;
  readBlob(ref: RepoRef, sha: string): Promise<Buffer>;
  /** A commit of `files` on top of baseTreeSha with parentSha as its parent. Moves no branch. */
  commitFiles(ref: RepoRef, input: CommitFilesInput): Promise<{ commitSha: string; treeSha: string }>;
  /** Conflict `branch-exists` when the branch is already there. */
  createRef(ref: RepoRef, branch: string, sha: string): Promise<void>;
  /** Conflict `not-fast-forward` when sha does not descend from the tip and force is false. */
  updateRef(ref: RepoRef, branch: string, sha: string, force: boolean): Promise<void>;
  /** Commits reachable from head and not from base, oldest first. */
  listCommitsBetween(ref: RepoRef, base: string, head: string): Promise<CommitSummary[]>;
  /** head is a branch name in ref's repository. */
  findPull(ref: RepoRef, options: { head: string; base?: string; state: 'open' | 'all' }): Promise<PullRef | null>;
  /** Conflict `pull-exists` when an open one for head → base exists. */
  createPull(ref: RepoRef, input: { title: string; body: string; head: string; base: string; maintainerCanModify?: boolean }): Promise<PullRef>;
  updatePull(ref: RepoRef, number: number, input: { title?: string; body?: string }): Promise<PullRef>;
  closePull(ref: RepoRef, number: number): Promise<PullRef>;
  addLabels(ref: RepoRef, number: number, labels: string[]): Promise<void>;
  comment(ref: RepoRef, number: number, body: string): Promise<{ id: number; url: string }>;
  /** The comments on a pull request or issue, oldest first (at most `limit`, default 1000). */
  listComments(ref: RepoRef, number: number, limit?: number): Promise<{ id: number; body: string }[]>;
  whoAmI(): Promise<{ login: string; id: number | null; email: string | null }>;
  /** What an error thrown by this host means, or null when it is not one of the host's errors. */
  failureOf(error: unknown): CodeHostFailure | null;
}

export interface CodeHostDeps {
  http: OutboundClient;
  logger: Logger;
  /** Per-request timeout (OUTBOUND_TIMEOUT_MS); the host's default otherwise. */
  timeoutMs?: number;
}

/** What a code-host provider folder registers (src/providers/registry.ts). */
export interface CodeHostProvider {
  /** The repository a URL names on this host; throws the host's coded error when it is not one. */
  parseRepoUrl(url: string): ParsedRepoUrl;
  create(target: CodeHostTarget, deps: CodeHostDeps): CodeHost;
  /** The host's failures as the engine sees them (also for errors thrown outside a client, e.g. parsing). */
  failureOf(error: unknown): CodeHostFailure | null;
}
