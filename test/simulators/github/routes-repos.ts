/**
 * Repository-level REST routes: the repository itself, branches, commits, contents (GET and PUT with
 * GitHub's sha rules: 422 when updating without `sha`, 409 when it is stale), the authenticated user
 * and /rate_limit.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, paginate, peekRateLimit, repoFor, requireUser, requireWrite } from './api-support.ts';
import type { SimContext } from './context.ts';
import { bodyObject, GitHubError, invalidRequest, optionalString, requiredString } from './errors.ts';
import { diffFiles, listRefs, lsTree, readBlob, readCommit, readRef, resolveCommit, updateRef, writeBlob, writeTreeWithChanges } from './git-plumbing.ts';
import { branchJson, commitTreeOnBranch, refsUpdated } from './pull-service.ts';
import { gitCommitJson, repoCommitJson, repoJson, userJson } from './render.ts';
import { isoNow, type RepoRecord } from './state.ts';

type RepoParams = { Params: { owner: string; repo: string } };
const CONTENTS_DOC = 'https://docs.github.com/rest/repos/contents#get-repository-content';
const PUT_CONTENTS_DOC = 'https://docs.github.com/rest/repos/contents#create-or-update-file-contents';

/** GitHub wraps base64 content at 60 characters with a trailing newline. */
export function wrapBase64(content: Buffer): string {
  const b64 = content.toString('base64');
  return b64.length === 0 ? '' : `${b64.replace(/.{60}/g, '$&\n').replace(/\n$/, '')}\n`;
}

/** Branch, tag or sha → commit, as `?ref=` accepts them. */
async function resolveUserRef(repo: RepoRecord, ref: string): Promise<string | null> {
  for (const candidate of [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
    const oid = await readRef(repo.gitDir, candidate);
    if (oid) return resolveCommit(repo.gitDir, oid);
  }
  return /^[0-9a-f]{7,40}$/.test(ref) ? resolveCommit(repo.gitDir, ref) : null;
}

function contentEntryJson(ctx: SimContext, repo: RepoRecord, ref: string, e: { path: string; oid: string; type: string; mode: string; size: number | null }) {
  const api = `${ctx.urls.api}/repos/${repo.fullName}`;
  const type = e.type === 'tree' ? 'dir' : e.type === 'commit' ? 'submodule' : e.mode === '120000' ? 'symlink' : 'file';
  const self = `${api}/contents/${e.path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = `${api}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.oid}`;
  const html = `${ctx.urls.web}/${repo.fullName}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${e.path}`;
  return {
    name: e.path.split('/').at(-1) ?? e.path,
    path: e.path,
    sha: e.oid,
    size: e.size ?? 0,
    url: self,
    html_url: html,
    git_url: gitUrl,
    download_url: type === 'file' ? `${ctx.urls.web}/raw/${repo.fullName}/${ref}/${e.path}` : null,
    type,
    _links: { self, git: gitUrl, html },
  };
}

export function registerRepoRoutes(api: FastifyInstance, ctx: SimContext): void {
  api.get('/user', async (request) => {
    const grant = requireUser(request);
    return {
      ...userJson(ctx.urls, grant.user),
      name: grant.user.name,
      company: null,
      blog: '',
      location: null,
      email: grant.user.email,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2020-01-01T00:00:00Z',
    };
  });

  api.get('/rate_limit', async (request) => {
    const core = peekRateLimit(ctx, request, 'core');
    const graphql = peekRateLimit(ctx, request, 'graphql');
    const fmt = (s: typeof core) => ({ limit: s.limit, used: s.used, remaining: s.remaining, reset: s.reset });
    return { resources: { core: fmt(core), graphql: fmt(graphql), search: { limit: 30, used: 0, remaining: 30, reset: core.reset } }, rate: fmt(core) };
  });

  api.get<RepoParams>('/repos/:owner/:repo', async (request) => {
    const repo = repoFor(ctx, request);
    const grant = callerOf(request).grant;
    const write = grant?.write ?? false;
    return repoJson(ctx.urls, repo, { admin: write, maintain: write, push: write, triage: write, pull: true });
  });

  api.get<RepoParams>('/repos/:owner/:repo/branches', async (request, reply) => {
    const repo = repoFor(ctx, request);
    const refs = await listRefs(repo.gitDir, ['refs/heads']);
    const all = refs.map((r) => {
      const name = r.ref.slice('refs/heads/'.length);
      return { name, commit: { sha: r.oid, url: `${ctx.urls.api}/repos/${repo.fullName}/commits/${r.oid}` }, protected: false };
    });
    return paginate(ctx, request, reply, all);
  });

  api.get<{ Params: { owner: string; repo: string; '*': string } }>('/repos/:owner/:repo/branches/*', async (request) => {
    const repo = repoFor(ctx, request);
    const name = decodeURIComponent(request.params['*']);
    const oid = await readRef(repo.gitDir, `refs/heads/${name}`);
    if (!oid) throw new GitHubError(404, 'Branch not found', 'https://docs.github.com/rest/branches/branches#get-a-branch');
    return branchJson(ctx, repo, name, oid);
  });

  api.get<{ Params: { owner: string; repo: string; ref: string } }>('/repos/:owner/:repo/commits/:ref', async (request) => {
    const repo = repoFor(ctx, request);
    const oid = await resolveUserRef(repo, request.params.ref);
    const commit = oid ? await readCommit(repo.gitDir, oid) : null;
    if (!commit) throw new GitHubError(422, `No commit found for SHA: ${request.params.ref}`, 'https://docs.github.com/rest/commits/commits#get-a-commit');
    const parent = commit.parents[0] ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    const files = await diffFiles(repo.gitDir, parent, commit.oid);
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    return {
      ...repoCommitJson(ctx.urls, repo, commit),
      stats: { total: additions + deletions, additions, deletions },
      files: files.map((f) => ({ sha: f.oid, filename: f.path, status: f.status, additions: f.additions, deletions: f.deletions, changes: f.additions + f.deletions, patch: f.patch })),
    };
  });

  const getContents = async (request: FastifyRequest<{ Params: { owner: string; repo: string; '*'?: string }; Querystring: { ref?: string } }>, reply: import('fastify').FastifyReply) => {
    const repo = repoFor(ctx, request);
    const path = decodeURIComponent(request.params['*'] ?? '').replace(/^\/+|\/+$/g, '');
    const ref = request.query.ref ?? repo.defaultBranch;
    const commit = await resolveUserRef(repo, ref);
    if (!commit) throw new GitHubError(404, `No commit found for the ref ${ref}`, CONTENTS_DOC);
    if (path === '') {
      const entries = await lsTree(repo.gitDir, commit);
      return entries.slice(0, 1000).map((e) => contentEntryJson(ctx, repo, ref, e));
    }
    const [entry] = await lsTree(repo.gitDir, commit, { path });
    if (!entry || entry.path !== path) throw new GitHubError(404, 'Not Found', CONTENTS_DOC);
    if (entry.type === 'tree') {
      const children = await lsTree(repo.gitDir, `${commit}:${path}`);
      return children.slice(0, 1000).map((e) => contentEntryJson(ctx, repo, ref, { ...e, path: `${path}/${e.path}` }));
    }
    const blob = (await readBlob(repo.gitDir, entry.oid)) ?? Buffer.alloc(0);
    const accept = request.headers.accept ?? '';
    if (accept.includes('application/vnd.github.raw') || accept.includes('application/vnd.github.v3.raw')) {
      return reply.type('application/vnd.github.raw').send(blob);
    }
    // Over 1 MB the object API answers without content (encoding "none"), as GitHub does.
    const tooBig = blob.length > 1024 * 1024;
    return {
      ...contentEntryJson(ctx, repo, ref, entry),
      content: tooBig ? '' : wrapBase64(blob),
      encoding: tooBig ? 'none' : 'base64',
    };
  };
  api.get('/repos/:owner/:repo/contents', getContents);
  api.get('/repos/:owner/:repo/contents/*', getContents);

  api.put<{ Params: { owner: string; repo: string; '*': string } }>('/repos/:owner/:repo/contents/*', async (request, reply) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, PUT_CONTENTS_DOC, 'contents=write');
    const path = decodeURIComponent(request.params['*']).replace(/^\/+|\/+$/g, '');
    const body = bodyObject(request.body, PUT_CONTENTS_DOC);
    const message = requiredString(body, 'message', PUT_CONTENTS_DOC);
    const content = requiredString(body, 'content', PUT_CONTENTS_DOC);
    const sha = optionalString(body, 'sha', PUT_CONTENTS_DOC);
    const branch = optionalString(body, 'branch', PUT_CONTENTS_DOC) ?? repo.defaultBranch;
    if (!/^[A-Za-z0-9+/=\s]*$/.test(content)) throw invalidRequest(PUT_CONTENTS_DOC, 'content is not valid Base64');
    return ctx.withRepoLock(repo.fullName, async () => {
      const head = await readRef(repo.gitDir, `refs/heads/${branch}`);
      if (!head) throw new GitHubError(404, `Branch ${branch} not found`, PUT_CONTENTS_DOC);
      const [existing] = await lsTree(repo.gitDir, head, { path });
      const exists = existing !== undefined && existing.path === path && existing.type === 'blob';
      if (exists && sha === undefined) throw invalidRequest(PUT_CONTENTS_DOC, '"sha" wasn\'t supplied.');
      if (exists && sha !== existing.oid) throw new GitHubError(409, `${path} does not match ${sha}`, PUT_CONTENTS_DOC);
      const blob = await writeBlob(repo.gitDir, Buffer.from(content, 'base64'));
      const parent = await readCommit(repo.gitDir, head);
      const tree = await writeTreeWithChanges(repo.gitDir, parent?.tree ?? null, [{ path, mode: '100644', type: 'blob', oid: blob }]);
      const now = isoNow();
      const author = { name: grant.user.name, email: grant.user.email, date: now };
      const commitOid = await commitTreeOnBranch(repo, head, tree, message, author);
      if (!(await updateRef(repo.gitDir, `refs/heads/${branch}`, commitOid, head))) throw new GitHubError(409, `${path} does not match ${sha ?? ''}`, PUT_CONTENTS_DOC);
      refsUpdated(ctx, repo, [{ ref: `refs/heads/${branch}`, before: head, after: commitOid }], grant.user);
      const commit = await readCommit(repo.gitDir, commitOid);
      const [entry] = await lsTree(repo.gitDir, commitOid, { path });
      reply.code(exists ? 200 : 201);
      return {
        content: entry ? contentEntryJson(ctx, repo, branch, entry) : null,
        commit: commit ? gitCommitJson(ctx.urls, repo, commit) : null,
      };
    });
  });
}
