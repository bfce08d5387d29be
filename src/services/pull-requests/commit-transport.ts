/**
 * Putting one commit on the fix branch, two ways. `api` (default): the git data API writes a tree on
 * top of the base tree and a commit, then moves the ref — no clone, so the repository's size and
 * history do not matter. `git`: a blobless, shallow, sparse checkout of just the manifests, committed
 * and pushed under a lease (for hosts or policies where the data API is not an option). Both start
 * from the base commit the plan was computed on, so both give byte-identical files.
 */
import { createHash } from 'node:crypto';
import type { OutboundGuard } from '../../http-client/index.ts';
import type { Logger } from '../../logging/logger.ts';
import { bearerTokenOf, type CredentialSource } from '../../providers/credentials/index.ts';
import type { CodeHost, RepoRef } from '../../providers/registry.ts';
import { PullRequestError, GITHUB_BRANCH_MOVED } from './errors.ts';
import type { Transport } from './types.ts';

/** Our commits are authored as this identity, which is how we later recognise them as ours. */
export const BOT_AUTHOR = { name: 'Integration Service', email: 'integration-service@users.noreply.github.com' };

/** The blob id git gives a content, to compare a branch's files with ours without reading them. */
export function gitBlobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export interface CommitInput {
  transport: Transport;
  client: CodeHost;
  ref: RepoRef;
  gitUrl: string;
  /** The git transport asks it for the token of the moment (the API transport's client has its own). */
  credentials: CredentialSource;
  guard: OutboundGuard;
  logger: Logger;
  base: { branch: string; sha: string; treeSha: string };
  branch: string;
  /** null: the branch must not exist; otherwise its current tip, which we replace (only ever our own commits). */
  expectedHead: string | null;
  message: string;
  /** Path → new content. */
  files: Map<string, string>;
  /** Path → the content the plan started from (the git transport checks the checkout still has it). */
  originals: Map<string, string | null>;
}

export async function commitToBranch(input: CommitInput): Promise<string> {
  return input.transport === 'git' ? commitWithGit(input) : commitWithApi(input);
}

async function commitWithApi(input: CommitInput): Promise<string> {
  const { client, ref } = input;
  const { commitSha } = await client.commitFiles(ref, {
    parentSha: input.base.sha,
    baseTreeSha: input.base.treeSha,
    message: input.message,
    files: [...input.files].map(([path, content]) => ({ path, content })),
    author: BOT_AUTHOR,
  });
  if (input.expectedHead === null) {
    await client.createRef(ref, input.branch, commitSha);
    return commitSha;
  }
  // The REST API has no compare-and-swap on refs: re-read the tip right before forcing, so the
  // window in which someone else's push could be overwritten is one round trip.
  const tip = await client.getBranchHead(ref, input.branch);
  if (tip !== input.expectedHead) {
    throw new PullRequestError(GITHUB_BRANCH_MOVED, `branch ${input.branch} moved while we prepared the update (now ${tip ?? 'deleted'}); nothing was pushed, retry`, true);
  }
  await client.updateRef(ref, input.branch, commitSha, true);
  return commitSha;
}

async function commitWithGit(input: CommitInput): Promise<string> {
  // Loaded on first use: the default transport never needs git.
  const { openSparseCheckout } = await import('../../git/index.ts');
  const token = bearerTokenOf(await input.credentials.current());
  if (!token) throw new PullRequestError('PROVIDER_AUTH_FAILED', `a ${input.credentials.kind} credential has no token git can push with; use the api transport`);
  const checkout = await openSparseCheckout({
    remoteUrl: input.gitUrl,
    token,
    baseBranch: input.base.branch,
    paths: [...input.files.keys()],
    guard: input.guard,
    logger: input.logger,
  });
  try {
    for (const [path, content] of input.files) {
      const current = await checkout.readFile(path);
      if (current !== (input.originals.get(path) ?? null)) {
        throw new PullRequestError(GITHUB_BRANCH_MOVED, `${input.base.branch} changed ${path} while we prepared the update; nothing was pushed, retry`, true);
      }
      await checkout.writeFile(path, content);
    }
    const { commitSha } = await checkout.commitAndPush({ branch: input.branch, message: input.message, author: BOT_AUTHOR, expectedRemoteSha: input.expectedHead });
    return commitSha;
  } finally {
    await checkout.dispose();
  }
}
