import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundClient } from '../../../src/http-client/index.ts';
import { GITHUB_NOT_FOUND, type GitHubClient, GitHubError } from '../../../src/providers/github/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../../simulators/github/index.ts';
import { makeClient, rejection } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: GitHubSimulator;
let gh: GitHubClient;
let http: OutboundClient;
const web = { owner: 'acme', repo: 'web' };

beforeAll(async () => {
  sim = await startGitHubSimulator();
  ({ client: gh, http } = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }), connectionId: 'gh-test' }));
});
afterAll(async () => {
  await http.close();
  await sim.close();
});

describe('GitHub client: reads', () => {
  it('reads the repository and the token user', async () => {
    const repo = await gh.getRepo(web);
    expect(repo).toMatchObject({ defaultBranch: 'main', private: true, canPush: true });
    expect(repo.htmlUrl).toMatch(/\/acme\/web$/);
    expect(repo.cloneUrl).toMatch(/\/acme\/web\.git$/);
    expect(await gh.whoAmI()).toMatchObject({ login: sim.login });
  });

  it('reads a branch head, null for a missing branch, NOT_FOUND for a missing repository', async () => {
    const head = await gh.getBranchHead(web, 'main');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await gh.getBranchHead(web, 'no-such-branch')).toBeNull();
    const error = await rejection(gh.getBranchHead({ owner: 'acme', repo: 'nope' }, 'main'), GitHubError);
    expect(error.code).toBe(GITHUB_NOT_FOUND);
    expect(error.message).toContain('acme/nope');
  });

  it('reads a commit, lists its tree and reads a blob', async () => {
    const head = (await gh.getBranchHead(web, 'main')) as string;
    const commit = await gh.getCommit(web, head);
    expect(commit.sha).toBe(head);
    expect(commit.parents).toHaveLength(1);
    expect(commit.treeSha).toMatch(/^[0-9a-f]{40}$/);
    const tree = await gh.listTree(web, commit.treeSha);
    const manifest = tree.find((e) => e.path === 'package.json');
    expect(manifest).toMatchObject({ type: 'blob', mode: '100644' });
    const content = await gh.readBlob(web, manifest!.sha);
    expect(content.toString('utf8')).toBe(await sim.admin.readFile('acme/web', 'package.json'));
    expect(content.toString('utf8')).toContain('"lodash"');
  });

  it('lists nested trees recursively (acme/mono)', async () => {
    const mono = { owner: 'acme', repo: 'mono' };
    const head = (await gh.getBranchHead(mono, 'main')) as string;
    const tree = await gh.listTree(mono, (await gh.getCommit(mono, head)).treeSha);
    const paths = tree.map((e) => e.path);
    expect(paths).toContain('packages/frontend/package.json');
    expect(paths).toContain('services/gateway/go.mod');
    expect(tree.find((e) => e.path === 'packages')?.type).toBe('tree');
  });
});
