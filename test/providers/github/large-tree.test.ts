import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundClient, createOutboundGuard, type OutboundClient, type OutboundResponse } from '../../../src/http-client/index.ts';
import type { GitHubClient, RepoRef, TreeEntry } from '../../../src/providers/github/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../../simulators/github/index.ts';
import { buildLargeRepository } from '../../simulators/github/large-repo.ts';
import { makeClient, outbound, silentLogger } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

const FILES = 25_000;
let sim: GitHubSimulator;
let http: OutboundClient;
let gh: GitHubClient;
let treeSha: string;
let reference: TreeEntry[];
const large: RepoRef = { owner: 'acme', repo: 'large' };

/**
 * GitHub truncates recursive listings at 100,000 entries or 7 MB; the simulator only at 100,000.
 * This wrapper truncates any recursive answer above `limit` entries, as GitHub would a bigger tree.
 */
function truncating(inner: OutboundClient, limit: number, seen: string[]): OutboundClient {
  return {
    close: () => inner.close(),
    async request(request) {
      const response = await inner.request(request);
      const url = new URL(String(request.url));
      if (!url.pathname.includes('/git/trees/')) return response;
      seen.push(`${url.pathname.split('/').pop()?.slice(0, 7)}${url.searchParams.has('recursive') ? ' recursive' : ''}`);
      if (!url.searchParams.has('recursive') || response.status !== 200) return response;
      const json = JSON.parse(response.body) as { tree: unknown[]; truncated: boolean };
      if (json.tree.length <= limit) return response;
      const body = JSON.stringify({ ...json, tree: json.tree.slice(0, limit), truncated: true });
      const cut: OutboundResponse = { ...response, body, json: <T>() => JSON.parse(body) as T };
      return cut;
    },
  };
}

const summary = (entries: TreeEntry[]) => entries.map((e) => `${e.type} ${e.path} ${e.sha}`);

beforeAll(async () => {
  sim = await startGitHubSimulator();
  await buildLargeRepository({ simulator: sim, fullName: 'acme/large', files: FILES, historyMb: 1, commits: 2 });
  ({ client: gh, http } = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }));
  const head = (await gh.getBranchHead(large, 'main')) as string;
  treeSha = (await gh.getCommit(large, head)).treeSha;
  reference = await gh.listTree(large, treeSha);
}, 120_000);
afterAll(async () => {
  await http.close();
  await sim.close();
});

describe('GitHub client: listTree on a large repository', () => {
  it('lists every file of a 25,000-file repository', () => {
    const blobs = reference.filter((e) => e.type === 'blob');
    expect(blobs).toHaveLength(FILES + 6);
    expect(blobs.some((e) => e.path === 'packages/app/package.json')).toBe(true);
    expect(blobs.some((e) => e.path === `src/module-199/file-${FILES - 1}.ts`)).toBe(true);
    expect(reference.filter((e) => e.type === 'tree').map((e) => e.path)).toContain('src/module-000');
  });

  it('walks subtrees when GitHub truncates, and the listing is complete and in the same order', async () => {
    const seen: string[] = [];
    const wrapped = truncating(outbound(), 5_000, seen);
    const { client } = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http: wrapped });
    const listed = await client.listTree(large, treeSha);
    expect(summary(listed)).toEqual(summary(reference));
    // Root recursive (truncated), root level, src recursive (truncated), src level, then each module at once.
    expect(seen.filter((s) => s.endsWith('recursive')).length).toBeGreaterThan(200);
    expect(seen.filter((s) => !s.endsWith('recursive'))).toHaveLength(2);
    await wrapped.close();
  });

  it('walks subtrees when the recursive answer is larger than the outbound response limit', async () => {
    const small = createOutboundClient({
      logger: silentLogger,
      guard: createOutboundGuard({ allowedHosts: ['127.0.0.1'] }),
      defaultTimeoutMs: 10_000,
      maxRetries: 0,
      maxResponseBytes: 1024 * 1024,
    });
    const { client } = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http: small });
    const listed = await client.listTree(large, treeSha);
    expect(summary(listed)).toEqual(summary(reference));
    await small.close();
  });
});
