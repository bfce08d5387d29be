import { execFile, spawn } from 'node:child_process';
import { access, chmod, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundGuard } from '../../src/http-client/index.ts';
import {
  GIT_AUTH_FAILED,
  GIT_BAD_BRANCH,
  GIT_NOT_FOUND,
  GIT_PATH_REFUSED,
  GIT_TOO_LARGE,
  GIT_URL_REFUSED,
  GitError,
  openSparseCheckout,
  type SparseCheckout,
} from '../../src/git/index.ts';
import { checkRemote, gitConfigArgs } from '../../src/git/remote.ts';
import { basicCredential } from '../../src/git/redact.ts';
import { createGitHubClient } from '../../src/providers/github/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';
import { outbound, silentLogger } from '../providers/github/helpers.ts';
import { capturingLogger, leftovers, localGuard, rejected, tempRoot, uniqueBranch } from './helpers.ts';
import { staticCredentials } from '../../src/providers/credentials/index.ts';

const run = promisify(execFile);
let sim: GitHubSimulator;
let root: string;
let scratch: string;
const author = { name: 'Integration Bot', email: 'bot@integration.test' };

beforeAll(async () => {
  sim = await startGitHubSimulator();
  root = await tempRoot();
  scratch = await mkdtemp(join(tmpdir(), 'git-sec-scratch-'));
});
afterAll(async () => {
  await sim.close();
  await rm(root, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

const open = (extra: Partial<Parameters<typeof openSparseCheckout>[0]> = {}) =>
  openSparseCheckout({ remoteUrl: `${sim.url}/acme/web.git`, token: sim.token, baseBranch: 'main', paths: ['package.json'], guard: localGuard, logger: silentLogger, tempRoot: root, ...extra });

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

const exists = (path: string) => access(path).then(
  () => true,
  () => false,
);

describe('git security: the token', () => {
  it('never appears in .git, in any git argv, in logs or in ps output, yet clone and push authenticate', async () => {
    // A wrapper records every argv git is started with, then runs the real git.
    const argvLog = join(scratch, 'argv.log');
    const wrapper = join(scratch, 'git-wrapper.sh');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec /usr/bin/git "$@"\n`);
    await chmod(wrapper, 0o755);
    const { logger, lines } = capturingLogger();
    const psSeen: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const out = await new Promise<string>((resolve) => {
          const ps = spawn('ps', ['-eo', 'args'], { stdio: ['ignore', 'pipe', 'ignore'] });
          let text = '';
          ps.stdout.on('data', (c: Buffer) => {
            text += c.toString();
          });
          ps.on('close', () => resolve(text));
        });
        psSeen.push(...out.split('\n').filter((l) => l.includes('git')));
      }
    })();
    let co: SparseCheckout | undefined;
    try {
      co = await open({ gitBinary: wrapper, logger });
      const config = await readFile(join(co.dir, '.git', 'config'), 'utf8');
      expect(config).toContain(`${sim.url}/acme/web.git`);
      const original = (await co.readFile('package.json')) as string;
      await co.writeFile('package.json', original.replace('^4.17.15', '^4.17.21'));
      const branch = uniqueBranch('token-check');
      const { commitSha } = await co.commitAndPush({ branch, message: 'bump', author, expectedRemoteSha: null });
      expect((await sim.admin.refs('acme/web'))[`refs/heads/${branch}`]).toBe(commitSha);
      const secrets = [sim.token, basicCredential(sim.token)];
      for (const file of await filesUnder(join(co.dir, '.git'))) {
        const text = (await readFile(file)).toString('latin1');
        for (const secret of secrets) expect(text.includes(secret), `${file} holds the token`).toBe(false);
      }
      const argv = await readFile(argvLog, 'utf8');
      expect(argv).toContain('clone --filter=blob:none --depth 1 --no-checkout --single-branch');
      expect(argv).toContain('push --porcelain');
      expect(argv).toContain('protocol.allow=never');
      for (const secret of secrets) {
        expect(argv).not.toContain(secret);
        expect(lines.join('\n')).not.toContain(secret);
        expect(psSeen.join('\n')).not.toContain(secret);
      }
      expect(lines.some((l) => l.includes('"step":"push"'))).toBe(true);
      // The poller did see git at work (clone, git-remote-http, push), so the check above had something to check.
      expect(psSeen.some((l) => /git(-remote-http| remote-http| .* clone | .* push )/.test(l))).toBe(true);
    } finally {
      polling = false;
      await poller;
      await co?.dispose();
    }
  });

  it('a bad token fails with PROVIDER_AUTH_FAILED, the message carries no token, and the temp dir is gone', async () => {
    const token = `ghp_${'z'.repeat(36)}`;
    const before = await leftovers(root);
    const { logger, lines } = capturingLogger();
    const error = await rejected(open({ token, logger }));
    expect(error).toBeInstanceOf(GitError);
    expect(error.code).toBe(GIT_AUTH_FAILED);
    for (const text of [error.message, String(error.stack), ...lines]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(basicCredential(token));
    }
    expect(await leftovers(root)).toEqual(before);
  });

  it('ignores git trace variables of the parent process (they would print the Authorization header)', async () => {
    process.env.GIT_TRACE_CURL = '1';
    process.env.GIT_TRACE = '1';
    try {
      const error = await rejected(open({ token: `ghp_${'q'.repeat(36)}` }));
      expect(error.message).not.toContain('Authorization');
      expect(error.message).not.toContain('q'.repeat(36));
    } finally {
      delete process.env.GIT_TRACE_CURL;
      delete process.env.GIT_TRACE;
    }
  });
});

describe('git security: remotes', () => {
  it.each([
    ['ext::sh -c touch% /tmp/pwned-ext', 'ext'],
    ['ext::sh -c "touch /tmp/pwned-ext"', 'ext'],
    ['--upload-pack=touch /tmp/pwned-upload', 'option'],
    ['-u touch /tmp/pwned-upload', 'option'],
    ['ssh://git@127.0.0.1/acme/web.git', 'ssh'],
    ['git://127.0.0.1/acme/web.git', 'git'],
    ['https://x-access-token:secret@127.0.0.1/acme/web.git', 'credentials'],
  ])('refuses %s before running git', async (remoteUrl) => {
    const before = await leftovers(root);
    const error = await rejected(open({ remoteUrl }));
    expect(error).toBeInstanceOf(GitError);
    expect(error.code).toBe(GIT_URL_REFUSED);
    expect(await exists('/tmp/pwned-ext')).toBe(false);
    expect(await exists('/tmp/pwned-upload')).toBe(false);
    expect(await leftovers(root)).toEqual(before);
  });

  it('refuses a file:// remote pointing at a real repository', async () => {
    const gitDir = sim.admin.repos().find((r) => r.fullName === 'acme/web')?.gitDir as string;
    const error = await rejected(open({ remoteUrl: `file://${gitDir}` }));
    expect(error.code).toBe(GIT_URL_REFUSED);
  });

  it('refuses http to a host that is not allow-listed, and https to a private address', async () => {
    const strict = createOutboundGuard({ allowedHosts: [], lookup: async () => [{ address: '10.1.2.3', family: 4 }] });
    expect((await rejected(open({ guard: strict }))).code).toBe(GIT_URL_REFUSED);
    const error = await rejected(open({ guard: strict, remoteUrl: 'https://git.internal.example/acme/web.git' }));
    expect(error.code).toBe(GIT_URL_REFUSED);
    expect(error.message).toMatch(/private/);
  });

  it('git itself refuses ext:: and file:// under our settings (second line of defence)', async () => {
    const remote = await checkRemote(`${sim.url}/acme/web.git`, localGuard);
    const marker = join(scratch, 'ext-ran');
    const gitDir = sim.admin.repos().find((r) => r.fullName === 'acme/web')?.gitDir as string;
    for (const url of [`ext::sh -c touch% ${marker}`, `file://${gitDir}`]) {
      const result = await run('git', [...gitConfigArgs(remote), 'ls-remote', '--', url], { env: { PATH: '/usr/bin:/bin', HOME: scratch, GIT_CONFIG_NOSYSTEM: '1' } }).then(
        () => ({ ok: true, stderr: '' }),
        (e: { stderr: string }) => ({ ok: false, stderr: e.stderr }),
      );
      expect(result.ok).toBe(false);
      expect(result.stderr).toMatch(/transport '(ext|file)' not allowed/);
    }
    expect(await exists(marker)).toBe(false);
    // http is allowed only because 127.0.0.1 is allow-listed; https-only otherwise.
    expect(gitConfigArgs(remote)).toContain('protocol.http.allow=always');
  });
});

describe('git security: paths and branches', () => {
  it('refuses paths escaping the repository, into .git, or through symlinks', async () => {
    // A repository that holds a symlink pointing outside it, committed through the API.
    const http = outbound();
    const gh = createGitHubClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http, logger: silentLogger, options: { writeIntervalMs: 0, notificationIntervalMs: 0 } });
    const web = { owner: 'acme', repo: 'web' };
    const head = (await gh.getBranchHead(web, 'main')) as string;
    const commit = await gh.commitFiles(web, {
      parentSha: head,
      baseTreeSha: (await gh.getCommit(web, head)).treeSha,
      message: 'add links',
      files: [
        { path: 'evil', content: '/etc', mode: '120000' },
        { path: 'evil.json', content: '../../../../../../etc/hostname', mode: '120000' },
      ],
    });
    const base = uniqueBranch('with-symlinks');
    await gh.createRef(web, base, commit.commitSha);
    await http.close();

    const co = await open({ baseBranch: base, paths: ['package.json', 'evil', 'evil.json'] });
    try {
      for (const path of ['../outside', 'a/../../outside', '/etc/passwd', '.git/config', 'sub/.GIT/config', 'evil/passwd', 'evil.json', 'evil/new-file', '', 'a\u0000b']) {
        const read = await rejected(co.readFile(path));
        expect(read.code, `readFile ${JSON.stringify(path)}`).toBe(GIT_PATH_REFUSED);
        const write = await rejected(co.writeFile(path, 'x'));
        expect(write.code, `writeFile ${JSON.stringify(path)}`).toBe(GIT_PATH_REFUSED);
      }
      // A symlink made after checkout is caught too.
      await symlink(scratch, join(co.dir, 'late-link'));
      expect((await rejected(co.writeFile('late-link/x.txt', 'x'))).code).toBe(GIT_PATH_REFUSED);
      expect(await exists(join(scratch, 'x.txt'))).toBe(false);
      expect(await co.readFile('package.json')).toContain('lodash');
    } finally {
      await co.dispose();
    }
    expect((await rejected(open({ paths: ['../x'] }))).code).toBe(GIT_PATH_REFUSED);
  });

  it('refuses bad branch names for the base and for the push', async () => {
    for (const baseBranch of ['--upload-pack=touch /tmp/pwned-branch', 'a..b', 'main~1', 'x y']) {
      expect((await rejected(open({ baseBranch }))).code).toBe(GIT_BAD_BRANCH);
    }
    expect(await exists('/tmp/pwned-branch')).toBe(false);
    const co = await open();
    try {
      await co.writeFile('package.json', 'changed\n');
      for (const branch of ['-f', 'a..b', 'x@{1}', 'x.lock', 'refs/heads/../x']) {
        expect((await rejected(co.commitAndPush({ branch, message: 'm', author, expectedRemoteSha: null }))).code).toBe(GIT_BAD_BRANCH);
      }
    } finally {
      await co.dispose();
    }
  });
});

describe('git limits and clean-up', () => {
  it('removes the temp dir after every kind of failure inside open', async () => {
    const before = await leftovers(root);
    expect((await rejected(open({ baseBranch: 'no-such-branch' }))).code).toBe(GIT_NOT_FOUND);
    expect((await rejected(open({ remoteUrl: `${sim.url}/acme/missing.git` }))).code).toBe(GIT_NOT_FOUND);
    expect((await rejected(open({ limits: { maxRepoBytes: 2_000 } }))).code).toBe(GIT_TOO_LARGE);
    expect(await leftovers(root)).toEqual(before);
  });

  it('stops a git that runs past the deadline (process group killed) and cleans up', async () => {
    const before = await leftovers(root);
    sim.admin.faults.configure({ latencyMs: 3_000 });
    try {
      const started = Date.now();
      const error = await rejected(open({ limits: { timeoutMs: 500 } }));
      expect(error.code).toBe('PROVIDER_UNAVAILABLE');
      expect(error).toMatchObject({ retryable: true });
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      sim.admin.faults.configure({ latencyMs: 0 });
    }
    expect(await leftovers(root)).toEqual(before);
  });
});
