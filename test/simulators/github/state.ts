/**
 * In-memory state of the simulator that git itself does not hold: users and tokens, repository
 * metadata, pull requests, comments, labels, webhooks. Branches, commits and files always come from
 * the bare repositories (see git-plumbing.ts), never from here.
 */
import { randomBytes } from 'node:crypto';

export interface SimUser {
  login: string;
  id: number;
  name: string;
  email: string;
}

export interface TokenGrant {
  token: string;
  user: SimUser;
  /** false = a token whose permissions forbid pushes, PRs, comments (403 on writes). */
  write: boolean;
  /** Installation access tokens (`ghs_…`): which installation, when they expire, what they may do. */
  installation?: {
    id: number;
    appId: number;
    expiresAt: number;
    /** e.g. `{ contents: 'write', pull_requests: 'write', issues: 'write', metadata: 'read' }`. */
    permissions: Record<string, string>;
    /** Lower-case full names the token reaches. */
    repos: Set<string>;
  };
}

/** Time for expiring credentials (installation tokens, app JWTs); tests move it with `admin.advanceClock`. */
export interface SimClock {
  now(): number;
}

export interface RepoRecord {
  owner: string;
  name: string;
  fullName: string;
  id: number;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  gitDir: string;
  createdAt: string;
  pushedAt: string;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface PullRecord {
  id: number;
  number: number;
  repo: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  user: SimUser;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: SimUser | null;
  labels: string[];
  maintainerCanModify: boolean;
}

export interface CommentRecord {
  id: number;
  repo: string;
  issueNumber: number;
  body: string;
  user: SimUser;
  createdAt: string;
  updatedAt: string;
}

export interface SimState {
  clock: SimClock;
  users: Map<string, SimUser>;
  tokens: Map<string, TokenGrant>;
  repos: Map<string, RepoRecord>;
  pulls: PullRecord[];
  comments: CommentRecord[];
  labels: Map<string, LabelRecord[]>;
  nextIssueNumber: Map<string, number>;
  nextId: number;
}

export function createState(clock: SimClock = { now: () => Date.now() }): SimState {
  return {
    clock,
    users: new Map(),
    tokens: new Map(),
    repos: new Map(),
    pulls: [],
    comments: [],
    labels: new Map(),
    nextIssueNumber: new Map(),
    nextId: 1000,
  };
}

export function nextId(state: SimState): number {
  state.nextId += 1;
  return state.nextId;
}

/** Repository names are case-insensitive on GitHub. */
export function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}

export function findRepo(state: SimState, owner: string, name: string): RepoRecord | undefined {
  return state.repos.get(repoKey(owner, name));
}

/** PRs and issues share one number sequence per repository. */
export function nextIssueNumber(state: SimState, repo: RepoRecord): number {
  const key = repo.fullName.toLowerCase();
  const next = state.nextIssueNumber.get(key) ?? 1;
  state.nextIssueNumber.set(key, next + 1);
  return next;
}

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A classic-PAT-shaped token: `ghp_` + 36 base62 characters. */
export function generatePat(): string {
  const bytes = randomBytes(36);
  let out = 'ghp_';
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}

/** An installation-token-shaped token: `ghs_` + 36 base62 characters. */
export function generateInstallationToken(): string {
  return `ghs_${generatePat().slice(4)}`;
}

/** Whether a grant reaches a repository (installation tokens only reach their installation's selection). */
export function grantCovers(grant: TokenGrant | null | undefined, repo: RepoRecord): boolean {
  return !grant?.installation || grant.installation.repos.has(repo.fullName.toLowerCase());
}

/** GitHub's X-GitHub-Request-Id looks like `CBF8:2B8A:1A2B3C:1B2C3D:65A1B2C3`. */
export function requestId(): string {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

export function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}${id}`).toString('base64').replace(/=+$/, '');
}
