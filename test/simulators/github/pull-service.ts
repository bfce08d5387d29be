/**
 * Pull-request logic shared by REST, GraphQL, the git backend and the admin API: rendering a PR with
 * its computed fields, and reacting to ref changes (push webhooks, `synchronize` on a PR's head) no
 * matter which door the change came through. Keeping this in one place is what makes a push over git
 * and a REST ref update behave identically.
 */
import type { SimContext } from './context.ts';
import { countCommits, diffFiles, mergeBase, mergeTrees, readCommit, readRef, runGit, writeCommit, ZERO_OID } from './git-plumbing.ts';
import { type PullExtras, pullJson, repoCommitJson, repoJson, userJson } from './render.ts';
import type { LabelRecord, PullRecord, RepoRecord, SimUser } from './state.ts';
import { isoNow } from './state.ts';

export function labelsOf(ctx: SimContext, repo: RepoRecord, pr: PullRecord): LabelRecord[] {
  const all = ctx.state.labels.get(repo.fullName.toLowerCase()) ?? [];
  return pr.labels.map((name) => all.find((l) => l.name === name)).filter((l): l is LabelRecord => l !== undefined);
}

const testMerges = new Map<string, string | null>();

/** GitHub's test-merge commit for an open PR; null when it conflicts. Cached per (base, head). */
async function testMerge(repo: RepoRecord, baseSha: string, headSha: string): Promise<string | null> {
  const key = `${repo.gitDir}:${baseSha}:${headSha}`;
  if (testMerges.has(key)) return testMerges.get(key) ?? null;
  const { tree } = await mergeTrees(repo.gitDir, baseSha, headSha);
  let sha: string | null = null;
  if (tree) {
    const sig = { name: 'GitHub', email: 'noreply@github.com', date: '2020-01-01T00:00:00Z' };
    sha = await writeCommit(repo.gitDir, { tree, parents: [baseSha, headSha], message: `Merge ${headSha} into ${baseSha}\n`, author: sig, committer: sig });
  }
  testMerges.set(key, sha);
  return sha;
}

export async function renderPull(ctx: SimContext, repo: RepoRecord, pr: PullRecord, mode: 'list' | 'created' | 'detail'): Promise<Record<string, unknown>> {
  const baseSha = (await readRef(repo.gitDir, `refs/heads/${pr.baseRef}`)) ?? ZERO_OID;
  const extras: PullExtras = {
    baseSha,
    labels: labelsOf(ctx, repo, pr),
    comments: ctx.state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === pr.number).length,
    mergeable: null,
    mergeableState: 'unknown',
    mergeCommitSha: null,
  };
  if (mode !== 'list') {
    const base = pr.mergedAt ? pr.headSha : ((await mergeBase(repo.gitDir, baseSha, pr.headSha)) ?? baseSha);
    extras.commits = pr.mergedAt ? 0 : await countCommits(repo.gitDir, `${baseSha}..${pr.headSha}`);
    const files = pr.mergedAt ? [] : await diffFiles(repo.gitDir, base, pr.headSha);
    extras.changedFiles = files.length;
    extras.additions = files.reduce((n, f) => n + f.additions, 0);
    extras.deletions = files.reduce((n, f) => n + f.deletions, 0);
  }
  // Mergeability is computed asynchronously on GitHub: the creation answer says null/"unknown".
  if (mode === 'detail' && pr.state === 'open') {
    const merge = await testMerge(repo, baseSha, pr.headSha);
    extras.mergeable = merge !== null;
    extras.mergeableState = merge !== null ? 'clean' : 'dirty';
    extras.mergeCommitSha = merge;
  }
  return pullJson(ctx.urls, repo, pr, extras, mode !== 'list');
}

export function firePullEvent(ctx: SimContext, repo: RepoRecord, pr: PullRecord, action: string, sender: SimUser, extra: Record<string, unknown> = {}): void {
  // Snapshot now: the payload must describe the PR as it was when the event happened.
  const snapshot = { ...pr, labels: [...pr.labels] };
  ctx.background(async () => {
    const payload = {
      action,
      number: pr.number,
      ...extra,
      pull_request: await renderPull(ctx, repo, snapshot, 'created'),
      repository: repoJson(ctx.urls, repo, null),
      sender: userJson(ctx.urls, sender),
    };
    await ctx.webhooks.dispatch('pull_request', payload, repo.fullName);
  });
}

export interface RefUpdate {
  ref: string;
  before: string;
  after: string;
  forced?: boolean;
}

async function pushCommits(ctx: SimContext, repo: RepoRecord, update: RefUpdate): Promise<Record<string, unknown>[]> {
  if (update.after === ZERO_OID) return [];
  const args = ['rev-list', '--reverse', '--max-count=20', update.after];
  if (update.before !== ZERO_OID) args.push(`^${update.before}`);
  else if (update.ref.startsWith('refs/heads/')) args.push('--not', `--exclude=${update.ref.slice('refs/heads/'.length)}`, '--branches');
  const oids = (await runGit(repo.gitDir, args)).stdout.toString('utf8').split('\n').filter(Boolean);
  const commits: Record<string, unknown>[] = [];
  for (const oid of oids) {
    const commit = await readCommit(repo.gitDir, oid);
    if (!commit) continue;
    const changes = (await runGit(repo.gitDir, ['diff-tree', '--root', '--no-commit-id', '-r', '--name-status', '--no-renames', oid])).stdout.toString('utf8');
    const added: string[] = [];
    const removed: string[] = [];
    const modified: string[] = [];
    for (const line of changes.split('\n').filter(Boolean)) {
      const [status, path = ''] = line.split('\t');
      (status === 'A' ? added : status === 'D' ? removed : modified).push(path);
    }
    commits.push({
      id: oid,
      tree_id: commit.tree,
      distinct: true,
      message: commit.message.replace(/\n$/, ''),
      timestamp: commit.committer.date,
      url: `${ctx.urls.web}/${repo.fullName}/commit/${oid}`,
      author: { name: commit.author.name, email: commit.author.email },
      committer: { name: commit.committer.name, email: commit.committer.email },
      added,
      removed,
      modified,
    });
  }
  return commits;
}

/**
 * Every ref change (git push, REST refs, merges, GraphQL commits, admin commits) ends here. PR head
 * SHAs move synchronously, so the next REST read sees them; webhooks go out in the background.
 */
export function refsUpdated(ctx: SimContext, repo: RepoRecord, updates: RefUpdate[], sender: SimUser): void {
  if (updates.length === 0) return;
  repo.pushedAt = isoNow();
  const synchronized: { pr: PullRecord; before: string; after: string }[] = [];
  for (const update of updates) {
    if (!update.ref.startsWith('refs/heads/') || update.after === ZERO_OID) continue;
    const branch = update.ref.slice('refs/heads/'.length);
    for (const pr of ctx.state.pulls) {
      if (pr.repo !== repo.fullName || pr.state !== 'open' || pr.headRef !== branch || pr.headSha === update.after) continue;
      synchronized.push({ pr, before: pr.headSha, after: update.after });
      pr.headSha = update.after;
      pr.updatedAt = isoNow();
    }
  }
  ctx.background(async () => {
    for (const update of updates) {
      const commits = await pushCommits(ctx, repo, update);
      const head = commits.at(-1) ?? null;
      const payload = {
        ref: update.ref,
        before: update.before,
        after: update.after,
        repository: repoJson(ctx.urls, repo, null),
        pusher: { name: sender.login, email: sender.email },
        sender: userJson(ctx.urls, sender),
        created: update.before === ZERO_OID,
        deleted: update.after === ZERO_OID,
        forced: update.forced ?? false,
        base_ref: null,
        compare: `${ctx.urls.web}/${repo.fullName}/compare/${update.before.slice(0, 12)}...${update.after.slice(0, 12)}`,
        commits,
        head_commit: head,
      };
      await ctx.webhooks.dispatch('push', payload, repo.fullName);
    }
  });
  for (const s of synchronized) firePullEvent(ctx, repo, s.pr, 'synchronize', sender, { before: s.before, after: s.after });
}

/** Commit on a branch tip for the admin and GraphQL paths: blob writes, tree build, commit, CAS. */
export async function commitTreeOnBranch(
  repo: RepoRecord,
  parent: string | null,
  tree: string,
  message: string,
  author: { name: string; email: string; date?: string },
  committer?: { name: string; email: string; date?: string },
): Promise<string> {
  const date = author.date ?? isoNow();
  return writeCommit(repo.gitDir, {
    tree,
    parents: parent ? [parent] : [],
    message,
    author: { name: author.name, email: author.email, date },
    committer: { name: committer?.name ?? author.name, email: committer?.email ?? author.email, date: committer?.date ?? date },
  });
}

export async function branchJson(ctx: SimContext, repo: RepoRecord, name: string, oid: string): Promise<Record<string, unknown>> {
  const commit = await readCommit(repo.gitDir, oid);
  return {
    name,
    commit: commit ? repoCommitJson(ctx.urls, repo, commit) : { sha: oid },
    _links: { self: `${ctx.urls.api}/repos/${repo.fullName}/branches/${name}`, html: `${ctx.urls.web}/${repo.fullName}/tree/${name}` },
    protected: false,
    protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
    protection_url: `${ctx.urls.api}/repos/${repo.fullName}/branches/${name}/protection`,
  };
}

