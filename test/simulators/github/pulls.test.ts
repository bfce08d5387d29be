import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from './index.ts';
import { api, pushBranch, tempDir } from './test-helpers.ts';

let sim: GitHubSimulator;
let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  sim = await startGitHubSimulator();
  dir = await tempDir();
});
afterAll(async () => {
  await sim.close();
  await dir.remove();
});

const bump = (version: string) => ({ 'package.json': `{\n  "name": "@acme/web",\n  "dependencies": { "lodash": "${version}" }\n}\n` });

describe('creating pull requests', () => {
  it('creates a PR for a pushed branch (201, Location) and it shows up in the head-filtered list', async () => {
    const sha = await pushBranch(sim, 'acme/web', 'security/npm/lodash-4.17.21', bump('^4.17.21'), dir.path);
    const created = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'Bump lodash to 4.17.21', head: 'security/npm/lodash-4.17.21', base: 'main', body: 'Fixes CVE-2021-23337' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${sim.apiUrl}/repos/acme/web/pulls/${created.json.number}`);
    expect(created.json).toMatchObject({
      state: 'open',
      merged: false,
      mergeable: null,
      mergeable_state: 'unknown',
      draft: false,
      head: { ref: 'security/npm/lodash-4.17.21', sha, label: 'acme:security/npm/lodash-4.17.21' },
      base: { ref: 'main' },
      user: { login: 'sim-bot' },
    });
    const list = await api(sim, 'GET', '/repos/acme/web/pulls?head=acme:security/npm/lodash-4.17.21&state=open');
    expect(list.json.map((p: { number: number }) => p.number)).toEqual([created.json.number]);
    const detail = await api(sim, 'GET', `/repos/acme/web/pulls/${created.json.number}`);
    expect(detail.json).toMatchObject({ mergeable: true, mergeable_state: 'clean', commits: 1, changed_files: 1 });
    // An open PR carries a test-merge commit sha: merge_commit_sha alone does not mean merged.
    expect(detail.json.merge_commit_sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('refuses a duplicate open PR for the same head and base with GitHub’s exact 422', async () => {
    await pushBranch(sim, 'acme/web', 'dup-branch', bump('^4.17.20'), dir.path);
    expect((await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'One', head: 'dup-branch', base: 'main' })).status).toBe(201);
    const again = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'Two', head: 'acme:dup-branch', base: 'main' });
    expect(again.status).toBe(422);
    expect(again.json).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:dup-branch.' }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });
  });

  it('refuses a PR whose head has no commits ahead of base', async () => {
    const main = (await api(sim, 'GET', '/repos/acme/web/git/ref/heads/main')).json.object.sha;
    await api(sim, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/same-as-main', sha: main });
    const response = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'Nothing', head: 'same-as-main', base: 'main' });
    expect(response.status).toBe(422);
    expect(response.json.errors).toEqual([{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and same-as-main' }]);
  });

  it('refuses a missing head branch, a missing base branch and a foreign head owner', async () => {
    const head = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'x', head: 'no-such-branch', base: 'main' });
    expect(head.status).toBe(422);
    expect(head.json.errors).toEqual([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    await pushBranch(sim, 'acme/web', 'valid-head', { 'x.txt': 'x\n' }, dir.path);
    const base = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'x', head: 'valid-head', base: 'no-such-base' });
    expect(base.status).toBe(422);
    expect(base.json.errors).toEqual([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    const fork = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'x', head: 'someone-else:valid-head', base: 'main' });
    expect(fork.status).toBe(422);
  });

  it('requires a title and head/base', async () => {
    await pushBranch(sim, 'acme/web', 'no-title', { 'y.txt': 'y\n' }, dir.path);
    const noTitle = await api(sim, 'POST', '/repos/acme/web/pulls', { head: 'no-title', base: 'main' });
    expect(noTitle.status).toBe(422);
    expect(noTitle.json.errors[0]).toMatchObject({ field: 'title', code: 'missing_field' });
    const noHead = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 't', base: 'main' });
    expect(noHead.status).toBe(422);
    expect(noHead.json.message).toBe('Invalid request.\n\n"head" wasn\'t supplied.');
  });

  it('refuses a body longer than 65536 characters, accepts exactly 65536', async () => {
    await pushBranch(sim, 'acme/web', 'long-body', { 'z.txt': 'z\n' }, dir.path);
    const tooLong = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 't', head: 'long-body', base: 'main', body: 'a'.repeat(65_537) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.errors).toEqual([{ resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }]);
    const exact = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 't', head: 'long-body', base: 'main', body: 'a'.repeat(65_536) });
    expect(exact.status).toBe(201);
  });

  it('refuses PR creation with the read-only token (403)', async () => {
    const response = await api(sim, 'POST', '/repos/acme/web/pulls', { title: 't', head: 'valid-head', base: 'main' }, { token: sim.readOnlyToken });
    expect(response.status).toBe(403);
    expect(response.json.message).toBe('Resource not accessible by personal access token');
  });
});

describe('listing', () => {
  it('paginates with per_page/page and a Link header; a bare head without owner filters nothing (as on GitHub)', async () => {
    for (let i = 0; i < 5; i++) {
      await pushBranch(sim, 'acme/api', `page-${i}`, { [`f${i}.txt`]: `${i}\n` }, dir.path);
      expect((await api(sim, 'POST', '/repos/acme/api/pulls', { title: `P${i}`, head: `page-${i}`, base: 'main' })).status).toBe(201);
    }
    const first = await api(sim, 'GET', '/repos/acme/api/pulls?per_page=2');
    expect(first.json).toHaveLength(2);
    const link = first.headers.get('link') ?? '';
    expect(link).toContain('rel="next"');
    expect(link).toContain('rel="last"');
    expect(link).toMatch(/page=3[^>]*>; rel="last"/);
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? '';
    const second = await fetch(next, { headers: { authorization: `token ${sim.token}` } });
    expect(await second.json()).toHaveLength(2);
    const bare = await api(sim, 'GET', '/repos/acme/api/pulls?head=page-1');
    expect(bare.json.length).toBe(5);
    const filtered = await api(sim, 'GET', '/repos/acme/api/pulls?head=acme:page-1');
    expect(filtered.json.length).toBe(1);
    expect((await api(sim, 'GET', '/repos/acme/api/pulls?base=other')).json).toEqual([]);
    expect((await api(sim, 'GET', '/repos/acme/api/pulls?state=closed')).json).toEqual([]);
  });

  it('404s an unknown PR number', async () => {
    expect((await api(sim, 'GET', '/repos/acme/api/pulls/9999')).status).toBe(404);
  });
});

describe('editing, closing and merging', () => {
  it('edits title/body, closes and reopens', async () => {
    await pushBranch(sim, 'acme/svc', 'edit-me', { 'a.txt': 'a\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/svc/pulls', { title: 'Old', head: 'edit-me', base: 'main' })).json;
    const edited = await api(sim, 'PATCH', `/repos/acme/svc/pulls/${pr.number}`, { title: 'New', body: 'Body' });
    expect(edited.json).toMatchObject({ title: 'New', body: 'Body' });
    const tooLong = await api(sim, 'PATCH', `/repos/acme/svc/pulls/${pr.number}`, { body: 'b'.repeat(65_537) });
    expect(tooLong.status).toBe(422);
    const closed = await api(sim, 'PATCH', `/repos/acme/svc/pulls/${pr.number}`, { state: 'closed' });
    expect(closed.json).toMatchObject({ state: 'closed', merged: false });
    expect(closed.json.closed_at).not.toBeNull();
    expect((await api(sim, 'GET', '/repos/acme/svc/pulls?head=acme:edit-me&state=closed')).json).toHaveLength(1);
    const reopened = await api(sim, 'PATCH', `/repos/acme/svc/pulls/${pr.number}`, { state: 'open' });
    expect(reopened.json.state).toBe('open');
  });

  it('merges for real: base gets a merge commit with both parents and the file change', async () => {
    const head = await pushBranch(sim, 'acme/rails', 'bump-nokogiri', { Gemfile: 'gem "nokogiri", ">= 1.13.10"\n' }, dir.path);
    const before = (await api(sim, 'GET', '/repos/acme/rails/git/ref/heads/main')).json.object.sha;
    const pr = (await api(sim, 'POST', '/repos/acme/rails/pulls', { title: 'Bump nokogiri', head: 'bump-nokogiri', base: 'main' })).json;
    const wrongSha = await api(sim, 'PUT', `/repos/acme/rails/pulls/${pr.number}/merge`, { sha: before });
    expect(wrongSha.status).toBe(409);
    expect(wrongSha.json.message).toBe('Head branch was modified. Review and try the merge again.');
    const merged = await api(sim, 'PUT', `/repos/acme/rails/pulls/${pr.number}/merge`, { sha: head });
    expect(merged.status).toBe(200);
    expect(merged.json).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });
    const main = (await api(sim, 'GET', '/repos/acme/rails/git/ref/heads/main')).json.object.sha;
    expect(main).toBe(merged.json.sha);
    const commit = (await api(sim, 'GET', `/repos/acme/rails/git/commits/${main}`)).json;
    expect(commit.parents.map((p: { sha: string }) => p.sha)).toEqual([before, head]);
    expect(commit.message).toBe(`Merge pull request #${pr.number} from acme/bump-nokogiri\n\nBump nokogiri\n`);
    expect(await sim.admin.readFile('acme/rails', 'Gemfile')).toContain('1.13.10');
    const after = (await api(sim, 'GET', `/repos/acme/rails/pulls/${pr.number}`)).json;
    expect(after).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: main, merged_by: { login: 'sim-bot' } });
    expect(after.merged_at).not.toBeNull();
    const again = await api(sim, 'PUT', `/repos/acme/rails/pulls/${pr.number}/merge`, {});
    expect(again.status).toBe(405);
    expect(again.json.message).toBe('Pull Request is not mergeable');
    const reopen = await api(sim, 'PATCH', `/repos/acme/rails/pulls/${pr.number}`, { state: 'open' });
    expect(reopen.status).toBe(422);
  });

  it('squash-merges into a single-parent commit', async () => {
    await pushBranch(sim, 'acme/java', 'squash-me', { 'gradle.properties': 'guavaVersion=32.0.0-jre\n' }, dir.path);
    const before = (await api(sim, 'GET', '/repos/acme/java/git/ref/heads/main')).json.object.sha;
    const pr = (await api(sim, 'POST', '/repos/acme/java/pulls', { title: 'Bump guava', head: 'squash-me', base: 'main' })).json;
    const merged = await api(sim, 'PUT', `/repos/acme/java/pulls/${pr.number}/merge`, { merge_method: 'squash' });
    expect(merged.status).toBe(200);
    const commit = (await api(sim, 'GET', `/repos/acme/java/git/commits/${merged.json.sha}`)).json;
    expect(commit.parents.map((p: { sha: string }) => p.sha)).toEqual([before]);
    expect(commit.message.split('\n')[0]).toBe(`Bump guava (#${pr.number})`);
  });

  it('answers 405 for a conflicting PR and reports mergeable false', async () => {
    await pushBranch(sim, 'acme/api', 'conflict-a', { 'requirements.txt': 'requests==2.31.0\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/api/pulls', { title: 'A', head: 'conflict-a', base: 'main' })).json;
    await sim.admin.commitAsSomeoneElse({ repo: 'acme/api', branch: 'main', files: { 'requirements.txt': 'requests==2.32.0\n' }, message: 'Someone else bumps requests' });
    const detail = await api(sim, 'GET', `/repos/acme/api/pulls/${pr.number}`);
    expect(detail.json).toMatchObject({ mergeable: false, mergeable_state: 'dirty', merge_commit_sha: null });
    const merge = await api(sim, 'PUT', `/repos/acme/api/pulls/${pr.number}/merge`, {});
    expect(merge.status).toBe(405);
    expect(merge.json.message).toBe('Pull Request is not mergeable');
  });

  it('lists the changed files with patches', async () => {
    await pushBranch(sim, 'acme/mono', 'files-list', { 'packages/backend/package.json': '{\n  "name": "@acme/backend"\n}\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/mono/pulls', { title: 'f', head: 'files-list', base: 'main' })).json;
    const files = await api(sim, 'GET', `/repos/acme/mono/pulls/${pr.number}/files`);
    expect(files.json).toHaveLength(1);
    expect(files.json[0]).toMatchObject({ filename: 'packages/backend/package.json', status: 'modified' });
    expect(files.json[0].patch).toContain('@@');
  });

  it('follows a push to the PR branch (head sha moves); another person’s commit is visible to us', async () => {
    const first = await pushBranch(sim, 'acme/svc', 'moving-head', { 'b.txt': 'b\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/svc/pulls', { title: 'moving', head: 'moving-head', base: 'main' })).json;
    expect(pr.head.sha).toBe(first);
    const theirs = await sim.admin.commitAsSomeoneElse({ repo: 'acme/svc', branch: 'moving-head', files: { 'c.txt': 'theirs\n' } });
    expect((await api(sim, 'GET', `/repos/acme/svc/pulls/${pr.number}`)).json.head.sha).toBe(theirs);
    const commit = (await api(sim, 'GET', `/repos/acme/svc/git/commits/${theirs}`)).json;
    expect(commit.author.name).toBe('Other Developer');
    // A non-fast-forward ref update over their work is refused without force.
    const overwrite = await api(sim, 'PATCH', '/repos/acme/svc/git/refs/heads/moving-head', { sha: first });
    expect(overwrite.status).toBe(422);
  });
});

describe('comments and labels', () => {
  it('creates and lists issue comments on a PR; 404 for an unknown issue; 403 read-only; 422 too long', async () => {
    await pushBranch(sim, 'acme/web', 'commented', { 'c.txt': 'c\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'c', head: 'commented', base: 'main' })).json;
    const comment = await api(sim, 'POST', `/repos/acme/web/issues/${pr.number}/comments`, { body: 'Linked ticket SEC-1' });
    expect(comment.status).toBe(201);
    expect(comment.json).toMatchObject({ body: 'Linked ticket SEC-1', user: { login: 'sim-bot' }, issue_url: `${sim.apiUrl}/repos/acme/web/issues/${pr.number}` });
    const list = await api(sim, 'GET', `/repos/acme/web/issues/${pr.number}/comments`);
    expect(list.json.map((c: { body: string }) => c.body)).toEqual(['Linked ticket SEC-1']);
    expect(sim.admin.comments('acme/web', pr.number)).toHaveLength(1);
    expect((await api(sim, 'POST', '/repos/acme/web/issues/9999/comments', { body: 'x' })).status).toBe(404);
    expect((await api(sim, 'POST', `/repos/acme/web/issues/${pr.number}/comments`, { body: 'x' }, { token: sim.readOnlyToken })).status).toBe(403);
    const long = await api(sim, 'POST', `/repos/acme/web/issues/${pr.number}/comments`, { body: 'x'.repeat(65_537) });
    expect(long.status).toBe(422);
    const missing = await api(sim, 'POST', `/repos/acme/web/issues/${pr.number}/comments`, {});
    expect(missing.status).toBe(422);
    const detail = await api(sim, 'GET', `/repos/acme/web/pulls/${pr.number}`);
    expect(detail.json.comments).toBe(1);
  });

  it('adds labels (creating unknown ones), returns the full label list, and refuses duplicate label creation', async () => {
    await pushBranch(sim, 'acme/web', 'labelled', { 'l.txt': 'l\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'l', head: 'labelled', base: 'main' })).json;
    const added = await api(sim, 'POST', `/repos/acme/web/issues/${pr.number}/labels`, { labels: ['security', 'severity:high'] });
    expect(added.status).toBe(200);
    expect(added.json.map((l: { name: string }) => l.name)).toEqual(['security', 'severity:high']);
    expect(added.json[1]).toMatchObject({ color: 'ededed', default: false });
    const more = await api(sim, 'POST', `/repos/acme/web/issues/${pr.number}/labels`, ['dependencies']);
    expect(more.json.map((l: { name: string }) => l.name)).toEqual(['security', 'severity:high', 'dependencies']);
    const repoLabels = await api(sim, 'GET', '/repos/acme/web/labels?per_page=100');
    expect(repoLabels.json.map((l: { name: string }) => l.name)).toContain('severity:high');
    const dup = await api(sim, 'POST', '/repos/acme/web/labels', { name: 'Security', color: 'ff0000' });
    expect(dup.status).toBe(422);
    expect(dup.json.errors).toEqual([{ resource: 'Label', code: 'already_exists', field: 'name' }]);
    const prJson = await api(sim, 'GET', `/repos/acme/web/pulls/${pr.number}`);
    expect(prJson.json.labels.map((l: { name: string }) => l.name)).toEqual(['security', 'severity:high', 'dependencies']);
  });
});
