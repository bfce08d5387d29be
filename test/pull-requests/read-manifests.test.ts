/**
 * The base snapshot's manifests come back in the candidates' order whatever order the concurrent
 * blob reads finish in. Before the fix they came back in completion order, so the PR title, body and
 * change list of the same fix could differ between two runs, and a re-run found its own, unchanged
 * PR "stale" and answered `updated` instead of `existing` (seen as a flake of transports.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../src/providers/github/index.ts';
import { buildBody, buildTitle } from '../../src/services/pull-requests/pr-content.ts';
import { planEdits } from '../../src/services/pull-requests/plan-edits.ts';
import { readBaseManifests } from '../../src/services/pull-requests/read-manifests.ts';
import type { FixItem } from '../../src/services/pull-requests/types.ts';

const files: Record<string, string> = {
  'package.json': '{\n  "dependencies": {\n    "lodash": "4.17.15"\n  }\n}\n',
  'packages/frontend/package.json': '{\n  "dependencies": {\n    "lodash": "^4.17.14"\n  }\n}\n',
  'packages/admin/package.json': '{\n  "dependencies": {\n    "lodash": "~4.17.10"\n  }\n}\n',
};
const paths = Object.keys(files);

/** A client whose blob reads finish in the given order of paths (not the order they were asked for). */
function clientFinishingIn(order: string[]): GitHubClient {
  const pending = new Map<string, () => void>();
  let released = 0;
  const releaseNext = () => {
    const next = order[released];
    const release = next ? pending.get(next) : undefined;
    if (!release) return;
    pending.delete(next!);
    released += 1;
    release();
    queueMicrotask(releaseNext);
  };
  return {
    getCommit: async () => ({ sha: 'b'.repeat(40), treeSha: 't'.repeat(40), parents: [] }),
    listTree: async () => paths.map((path, index) => ({ path, type: 'blob', mode: '100644', sha: String(index).repeat(40), size: files[path]!.length })),
    readBlob: (_ref: unknown, sha: string) =>
      new Promise<Uint8Array>((resolve) => {
        const path = paths[Number(sha[0])]!;
        pending.set(path, () => resolve(new TextEncoder().encode(files[path])));
        // Every read is in flight before any is released (all fit in one batch of readers).
        if (pending.size === paths.length) releaseNext();
      }),
  } as unknown as GitHubClient;
}

const item: FixItem = { packageName: 'lodash', ecosystem: 'npm', fixedVersion: '4.17.21', advisories: [{ id: 'CVE-2021-23337', severity: 'high' }] as FixItem['advisories'] };

async function prContent(order: string[]) {
  const snapshot = await readBaseManifests(clientFinishingIn(order), { owner: 'acme', repo: 'mono' } as never, 'b'.repeat(40), [item]);
  const plan = planEdits({ items: [item], treePaths: snapshot.treePaths, contents: snapshot.contents });
  return {
    order: [...snapshot.contents.keys()],
    title: buildTitle([item], plan.items),
    body: buildBody({ items: [item], edits: plan.items, changedPaths: [...plan.changed.keys()], treePaths: snapshot.treePaths, branch: 'security/lodash' }),
    changed: [...plan.changed.keys()],
  };
}

describe('readBaseManifests', () => {
  it('returns the manifests in the candidates order, so the same fix gives the same PR title and body', async () => {
    const inOrder = await prContent([...paths].sort());
    const reversed = await prContent([...paths].sort().reverse());
    const shuffled = await prContent(['packages/frontend/package.json', 'package.json', 'packages/admin/package.json']);
    expect(inOrder.order).toEqual([...paths].sort());
    for (const other of [reversed, shuffled]) expect(other).toEqual(inOrder);
    expect(inOrder.changed).toHaveLength(3);
  });
});
