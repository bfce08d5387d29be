import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from './index.ts';
import { buildLargeRepository } from './large-repo.ts';
import { api, git, tempDir } from './test-helpers.ts';

let sim: GitHubSimulator;
let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  sim = await startGitHubSimulator({ seedRepos: false });
  dir = await tempDir();
});
afterAll(async () => {
  await sim.close();
  await dir.remove();
});

describe('buildLargeRepository', () => {
  it('builds 20,000 files and ~30 MB of history in seconds with fast-import, served over git and REST', async () => {
    const result = await buildLargeRepository({ simulator: sim, fullName: 'acme/large', files: 20_000, historyMb: 30, commits: 30 });
    expect(result.durationMs).toBeLessThan(30_000);
    expect(result.commits).toBe(30);
    const tree = await api(sim, 'GET', '/repos/acme/large/git/trees/main?recursive=1');
    expect(tree.json.truncated).toBe(false);
    expect(tree.json.tree.filter((e: { type: string }) => e.type === 'blob').length).toBe(20_000 + 6);
    const pkg = await api(sim, 'GET', '/repos/acme/large/contents/package.json');
    expect(JSON.parse(Buffer.from(pkg.json.content, 'base64').toString()).dependencies.lodash).toBe('^4.17.15');
    const target = `${dir.path}/large`;
    const clone = await git(['clone', '--quiet', '--filter=blob:none', '--depth', '1', '--no-checkout', `${sim.url}/acme/large.git`, target], { token: sim.token });
    expect(clone.code, clone.stderr).toBe(0);
    const count = await git(['rev-list', '--count', 'HEAD'], { cwd: target });
    expect(count.stdout.trim()).toBe('1');
  }, 120_000);

  it('writes into a plain directory too', async () => {
    const result = await buildLargeRepository({ dir: `${dir.path}/plain.git`, files: 100, historyMb: 1, commits: 3 });
    const log = await git(['--git-dir', result.gitDir, 'rev-list', '--count', 'main']);
    expect(log.stdout.trim()).toBe('3');
  });
});
