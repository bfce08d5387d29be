import { readFile, readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from './index.ts';
import { api, git, pushBranch, tempDir } from './test-helpers.ts';

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

describe('git over HTTP', () => {
  it('clones a seed repository with the printed token and sees the deterministic history', async () => {
    const target = `${dir.path}/web`;
    const result = await git(['clone', '--quiet', `${sim.url}/acme/web.git`, target], { token: sim.token });
    expect(result.code, result.stderr).toBe(0);
    const pkg = JSON.parse(await readFile(`${target}/package.json`, 'utf8'));
    expect(pkg.dependencies.lodash).toBe('^4.17.15');
    const log = await git(['log', '--format=%s|%an|%aI'], { cwd: target });
    expect(log.stdout.trim().split('\n')).toEqual(['Add CI workflow|Acme Developer|2024-02-01T10:30:00+00:00', 'Initial commit|Acme Developer|2024-01-15T09:00:00+00:00']);
  });

  it('produces the same seed SHAs on every start', async () => {
    const other = await startGitHubSimulator();
    try {
      expect(await other.admin.refs('acme/java')).toEqual(await sim.admin.refs('acme/java'));
    } finally {
      await other.close();
    }
  });

  it('pushes a branch and the push is visible to REST immediately (refs and commits)', async () => {
    const sha = await pushBranch(sim, 'acme/web', 'feature/push-visible', { 'NOTES.md': 'pushed\n' }, dir.path);
    const ref = await api(sim, 'GET', '/repos/acme/web/git/ref/heads/feature/push-visible');
    expect(ref.status).toBe(200);
    expect(ref.json.object.sha).toBe(sha);
    const commit = await api(sim, 'GET', `/repos/acme/web/git/commits/${sha}`);
    expect(commit.json.message).toBe('Change on feature/push-visible\n');
    const contents = await api(sim, 'GET', '/repos/acme/web/contents/NOTES.md?ref=feature/push-visible');
    expect(Buffer.from(contents.json.content, 'base64').toString()).toBe('pushed\n');
  });

  it('accepts Bearer and any user name with the token as password', async () => {
    const bearer = await fetch(`${sim.url}/acme/api.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${sim.token}` } });
    expect(bearer.status).toBe(200);
    const basic = await fetch(`${sim.url}/acme/api.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from(`someone:${sim.token}`).toString('base64')}` } });
    expect(basic.status).toBe(200);
    expect(basic.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
  });

  it('answers a wrong token with 401 and the GitHub Basic challenge', async () => {
    const response = await fetch(`${sim.url}/acme/web.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from('x-access-token:ghp_wrong').toString('base64')}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
    const clone = await git(['clone', `${sim.url}/acme/web.git`, `${dir.path}/wrong`], { token: 'ghp_wrongwrongwrongwrongwrongwrongwrong12' });
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/Authentication failed|could not read Username|401/);
  });

  it('refuses anonymous clone of a private repository (401)', async () => {
    const response = await fetch(`${sim.url}/acme/web.git/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
    const clone = await git(['clone', `${sim.url}/acme/web.git`, `${dir.path}/anon`], { token: null });
    expect(clone.code).not.toBe(0);
  });

  it('refuses anonymous push even on a public repository', async () => {
    await sim.admin.createRepo({ fullName: 'acme/public-docs', private: false, files: { 'README.md': 'public\n' } });
    const readOk = await fetch(`${sim.url}/acme/public-docs.git/info/refs?service=git-upload-pack`);
    expect(readOk.status).toBe(200);
    const push = await fetch(`${sim.url}/acme/public-docs.git/info/refs?service=git-receive-pack`);
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
  });

  it('refuses a push with the read-only token: 403 "Permission to … denied"', async () => {
    const target = `${dir.path}/ro`;
    expect((await git(['clone', '--quiet', `${sim.url}/acme/api.git`, target], { token: sim.readOnlyToken })).code).toBe(0);
    await git(['checkout', '-q', '-b', 'ro-branch'], { cwd: target });
    await git(['commit', '-q', '--allow-empty', '-m', 'x'], { cwd: target });
    const push = await git(['push', 'origin', 'ro-branch'], { cwd: target, token: sim.readOnlyToken });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('Permission to acme/api.git denied to sim-reader.');
    expect(push.stderr).toContain('403');
    expect((await sim.admin.refs('acme/api'))['refs/heads/ro-branch']).toBeUndefined();
  });

  it('404s an unknown repository for an authenticated caller', async () => {
    const response = await fetch(`${sim.url}/acme/nope.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${sim.token}` } });
    expect(response.status).toBe(404);
  });

  it('serves a blobless shallow sparse clone that fetches only the needed blobs', async () => {
    const target = `${dir.path}/sparse`;
    const clone = await git(['clone', '--quiet', '--filter=blob:none', '--depth', '1', '--no-checkout', `${sim.url}/acme/mono.git`, target], { token: sim.token });
    expect(clone.code, clone.stderr).toBe(0);
    await git(['sparse-checkout', 'set', '--no-cone', 'packages/frontend/package.json'], { cwd: target });
    const checkout = await git(['checkout', '-q', 'main'], { cwd: target, token: sim.token });
    expect(checkout.code, checkout.stderr).toBe(0);
    expect(JSON.parse(await readFile(`${target}/packages/frontend/package.json`, 'utf8')).dependencies.lodash).toBe('^4.17.15');
    expect(await readdir(target)).toEqual(expect.arrayContaining(['packages']));
    expect(await readdir(target)).not.toContain('services');
    const missing = await git(['rev-list', '--objects', '--missing=print', 'HEAD'], { cwd: target });
    expect(missing.stdout.split('\n').filter((l) => l.startsWith('?')).length).toBeGreaterThan(0);
    const shallow = await git(['rev-parse', '--is-shallow-repository'], { cwd: target });
    expect(shallow.stdout.trim()).toBe('true');
  });

  it('rejects a non-fast-forward push of the default branch only when git itself would (force works)', async () => {
    const target = `${dir.path}/force`;
    await git(['clone', '--quiet', `${sim.url}/acme/svc.git`, target], { token: sim.token });
    await git(['checkout', '-q', '-b', 'rewrite'], { cwd: target });
    await git(['commit', '-q', '--allow-empty', '-m', 'one'], { cwd: target });
    expect((await git(['push', '-q', 'origin', 'rewrite'], { cwd: target, token: sim.token })).code).toBe(0);
    await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: target });
    await git(['commit', '-q', '--allow-empty', '-m', 'two'], { cwd: target });
    const plain = await git(['push', 'origin', 'rewrite'], { cwd: target, token: sim.token });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/rejected|non-fast-forward|fetch first/);
    const forced = await git(['push', '-q', '--force', 'origin', 'rewrite'], { cwd: target, token: sim.token });
    expect(forced.code, forced.stderr).toBe(0);
  });
});
