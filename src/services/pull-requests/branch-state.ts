/**
 * What an existing fix branch holds, decided before anything is pushed to it:
 * - `current`: exactly our change, on top of the current base — nothing to push;
 * - `ours`: only commits authored by us (behind the base, or an older version of the change) — we
 *   may replace it with a fresh commit on the current base;
 * - `foreign`: someone else committed to it — it is theirs now; we never force-push over it.
 */
import type { CodeHost as GitHubClient, RepoRef } from '../../providers/registry.ts';
import { gitBlobSha } from './commit-transport.ts';

export type BranchState = 'current' | 'ours' | 'foreign';

export interface BranchInspection {
  client: GitHubClient;
  ref: RepoRef;
  branchHead: string;
  baseSha: string;
  /** Every file of the base tree (path → blob sha). */
  baseBlobs: Map<string, string>;
  /** The files we want the branch to hold (path → content). */
  files: Map<string, string>;
  /** The head we last pushed or saw (our pull_requests row), if recorded. */
  recordedHead: string | null;
  /** Lower-cased author emails that are ours. */
  ourEmails: () => Promise<Set<string>>;
}

export async function inspectBranch(input: BranchInspection): Promise<BranchState> {
  const { client, ref } = input;
  const head = await client.getCommit(ref, input.branchHead);
  if (head.parents.length === 1 && head.parents[0] === input.baseSha && (await holdsExactly(input, head.treeSha))) return 'current';
  // Still the commit we pushed last: nobody has pushed since, whatever the base did meanwhile.
  if (input.recordedHead === input.branchHead) return 'ours';
  const commits = await client.listCommitsBetween(ref, input.baseSha, input.branchHead);
  const ours = await input.ourEmails();
  return commits.every((commit) => commit.authorEmail !== null && ours.has(commit.authorEmail.toLowerCase())) ? 'ours' : 'foreign';
}

/** The branch's tree is the base tree with exactly our files replaced. */
async function holdsExactly(input: BranchInspection, treeSha: string): Promise<boolean> {
  const tree = await input.client.listTree(input.ref, treeSha);
  const blobs = tree.filter((entry) => entry.type === 'blob');
  if (blobs.length !== input.baseBlobs.size) return false;
  for (const entry of blobs) {
    const wanted = input.files.get(entry.path);
    const expected = wanted !== undefined ? gitBlobSha(wanted) : input.baseBlobs.get(entry.path);
    if (entry.sha !== expected) return false;
  }
  return true;
}
