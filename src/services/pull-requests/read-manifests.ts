/**
 * Reads the candidate manifests of a base commit: the recursive tree listing (one call, or a walk of
 * subtrees when GitHub truncates it) and then only the blobs an updater could edit, a few at a time.
 * Nothing else of the repository is fetched, whatever its size or history.
 */
import type { CodeHost as GitHubClient, RepoRef, TreeEntry } from '../../providers/registry.ts';
import { candidatePaths, MAX_MANIFEST_BYTES } from './plan-edits.ts';
import type { FixItem } from './types.ts';

const READ_CONCURRENCY = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface BaseSnapshot {
  treeSha: string;
  treePaths: Set<string>;
  /** Path → blob sha of every file of the base tree, to tell what a branch changed. */
  blobShas: Map<string, string>;
  contents: Map<string, string | null>;
  /** Blobs read (for the benchmark and logs). */
  blobsRead: number;
  treeEntries: number;
}

async function mapLimit<T, R>(values: T[], limit: number, work: (value: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(values.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, values.length) }, async () => {
    while (next < values.length) {
      const index = next++;
      results[index] = await work(values[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function readBaseManifests(client: GitHubClient, ref: RepoRef, baseSha: string, items: FixItem[]): Promise<BaseSnapshot> {
  const commit = await client.getCommit(ref, baseSha);
  const tree = await client.listTree(ref, commit.treeSha);
  const blobs = tree.filter((entry): entry is TreeEntry & { type: 'blob' } => entry.type === 'blob');
  const byPath = new Map(blobs.map((entry) => [entry.path, entry]));
  const wanted = new Set<string>();
  for (const item of items) for (const path of candidatePaths(item, blobs)) wanted.add(path);

  const toRead = [...wanted].filter((path) => {
    const entry = byPath.get(path);
    // Symlinks (120000) and submodules are not files we may rewrite.
    return entry !== undefined && entry.mode !== '120000' && (entry.size ?? 0) <= MAX_MANIFEST_BYTES;
  });
  const texts = await mapLimit(toRead, READ_CONCURRENCY, async (path) => {
    const bytes = await client.readBlob(ref, byPath.get(path)!.sha);
    try {
      return utf8.decode(bytes);
    } catch {
      return null; // not UTF-8: no updater may touch it
    }
  });
  const read = new Map(toRead.map((path, index) => [path, texts[index] ?? null]));
  // In the candidates' order, never in the order the concurrent reads happened to finish: the
  // order decides the PR's title, body and change list, and a re-run must produce the same ones
  // (else an unchanged fix branch's PR is "updated" for nothing).
  const contents = new Map<string, string | null>([...wanted].map((path) => [path, read.get(path) ?? null]));
  return { treeSha: commit.treeSha, treePaths: new Set(byPath.keys()), blobShas: new Map(blobs.map((entry) => [entry.path, entry.sha])), contents, blobsRead: toRead.length, treeEntries: tree.length };
}
