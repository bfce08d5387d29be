import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundClient } from '../../../src/http-client/index.ts';
import {
  GITHUB_NO_COMMITS,
  GITHUB_NOT_FAST_FORWARD,
  GITHUB_PULL_EXISTS,
  GITHUB_REF_EXISTS,
  GITHUB_VALIDATION,
  type GitHubClient,
  GitHubError,
  type RepoRef,
} from '../../../src/providers/github/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../../simulators/github/index.ts';
import { makeClient, rejection, uniqueName } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: GitHubSimulator;
let gh: GitHubClient;
let http: OutboundClient;
const web: RepoRef = { owner: 'acme', repo: 'web' };

beforeAll(async () => {
  sim = await startGitHubSimulator();
  ({ client: gh, http } = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }));
});
afterAll(async () => {
  await http.close();
  await sim.close();
});

async function base(ref: RepoRef = web) {
  const sha = (await gh.getBranchHead(ref, 'main')) as string;
  const commit = await gh.getCommit(ref, sha);
  return { sha, treeSha: commit.treeSha };
}

describe('GitHub client: commit, branch and pull request', () => {
  it('commits files, creates the branch, opens, finds, updates, labels and comments on the PR', async () => {
    const { sha, treeSha } = await base();
    const original = (await sim.admin.readFile('acme/web', 'package.json')) as string;
    const bumped = original.replace('"lodash": "^4.17.15"', '"lodash": "^4.17.21"');
    expect(bumped).not.toBe(original);
    const binary = Buffer.from([0, 255, 1, 254, 10, 13]);
    const commit = await gh.commitFiles(web, {
      parentSha: sha,
      baseTreeSha: treeSha,
      message: 'Bump lodash to 4.17.21',
      files: [
        { path: 'package.json', content: bumped },
        { path: 'assets/blob.bin', content: binary },
      ],
      author: { name: 'Integration Bot', email: 'bot@integration.test' },
    });
    // Nothing moved yet: commitFiles does not touch refs.
    expect(await gh.getBranchHead(web, 'main')).toBe(sha);
    const created = await gh.getCommit(web, commit.commitSha);
    expect(created).toMatchObject({ treeSha: commit.treeSha, parents: [sha], authorEmail: 'bot@integration.test', message: 'Bump lodash to 4.17.21' });

    const branch = uniqueName('security/npm/lodash-4.17.21');
    await gh.createRef(web, branch, commit.commitSha);
    expect(await gh.getBranchHead(web, branch)).toBe(commit.commitSha);
    expect(await sim.admin.readFile('acme/web', 'package.json', branch)).toBe(bumped);
    const tree = await gh.listTree(web, commit.treeSha);
    const blob = tree.find((e) => e.path === 'assets/blob.bin')!;
    expect(Buffer.compare(await gh.readBlob(web, blob.sha), binary)).toBe(0);
    // Every other file is untouched (base_tree kept them).
    expect(tree.filter((e) => e.type === 'blob').length).toBe((await gh.listTree(web, treeSha)).filter((e) => e.type === 'blob').length + 1);

    const again = await rejection(gh.createRef(web, branch, commit.commitSha), GitHubError);
    expect(again.code).toBe(GITHUB_REF_EXISTS);

    expect(await gh.findPull(web, { head: branch, state: 'all' })).toBeNull();
    const pull = await gh.createPull(web, { title: 'Bump lodash', body: 'Fixes CVE-2021-23337', head: branch, base: 'main', maintainerCanModify: true });
    expect(pull).toMatchObject({ state: 'open', merged: false, headRef: branch, headSha: commit.commitSha, baseRef: 'main', title: 'Bump lodash', body: 'Fixes CVE-2021-23337' });
    expect(pull.url).toMatch(new RegExp(`/acme/web/pull/${pull.number}$`));

    const duplicate = await rejection(gh.createPull(web, { title: 'Bump lodash', body: 'again', head: branch, base: 'main' }), GitHubError);
    expect(duplicate.code).toBe(GITHUB_PULL_EXISTS);
    expect(duplicate.message).toContain('A pull request already exists');

    const found = await gh.findPull(web, { head: branch, base: 'main', state: 'open' });
    expect(found?.number).toBe(pull.number);
    const updated = await gh.updatePull(web, pull.number, { title: 'Bump lodash to 4.17.21', body: 'Fixes CVE-2021-23337 (SEC-1)' });
    expect(updated).toMatchObject({ number: pull.number, title: 'Bump lodash to 4.17.21', body: 'Fixes CVE-2021-23337 (SEC-1)' });

    await gh.addLabels(web, pull.number, ['security', 'dependencies']);
    const comment = await gh.comment(web, pull.number, 'Linked ticket: SEC-1');
    expect(comment.id).toBeGreaterThan(0);
    expect(comment.url).toContain(`/acme/web/pull/${pull.number}`);
    const stored = await sim.admin.pull('acme/web', pull.number);
    expect(JSON.stringify(stored)).toContain('security');
    expect(sim.admin.comments('acme/web', pull.number).map((c) => c.body)).toContain('Linked ticket: SEC-1');
  });

  it('moves a branch forward, refuses a non-fast-forward without force, forces with force', async () => {
    const { sha, treeSha } = await base();
    const branch = uniqueName('ff-test');
    const first = await gh.commitFiles(web, { parentSha: sha, baseTreeSha: treeSha, message: 'one', files: [{ path: 'a.txt', content: 'a\n' }] });
    await gh.createRef(web, branch, first.commitSha);
    const second = await gh.commitFiles(web, { parentSha: first.commitSha, baseTreeSha: first.treeSha, message: 'two', files: [{ path: 'b.txt', content: 'b\n' }] });
    await gh.updateRef(web, branch, second.commitSha, false);
    expect(await gh.getBranchHead(web, branch)).toBe(second.commitSha);

    const rebuilt = await gh.commitFiles(web, { parentSha: sha, baseTreeSha: treeSha, message: 'rebuilt', files: [{ path: 'c.txt', content: 'c\n' }] });
    const refused = await rejection(gh.updateRef(web, branch, rebuilt.commitSha, false), GitHubError);
    expect(refused.code).toBe(GITHUB_NOT_FAST_FORWARD);
    expect(await gh.getBranchHead(web, branch)).toBe(second.commitSha);
    await gh.updateRef(web, branch, rebuilt.commitSha, true);
    expect(await gh.getBranchHead(web, branch)).toBe(rebuilt.commitSha);
  });

  it('lists the commits someone else pushed on top of ours', async () => {
    const { sha, treeSha } = await base();
    const branch = uniqueName('lease');
    const ours = await gh.commitFiles(web, { parentSha: sha, baseTreeSha: treeSha, message: 'ours', files: [{ path: 'x.txt', content: 'x\n' }], author: { name: 'Bot', email: 'bot@integration.test' } });
    await gh.createRef(web, branch, ours.commitSha);
    expect(await gh.listCommitsBetween(web, ours.commitSha, ours.commitSha)).toEqual([]);
    await sim.admin.commitAsSomeoneElse({ repo: 'acme/web', branch, files: { 'y.txt': 'y\n' }, message: 'theirs' });
    const head = (await gh.getBranchHead(web, branch)) as string;
    const between = await gh.listCommitsBetween(web, ours.commitSha, head);
    expect(between).toHaveLength(1);
    expect(between[0]?.sha).toBe(head);
    expect(between[0]?.committerEmail).not.toBe('bot@integration.test');
    expect(between[0]?.committerEmail).toBeTruthy();
  });

  it('says why a PR cannot be opened: no commits, bad file path', async () => {
    const { sha } = await base();
    const branch = uniqueName('empty');
    await gh.createRef(web, branch, sha);
    const empty = await rejection(gh.createPull(web, { title: 't', body: 'b', head: branch, base: 'main' }), GitHubError);
    expect(empty.code).toBe(GITHUB_NO_COMMITS);
    const { treeSha } = await base();
    for (const path of ['../x', '/abs', 'a//b', '.git/config']) {
      const bad = await rejection(gh.commitFiles(web, { parentSha: sha, baseTreeSha: treeSha, message: 'm', files: [{ path, content: 'x' }] }), GitHubError);
      expect(bad.code).toBe(GITHUB_VALIDATION);
    }
    const tooLong = await rejection(gh.createPull(web, { title: 't', body: 'x'.repeat(65_537), head: 'main', base: 'main' }), GitHubError);
    expect(tooLong.code).toBe(GITHUB_VALIDATION);
  });
});
