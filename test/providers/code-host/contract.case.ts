/**
 * The contract every code host passes (Hono's common.case.test.ts is the model): run it from a
 * `<host>.test.ts` with a factory that starts the host's simulator. It drives the CodeHost
 * interface only, so the PR engine can rely on exactly what is checked here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeHost, RepoRef } from '../../../src/providers/code-host/index.ts';

export interface CodeHostFixture {
  host: CodeHost;
  /** A repository the credential can push to, with `package.json` at the root of its default branch. */
  repo: RepoRef;
  defaultBranch: string;
  /** A repository that does not exist. */
  missing: RepoRef;
  close(): Promise<void>;
}

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export function runCodeHostContract(name: string, start: () => Promise<CodeHostFixture>): void {
  describe(`code host contract: ${name}`, () => {
    let fx: CodeHostFixture;
    beforeAll(async () => {
      fx = await start();
    });
    afterAll(async () => {
      await fx?.close();
    });

    async function baseCommit() {
      const head = await fx.host.getBranchHead(fx.repo, fx.defaultBranch);
      expect(head).toMatch(/^[0-9a-f]{40}$/);
      return fx.host.getCommit(fx.repo, head!);
    }

    async function branchWithChange(branch: string, content: string) {
      const base = await baseCommit();
      const { commitSha } = await fx.host.commitFiles(fx.repo, {
        parentSha: base.sha,
        baseTreeSha: base.treeSha,
        message: `contract: ${branch}`,
        files: [{ path: 'CONTRACT.md', content }],
        author: { name: 'Contract', email: 'contract@example.com' },
      });
      await fx.host.createRef(fx.repo, branch, commitSha);
      return { base, commitSha };
    }

    it('reads the repository and its default branch', async () => {
      const info = await fx.host.getRepo(fx.repo);
      expect(info.defaultBranch).toBe(fx.defaultBranch);
      expect(info.canPush).toBe(true);
    });

    it('lists the tree and reads a file by its blob', async () => {
      const base = await baseCommit();
      const tree = await fx.host.listTree(fx.repo, base.treeSha);
      const manifest = tree.find((entry) => entry.path === 'package.json' && entry.type === 'blob');
      expect(manifest).toBeDefined();
      const bytes = await fx.host.readBlob(fx.repo, manifest!.sha);
      expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
    });

    it('a missing branch is null; a missing repository is a not-found failure', async () => {
      expect(await fx.host.getBranchHead(fx.repo, unique('absent'))).toBeNull();
      const error = await rejected(fx.host.getBranchHead(fx.missing, 'main'));
      expect(fx.host.failureOf(error)?.conflict).toBe('not-found');
    });

    it('commits on top of the base and creates a branch; creating it again is branch-exists', async () => {
      const branch = unique('contract/branch');
      const { base, commitSha } = await branchWithChange(branch, 'one\n');
      expect(await fx.host.getBranchHead(fx.repo, branch)).toBe(commitSha);
      const commit = await fx.host.getCommit(fx.repo, commitSha);
      expect(commit.parents).toEqual([base.sha]);
      expect(await fx.host.listCommitsBetween(fx.repo, base.sha, commitSha)).toEqual([expect.objectContaining({ sha: commitSha })]);
      const again = await rejected(fx.host.createRef(fx.repo, branch, commitSha));
      expect(fx.host.failureOf(again)?.conflict).toBe('branch-exists');
    });

    it('moves a branch only forward unless forced', async () => {
      const branch = unique('contract/move');
      const { base, commitSha } = await branchWithChange(branch, 'two\n');
      const sideways = await fx.host.commitFiles(fx.repo, { parentSha: base.sha, baseTreeSha: base.treeSha, message: 'sideways', files: [{ path: 'CONTRACT.md', content: 'three\n' }] });
      const refused = await rejected(fx.host.updateRef(fx.repo, branch, sideways.commitSha, false));
      expect(fx.host.failureOf(refused)?.conflict).toBe('not-fast-forward');
      expect(await fx.host.getBranchHead(fx.repo, branch)).toBe(commitSha);
      await fx.host.updateRef(fx.repo, branch, sideways.commitSha, true);
      expect(await fx.host.getBranchHead(fx.repo, branch)).toBe(sideways.commitSha);
    });

    it('opens, finds, updates, labels, comments on and closes a pull request; a second open one is pull-exists', async () => {
      const branch = unique('contract/pr');
      await branchWithChange(branch, 'pr\n');
      const opened = await fx.host.createPull(fx.repo, { title: 'Contract PR', body: 'body', head: branch, base: fx.defaultBranch });
      expect(opened).toMatchObject({ state: 'open', headRef: branch, baseRef: fx.defaultBranch, title: 'Contract PR' });
      const duplicate = await rejected(fx.host.createPull(fx.repo, { title: 'again', body: 'again', head: branch, base: fx.defaultBranch }));
      expect(fx.host.failureOf(duplicate)?.conflict).toBe('pull-exists');
      expect((await fx.host.findPull(fx.repo, { head: branch, state: 'open' }))?.number).toBe(opened.number);
      const updated = await fx.host.updatePull(fx.repo, opened.number, { title: 'Contract PR (updated)' });
      expect(updated.title).toBe('Contract PR (updated)');
      await fx.host.addLabels(fx.repo, opened.number, ['security']);
      const comment = await fx.host.comment(fx.repo, opened.number, 'a comment');
      expect(comment.url).toMatch(/^https?:\/\//);
      expect(await fx.host.listComments(fx.repo, opened.number)).toEqual([{ id: comment.id, body: 'a comment' }]);
      const closed = await fx.host.closePull(fx.repo, opened.number);
      expect(closed.state).toBe('closed');
      expect(await fx.host.findPull(fx.repo, { head: branch, state: 'open' })).toBeNull();
      expect((await fx.host.findPull(fx.repo, { head: branch, state: 'all' }))?.state).toBe('closed');
    });

    it('says who the credential belongs to; foreign errors are not its failures', async () => {
      const me = await fx.host.whoAmI();
      expect(me.login.length).toBeGreaterThan(0);
      expect(fx.host.failureOf(new Error('not a host error'))).toBeNull();
    });
  });
}
