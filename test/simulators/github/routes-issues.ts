/**
 * Issue comments and labels on pull requests (PRs are issues for these endpoints). Adding an unknown
 * label to an issue creates it with the default colour, as GitHub does; creating a label that exists
 * is a 422 `already_exists`; comment bodies over 65,536 characters are refused.
 */
import type { FastifyInstance } from 'fastify';
import { paginate, repoFor, requireWrite } from './api-support.ts';
import type { SimContext } from './context.ts';
import { bodyObject, GitHubError, invalidRequest, optionalString, requiredString, validationFailed } from './errors.ts';
import { labelsOf } from './pull-service.ts';
import { commentJson, labelJson } from './render.ts';
import { isoNow, type LabelRecord, nextId, type PullRecord, type RepoRecord } from './state.ts';

type RepoParams = { Params: { owner: string; repo: string } };
type IssueParams = { Params: { owner: string; repo: string; number: string } };

const DOC = {
  createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  addLabels: 'https://docs.github.com/rest/issues/labels#add-labels-to-an-issue',
  createLabel: 'https://docs.github.com/rest/issues/labels#create-a-label',
};

function findIssue(ctx: SimContext, repo: RepoRecord, number: string): PullRecord {
  const n = Number(number);
  const pr = Number.isInteger(n) ? ctx.state.pulls.find((p) => p.repo === repo.fullName && p.number === n) : undefined;
  if (!pr) throw new GitHubError(404, 'Not Found', 'https://docs.github.com/rest/issues/issues#get-an-issue');
  return pr;
}

function repoLabels(ctx: SimContext, repo: RepoRecord): LabelRecord[] {
  const key = repo.fullName.toLowerCase();
  let labels = ctx.state.labels.get(key);
  if (!labels) {
    // New repositories come with GitHub's default labels.
    labels = [
      ['bug', 'd73a4a', "Something isn't working"],
      ['documentation', '0075ca', 'Improvements or additions to documentation'],
      ['enhancement', 'a2eeef', 'New feature or request'],
      ['dependencies', '0366d6', 'Pull requests that update a dependency file'],
      ['security', 'ee0701', 'Security fix'],
    ].map(([name = '', color = '', description = '']) => ({ id: nextId(ctx.state), name, color, description, default: true }));
    ctx.state.labels.set(key, labels);
  }
  return labels;
}

function labelNames(body: unknown): string[] | null {
  if (Array.isArray(body)) return body.every((l) => typeof l === 'string') ? (body as string[]) : null;
  if (typeof body === 'string') return [body];
  if (body && typeof body === 'object') {
    const labels = (body as { labels?: unknown }).labels;
    if (Array.isArray(labels)) {
      return labels.map((l) => (typeof l === 'string' ? l : l && typeof l === 'object' && typeof (l as { name?: unknown }).name === 'string' ? (l as { name: string }).name : '')).filter(Boolean);
    }
    if (typeof labels === 'string') return [labels];
  }
  return null;
}

export function registerIssueRoutes(api: FastifyInstance, ctx: SimContext): void {
  const issue = '/repos/:owner/:repo/issues/:number';

  api.post<IssueParams>(`${issue}/comments`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.createComment, 'issues=write; pull_requests=write');
    const pr = findIssue(ctx, repo, request.params.number);
    const body = bodyObject(request.body, DOC.createComment);
    const text = requiredString(body, 'body', DOC.createComment);
    if (text.trim() === '') throw validationFailed(DOC.createComment, [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }]);
    if (text.length > 65_536) {
      throw validationFailed(DOC.createComment, [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' }]);
    }
    const now = isoNow();
    const comment = { id: nextId(ctx.state) * 10_000 + 3, repo: repo.fullName, issueNumber: pr.number, body: text, user: grant.user, createdAt: now, updatedAt: now };
    ctx.state.comments.push(comment);
    const json = commentJson(ctx.urls, repo, comment);
    reply.code(201).header('location', String(json.url));
    return json;
  });

  api.get<IssueParams>(`${issue}/comments`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const pr = findIssue(ctx, repo, request.params.number);
    const comments = ctx.state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === pr.number).map((c) => commentJson(ctx.urls, repo, c));
    return paginate(ctx, request, reply, comments);
  });

  api.patch<{ Params: { owner: string; repo: string; id: string } }>('/repos/:owner/:repo/issues/comments/:id', async (request) => {
    const repo = repoFor(ctx, request);
    requireWrite(request, DOC.createComment, 'issues=write; pull_requests=write');
    const comment = ctx.state.comments.find((c) => c.repo === repo.fullName && c.id === Number(request.params.id));
    if (!comment) throw new GitHubError(404, 'Not Found', 'https://docs.github.com/rest/issues/comments#update-an-issue-comment');
    const text = requiredString(bodyObject(request.body, DOC.createComment), 'body', DOC.createComment);
    comment.body = text;
    comment.updatedAt = isoNow();
    return commentJson(ctx.urls, repo, comment);
  });

  const addLabels = (replace: boolean) => async (request: import('fastify').FastifyRequest<IssueParams>) => {
    const repo = repoFor(ctx, request);
    requireWrite(request, DOC.addLabels, 'issues=write; pull_requests=write');
    const pr = findIssue(ctx, repo, request.params.number);
    const names = labelNames(request.body);
    if (names === null) throw invalidRequest(DOC.addLabels, `"labels" wasn't supplied.`);
    const all = repoLabels(ctx, repo);
    for (const name of names) {
      if (name.length > 50) throw validationFailed(DOC.addLabels, [{ resource: 'Label', code: 'invalid', field: 'name', value: name }]);
      // Label names match case-insensitively; an unknown name creates the label.
      if (!all.some((l) => l.name.toLowerCase() === name.toLowerCase())) {
        all.push({ id: nextId(ctx.state), name, color: 'ededed', description: null, default: false });
      }
    }
    const canonical = names.map((n) => all.find((l) => l.name.toLowerCase() === n.toLowerCase())?.name ?? n);
    pr.labels = replace ? [...new Set(canonical)] : [...new Set([...pr.labels, ...canonical])];
    pr.updatedAt = isoNow();
    return labelsOf(ctx, repo, pr).map((l) => labelJson(ctx.urls, repo, l));
  };
  api.post<IssueParams>(`${issue}/labels`, addLabels(false));
  api.put<IssueParams>(`${issue}/labels`, addLabels(true));

  api.get<IssueParams>(`${issue}/labels`, async (request) => {
    const repo = repoFor(ctx, request);
    const pr = findIssue(ctx, repo, request.params.number);
    repoLabels(ctx, repo);
    return labelsOf(ctx, repo, pr).map((l) => labelJson(ctx.urls, repo, l));
  });

  api.delete<{ Params: { owner: string; repo: string; number: string; name: string } }>(`${issue}/labels/:name`, async (request) => {
    const repo = repoFor(ctx, request);
    requireWrite(request, DOC.addLabels, 'issues=write; pull_requests=write');
    const pr = findIssue(ctx, repo, request.params.number);
    const name = decodeURIComponent(request.params.name);
    const index = pr.labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
    if (index < 0) throw new GitHubError(404, 'Label does not exist', 'https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue');
    pr.labels.splice(index, 1);
    return labelsOf(ctx, repo, pr).map((l) => labelJson(ctx.urls, repo, l));
  });

  api.get<RepoParams>('/repos/:owner/:repo/labels', async (request, reply) => {
    const repo = repoFor(ctx, request);
    return paginate(ctx, request, reply, repoLabels(ctx, repo).map((l) => labelJson(ctx.urls, repo, l)));
  });

  api.post<RepoParams>('/repos/:owner/:repo/labels', async (request, reply) => {
    const repo = repoFor(ctx, request);
    requireWrite(request, DOC.createLabel, 'issues=write; pull_requests=write');
    const body = bodyObject(request.body, DOC.createLabel);
    const name = requiredString(body, 'name', DOC.createLabel);
    const color = (optionalString(body, 'color', DOC.createLabel) ?? 'ededed').replace(/^#/, '');
    const description = optionalString(body, 'description', DOC.createLabel) ?? null;
    if (!/^[0-9a-fA-F]{6}$/.test(color)) throw validationFailed(DOC.createLabel, [{ resource: 'Label', code: 'invalid', field: 'color' }]);
    const all = repoLabels(ctx, repo);
    if (all.some((l) => l.name.toLowerCase() === name.toLowerCase())) {
      throw validationFailed(DOC.createLabel, [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
    }
    const label = { id: nextId(ctx.state), name, color: color.toLowerCase(), description, default: false };
    all.push(label);
    reply.code(201);
    return labelJson(ctx.urls, repo, label);
  });
}
