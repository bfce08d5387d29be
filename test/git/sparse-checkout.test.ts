import { execFile } from 'node:child_process';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIT_FORBIDDEN, GIT_LEASE_REJECTED, GIT_NOTHING_TO_COMMIT, GitError, openSparseCheckout } from '../../src/git/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';
import { capturingLogger, leftovers, localGuard, rejected, tempRoot, uniqueBranch } from './helpers.ts';

const run = promisify(execFile);
let sim: GitHubSimulator;
let root: string;

beforeAll(async () => {
  sim = await startGitHubSimulator();
  root = await tempRoot();
});
afterAll(async () => {
  await sim.close();
  await rm(root, { recursive: true, force: true });
});

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), `${path}/`)));
    else out.push(path);
  }
  return out.sort();
}

describe('openSparseCheckout (acme/mono)', () => {
  it('checks out only the named paths, blobless and shallow', async () => {
    const { logger } = capturingLogger();
    const co = await openSparseCheckout({
      remoteUrl: `${sim.url}/acme/mono.git`,
      token: sim.token,
      baseBranch: 'main',
      paths: ['packages/frontend/package.json', 'services/worker'],
      guard: localGuard,
      logger,
      tempRoot: root,
    });
    try {
      const refs = await sim.admin.refs('acme/mono');
      expect(co.headSha).toBe(refs['refs/heads/main']);
      expect(await listFiles(co.dir)).toEqual(['packages/frontend/package.json', 'services/worker/requirements.txt']);
      expect(await co.readFile('packages/frontend/package.json')).toBe(await sim.admin.readFile('acme/mono', 'packages/frontend/package.json'));
      expect(await co.readFile('packages/backend/package.json')).toBeNull();
      // Shallow: one commit. Blobless: only the two checked-out blobs are present locally.
      const git = (args: string[]) => run('git', ['-C', co.dir, ...args]).then((r) => r.stdout.trim());
      expect(await git(['rev-list', '--count', 'HEAD'])).toBe('1');
      const missing = (await git(['rev-list', '--objects', '--missing=print', 'HEAD'])).split('\n').filter((l) => l.startsWith('?'));
      const all = (await git(['ls-tree', '-r', 'HEAD'])).split('\n').filter((l) => l.includes(' blob '));
      expect(missing.length).toBe(all.length - 2);
    } finally {
      await co.dispose();
    }
    expect(await leftovers(root)).toEqual([]);
  });

  it('writes, commits and pushes a new branch; a stale lease is refused and the other push is kept', async () => {
    const branch = uniqueBranch('security/npm/react');
    const author = { name: 'Integration Bot', email: 'bot@integration.test' };
    const co = await openSparseCheckout({ remoteUrl: `${sim.url}/acme/mono.git`, token: sim.token, baseBranch: 'main', paths: ['packages/frontend/package.json'], guard: localGuard, logger: capturingLogger().logger, tempRoot: root });
    try {
      const original = (await co.readFile('packages/frontend/package.json')) as string;
      await co.writeFile('packages/frontend/package.json', `${original.trimEnd()}\n\n`);
      const first = await co.commitAndPush({ branch, message: 'Bump react\n\nFixes SEC-1', author, expectedRemoteSha: null });
      let refs = await sim.admin.refs('acme/mono');
      expect(refs[`refs/heads/${branch}`]).toBe(first.commitSha);
      expect(await sim.admin.readFile('acme/mono', 'packages/frontend/package.json', branch)).toBe(`${original.trimEnd()}\n\n`);
      // Other files on the branch are the base's.
      expect(await sim.admin.readFile('acme/mono', 'services/gateway/go.mod', branch)).toBe(await sim.admin.readFile('acme/mono', 'services/gateway/go.mod'));

      // The branch must not exist: refused now that it does.
      await co.writeFile('packages/frontend/package.json', `${original.trimEnd()}\n\n\n`);
      const exists = await rejected(co.commitAndPush({ branch, message: 'again', author, expectedRemoteSha: null }));
      expect((exists as GitError).code).toBe(GIT_LEASE_REJECTED);

      expect(await co.remoteBranchHead(branch)).toBe(first.commitSha);
      expect(await co.remoteBranchHead(uniqueBranch('absent'))).toBeNull();
      expect(await co.commitsSince(branch, first.commitSha)).toEqual([]);
      // Someone else pushes on top of ours; our lease (first.commitSha) is stale.
      const theirs = await sim.admin.commitAsSomeoneElse({ repo: 'acme/mono', branch, files: { 'NOTES.md': 'mine\n' }, message: 'their change' });
      const since = await co.commitsSince(branch, first.commitSha);
      expect(since).toEqual([{ sha: theirs, authorEmail: 'other-dev@acme.example', committerEmail: 'other-dev@acme.example' }]);
      expect(await co.remoteBranchHead(branch)).toBe(theirs);
      const stale = await rejected(co.commitAndPush({ branch, message: 'rebuilt', author, expectedRemoteSha: first.commitSha }));
      expect(stale).toBeInstanceOf(GitError);
      expect((stale as GitError).code).toBe(GIT_LEASE_REJECTED);
      refs = await sim.admin.refs('acme/mono');
      expect(refs[`refs/heads/${branch}`]).toBe(theirs);

      // With the current sha as the lease, our rebuilt branch replaces it (that is what a lease is for).
      await co.writeFile('packages/frontend/package.json', `${original.trimEnd()}\n\n\n\n`);
      const second = await co.commitAndPush({ branch, message: 'rebuilt', author, expectedRemoteSha: theirs });
      refs = await sim.admin.refs('acme/mono');
      expect(refs[`refs/heads/${branch}`]).toBe(second.commitSha);
    } finally {
      await co.dispose();
    }
  });

  it('a read-only token clones but its push is PROVIDER_FORBIDDEN, nothing pushed', async () => {
    const co = await openSparseCheckout({ remoteUrl: `${sim.url}/acme/mono.git`, token: sim.readOnlyToken, baseBranch: 'main', paths: ['package.json'], guard: localGuard, logger: capturingLogger().logger, tempRoot: root });
    try {
      await co.writeFile('package.json', 'changed\n');
      const branch = uniqueBranch('read-only');
      const error = await rejected(co.commitAndPush({ branch, message: 'm', author: { name: 'Bot', email: 'bot@integration.test' }, expectedRemoteSha: null }));
      expect((error as GitError).code).toBe(GIT_FORBIDDEN);
      expect(error.message).not.toContain(sim.readOnlyToken);
      expect((await sim.admin.refs('acme/mono'))[`refs/heads/${branch}`]).toBeUndefined();
    } finally {
      await co.dispose();
    }
  });

  it('refuses to commit when nothing changed', async () => {
    const co = await openSparseCheckout({ remoteUrl: `${sim.url}/acme/mono.git`, token: sim.token, baseBranch: 'main', paths: ['package.json'], guard: localGuard, logger: capturingLogger().logger, tempRoot: root });
    try {
      const author = { name: 'Bot', email: 'bot@integration.test' };
      expect(((await rejected(co.commitAndPush({ branch: uniqueBranch('none'), message: 'm', author, expectedRemoteSha: null }))) as GitError).code).toBe(GIT_NOTHING_TO_COMMIT);
      await co.writeFile('package.json', (await co.readFile('package.json')) as string);
      expect(((await rejected(co.commitAndPush({ branch: uniqueBranch('same'), message: 'm', author, expectedRemoteSha: null }))) as GitError).code).toBe(GIT_NOTHING_TO_COMMIT);
    } finally {
      await co.dispose();
      await co.dispose();
    }
    await expect(stat(co.dir)).rejects.toThrow();
  });
});
