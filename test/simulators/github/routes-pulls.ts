/**
 * Pull requests with GitHub's rules (PROVIDER-FACTS §4.2/4.3): one open PR per head→base ("A pull
 * request already exists for owner:branch."), "No commits between base and head", head/base must
 * exist, title required, body at most 65,536 characters; list filters (`head=owner:branch` — a head
 * without an owner is ignored, as on GitHub — `base`, `state`) with Link pagination; edits with
 * `edited` webhooks; merges that really merge into the base branch (merge commit or squash) with 405
 * when not mergeable and 409 when `sha` is not the head.
 */
import type { FastifyInstance } from 'fastify';
import { paginate, repoFor, requireWrite } from './api-support.ts';
import type { SimContext } from './context.ts';
import { bodyObject, GitHubError, invalidRequest, optionalBoolean, optionalString, validationFailed } from './errors.ts';
import { countCommits, diffFiles, listCommits, mergeBase, mergeTrees, readCommit, readRef, updateRef, writeCommit } from './git-plumbing.ts';
import { firePullEvent, refsUpdated, renderPull } from './pull-service.ts';
import { repoCommitJson } from './render.ts';
import { isoNow, nextId, nextIssueNumber, type PullRecord, type RepoRecord } from './state.ts';

type RepoParams = { Params: { owner: string; repo: string } };
type PullParams = { Params: { owner: string; repo: string; number: string } };

const DOC = {
  create: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
  update: 'https://docs.github.com/rest/pulls/pulls#update-a-pull-request',
  get: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request',
  merge: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request',
};

export const MAX_BODY = 65_536;

function findPull(ctx: SimContext, repo: RepoRecord, number: string): PullRecord {
  const n = Number(number);
  const pr = Number.isInteger(n) ? ctx.state.pulls.find((p) => p.repo === repo.fullName && p.number === n) : undefined;
  if (!pr) throw new GitHubError(404, 'Not Found', DOC.get);
  return pr;
}

function checkBody(body: string | null | undefined, doc: string): void {
  if (typeof body === 'string' && body.length > MAX_BODY) {
    throw validationFailed(doc, [{ resource: 'Issue', code: 'custom', field: 'body', message: `body is too long (maximum is ${MAX_BODY} characters)` }]);
  }
}

function duplicateOf(ctx: SimContext, repo: RepoRecord, headRef: string, baseRef: string, except?: PullRecord): PullRecord | undefined {
  return ctx.state.pulls.find((p) => p !== except && p.repo === repo.fullName && p.state === 'open' && p.headRef === headRef && p.baseRef === baseRef);
}

export function registerPullRoutes(api: FastifyInstance, ctx: SimContext): void {
  const base = '/repos/:owner/:repo/pulls';

  api.post<RepoParams>(base, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.create, 'pull_requests=write');
    const body = bodyObject(request.body, DOC.create);
    const head = optionalString(body, 'head', DOC.create);
    const baseRef = optionalString(body, 'base', DOC.create);
    const title = optionalString(body, 'title', DOC.create);
    const text = body.body === null ? null : optionalString(body, 'body', DOC.create);
    const draft = optionalBoolean(body, 'draft', DOC.create) ?? false;
    const maintainerCanModify = optionalBoolean(body, 'maintainer_can_modify', DOC.create) ?? true;
    if (head === undefined) throw invalidRequest(DOC.create, '"head" wasn\'t supplied.');
    if (baseRef === undefined) throw invalidRequest(DOC.create, '"base" wasn\'t supplied.');
    if (title === undefined || title.trim() === '') {
      throw validationFailed(DOC.create, [{ resource: 'Issue', code: 'missing_field', field: 'title' }]);
    }
    checkBody(text, DOC.create);
    // `owner:branch` or just `branch`; forks are not simulated, so the owner must be the repo's owner.
    const colon = head.indexOf(':');
    const headOwner = colon >= 0 ? head.slice(0, colon) : repo.owner;
    const headRef = colon >= 0 ? head.slice(colon + 1) : head;
    return ctx.withRepoLock(repo.fullName, async () => {
      const baseSha = await readRef(repo.gitDir, `refs/heads/${baseRef}`);
      if (!baseSha) throw validationFailed(DOC.create, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      const headSha = headOwner.toLowerCase() === repo.owner.toLowerCase() ? await readRef(repo.gitDir, `refs/heads/${headRef}`) : null;
      if (!headSha) throw validationFailed(DOC.create, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      if (duplicateOf(ctx, repo, headRef, baseRef)) {
        throw validationFailed(DOC.create, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${headRef}.` }]);
      }
      if ((await countCommits(repo.gitDir, `${baseSha}..${headSha}`)) === 0) {
        throw validationFailed(DOC.create, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${baseRef} and ${headRef}` }]);
      }
      const now = isoNow();
      const pr: PullRecord = {
        id: nextId(ctx.state) * 1000 + 7,
        number: nextIssueNumber(ctx.state, repo),
        repo: repo.fullName,
        title,
        body: text ?? null,
        state: 'open',
        draft,
        headRef,
        headSha,
        baseRef,
        user: grant.user,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
        mergedAt: null,
        mergeCommitSha: null,
        mergedBy: null,
        labels: [],
        maintainerCanModify,
      };
      ctx.state.pulls.push(pr);
      firePullEvent(ctx, repo, pr, 'opened', grant.user);
      reply.code(201).header('location', `${ctx.urls.api}/repos/${repo.fullName}/pulls/${pr.number}`);
      return renderPull(ctx, repo, pr, 'created');
    });
  });

  api.get<RepoParams & { Querystring: { state?: string; head?: string; base?: string; sort?: string; direction?: string } }>(base, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const { state = 'open', head, base: baseFilter, sort = 'created' } = request.query;
    if (!['open', 'closed', 'all'].includes(state)) {
      throw validationFailed('https://docs.github.com/rest/pulls/pulls#list-pull-requests', [{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    }
    const direction = request.query.direction ?? (sort === 'created' ? 'desc' : 'desc');
    let pulls = ctx.state.pulls.filter((p) => p.repo === repo.fullName && (state === 'all' || p.state === state));
    // GitHub only honours `head` in the `owner:branch` form; a bare branch name filters nothing.
    if (head?.includes(':')) {
      const [owner = '', ref = ''] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)];
      pulls = pulls.filter((p) => owner.toLowerCase() === repo.owner.toLowerCase() && p.headRef === ref);
    }
    if (baseFilter) pulls = pulls.filter((p) => p.baseRef === baseFilter);
    const key = (p: PullRecord) => (sort === 'updated' ? p.updatedAt : p.createdAt) + String(p.number).padStart(8, '0');
    pulls.sort((a, b) => (direction === 'asc' ? key(a).localeCompare(key(b)) : key(b).localeCompare(key(a))));
    const page = paginate(ctx, request, reply, pulls);
    return Promise.all(page.map((p) => renderPull(ctx, repo, p, 'list')));
  });

  api.get<PullParams>(`${base}/:number`, async (request) => {
    const repo = repoFor(ctx, request);
    return renderPull(ctx, repo, findPull(ctx, repo, request.params.number), 'detail');
  });

  api.patch<PullParams>(`${base}/:number`, async (request) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.update, 'pull_requests=write');
    const pr = findPull(ctx, repo, request.params.number);
    const body = bodyObject(request.body, DOC.update);
    const title = optionalString(body, 'title', DOC.update);
    const text = body.body === null ? null : optionalString(body, 'body', DOC.update);
    const state = optionalString(body, 'state', DOC.update);
    const newBase = optionalString(body, 'base', DOC.update);
    if (state !== undefined && state !== 'open' && state !== 'closed') {
      throw validationFailed(DOC.update, [{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    }
    if (title !== undefined && title.trim() === '') throw validationFailed(DOC.update, [{ resource: 'Issue', code: 'missing_field', field: 'title' }]);
    checkBody(text, DOC.update);
    return ctx.withRepoLock(repo.fullName, async () => {
      const changes: Record<string, { from: string | null } | { ref: { from: string }; sha: { from: string } }> = {};
      if (newBase !== undefined && newBase !== pr.baseRef) {
        if (pr.state !== 'open') throw validationFailed(DOC.update, [{ resource: 'PullRequest', code: 'custom', field: 'base', message: 'Cannot change the base branch of a closed pull request.' }]);
        const baseSha = await readRef(repo.gitDir, `refs/heads/${newBase}`);
        if (!baseSha) throw validationFailed(DOC.update, [{ resource: 'PullRequest', code: 'invalid', field: 'base' }]);
        if (duplicateOf(ctx, repo, pr.headRef, newBase, pr)) {
          throw validationFailed(DOC.update, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for base branch '${newBase}' and head branch '${pr.headRef}'` }]);
        }
        const oldBaseSha = (await readRef(repo.gitDir, `refs/heads/${pr.baseRef}`)) ?? '';
        changes.base = { ref: { from: pr.baseRef }, sha: { from: oldBaseSha } };
        pr.baseRef = newBase;
      }
      if (title !== undefined && title !== pr.title) {
        changes.title = { from: pr.title };
        pr.title = title;
      }
      if (text !== undefined && text !== pr.body) {
        changes.body = { from: pr.body };
        pr.body = text;
      }
      let stateAction: string | null = null;
      if (state !== undefined && state !== pr.state) {
        if (pr.mergedAt) throw validationFailed(DOC.update, [{ resource: 'PullRequest', code: 'custom', field: 'state', message: 'state cannot be changed. The pull request has been merged.' }]);
        if (state === 'open') {
          if (duplicateOf(ctx, repo, pr.headRef, pr.baseRef, pr)) {
            throw validationFailed(DOC.update, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${pr.headRef}.` }]);
          }
          const headSha = await readRef(repo.gitDir, `refs/heads/${pr.headRef}`);
          if (!headSha) throw validationFailed(DOC.update, [{ resource: 'PullRequest', code: 'custom', field: 'state', message: 'state cannot be changed. The head branch was deleted.' }]);
          pr.headSha = headSha;
          pr.closedAt = null;
          stateAction = 'reopened';
        } else {
          pr.closedAt = isoNow();
          stateAction = 'closed';
        }
        pr.state = state;
      }
      if (Object.keys(changes).length > 0 || stateAction) pr.updatedAt = isoNow();
      if (Object.keys(changes).length > 0) firePullEvent(ctx, repo, pr, 'edited', grant.user, { changes });
      if (stateAction) firePullEvent(ctx, repo, pr, stateAction, grant.user);
      return renderPull(ctx, repo, pr, 'detail');
    });
  });

  api.get<PullParams>(`${base}/:number/files`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const pr = findPull(ctx, repo, request.params.number);
    const baseSha = (await readRef(repo.gitDir, `refs/heads/${pr.baseRef}`)) ?? pr.headSha;
    const from = (await mergeBase(repo.gitDir, baseSha, pr.headSha)) ?? baseSha;
    const files = await diffFiles(repo.gitDir, from, pr.headSha);
    const api = `${ctx.urls.api}/repos/${repo.fullName}`;
    const all = files.map((f) => ({
      sha: f.oid,
      filename: f.path,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.additions + f.deletions,
      blob_url: `${ctx.urls.web}/${repo.fullName}/blob/${pr.headSha}/${f.path}`,
      raw_url: `${ctx.urls.web}/${repo.fullName}/raw/${pr.headSha}/${f.path}`,
      contents_url: `${api}/contents/${f.path}?ref=${pr.headSha}`,
      ...(f.patch !== undefined ? { patch: f.patch } : {}),
    }));
    return paginate(ctx, request, reply, all);
  });

  api.get<PullParams>(`${base}/:number/commits`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const pr = findPull(ctx, repo, request.params.number);
    const baseSha = (await readRef(repo.gitDir, `refs/heads/${pr.baseRef}`)) ?? pr.headSha;
    const oids = pr.mergedAt ? [] : await listCommits(repo.gitDir, `${baseSha}..${pr.headSha}`);
    const commits = [];
    for (const oid of oids) {
      const commit = await readCommit(repo.gitDir, oid);
      if (commit) commits.push(repoCommitJson(ctx.urls, repo, commit));
    }
    return paginate(ctx, request, reply, commits);
  });

  api.get<PullParams>(`${base}/:number/merge`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const pr = findPull(ctx, repo, request.params.number);
    if (pr.mergedAt) return reply.code(204).send();
    throw new GitHubError(404, 'Not Found', 'https://docs.github.com/rest/pulls/pulls#check-if-a-pull-request-has-been-merged');
  });

  api.put<PullParams>(`${base}/:number/merge`, async (request) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.merge, 'contents=write');
    const pr = findPull(ctx, repo, request.params.number);
    const body = bodyObject(request.body, DOC.merge);
    const sha = optionalString(body, 'sha', DOC.merge);
    const method = optionalString(body, 'merge_method', DOC.merge) ?? 'merge';
    const commitTitle = optionalString(body, 'commit_title', DOC.merge);
    const commitMessage = optionalString(body, 'commit_message', DOC.merge);
    if (!['merge', 'squash', 'rebase'].includes(method)) {
      throw invalidRequest(DOC.merge, `For 'properties/merge_method', "${method}" is not one of ["merge", "squash", "rebase"].`);
    }
    return ctx.withRepoLock(repo.fullName, async () => {
      if (pr.state !== 'open') throw new GitHubError(405, 'Pull Request is not mergeable', DOC.merge);
      if (sha !== undefined && sha !== pr.headSha) throw new GitHubError(409, 'Head branch was modified. Review and try the merge again.', DOC.merge);
      // Rebase merging needs a replay engine newer than this machine's git; the setting is off here.
      if (method === 'rebase') throw new GitHubError(405, 'Rebase merges are not allowed on this repository.', DOC.merge);
      const baseRef = `refs/heads/${pr.baseRef}`;
      const baseSha = await readRef(repo.gitDir, baseRef);
      if (!baseSha) throw new GitHubError(405, 'Pull Request is not mergeable', DOC.merge);
      const { tree } = await mergeTrees(repo.gitDir, baseSha, pr.headSha);
      if (!tree) throw new GitHubError(405, 'Pull Request is not mergeable', DOC.merge);
      const now = isoNow();
      const who = { name: grant.user.name, email: grant.user.email, date: now };
      // The web-flow committer is GitHub itself, as on github.com.
      const committer = { name: 'GitHub', email: 'noreply@github.com', date: now };
      let message: string;
      let parents: string[];
      if (method === 'squash') {
        const oids = await listCommits(repo.gitDir, `${baseSha}..${pr.headSha}`);
        const lines = [];
        for (const oid of oids) lines.push(`* ${(await readCommit(repo.gitDir, oid))?.message.split('\n')[0] ?? ''}`);
        message = `${commitTitle ?? `${pr.title} (#${pr.number})`}\n\n${commitMessage ?? lines.join('\n\n')}\n`;
        parents = [baseSha];
      } else {
        message = `${commitTitle ?? `Merge pull request #${pr.number} from ${repo.owner}/${pr.headRef}`}\n\n${commitMessage ?? pr.title}\n`;
        parents = [baseSha, pr.headSha];
      }
      const mergeSha = await writeCommit(repo.gitDir, { tree, parents, message, author: who, committer });
      if (!(await updateRef(repo.gitDir, baseRef, mergeSha, baseSha))) throw new GitHubError(409, 'Base branch was modified. Review and try the merge again.', DOC.merge);
      pr.state = 'closed';
      pr.mergedAt = now;
      pr.closedAt = now;
      pr.updatedAt = now;
      pr.mergeCommitSha = mergeSha;
      pr.mergedBy = grant.user;
      refsUpdated(ctx, repo, [{ ref: baseRef, before: baseSha, after: mergeSha }], grant.user);
      firePullEvent(ctx, repo, pr, 'closed', grant.user);
      return { sha: mergeSha, merged: true, message: 'Pull Request successfully merged' };
    });
  });
}
