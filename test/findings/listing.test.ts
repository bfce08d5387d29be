import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { api, vulnerability } from './helpers.ts';

interface Listed {
  id: string;
  severity: string;
  kind: string;
  package_name: string | null;
  title: string;
}

describe.each(databaseKinds())('findings listing, filters and bulk on %s', (kind) => {
  let service: TestService;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    service = await startTestService(kind);
    client = api(service, 'listing-org');
    // 250 findings over three requests: rows of one batch share created_at, so the cursor has to
    // break ties by id, and the boundaries between batches cross timestamps.
    const severities = ['critical', 'high', 'medium', 'low', 'info'];
    const all = Array.from({ length: 250 }, (_, i) =>
      vulnerability(i, {
        severity: severities[i % 5],
        repo_url: i % 2 === 0 ? 'https://github.com/acme/web' : 'https://github.com/acme/api',
        title: i % 10 === 0 ? `Special ReDoS_100% in pkg-${i}` : `Issue in pkg-${i}`,
      }),
    );
    for (const batch of [all.slice(0, 100), all.slice(100, 101), all.slice(101)]) {
      const response = await client.post('/api/v1/findings', { findings: batch });
      expect(response.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await service?.close();
  });

  async function walk(query: string, limit: number, from: string | null = null): Promise<Listed[]> {
    const seen: Listed[] = [];
    let cursor: string | null = from;
    let pages = 0;
    do {
      const url: string = `/api/v1/findings?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await client.get(url);
      expect(response.statusCode).toBe(200);
      const body = response.json() as { findings: Listed[]; next_cursor: string | null };
      seen.push(...body.findings);
      cursor = body.next_cursor;
      pages += 1;
      expect(pages).toBeLessThan(500);
    } while (cursor);
    return seen;
  }

  it('pages through 250 rows with no skips or repeats, and stays stable under inserts', async () => {
    const seen = await walk('', 37);
    expect(seen).toHaveLength(250);
    expect(new Set(seen.map((f) => f.id)).size).toBe(250);

    // Inserts between pages land before the cursor (newest first) and do not disturb the walk.
    const first = (await client.get('/api/v1/findings?limit=100')).json();
    await client.post('/api/v1/findings', { findings: [vulnerability(1000, { severity: 'info' }), vulnerability(1001, { severity: 'info' })] });
    const rest = await walk('', 100, first.next_cursor);
    const ids = [...first.findings, ...rest].map((f: Listed) => f.id);
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
  });

  it('filters by severity list, kind, package, repo and title text', async () => {
    const high = await walk('&severity=CRITICAL,high', 200);
    expect(high).toHaveLength(100);
    expect(new Set(high.map((f) => f.severity))).toEqual(new Set(['critical', 'high']));

    expect(await walk('&kind=violation', 50)).toHaveLength(0);
    expect((await walk('&kind=vulnerability&state=backlog', 200)).length).toBeGreaterThanOrEqual(250);

    const one = await walk('&package_name=PKG-42', 10);
    expect(one.map((f) => f.package_name)).toEqual(['pkg-42']);

    // Scheme, host case, credentials and .git do not matter.
    const api = await walk(`&repo_url=${encodeURIComponent('git@GitHub.com:acme/api.git')}`, 200);
    expect(api).toHaveLength(125);

    // LIKE wildcards in q are literal.
    const special = await walk(`&q=${encodeURIComponent('redos_100%')}`, 200);
    expect(special).toHaveLength(25);
    expect(await walk(`&q=${encodeURIComponent('%')}`, 200)).toHaveLength(25);
  });

  it('rejects bad filters and foreign cursors with 400 naming the parameter', async () => {
    const badSeverity = await client.get('/api/v1/findings?severity=high,urgent');
    expect(badSeverity.statusCode).toBe(400);
    expect(badSeverity.json().error.field).toBe('query.severity');
    const badCursor = await client.get('/api/v1/findings?cursor=not-a-cursor');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().error.field).toBe('query.cursor');
    expect((await client.get('/api/v1/findings?limit=201')).statusCode).toBe(400);
  });

  it('accepts 5,000 findings in one call, and a re-post of them updates in place', async () => {
    const many = Array.from({ length: 5_000 }, (_, i) =>
      vulnerability(10_000 + i, { description: `Finding ${i}: ${'detail '.repeat(20)}`, repo_url: 'https://github.com/acme/monorepo' }),
    );
    const started = performance.now();
    const response = await client.post('/api/v1/findings', { findings: many });
    const firstMs = performance.now() - started;
    expect(response.statusCode).toBe(200);
    const body = response.json().findings as { id: string; created: boolean }[];
    expect(body).toHaveLength(5_000);
    expect(body.every((f) => f.created)).toBe(true);

    const againStarted = performance.now();
    const again = await client.post('/api/v1/findings', { findings: many });
    const secondMs = performance.now() - againStarted;
    expect(again.statusCode).toBe(200);
    const updated = again.json().findings as { id: string; created: boolean }[];
    expect(updated.map((f) => f.id)).toEqual(body.map((f) => f.id));
    expect(updated.some((f) => f.created)).toBe(false);
    console.log(`[findings bulk on ${kind}] 5,000 findings: insert ${Math.round(firstMs)} ms, re-post (update) ${Math.round(secondMs)} ms`);
  });
});
