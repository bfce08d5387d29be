/**
 * The sparse-checkout contract: a temporary, blobless, shallow work tree of one branch holding only
 * the named paths, files read and written inside it, and one commit pushed under a lease.
 */
import type { Logger } from 'pino';
import type { OutboundGuard } from '../http-client/index.ts';

export interface GitLimits {
  /** Whole-operation deadline for opening the checkout, and again for each commitAndPush. */
  timeoutMs: number;
  /** Refuse (GIT_TOO_LARGE) once .git grows past this; checked while git runs, not only after. */
  maxRepoBytes: number;
}

export interface CommitAndPushInput {
  branch: string;
  message: string;
  author: { name: string; email: string };
  /** null: the branch must not exist yet; otherwise the sha it must still point at (lease). */
  expectedRemoteSha: string | null;
}

export interface SparseCheckout {
  /** The work tree (inside a temp dir). */
  dir: string;
  /** The base commit. */
  headSha: string;
  /** null when the file is absent (or outside the sparse paths); GIT_PATH_REFUSED for paths escaping the repository. */
  readFile(path: string): Promise<string | null>;
  writeFile(path: string, content: string): Promise<void>;
  /**
   * One commit of everything written so far on top of headSha (a second call replaces the first
   * commit rather than stacking on it), pushed with --force-with-lease=refs/heads/<branch>:<expected>,
   * so someone else's push is never overwritten (GIT_LEASE_REJECTED).
   */
  commitAndPush(input: CommitAndPushInput): Promise<{ commitSha: string }>;
  /** The branch's commit on the remote (git ls-remote), null when it does not exist: the value to lease against. */
  remoteBranchHead(branch: string): Promise<string | null>;
  /**
   * Fetches the branch (commits and trees, at most `max` deep, default 100) and lists its commits
   * newer than `since` (exclusive), oldest first: who pushed what on top of our commit. When
   * `since` is not in the branch's history (someone rewrote it), every fetched commit is listed.
   */
  commitsSince(branch: string, since: string, max?: number): Promise<{ sha: string; authorEmail: string | null; committerEmail: string | null }[]>;
  /** Removes the temp dir; safe to call twice. */
  dispose(): Promise<void>;
}

export interface OpenSparseCheckoutInput {
  /** https://host/owner/repo.git (http only for hosts the outbound guard allow-lists). */
  remoteUrl: string;
  token: string;
  baseBranch: string;
  /** Repository-relative file or directory paths to check out. */
  paths: string[];
  limits?: Partial<GitLimits>;
  guard: OutboundGuard;
  logger: Logger;
  /** The git binary; default `git` from /usr/local/bin:/usr/bin:/bin. */
  gitBinary?: string;
  /** Parent of the temp dirs; default the OS temp dir. */
  tempRoot?: string;
}
