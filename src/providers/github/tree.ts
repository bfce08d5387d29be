/**
 * A complete recursive tree listing. GitHub answers `truncated: true` above 100,000 entries or 7 MB
 * (and our outbound client refuses answers over its size limit); then the tree is walked level by
 * level, each subtree asked for recursively first and split again only if it is still too big.
 */
import { GITHUB_RESPONSE_TOO_LARGE, isGitHubError } from './errors.ts';
import type { TreeEntry } from './types.ts';

export interface RawTree {
  truncated: boolean;
  entries: TreeEntry[];
}

/** Fetches one tree; `recursive` asks GitHub for the whole subtree at once. */
export type TreeFetcher = (sha: string, recursive: boolean) => Promise<RawTree>;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function recursiveOrNull(fetchTree: TreeFetcher, sha: string): Promise<TreeEntry[] | null> {
  try {
    const tree = await fetchTree(sha, true);
    return tree.truncated ? null : tree.entries;
  } catch (error) {
    if (isGitHubError(error, GITHUB_RESPONSE_TOO_LARGE)) return null;
    throw error;
  }
}

const prefixed = (prefix: string, entries: TreeEntry[]) => entries.map((entry) => ({ ...entry, path: `${prefix}${entry.path}` }));

async function walk(fetchTree: TreeFetcher, sha: string, prefix: string, concurrency: number): Promise<TreeEntry[]> {
  const level = await fetchTree(sha, false);
  const below = await mapLimit(level.entries, concurrency, async (entry) => {
    if (entry.type !== 'tree') return [];
    const whole = await recursiveOrNull(fetchTree, entry.sha);
    const childPrefix = `${prefix}${entry.path}/`;
    return whole ? prefixed(childPrefix, whole) : walk(fetchTree, entry.sha, childPrefix, concurrency);
  });
  // Same order as a recursive answer: each entry, then everything under it.
  const out: TreeEntry[] = [];
  level.entries.forEach((entry, index) => {
    out.push({ ...entry, path: `${prefix}${entry.path}` });
    for (const child of below[index] ?? []) out.push(child);
  });
  return out;
}

export async function listTreeComplete(fetchTree: TreeFetcher, treeSha: string, concurrency: number): Promise<TreeEntry[]> {
  const whole = await recursiveOrNull(fetchTree, treeSha);
  return whole ?? walk(fetchTree, treeSha, '', concurrency);
}
