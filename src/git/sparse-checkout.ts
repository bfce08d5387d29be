/**
 * openSparseCheckout: `git clone --filter=blob:none --depth 1 --no-checkout --single-branch`, then
 * `sparse-checkout set --no-cone` with the named paths and `checkout`, so only those blobs are
 * fetched; files are read and written inside the work tree; commitAndPush pushes one commit with
 * `--force-with-lease=refs/heads/<branch>:<expected>`, so a push by someone else since we looked is
 * never overwritten. Everything lives in one temp dir, removed by dispose() and on any failure.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkBranchName } from './branch-name.ts';
import { dirSize } from './dir-size.ts';
import {
  GIT_AUTH_FAILED,
  GIT_FAILED,
  GIT_FORBIDDEN,
  GIT_LEASE_REJECTED,
  GIT_NOT_FOUND,
  GIT_NOTHING_TO_COMMIT,
  GIT_PATH_REFUSED,
  GIT_PUSH_REJECTED,
  GIT_TIMEOUT,
  GIT_TOO_LARGE,
  GIT_URL_REFUSED,
  GitError,
} from './errors.ts';
import { checkRelativePath, resolveInside, sparsePattern } from './paths.ts';
import { gitSaid } from './redact.ts';
import { type CheckedRemote, checkRemote, gitConfigArgs, gitEnv } from './remote.ts';
import { type GitRunResult, runGit } from './run-git.ts';
import type { CommitAndPushInput, GitLimits, OpenSparseCheckoutInput, SparseCheckout } from './types.ts';

export const DEFAULT_GIT_LIMITS: GitLimits = { timeoutMs: 120_000, maxRepoBytes: 500 * 1024 * 1024 };

const SHA = /^[0-9a-f]{40}$/;

interface Session {
  binary: string;
  remote: CheckedRemote;
  token: string;
  root: string;
  home: string;
  repo: string;
  limits: GitLimits;
  logger: OpenSparseCheckoutInput['logger'];
}

function failure(step: string, result: GitRunResult, session: Session): GitError {
  const said = gitSaid(result.stderr, session.token);
  const where = `${session.remote.host}${session.remote.path}`;
  if (result.tooLarge) return new GitError(GIT_TOO_LARGE, `git ${step} of ${where} stopped: the repository is larger than ${session.limits.maxRepoBytes} bytes`);
  if (result.timedOut) return new GitError(GIT_TIMEOUT, `git ${step} of ${where} took longer than ${session.limits.timeoutMs} ms and was stopped`, { retryable: true });
  if (/transport '[^']*' not allowed/i.test(said)) return new GitError(GIT_URL_REFUSED, `git refused the transport for ${where}: ${said}`);
  if (/Authentication failed|returned error: 401|could not read (Username|Password)/i.test(said)) {
    return new GitError(GIT_AUTH_FAILED, `git ${step}: ${where} rejected the token (wrong, expired or revoked): ${said}`);
  }
  if (/returned error: 403|Permission to .* denied/i.test(said)) return new GitError(GIT_FORBIDDEN, `git ${step}: the token cannot push to ${where}: ${said}`);
  if (/returned error: 404|Repository not found|not found in upstream|does not appear to be a git repository/i.test(said)) {
    return new GitError(GIT_NOT_FOUND, `git ${step}: ${where} or its branch was not found, or the token cannot see it: ${said}`);
  }
  const network = /Could not resolve host|Failed to connect|Connection (refused|reset|timed out)|returned error: 5\d\d|early EOF|RPC failed/i.test(said);
  return new GitError(GIT_FAILED, `git ${step} of ${where} failed (exit ${result.code}): ${said || 'no output'}`, { retryable: network });
}

async function git(session: Session, step: string, args: string[], options: { deadline: number; input?: string; env?: Record<string, string>; watch?: boolean; cwd?: string }): Promise<GitRunResult> {
  const fullArgs = [...gitConfigArgs(session.remote), ...args];
  const result = await runGit({
    binary: session.binary,
    cwd: options.cwd ?? session.repo,
    args: fullArgs,
    env: { ...gitEnv(session.home, session.token), ...options.env },
    deadline: options.deadline,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.watch ? { watch: { dir: join(session.repo, '.git'), maxBytes: session.limits.maxRepoBytes } } : {}),
  });
  session.logger.info(
    { provider: 'git', step, host: session.remote.host, repo: session.remote.path, exit_code: result.code, duration_ms: result.durationMs, ...(result.timedOut ? { timed_out: true } : {}), ...(result.tooLarge ? { too_large: true } : {}) },
    'git command',
  );
  session.logger.debug({ provider: 'git', step, argv: fullArgs }, 'git argv');
  return result;
}

async function gitOk(session: Session, step: string, args: string[], options: Parameters<typeof git>[3]): Promise<GitRunResult> {
  const result = await git(session, step, args, options);
  if (result.code !== 0 || result.timedOut || result.tooLarge) throw failure(step, result, session);
  return result;
}

async function checkSize(session: Session): Promise<void> {
  const bytes = await dirSize(join(session.repo, '.git'));
  if (bytes > session.limits.maxRepoBytes) {
    throw new GitError(GIT_TOO_LARGE, `${session.remote.host}${session.remote.path} needs ${bytes} bytes, more than the limit of ${session.limits.maxRepoBytes}`);
  }
}

function checkAuthor(author: { name: string; email: string }): void {
  for (const value of [author?.name, author?.email]) {
    if (typeof value !== 'string' || value.trim() === '' || /[<>\u0000-\u001f\u007f]/.test(value)) {
      throw new GitError(GIT_FAILED, 'commit author name and email must be non-empty and contain no <, > or control characters');
    }
  }
}

export async function openSparseCheckout(input: OpenSparseCheckoutInput): Promise<SparseCheckout> {
  const limits: GitLimits = { ...DEFAULT_GIT_LIMITS, ...input.limits };
  checkBranchName(input.baseBranch);
  if (!Array.isArray(input.paths) || input.paths.length === 0) throw new GitError(GIT_PATH_REFUSED, 'at least one path to check out is needed');
  const patterns = input.paths.map((path) => sparsePattern(checkRelativePath(path)));
  if (typeof input.token !== 'string' || input.token === '' || /[\r\n]/.test(input.token)) throw new GitError(GIT_AUTH_FAILED, 'a token is needed for git over HTTPS');
  const remote = await checkRemote(input.remoteUrl, input.guard);

  const root = await mkdtemp(join(input.tempRoot ?? tmpdir(), 'integration-git-'));
  const session: Session = {
    binary: input.gitBinary ?? 'git',
    remote,
    token: input.token,
    root,
    home: join(root, 'home'),
    repo: join(root, 'repo'),
    limits,
    logger: input.logger,
  };
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    await mkdir(session.home);
    const deadline = Date.now() + limits.timeoutMs;
    await gitOk(
      session,
      'clone',
      ['clone', '--filter=blob:none', '--depth', '1', '--no-checkout', '--single-branch', '--no-tags', '--branch', input.baseBranch, '--', remote.url, session.repo],
      { deadline, cwd: root, watch: true },
    );
    await checkSize(session);
    await gitOk(session, 'sparse-checkout', ['sparse-checkout', 'set', '--no-cone', '--stdin'], { deadline, input: `${patterns.join('\n')}\n`, watch: true });
    await gitOk(session, 'checkout', ['checkout', '--quiet', input.baseBranch, '--'], { deadline, watch: true });
    await checkSize(session);
    const headSha = (await gitOk(session, 'rev-parse', ['rev-parse', '--verify', 'HEAD^{commit}'], { deadline })).stdout.trim();
    const written = new Set<string>();

    const checkout: SparseCheckout = {
      dir: session.repo,
      headSha,
      async readFile(path) {
        const { absolute } = await resolveInside(session.repo, path);
        try {
          return await readFile(absolute, 'utf8');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
          throw error;
        }
      },
      async writeFile(path, content) {
        const { relative, absolute } = await resolveInside(session.repo, path);
        await mkdir(dirname(absolute), { recursive: true });
        // Checked again after mkdir: the parents exist now, and none may be a symlink.
        await resolveInside(session.repo, relative);
        await writeFile(absolute, content, 'utf8');
        written.add(relative);
      },
      async commitAndPush(push: CommitAndPushInput) {
        checkBranchName(push.branch);
        checkAuthor(push.author);
        if (push.expectedRemoteSha !== null && !SHA.test(push.expectedRemoteSha)) throw new GitError(GIT_FAILED, 'expectedRemoteSha must be a full 40-character commit sha or null');
        if (typeof push.message !== 'string' || push.message.trim() === '') throw new GitError(GIT_FAILED, 'a commit message is needed');
        if (written.size === 0) throw new GitError(GIT_NOTHING_TO_COMMIT, 'nothing was written, so there is nothing to commit');
        const pushDeadline = Date.now() + limits.timeoutMs;
        // Always one commit on top of the base: a retry after a refused push rebuilds the same shape.
        await gitOk(session, 'reset', ['reset', '--quiet', '--soft', headSha], { deadline: pushDeadline });
        await gitOk(session, 'add', ['add', '--sparse', '--', ...written], { deadline: pushDeadline });
        const staged = await git(session, 'diff', ['diff', '--cached', '--quiet'], { deadline: pushDeadline });
        if (staged.code === 0) throw new GitError(GIT_NOTHING_TO_COMMIT, 'the written files are identical to the base commit');
        const identity = {
          GIT_AUTHOR_NAME: push.author.name,
          GIT_AUTHOR_EMAIL: push.author.email,
          GIT_COMMITTER_NAME: push.author.name,
          GIT_COMMITTER_EMAIL: push.author.email,
        };
        // The message goes through stdin: nothing a caller wrote ever becomes an argument.
        await gitOk(session, 'commit', ['commit', '--quiet', '--no-verify', '--cleanup=verbatim', '--file=-'], { deadline: pushDeadline, input: push.message, env: identity });
        const commitSha = (await gitOk(session, 'rev-parse', ['rev-parse', '--verify', 'HEAD^{commit}'], { deadline: pushDeadline })).stdout.trim();
        const ref = `refs/heads/${push.branch}`;
        const result = await git(session, 'push', ['push', '--porcelain', '--no-verify', `--force-with-lease=${ref}:${push.expectedRemoteSha ?? ''}`, 'origin', `HEAD:${ref}`], { deadline: pushDeadline });
        if (result.code !== 0 || result.timedOut) {
          const said = `${result.stdout}\n${result.stderr}`;
          if (!result.timedOut && /\[rejected\].*(stale info)|stale info/i.test(said)) {
            const expected = push.expectedRemoteSha ? `still at ${push.expectedRemoteSha}` : 'absent';
            throw new GitError(GIT_LEASE_REJECTED, `push to ${push.branch} refused: the branch is no longer ${expected} (someone else pushed); their work was kept`);
          }
          if (!result.timedOut && /\[remote rejected\]/i.test(said)) {
            throw new GitError(GIT_PUSH_REJECTED, `push to ${push.branch} was refused by the server: ${gitSaid(result.stdout, session.token)}`);
          }
          throw failure('push', result, session);
        }
        return { commitSha };
      },
      async remoteBranchHead(branch) {
        checkBranchName(branch);
        const ref = `refs/heads/${branch}`;
        const result = await gitOk(session, 'ls-remote', ['ls-remote', '--heads', '--', 'origin', ref], { deadline: Date.now() + limits.timeoutMs });
        const line = result.stdout.split('\n').find((l) => l.endsWith(`\t${ref}`));
        return line ? line.slice(0, 40) : null;
      },
      async commitsSince(branch, since, max = 100) {
        checkBranchName(branch);
        if (!SHA.test(since)) throw new GitError(GIT_FAILED, 'since must be a full 40-character commit sha');
        const deadline = Date.now() + limits.timeoutMs;
        const tracking = `refs/remotes/origin/${branch}`;
        // Commits and trees only, and only as deep as we will look.
        await gitOk(session, 'fetch', ['fetch', '--quiet', '--no-tags', '--filter=blob:none', `--depth=${max}`, 'origin', `+refs/heads/${branch}:${tracking}`], { deadline, watch: true });
        await checkSize(session);
        const log = await gitOk(session, 'log', ['log', `--max-count=${max}`, '--format=%H %ae %ce', tracking, '--'], { deadline });
        const commits: { sha: string; authorEmail: string | null; committerEmail: string | null }[] = [];
        for (const line of log.stdout.split('\n')) {
          const [sha = '', authorEmail = '', committerEmail = ''] = line.trim().split(' ');
          if (!SHA.test(sha) || sha === since) break;
          commits.push({ sha, authorEmail: authorEmail || null, committerEmail: committerEmail || null });
        }
        // Oldest first, like GitHub's compare API.
        return commits.reverse();
      },
      dispose,
    };
    return checkout;
  } catch (error) {
    await dispose();
    throw error;
  }
}
