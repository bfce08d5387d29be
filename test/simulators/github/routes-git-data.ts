/**
 * The Git Database REST API over the bare repositories: blobs, trees (base_tree, nested paths,
 * deletions with `sha: null`, recursive listing with `truncated`), commits and refs with GitHub's
 * rules and messages: "Reference already exists", "Object does not exist", "Update is not a fast
 * forward" unless `force`, "Reference does not exist", no refs in an empty repository.
 */
import type { FastifyInstance } from 'fastify';
import { repoFor, requireWrite } from './api-support.ts';
import type { SimContext } from './context.ts';
import { bodyObject, GitHubError, invalidRequest, notFound, optionalString, requiredString } from './errors.ts';
import {
  deleteRef,
  isAncestor,
  isOid,
  listRefs,
  lsTree,
  objectType,
  readBlob,
  readCommit,
  readRef,
  runGit,
  type TreeChange,
  updateRef,
  writeBlob,
  writeCommit,
  writeTreeWithChanges,
  ZERO_OID,
} from './git-plumbing.ts';
import { refsUpdated } from './pull-service.ts';
import { gitCommitJson, refJson } from './render.ts';
import { wrapBase64 } from './routes-repos.ts';
import { isoNow, nodeId, type RepoRecord } from './state.ts';

type RepoParams = { Params: { owner: string; repo: string } };
type WildParams = { Params: { owner: string; repo: string; '*': string } };

const DOC = {
  createBlob: 'https://docs.github.com/rest/git/blobs#create-a-blob',
  createTree: 'https://docs.github.com/rest/git/trees#create-a-tree',
  getTree: 'https://docs.github.com/rest/git/trees#get-a-tree',
  createCommit: 'https://docs.github.com/rest/git/commits#create-a-commit',
  getRef: 'https://docs.github.com/rest/git/refs#get-a-reference',
  createRef: 'https://docs.github.com/rest/git/refs#create-a-reference',
  updateRef: 'https://docs.github.com/rest/git/refs#update-a-reference',
  deleteRef: 'https://docs.github.com/rest/git/refs#delete-a-reference',
};

/** Entries beyond this make a recursive tree answer `truncated: true` (GitHub: 100,000 entries). */
export const TREE_ENTRY_LIMIT = 100_000;

const MODES = new Set(['100644', '100755', '040000', '160000', '120000']);
const TYPES = new Set(['blob', 'tree', 'commit']);

async function validRefName(repo: RepoRecord, ref: string): Promise<boolean> {
  const result = await runGit(repo.gitDir, ['check-ref-format', ref], { okCodes: [1] });
  return result.code === 0;
}

function signatureInput(value: unknown, fallback: { name: string; email: string }, doc: string, key: string) {
  if (value === undefined) return { ...fallback, date: isoNow() };
  if (typeof value !== 'object' || value === null) throw invalidRequest(doc, `For 'properties/${key}', ${JSON.stringify(value)} is not an object.`);
  const sig = value as Record<string, unknown>;
  const name = requiredString(sig, 'name', doc);
  const email = requiredString(sig, 'email', doc);
  const date = optionalString(sig, 'date', doc) ?? isoNow();
  if (Number.isNaN(Date.parse(date))) throw invalidRequest(doc, `For 'properties/date', ${JSON.stringify(date)} is not a date-time.`);
  return { name, email, date };
}

export function registerGitDataRoutes(api: FastifyInstance, ctx: SimContext): void {
  const base = '/repos/:owner/:repo/git';

  api.post<RepoParams>(`${base}/blobs`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    requireWrite(request, DOC.createBlob, 'contents=write');
    const body = bodyObject(request.body, DOC.createBlob);
    const content = requiredString(body, 'content', DOC.createBlob);
    const encoding = optionalString(body, 'encoding', DOC.createBlob) ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64') throw invalidRequest(DOC.createBlob, `encoding must be either "utf-8" or "base64"`);
    const sha = await writeBlob(repo.gitDir, Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'));
    const url = `${ctx.urls.api}/repos/${repo.fullName}/git/blobs/${sha}`;
    reply.code(201).header('location', url);
    return { url, sha };
  });

  api.get<{ Params: { owner: string; repo: string; sha: string } }>(`${base}/blobs/:sha`, async (request) => {
    const repo = repoFor(ctx, request);
    const blob = await readBlob(repo.gitDir, request.params.sha);
    if (!blob) throw notFound();
    return {
      sha: request.params.sha,
      node_id: nodeId('04:Blob', Number.parseInt(request.params.sha.slice(0, 8), 16)),
      size: blob.length,
      url: `${ctx.urls.api}/repos/${repo.fullName}/git/blobs/${request.params.sha}`,
      content: wrapBase64(blob),
      encoding: 'base64',
    };
  });

  api.post<RepoParams>(`${base}/trees`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    requireWrite(request, DOC.createTree, 'contents=write');
    const body = bodyObject(request.body, DOC.createTree);
    const entries = body.tree;
    if (entries === undefined) throw invalidRequest(DOC.createTree, '"tree" wasn\'t supplied.');
    if (!Array.isArray(entries)) throw invalidRequest(DOC.createTree, `For 'properties/tree', ${JSON.stringify(entries)} is not an array.`);
    const baseTreeInput = optionalString(body, 'base_tree', DOC.createTree);
    let baseTree: string | null = null;
    if (baseTreeInput !== undefined) {
      const type = await objectType(repo.gitDir, baseTreeInput);
      if (type === 'commit') baseTree = (await readCommit(repo.gitDir, baseTreeInput))?.tree ?? null;
      else if (type === 'tree') baseTree = baseTreeInput;
      else throw new GitHubError(422, 'Invalid tree info', DOC.createTree);
    }
    const changes: TreeChange[] = [];
    for (const [index, raw] of entries.entries()) {
      if (typeof raw !== 'object' || raw === null) throw invalidRequest(DOC.createTree, `For 'items', ${JSON.stringify(raw)} is not an object.`);
      const entry = raw as Record<string, unknown>;
      const path = requiredString(entry, 'path', DOC.createTree);
      const mode = requiredString(entry, 'mode', DOC.createTree);
      const type = optionalString(entry, 'type', DOC.createTree) ?? (mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob');
      if (!MODES.has(mode)) throw invalidRequest(DOC.createTree, `For 'properties/mode', "${mode}" is not one of ["100644", "100755", "040000", "160000", "120000"].`);
      if (!TYPES.has(type)) throw invalidRequest(DOC.createTree, `For 'properties/type', "${type}" is not one of ["blob", "tree", "commit"].`);
      if (path === '' || path.startsWith('/') || path.endsWith('/') || path.split('/').some((p) => p === '' || p === '.' || p === '..' || p === '.git')) {
        throw new GitHubError(422, `tree.path contains a malformed path component`, DOC.createTree, { errors: [{ resource: 'Tree', field: `tree[${index}].path`, code: 'invalid' }] });
      }
      const hasSha = 'sha' in entry;
      const hasContent = 'content' in entry && entry.content !== undefined;
      if (hasSha && hasContent) throw new GitHubError(422, 'Must supply either tree.sha or tree.content. Request will be rejected if both are present.', DOC.createTree);
      if (hasContent) {
        const content = requiredString(entry, 'content', DOC.createTree);
        changes.push({ path, mode, type: 'blob', oid: await writeBlob(repo.gitDir, Buffer.from(content, 'utf8')) });
        continue;
      }
      if (!hasSha) throw new GitHubError(422, 'Must supply either tree.sha or tree.content. Request will be rejected if both are present.', DOC.createTree);
      const sha = entry.sha;
      if (sha === null) {
        changes.push({ path, mode, type: type as TreeChange['type'], oid: null });
        continue;
      }
      if (typeof sha !== 'string' || (type !== 'commit' && (await objectType(repo.gitDir, sha)) !== type)) {
        throw new GitHubError(422, `tree.sha ${String(sha)} is not a valid ${type}`, DOC.createTree);
      }
      changes.push({ path, mode, type: type as TreeChange['type'], oid: sha });
    }
    const sha = await writeTreeWithChanges(repo.gitDir, baseTree, changes);
    const listing = await lsTree(repo.gitDir, sha);
    const url = `${ctx.urls.api}/repos/${repo.fullName}/git/trees/${sha}`;
    reply.code(201).header('location', url);
    return { sha, url, tree: listing.map((e) => treeEntryJson(ctx, repo, e)), truncated: false };
  });

  api.get<{ Params: { owner: string; repo: string; sha: string }; Querystring: { recursive?: string } }>(`${base}/trees/:sha`, async (request) => {
    const repo = repoFor(ctx, request);
    let treeish = request.params.sha;
    const type = await objectType(repo.gitDir, treeish);
    if (type === 'commit') treeish = (await readCommit(repo.gitDir, treeish))?.tree ?? '';
    else if (type !== 'tree') {
      const branch = (await readRef(repo.gitDir, `refs/heads/${treeish}`)) ?? (await readRef(repo.gitDir, `refs/tags/${treeish}`));
      if (!branch) throw notFound();
      treeish = (await readCommit(repo.gitDir, branch))?.tree ?? '';
    }
    // Any value of `recursive` turns recursion on (GitHub: "0", "false" too).
    const recursive = request.query.recursive !== undefined;
    const entries = await lsTree(repo.gitDir, treeish, { recursive });
    const truncated = entries.length > TREE_ENTRY_LIMIT;
    return {
      sha: treeish,
      url: `${ctx.urls.api}/repos/${repo.fullName}/git/trees/${treeish}`,
      tree: entries.slice(0, TREE_ENTRY_LIMIT).map((e) => treeEntryJson(ctx, repo, e)),
      truncated,
    };
  });

  api.post<RepoParams>(`${base}/commits`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.createCommit, 'contents=write');
    const body = bodyObject(request.body, DOC.createCommit);
    const message = requiredString(body, 'message', DOC.createCommit);
    const tree = requiredString(body, 'tree', DOC.createCommit);
    const parentsInput = body.parents ?? [];
    if (!Array.isArray(parentsInput)) throw invalidRequest(DOC.createCommit, `For 'properties/parents', ${JSON.stringify(parentsInput)} is not an array.`);
    if ((await objectType(repo.gitDir, tree)) !== 'tree') throw new GitHubError(422, 'Tree SHA does not exist', DOC.createCommit);
    const parents: string[] = [];
    for (const parent of parentsInput) {
      if (typeof parent !== 'string' || (await objectType(repo.gitDir, parent)) !== 'commit') {
        throw new GitHubError(422, 'Parent SHA does not exist or is not a commit object', DOC.createCommit);
      }
      parents.push(parent);
    }
    const author = signatureInput(body.author, grant.user, DOC.createCommit, 'author');
    const committer = signatureInput(body.committer, author, DOC.createCommit, 'committer');
    const sha = await writeCommit(repo.gitDir, { tree, parents, message, author, committer });
    const commit = await readCommit(repo.gitDir, sha);
    const url = `${ctx.urls.api}/repos/${repo.fullName}/git/commits/${sha}`;
    reply.code(201).header('location', url);
    return commit ? gitCommitJson(ctx.urls, repo, commit) : { sha };
  });

  api.get<{ Params: { owner: string; repo: string; sha: string } }>(`${base}/commits/:sha`, async (request) => {
    const repo = repoFor(ctx, request);
    const commit = await readCommit(repo.gitDir, request.params.sha);
    if (!commit) throw notFound();
    return gitCommitJson(ctx.urls, repo, commit);
  });

  // --- refs ---------------------------------------------------------------------------------------

  api.get<WildParams>(`${base}/ref/*`, async (request) => {
    const repo = repoFor(ctx, request);
    const ref = `refs/${decodeURIComponent(request.params['*'])}`;
    const [match] = (await listRefs(repo.gitDir, [ref])).filter((r) => r.ref === ref);
    if (!match) throw new GitHubError(404, 'Not Found', DOC.getRef);
    return refJson(ctx.urls, repo, match.ref, match.oid, match.type);
  });

  api.get<WildParams>(`${base}/matching-refs/*`, async (request) => {
    const repo = repoFor(ctx, request);
    const prefix = `refs/${decodeURIComponent(request.params['*'])}`;
    const refs = (await listRefs(repo.gitDir)).filter((r) => r.ref.startsWith(prefix));
    return refs.map((r) => refJson(ctx.urls, repo, r.ref, r.oid, r.type));
  });

  api.get<RepoParams>(`${base}/refs`, async (request) => {
    const repo = repoFor(ctx, request);
    return (await listRefs(repo.gitDir)).map((r) => refJson(ctx.urls, repo, r.ref, r.oid, r.type));
  });

  // Legacy form: an exact match answers the object, a prefix answers an array.
  api.get<WildParams>(`${base}/refs/*`, async (request) => {
    const repo = repoFor(ctx, request);
    const wanted = `refs/${decodeURIComponent(request.params['*'])}`;
    const refs = await listRefs(repo.gitDir);
    const exact = refs.find((r) => r.ref === wanted);
    if (exact) return refJson(ctx.urls, repo, exact.ref, exact.oid, exact.type);
    const prefixed = refs.filter((r) => r.ref.startsWith(`${wanted}/`));
    if (prefixed.length === 0) throw new GitHubError(404, 'Not Found', DOC.getRef);
    return prefixed.map((r) => refJson(ctx.urls, repo, r.ref, r.oid, r.type));
  });

  api.post<RepoParams>(`${base}/refs`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.createRef, 'contents=write');
    const body = bodyObject(request.body, DOC.createRef);
    const ref = requiredString(body, 'ref', DOC.createRef);
    const sha = requiredString(body, 'sha', DOC.createRef);
    if (!ref.startsWith('refs/') || ref.split('/').length < 3) throw new GitHubError(422, "ref must start with 'refs' and have at least two slashes.", DOC.createRef);
    if (!(await validRefName(repo, ref))) throw new GitHubError(422, `${ref} is not a valid ref name.`, DOC.createRef);
    return ctx.withRepoLock(repo.fullName, async () => {
      if ((await listRefs(repo.gitDir, ['refs/heads'])).length === 0) throw new GitHubError(409, 'Git Repository is empty.', DOC.createRef);
      const type = isOid(sha) ? await objectType(repo.gitDir, sha) : null;
      if (!type) throw new GitHubError(422, 'Object does not exist', DOC.createRef);
      if (ref.startsWith('refs/heads/') && type !== 'commit') throw new GitHubError(422, 'Reference update failed', DOC.createRef);
      if (await readRef(repo.gitDir, ref)) throw new GitHubError(422, 'Reference already exists', DOC.createRef);
      if (!(await updateRef(repo.gitDir, ref, sha, ZERO_OID))) throw new GitHubError(422, 'Reference already exists', DOC.createRef);
      refsUpdated(ctx, repo, [{ ref, before: ZERO_OID, after: sha }], grant.user);
      const url = `${ctx.urls.api}/repos/${repo.fullName}/git/${ref}`;
      reply.code(201).header('location', url);
      return refJson(ctx.urls, repo, ref, sha, type);
    });
  });

  api.patch<WildParams>(`${base}/refs/*`, async (request) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.updateRef, 'contents=write');
    const ref = `refs/${decodeURIComponent(request.params['*'])}`;
    const body = bodyObject(request.body, DOC.updateRef);
    const sha = requiredString(body, 'sha', DOC.updateRef);
    const force = body.force;
    if (force !== undefined && typeof force !== 'boolean') throw invalidRequest(DOC.updateRef, `For 'properties/force', ${JSON.stringify(force)} is not a boolean.`);
    return ctx.withRepoLock(repo.fullName, async () => {
      const current = await readRef(repo.gitDir, ref);
      if (!current || ref.startsWith('refs/refs/')) throw new GitHubError(422, 'Reference does not exist', DOC.updateRef);
      const type = isOid(sha) ? await objectType(repo.gitDir, sha) : null;
      if (!type) throw new GitHubError(422, 'Object does not exist', DOC.updateRef);
      const fastForward = type === 'commit' && (await isAncestor(repo.gitDir, current, sha));
      if (!fastForward && force !== true) throw new GitHubError(422, 'Update is not a fast forward', DOC.updateRef);
      if (!(await updateRef(repo.gitDir, ref, sha, current))) throw new GitHubError(422, 'Reference cannot be updated', DOC.updateRef);
      refsUpdated(ctx, repo, [{ ref, before: current, after: sha, forced: !fastForward }], grant.user);
      return refJson(ctx.urls, repo, ref, sha, type);
    });
  });

  api.delete<WildParams>(`${base}/refs/*`, async (request, reply) => {
    const repo = repoFor(ctx, request);
    const grant = requireWrite(request, DOC.deleteRef, 'contents=write');
    const ref = `refs/${decodeURIComponent(request.params['*'])}`;
    return ctx.withRepoLock(repo.fullName, async () => {
      const current = await readRef(repo.gitDir, ref);
      if (!current) throw new GitHubError(422, 'Reference does not exist', DOC.deleteRef);
      await deleteRef(repo.gitDir, ref);
      refsUpdated(ctx, repo, [{ ref, before: current, after: ZERO_OID }], grant.user);
      return reply.code(204).send();
    });
  });
}

function treeEntryJson(ctx: SimContext, repo: RepoRecord, e: { path: string; mode: string; type: string; oid: string; size: number | null }) {
  const json: Record<string, unknown> = { path: e.path, mode: e.mode, type: e.type, sha: e.oid };
  if (e.type === 'blob') json.size = e.size ?? 0;
  if (e.type !== 'commit') json.url = `${ctx.urls.api}/repos/${repo.fullName}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.oid}`;
  return json;
}
