import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from './index.ts';
import { api } from './test-helpers.ts';

let sim: GitHubSimulator;
let mainSha: string;

beforeAll(async () => {
  sim = await startGitHubSimulator();
  mainSha = (await api(sim, 'GET', '/repos/acme/web/git/ref/heads/main')).json.object.sha;
});
afterAll(() => sim.close());

describe('REST auth, errors and headers', () => {
  it('answers a bad token with 401 Bad credentials in GitHub’s shape', async () => {
    const response = await api(sim, 'GET', '/repos/acme/web', undefined, { token: 'ghp_notarealtoken' });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  });

  it('rejects a bare Authorization header without scheme', async () => {
    const response = await fetch(`${sim.apiUrl}/user`, { headers: { authorization: sim.token } });
    expect(response.status).toBe(401);
  });

  it('accepts both `token` and `Bearer`', async () => {
    expect((await fetch(`${sim.apiUrl}/user`, { headers: { authorization: `Bearer ${sim.token}` } })).status).toBe(200);
    const user = await api(sim, 'GET', '/user');
    expect(user.json.login).toBe('sim-bot');
  });

  it('hides private repositories from anonymous callers with 404, not 403', async () => {
    const response = await api(sim, 'GET', '/repos/acme/web', undefined, { token: null });
    expect(response.status).toBe(404);
    expect(response.json.message).toBe('Not Found');
  });

  it('404s an unknown repository with the Not Found body', async () => {
    const response = await api(sim, 'GET', '/repos/acme/does-not-exist');
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ message: 'Not Found', status: '404' });
  });

  it('puts request id and rate-limit headers on every answer, errors included', async () => {
    for (const response of [await api(sim, 'GET', '/repos/acme/web'), await api(sim, 'GET', '/repos/acme/none')]) {
      expect(response.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}$/);
      for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-used', 'x-ratelimit-reset']) expect(response.headers.get(name)).toMatch(/^\d+$/);
      expect(response.headers.get('x-ratelimit-resource')).toBe('core');
    }
  });

  it('accepts a supported X-GitHub-Api-Version and refuses an unknown one with 400', async () => {
    expect((await api(sim, 'GET', '/repos/acme/web', undefined, { headers: { 'x-github-api-version': '2022-11-28' } })).status).toBe(200);
    const bad = await api(sim, 'GET', '/repos/acme/web', undefined, { headers: { 'x-github-api-version': 'v3' } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('"v3", is not a supported version');
  });

  it('answers malformed JSON with 400 Problems parsing JSON', async () => {
    const response = await fetch(`${sim.apiUrl}/repos/acme/web/git/refs`, { method: 'POST', headers: { authorization: `token ${sim.token}`, 'content-type': 'application/json' }, body: '{"ref":' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe('Problems parsing JSON');
  });

  it('refuses writes with the read-only token: 403 Resource not accessible by personal access token', async () => {
    const response = await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/ro', sha: mainSha }, { token: sim.readOnlyToken });
    expect(response.status).toBe(403);
    expect(response.json.message).toBe('Resource not accessible by personal access token');
    const repo = await api(sim, 'GET', '/repos/acme/web', undefined, { token: sim.readOnlyToken });
    expect(repo.json.permissions).toMatchObject({ push: false, pull: true });
  });

  it('describes the repository with simulator clone_url, default branch and permissions', async () => {
    const repo = await api(sim, 'GET', '/repos/acme/web');
    expect(repo.json).toMatchObject({ full_name: 'acme/web', default_branch: 'main', private: true, clone_url: `${sim.url}/acme/web.git`, permissions: { push: true } });
  });
});

describe('refs', () => {
  it('creates a ref (201) and refuses to create it again: 422 Reference already exists', async () => {
    const created = await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/dup', sha: mainSha });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ref: 'refs/heads/dup', object: { sha: mainSha, type: 'commit' } });
    const again = await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/dup', sha: mainSha });
    expect(again.status).toBe(422);
    expect(again.json.message).toBe('Reference already exists');
    expect(again.json.documentation_url).toContain('docs.github.com');
  });

  it('refuses a ref to an unknown object: 422 Object does not exist', async () => {
    const response = await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/ghost', sha: 'f'.repeat(40) });
    expect(response.status).toBe(422);
    expect(response.json.message).toBe('Object does not exist');
  });

  it('refuses a ref name without refs/ prefix', async () => {
    const response = await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'heads/x', sha: mainSha });
    expect(response.status).toBe(422);
  });

  it('requires sha in the body', async () => {
    const response = await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/nosha' });
    expect(response.status).toBe(422);
    expect(response.json.message).toBe('Invalid request.\n\n"sha" wasn\'t supplied.');
  });

  it('cannot create refs in an empty repository', async () => {
    await sim.admin.createRepo({ fullName: 'acme/empty' });
    const response = await api(sim, 'POST', '/repos/acme/empty/git/refs', { ref: 'refs/heads/main', sha: mainSha });
    expect(response.status).toBe(409);
    expect(response.json.message).toBe('Git Repository is empty.');
  });

  it('gets a ref, 404s a missing one, lists matching refs (empty array when none)', async () => {
    expect((await api(sim, 'GET', '/repos/acme/web/git/ref/heads/main')).json.object.sha).toBe(mainSha);
    const missing = await api(sim, 'GET', '/repos/acme/web/git/ref/heads/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('Not Found');
    const matching = await api(sim, 'GET', '/repos/acme/web/git/matching-refs/heads/ma');
    expect(matching.json.map((r: { ref: string }) => r.ref)).toEqual(['refs/heads/main']);
    expect((await api(sim, 'GET', '/repos/acme/web/git/matching-refs/heads/zzz')).json).toEqual([]);
  });

  it('refuses a non-fast-forward update without force (422) and allows it with force', async () => {
    await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/nff', sha: mainSha });
    const parent = (await api(sim, 'GET', `/repos/acme/web/git/commits/${mainSha}`)).json.parents[0].sha;
    const rewind = await api(sim, 'PATCH', '/repos/acme/web/git/refs/heads/nff', { sha: parent });
    expect(rewind.status).toBe(422);
    expect(rewind.json.message).toBe('Update is not a fast forward');
    const explicitFalse = await api(sim, 'PATCH', '/repos/acme/web/git/refs/heads/nff', { sha: parent, force: false });
    expect(explicitFalse.status).toBe(422);
    const forced = await api(sim, 'PATCH', '/repos/acme/web/git/refs/heads/nff', { sha: parent, force: true });
    expect(forced.status).toBe(200);
    expect(forced.json.object.sha).toBe(parent);
    const forward = await api(sim, 'PATCH', '/repos/acme/web/git/refs/heads/nff', { sha: mainSha });
    expect(forward.status).toBe(200);
  });

  it('refuses to update or delete a missing ref: 422 Reference does not exist', async () => {
    const update = await api(sim, 'PATCH', '/repos/acme/web/git/refs/heads/missing', { sha: mainSha, force: true });
    expect(update.status).toBe(422);
    expect(update.json.message).toBe('Reference does not exist');
    const del = await api(sim, 'DELETE', '/repos/acme/web/git/refs/heads/missing');
    expect(del.status).toBe(422);
    expect(del.json.message).toBe('Reference does not exist');
  });

  it('deletes a ref with 204', async () => {
    await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/to-delete', sha: mainSha });
    expect((await api(sim, 'DELETE', '/repos/acme/web/git/refs/heads/to-delete')).status).toBe(204);
    expect((await api(sim, 'GET', '/repos/acme/web/git/ref/heads/to-delete')).status).toBe(404);
  });
});

describe('branches and contents', () => {
  it('lists branches and gets one; a missing branch is 404 Branch not found', async () => {
    const list = await api(sim, 'GET', '/repos/acme/svc/branches');
    expect(list.json.map((b: { name: string }) => b.name)).toContain('main');
    const one = await api(sim, 'GET', '/repos/acme/svc/branches/main');
    expect(one.json).toMatchObject({ name: 'main', protected: false, commit: { commit: { author: { name: 'Acme Developer' } } } });
    const missing = await api(sim, 'GET', '/repos/acme/svc/branches/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('Branch not found');
  });

  it('returns file contents base64-wrapped at 60 columns with the blob sha', async () => {
    const file = await api(sim, 'GET', '/repos/acme/java/contents/pom.xml');
    expect(file.status).toBe(200);
    expect(file.json).toMatchObject({ type: 'file', encoding: 'base64', name: 'pom.xml', path: 'pom.xml' });
    const lines = file.json.content.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -2).every((l: string) => l.length === 60)).toBe(true);
    expect(Buffer.from(file.json.content, 'base64').toString()).toContain('<log4j.version>2.14.1</log4j.version>');
    const blob = await api(sim, 'GET', `/repos/acme/java/git/blobs/${file.json.sha}`);
    expect(blob.json.content).toBe(file.json.content);
  });

  it('lists a directory as an array and 404s a missing path or ref', async () => {
    const dir = await api(sim, 'GET', '/repos/acme/java/contents/gradle');
    expect(Array.isArray(dir.json)).toBe(true);
    expect(dir.json[0]).toMatchObject({ type: 'file', path: 'gradle/libs.versions.toml' });
    const root = await api(sim, 'GET', '/repos/acme/java/contents');
    expect(root.json.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['pom.xml', 'gradle', 'build.gradle.kts']));
    const missing = await api(sim, 'GET', '/repos/acme/java/contents/nope.txt');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ message: 'Not Found', status: '404' });
    const badRef = await api(sim, 'GET', '/repos/acme/java/contents/pom.xml?ref=no-such-branch');
    expect(badRef.status).toBe(404);
    expect(badRef.json.message).toBe('No commit found for the ref no-such-branch');
  });

  it('serves raw content for the raw media type', async () => {
    const response = await fetch(`${sim.apiUrl}/repos/acme/svc/contents/go.mod`, { headers: { authorization: `token ${sim.token}`, accept: 'application/vnd.github.raw+json' } });
    expect(await response.text()).toContain('golang.org/x/net v0.7.0');
  });

  it('PUT contents: 422 when updating without sha, 409 with a stale sha, 200 with the right one, 201 for a new file', async () => {
    const content = Buffer.from('updated\n').toString('base64');
    const file = await api(sim, 'GET', '/repos/acme/rails/contents/Gemfile');
    const noSha = await api(sim, 'PUT', '/repos/acme/rails/contents/Gemfile', { message: 'm', content });
    expect(noSha.status).toBe(422);
    expect(noSha.json.message).toBe('Invalid request.\n\n"sha" wasn\'t supplied.');
    const stale = await api(sim, 'PUT', '/repos/acme/rails/contents/Gemfile', { message: 'm', content, sha: 'a'.repeat(40) });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toBe(`Gemfile does not match ${'a'.repeat(40)}`);
    expect(stale.json.errors).toBeUndefined();
    const ok = await api(sim, 'PUT', '/repos/acme/rails/contents/Gemfile', { message: 'm', content, sha: file.json.sha });
    expect(ok.status).toBe(200);
    const created = await api(sim, 'PUT', '/repos/acme/rails/contents/NEW.md', { message: 'new', content, sha: 'ignored' });
    expect(created.status).toBe(201);
    expect(created.json.commit.message).toBe('new');
  });
});

describe('git data: blobs, trees, commits', () => {
  it('builds a commit from blob + tree (with base_tree, nested path and a deletion) + commit, then moves a branch', async () => {
    const blob = await api(sim, 'POST', '/repos/acme/mono/git/blobs', { content: Buffer.from('{"name":"x"}\n').toString('base64'), encoding: 'base64' });
    expect(blob.status).toBe(201);
    expect(blob.json.sha).toMatch(/^[0-9a-f]{40}$/);
    const head = (await api(sim, 'GET', '/repos/acme/mono/git/ref/heads/main')).json.object.sha;
    const headCommit = (await api(sim, 'GET', `/repos/acme/mono/git/commits/${head}`)).json;
    const tree = await api(sim, 'POST', '/repos/acme/mono/git/trees', {
      base_tree: headCommit.tree.sha,
      tree: [
        { path: 'packages/frontend/package.json', mode: '100644', type: 'blob', sha: blob.json.sha },
        { path: 'services/worker/requirements.txt', mode: '100644', type: 'blob', sha: null },
        { path: 'docs/new.md', mode: '100644', type: 'blob', content: '# new\n' },
      ],
    });
    expect(tree.status).toBe(201);
    expect(tree.json.truncated).toBe(false);
    const commit = await api(sim, 'POST', '/repos/acme/mono/git/commits', {
      message: 'Bump frontend',
      tree: tree.json.sha,
      parents: [head],
      author: { name: 'Fix Bot', email: 'fix@acme.example', date: '2024-03-01T00:00:00Z' },
    });
    expect(commit.status).toBe(201);
    expect(commit.json).toMatchObject({ message: 'Bump frontend', author: { name: 'Fix Bot', date: '2024-03-01T00:00:00Z' }, parents: [{ sha: head }], tree: { sha: tree.json.sha } });
    const recursive = await api(sim, 'GET', `/repos/acme/mono/git/trees/${tree.json.sha}?recursive=1`);
    const paths = recursive.json.tree.map((e: { path: string }) => e.path);
    expect(paths).toContain('docs/new.md');
    expect(paths).toContain('packages/frontend/package.json');
    expect(paths).not.toContain('services/worker/requirements.txt');
    expect(paths).not.toContain('services/worker');
    expect(recursive.json.truncated).toBe(false);
    const flat = await api(sim, 'GET', `/repos/acme/mono/git/trees/${tree.json.sha}`);
    expect(flat.json.tree.every((e: { path: string }) => !e.path.includes('/'))).toBe(true);
  });

  it('without base_tree the tree holds only the listed entries', async () => {
    const tree = await api(sim, 'POST', '/repos/acme/mono/git/trees', { tree: [{ path: 'only.txt', mode: '100644', type: 'blob', content: 'x' }] });
    expect(tree.json.tree.map((e: { path: string }) => e.path)).toEqual(['only.txt']);
  });

  it('refuses tree entries with both sha and content, bad mode, or an unknown sha', async () => {
    const both = await api(sim, 'POST', '/repos/acme/mono/git/trees', { tree: [{ path: 'a', mode: '100644', type: 'blob', sha: 'a'.repeat(40), content: 'x' }] });
    expect(both.status).toBe(422);
    const mode = await api(sim, 'POST', '/repos/acme/mono/git/trees', { tree: [{ path: 'a', mode: '100600', type: 'blob', content: 'x' }] });
    expect(mode.status).toBe(422);
    const unknown = await api(sim, 'POST', '/repos/acme/mono/git/trees', { tree: [{ path: 'a', mode: '100644', type: 'blob', sha: 'b'.repeat(40) }] });
    expect(unknown.status).toBe(422);
    const badBase = await api(sim, 'POST', '/repos/acme/mono/git/trees', { base_tree: 'c'.repeat(40), tree: [] });
    expect(badBase.status).toBe(422);
  });

  it('refuses commits with an unknown tree or parent', async () => {
    const tree = await api(sim, 'POST', '/repos/acme/mono/git/commits', { message: 'x', tree: 'd'.repeat(40), parents: [] });
    expect(tree.status).toBe(422);
    expect(tree.json.message).toBe('Tree SHA does not exist');
    const head = (await api(sim, 'GET', '/repos/acme/mono/git/ref/heads/main')).json.object.sha;
    const commit = (await api(sim, 'GET', `/repos/acme/mono/git/commits/${head}`)).json;
    const parent = await api(sim, 'POST', '/repos/acme/mono/git/commits', { message: 'x', tree: commit.tree.sha, parents: ['e'.repeat(40)] });
    expect(parent.status).toBe(422);
    expect(parent.json.message).toBe('Parent SHA does not exist or is not a commit object');
    const noMessage = await api(sim, 'POST', '/repos/acme/mono/git/commits', { tree: commit.tree.sha, parents: [] });
    expect(noMessage.status).toBe(422);
  });

  it('404s unknown blobs, trees and commits', async () => {
    for (const kind of ['blobs', 'trees', 'commits']) {
      expect((await api(sim, 'GET', `/repos/acme/mono/git/${kind}/${'0'.repeat(39)}1`)).status).toBe(404);
    }
  });

  it('reports truncated for a recursive tree over the entry limit', async () => {
    const { buildLargeRepository } = await import('./large-repo.ts');
    const { TREE_ENTRY_LIMIT } = await import('./routes-git-data.ts');
    // The limit is GitHub's (100k); a repository just above it keeps the test honest without a knob.
    await buildLargeRepository({ simulator: sim, fullName: 'acme/wide', files: TREE_ENTRY_LIMIT + 10, historyMb: 0.01, commits: 1 });
    const tree = await api(sim, 'GET', '/repos/acme/wide/git/trees/main?recursive=1');
    expect(tree.json.truncated).toBe(true);
    expect(tree.json.tree.length).toBe(TREE_ENTRY_LIMIT);
  }, 120_000);
});
