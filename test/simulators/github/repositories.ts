/**
 * Creating repositories on disk (bare, `main`, filters allowed) and writing commits into them with
 * plumbing, with fixed authors and dates when given so the resulting SHAs are reproducible.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimContext } from './context.ts';
import { initBareRepository, readCommit, readRef, runGit, updateRef, writeBlob, writeCommit, writeTreeWithChanges, ZERO_OID } from './git-plumbing.ts';
import { isoNow, nextId, type RepoRecord, repoKey } from './state.ts';

export interface CommitSpec {
  message: string;
  /** Path → new content (string or bytes), or null to delete the path. */
  files: Record<string, string | Buffer | null>;
  author?: { name: string; email: string };
  /** ISO date; fixed dates make reproducible SHAs. Default: now. */
  date?: string;
}

export interface RepositorySpec {
  /** "owner/name" */
  fullName: string;
  private?: boolean;
  description?: string;
  defaultBranch?: string;
  /** Commits applied in order on the default branch. None = an empty repository. */
  commits?: CommitSpec[];
}

export const SEED_AUTHOR = { name: 'Acme Developer', email: 'dev@acme.example' };

export async function createRepository(ctx: SimContext, spec: RepositorySpec): Promise<RepoRecord> {
  const [owner, name, ...rest] = spec.fullName.split('/');
  if (!owner || !name || rest.length > 0 || !/^[A-Za-z0-9_.-]+$/.test(owner) || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new Error(`invalid repository name: ${spec.fullName}`);
  }
  if (ctx.state.repos.has(repoKey(owner, name))) throw new Error(`repository exists: ${spec.fullName}`);
  const gitDir = join(ctx.reposDir, owner, `${name}.git`);
  await mkdir(join(ctx.reposDir, owner), { recursive: true });
  await initBareRepository(gitDir);
  const defaultBranch = spec.defaultBranch ?? 'main';
  if (defaultBranch !== 'main') {
    await runGit(gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${defaultBranch}`]);
  }
  const now = isoNow();
  const repo: RepoRecord = {
    owner,
    name,
    fullName: `${owner}/${name}`,
    id: nextId(ctx.state) * 7,
    private: spec.private ?? true,
    defaultBranch,
    description: spec.description ?? null,
    gitDir,
    createdAt: spec.commits?.[0]?.date ?? now,
    pushedAt: spec.commits?.at(-1)?.date ?? now,
  };
  ctx.state.repos.set(repoKey(owner, name), repo);
  for (const commit of spec.commits ?? []) await commitFiles(repo, defaultBranch, commit);
  return repo;
}

/** Writes one commit on `branch` (created if missing) and returns before/after for event reporting. */
export async function commitFiles(repo: RepoRecord, branch: string, spec: CommitSpec): Promise<{ before: string; after: string }> {
  const ref = `refs/heads/${branch}`;
  const head = await readRef(repo.gitDir, ref);
  const parent = head ? await readCommit(repo.gitDir, head) : null;
  const changes = [];
  for (const [path, content] of Object.entries(spec.files)) {
    if (content === null) changes.push({ path, mode: '100644', type: 'blob' as const, oid: null });
    else changes.push({ path, mode: '100644', type: 'blob' as const, oid: await writeBlob(repo.gitDir, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8')) });
  }
  const tree = await writeTreeWithChanges(repo.gitDir, parent?.tree ?? null, changes);
  const date = spec.date ?? isoNow();
  const author = { ...(spec.author ?? SEED_AUTHOR), date };
  const message = spec.message.endsWith('\n') ? spec.message : `${spec.message}\n`;
  const after = await writeCommit(repo.gitDir, { tree, parents: head ? [head] : [], message, author, committer: author });
  if (!(await updateRef(repo.gitDir, ref, after, head ?? ZERO_OID))) throw new Error(`${ref} moved during commit`);
  return { before: head ?? ZERO_OID, after };
}
