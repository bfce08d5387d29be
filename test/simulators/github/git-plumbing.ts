/**
 * Thin wrappers over git plumbing commands run against a bare repository. REST, GraphQL and the git
 * smart-HTTP backend all read and write the same bare repository through these, so a push is visible
 * to the REST API immediately and a REST commit is visible to the next fetch: there is no second copy
 * of repository state that could drift.
 */
import { spawn } from 'node:child_process';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export class GitCommandError extends Error {
  readonly code: number;
  readonly stderr: string;
  constructor(args: string[], code: number, stderr: string) {
    super(`git ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
    this.code = code;
    this.stderr = stderr;
  }
}

/** Environment that keeps the machine's own git configuration out of the simulator's behaviour. */
export function isolatedGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    ...extra,
  };
}

export function runGit(
  gitDir: string,
  args: string[],
  options: { input?: Buffer | string; env?: Record<string, string>; okCodes?: number[] } = {},
): Promise<GitResult> {
  const fullArgs = ['--git-dir', gitDir, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('git', fullArgs, { env: isolatedGitEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 };
      if (result.code === 0 || options.okCodes?.includes(result.code)) resolve(result);
      else reject(new GitCommandError(args, result.code, result.stderr));
    });
    // A git that exits early (bad object) closes stdin; ignore the resulting EPIPE, the exit code tells.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

async function gitText(gitDir: string, args: string[], okCodes?: number[]): Promise<string> {
  return (await runGit(gitDir, args, okCodes ? { okCodes } : {})).stdout.toString('utf8');
}

export async function initBareRepository(gitDir: string): Promise<void> {
  const init = spawn('git', ['init', '--quiet', '--bare', '--initial-branch=main', gitDir], { env: isolatedGitEnv() });
  await new Promise<void>((resolve, reject) => {
    init.on('error', reject);
    init.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git init exited ${code}`))));
  });
  // allowFilter: blobless clones (--filter=blob:none) and sparse checkouts, as GitHub allows.
  await runGit(gitDir, ['config', 'uploadpack.allowFilter', 'true']);
  await runGit(gitDir, ['config', 'uploadpack.allowAnySHA1InWant', 'true']);
  // No background gc racing the tests' reads.
  await runGit(gitDir, ['config', 'gc.auto', '0']);
  await runGit(gitDir, ['config', 'receive.denyNonFastForwards', 'false']);
}

const OID = /^[0-9a-f]{40}$/;
export function isOid(value: unknown): value is string {
  return typeof value === 'string' && OID.test(value);
}

/** The object type of `oid`, or null when the repository does not have it. */
export async function objectType(gitDir: string, oid: string): Promise<'blob' | 'tree' | 'commit' | 'tag' | null> {
  if (!isOid(oid)) return null;
  const result = await runGit(gitDir, ['cat-file', '-t', oid], { okCodes: [1, 128] });
  if (result.code !== 0) return null;
  return result.stdout.toString('utf8').trim() as 'blob' | 'tree' | 'commit' | 'tag';
}

/** Resolves a ref or oid to a commit oid, or null. */
export async function resolveCommit(gitDir: string, rev: string): Promise<string | null> {
  if (rev.startsWith('-')) return null;
  const result = await runGit(gitDir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { okCodes: [1, 128] });
  return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
}

export async function readRef(gitDir: string, ref: string): Promise<string | null> {
  const result = await runGit(gitDir, ['rev-parse', '--verify', '--quiet', ref], { okCodes: [1, 128] });
  return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
}

export interface RefEntry {
  ref: string;
  oid: string;
  type: string;
}

export async function listRefs(gitDir: string, patterns: string[] = []): Promise<RefEntry[]> {
  const text = await gitText(gitDir, ['for-each-ref', '--format=%(refname) %(objectname) %(objecttype)', ...patterns]);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [ref = '', oid = '', type = ''] = line.split(' ');
      return { ref, oid, type };
    });
}

export async function refSnapshot(gitDir: string): Promise<Map<string, string>> {
  return new Map((await listRefs(gitDir, ['refs/heads', 'refs/tags'])).map((r) => [r.ref, r.oid]));
}

/**
 * Compare-and-swap ref update: `expectedOld` null = no check, ZERO_OID = must not exist yet.
 * Returns false when the ref moved under us (update-ref's own lock check), so callers can answer
 * the way GitHub does for a concurrent update instead of silently overwriting.
 */
export async function updateRef(gitDir: string, ref: string, newOid: string, expectedOld: string | null): Promise<boolean> {
  const args = ['update-ref', ref, newOid];
  if (expectedOld !== null) args.push(expectedOld);
  const result = await runGit(gitDir, args, { okCodes: [1, 128] });
  return result.code === 0;
}

export async function deleteRef(gitDir: string, ref: string): Promise<boolean> {
  const result = await runGit(gitDir, ['update-ref', '-d', ref], { okCodes: [1, 128] });
  return result.code === 0;
}

export async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await runGit(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [1] });
  return result.code === 0;
}

export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | null> {
  const result = await runGit(gitDir, ['merge-base', a, b], { okCodes: [1] });
  return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
}

export async function countCommits(gitDir: string, range: string): Promise<number> {
  return Number((await gitText(gitDir, ['rev-list', '--count', range])).trim());
}

export async function listCommits(gitDir: string, range: string, max = 250): Promise<string[]> {
  const text = await gitText(gitDir, ['rev-list', '--reverse', `--max-count=${max}`, range]);
  return text.split('\n').filter(Boolean);
}

export interface Signature {
  name: string;
  email: string;
  /** ISO 8601, UTC. */
  date: string;
}

export interface CommitObject {
  oid: string;
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}

function parseSignature(value: string): Signature {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(value);
  if (!match) return { name: value, email: '', date: new Date(0).toISOString() };
  return {
    name: match[1] ?? '',
    email: match[2] ?? '',
    date: new Date(Number(match[3]) * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

export async function readCommit(gitDir: string, oid: string): Promise<CommitObject | null> {
  if ((await objectType(gitDir, oid)) !== 'commit') return null;
  const raw = await gitText(gitDir, ['cat-file', 'commit', oid]);
  const split = raw.indexOf('\n\n');
  const header = split >= 0 ? raw.slice(0, split) : raw;
  const message = split >= 0 ? raw.slice(split + 2) : '';
  const commit: CommitObject = {
    oid,
    tree: '',
    parents: [],
    author: parseSignature(''),
    committer: parseSignature(''),
    message,
  };
  for (const line of header.split('\n')) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parents.push(value);
    else if (key === 'author') commit.author = parseSignature(value);
    else if (key === 'committer') commit.committer = parseSignature(value);
  }
  return commit;
}

export async function readBlob(gitDir: string, oid: string): Promise<Buffer | null> {
  if ((await objectType(gitDir, oid)) !== 'blob') return null;
  return (await runGit(gitDir, ['cat-file', 'blob', oid])).stdout;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  /** Bytes for blobs; null for trees and submodules. */
  size: number | null;
  path: string;
}

/** `ls-tree` of a tree-ish; with `recursive`, every entry including the intermediate trees. */
export async function lsTree(gitDir: string, treeish: string, options: { recursive?: boolean; path?: string } = {}): Promise<TreeEntry[]> {
  const args = ['ls-tree', '-z', '-l', '--full-tree'];
  if (options.recursive) args.push('-r', '-t');
  args.push(treeish);
  if (options.path !== undefined) args.push('--', options.path);
  const text = (await runGit(gitDir, args)).stdout.toString('utf8');
  const entries: TreeEntry[] = [];
  for (const record of text.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', oid = '', size = ''] = record.slice(0, tab).split(/\s+/);
    entries.push({
      mode,
      type: type as TreeEntry['type'],
      oid,
      size: size === '-' ? null : Number(size),
      path: record.slice(tab + 1),
    });
  }
  return entries;
}

export async function writeBlob(gitDir: string, content: Buffer): Promise<string> {
  return (await runGit(gitDir, ['hash-object', '-w', '--stdin'], { input: content })).stdout.toString('utf8').trim();
}

async function mktree(gitDir: string, entries: Map<string, { mode: string; type: string; oid: string }>): Promise<string> {
  const input = [...entries.entries()].map(([name, e]) => `${e.mode} ${e.type} ${e.oid}\t${name}\0`).join('');
  return (await runGit(gitDir, ['mktree', '-z'], { input })).stdout.toString('utf8').trim();
}

/** One change for `writeTreeWithChanges`: an entry to set, or `oid: null` to delete the path. */
export interface TreeChange {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string | null;
}

export class MissingPathError extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`path does not exist: ${path}`);
    this.path = path;
  }
}

/**
 * Builds a new tree from `baseTree` (or empty) plus `changes`, nested paths included, writing the
 * intermediate trees bottom-up with mktree. Directories left empty disappear, as they do in git.
 * `strictDeletes` makes deleting a missing path an error (GraphQL does that; REST ignores it here).
 */
export async function writeTreeWithChanges(
  gitDir: string,
  baseTree: string | null,
  changes: TreeChange[],
  options: { strictDeletes?: boolean } = {},
): Promise<string> {
  const entries = new Map<string, { mode: string; type: string; oid: string }>();
  if (baseTree) {
    for (const e of await lsTree(gitDir, baseTree)) entries.set(e.path, { mode: e.mode, type: e.type, oid: e.oid });
  }
  const nested = new Map<string, TreeChange[]>();
  for (const change of changes) {
    const slash = change.path.indexOf('/');
    if (slash < 0) {
      if (change.oid === null) {
        if (!entries.delete(change.path) && options.strictDeletes) throw new MissingPathError(change.path);
      } else {
        entries.set(change.path, { mode: change.mode, type: change.type, oid: change.oid });
      }
    } else {
      const head = change.path.slice(0, slash);
      const list = nested.get(head) ?? [];
      list.push({ ...change, path: change.path.slice(slash + 1) });
      nested.set(head, list);
    }
  }
  for (const [dir, list] of nested) {
    const existing = entries.get(dir);
    const subBase = existing?.type === 'tree' ? existing.oid : null;
    if (!subBase && list.every((c) => c.oid === null)) {
      if (options.strictDeletes) throw new MissingPathError(`${dir}/${list[0]?.path ?? ''}`);
      continue;
    }
    const subTree = await writeTreeWithChanges(gitDir, subBase, list, options).catch((error: unknown) => {
      if (error instanceof MissingPathError) throw new MissingPathError(`${dir}/${error.path}`);
      throw error;
    });
    if (subTree === EMPTY_TREE) entries.delete(dir);
    else entries.set(dir, { mode: '040000', type: 'tree', oid: subTree });
  }
  return mktree(gitDir, entries);
}

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export async function writeCommit(
  gitDir: string,
  commit: { tree: string; parents: string[]; message: string; author: Signature; committer: Signature },
): Promise<string> {
  const args = ['commit-tree', commit.tree];
  for (const parent of commit.parents) args.push('-p', parent);
  const toGitDate = (iso: string) => `${Math.floor(Date.parse(iso) / 1000)} +0000`;
  const result = await runGit(gitDir, args, {
    input: commit.message,
    env: {
      GIT_AUTHOR_NAME: commit.author.name,
      GIT_AUTHOR_EMAIL: commit.author.email,
      GIT_AUTHOR_DATE: toGitDate(commit.author.date),
      GIT_COMMITTER_NAME: commit.committer.name,
      GIT_COMMITTER_EMAIL: commit.committer.email,
      GIT_COMMITTER_DATE: toGitDate(commit.committer.date),
    },
  });
  return result.stdout.toString('utf8').trim();
}

/** Three-way merge without a worktree (git ≥ 2.38). `tree` is null when the merge conflicts. */
export async function mergeTrees(gitDir: string, base: string, head: string): Promise<{ tree: string | null }> {
  const result = await runGit(gitDir, ['merge-tree', '--write-tree', '--no-messages', base, head], { okCodes: [1] });
  if (result.code === 1) return { tree: null };
  return { tree: result.stdout.toString('utf8').split('\n')[0]?.trim() ?? null };
}

export interface ChangedFile {
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'changed';
  path: string;
  oid: string;
  additions: number;
  deletions: number;
  patch: string | undefined;
}

/** Files changed between two commits (no rename detection), with per-file unified diffs. */
export async function diffFiles(gitDir: string, from: string, to: string): Promise<ChangedFile[]> {
  const raw = (await runGit(gitDir, ['diff-tree', '-r', '-z', '--no-renames', from, to])).stdout.toString('utf8');
  const numstat = (await runGit(gitDir, ['diff-tree', '-r', '-z', '--numstat', '--no-renames', from, to])).stdout.toString('utf8');
  const patchText = (await runGit(gitDir, ['diff-tree', '-r', '-p', '--no-renames', from, to])).stdout.toString('utf8');
  const counts = new Map<string, [number, number]>();
  for (const record of numstat.split('\0')) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (match) counts.set(match[3] ?? '', [Number(match[1]) || 0, Number(match[2]) || 0]);
  }
  const patches = new Map<string, string>();
  for (const chunk of patchText.split(/^(?=diff --git )/m)) {
    const name = /^diff --git a\/(.*?) b\//.exec(chunk)?.[1];
    const hunkStart = chunk.indexOf('\n@@');
    if (name && hunkStart >= 0) patches.set(name, chunk.slice(hunkStart + 1).replace(/\n$/, ''));
  }
  const parts = raw.split('\0').filter(Boolean);
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [, , oldOid = '', newOid = '', letter = ''] = (parts[i] ?? '').split(/\s+/);
    const path = parts[i + 1] ?? '';
    const status = letter === 'A' ? 'added' : letter === 'D' ? 'removed' : 'modified';
    const [additions, deletions] = counts.get(path) ?? [0, 0];
    files.push({ status, path, oid: status === 'removed' ? oldOid : newOid, additions, deletions, patch: patches.get(path) });
  }
  return files;
}
