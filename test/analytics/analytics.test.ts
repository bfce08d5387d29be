/**
 * GET /api/v1/analytics on a known data set: opened/resolved per day and week, current counts by
 * state and severity, mean and p90 time to resolve (percentile_cont), open SLA breaches, per
 * target and for the organization; bad ranges answer 400.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findings } from '../../src/db/schema.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';


describe.each(databaseKinds())('analytics on %s', (kind) => {
  let service: TestService;
  let auth: { authorization: string };
  let orgId: string;

  const get = (query: string) => service.app.inject({ method: 'GET', url: `/api/v1/analytics?${query}`, headers: auth });
  const setTimes = async (pkg: string, values: { firstSeenAt: string; resolvedAt?: string; state?: string }) => {
    await service.context.db.orm
      .update(findings)
      .set({ firstSeenAt: new Date(values.firstSeenAt), resolvedAt: values.resolvedAt ? new Date(values.resolvedAt) : null, state: values.state ?? 'backlog' })
      .where(and(eq(findings.orgId, orgId), eq(findings.packageName, pkg)));
  };

  beforeAll(async () => {
    service = await startTestService(kind, { SLA_SCAN_INTERVAL_SECONDS: '0' });
    auth = { authorization: `Bearer ${await service.token({ org: 'analytics-org', subject: 'analyst' })}` };
    orgId = await service.context.tenants.orgId('analytics-org');
    const report = JSON.stringify({
      SchemaVersion: 2,
      Results: [
        {
          Target: 'package-lock.json',
          Type: 'npm',
          Vulnerabilities: ['a', 'b', 'c'].map((p, i) => ({ VulnerabilityID: `CVE-2026-900${i}`, PkgName: `pkg-${p}`, InstalledVersion: '1.0.0', FixedVersion: '1.0.1', Severity: 'HIGH' })),
        },
      ],
    });
    const imported = await service.app.inject({ method: 'POST', url: '/api/v1/findings/import?target=svc%2Fa&format=trivy', headers: { ...auth, 'content-type': 'application/json' }, payload: report });
    expect(imported.json()).toMatchObject({ new: 3 });
    const posted = await service.app.inject({
      method: 'POST',
      url: '/api/v1/findings',
      headers: auth,
      payload: {
        findings: [
          { kind: 'vulnerability', title: 'd', severity: 'critical', ecosystem: 'npm', package_name: 'pkg-d', current_version: '1.0.0' },
          { kind: 'vulnerability', title: 'e', severity: 'info', ecosystem: 'npm', package_name: 'pkg-e', current_version: '1.0.0' },
          { kind: 'vulnerability', title: 'f', severity: 'medium', ecosystem: 'npm', package_name: 'pkg-f', current_version: '1.0.0' },
        ],
      },
    });
    expect(posted.statusCode).toBe(200);
    // Resolved after 24 h, 48 h and 96 h.
    await setTimes('pkg-a', { firstSeenAt: '2026-03-02T10:00:00Z', resolvedAt: '2026-03-03T10:00:00Z', state: 'done' });
    await setTimes('pkg-b', { firstSeenAt: '2026-03-02T12:00:00Z', resolvedAt: '2026-03-04T12:00:00Z', state: 'done' });
    await setTimes('pkg-c', { firstSeenAt: '2026-03-03T00:00:00Z', resolvedAt: '2026-03-07T00:00:00Z', state: 'done' });
    // Open critical, due 2026-03-16: past due. Info has no SLA. Medium: won't fix.
    await setTimes('pkg-d', { firstSeenAt: '2026-03-09T00:00:00Z' });
    await setTimes('pkg-e', { firstSeenAt: '2026-02-20T00:00:00Z' });
    await setTimes('pkg-f', { firstSeenAt: '2026-03-10T00:00:00Z', state: 'wont_fix' });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('counts per day for the organization, with time to resolve and open breaches', async () => {
    const response = await get('from=2026-03-02T00:00:00Z&to=2026-03-16T00:00:00Z&bucket=day');
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.buckets).toHaveLength(14);
    const opened = Object.fromEntries(body.buckets.map((b: { start: string; opened: Record<string, number> }) => [b.start.slice(0, 10), b.opened]));
    const resolved = Object.fromEntries(body.buckets.map((b: { start: string; resolved: Record<string, number> }) => [b.start.slice(0, 10), b.resolved]));
    expect(opened['2026-03-02']).toEqual({ critical: 0, high: 2, medium: 0, low: 0, info: 0 });
    expect(opened['2026-03-03']).toMatchObject({ high: 1 });
    expect(opened['2026-03-09']).toMatchObject({ critical: 1, high: 0 });
    expect(opened['2026-03-10']).toMatchObject({ medium: 1 });
    expect(resolved['2026-03-03']).toMatchObject({ high: 1 });
    expect(resolved['2026-03-04']).toMatchObject({ high: 1 });
    expect(resolved['2026-03-07']).toMatchObject({ high: 1 });
    const total = (field: 'opened' | 'resolved') => body.buckets.reduce((n: number, b: Record<string, Record<string, number>>) => n + Object.values(b[field]!).reduce((a, c) => a + c, 0), 0);
    expect(total('opened')).toBe(5); // pkg-e was first seen before the range
    expect(total('resolved')).toBe(3);

    const high = body.time_to_resolve.find((t: { severity: string }) => t.severity === 'high');
    expect(high.resolved).toBe(3);
    expect(high.mean_seconds).toBeCloseTo((24 + 48 + 96) / 3 * 3600, 6);
    // percentile_cont(0.9) of 24 h, 48 h, 96 h: 48 + 0.8 × 48 = 86.4 h.
    expect(high.p90_seconds).toBeCloseTo(86.4 * 3600, 6);
    expect(body.time_to_resolve.find((t: { severity: string }) => t.severity === 'critical')).toEqual({ severity: 'critical', resolved: 0, mean_seconds: null, p90_seconds: null });

    expect(body.open_breaches).toEqual({ critical: 1, high: 0, medium: 0, low: 0, info: 0 });
    const state = (name: string) => body.states.find((s: { state: string }) => s.state === name);
    expect(state('done')).toMatchObject({ total: 3, by_severity: { high: 3 } });
    expect(state('backlog')).toMatchObject({ total: 2, by_severity: { critical: 1, info: 1 } });
    expect(state('wont_fix')).toMatchObject({ total: 1, by_severity: { medium: 1 } });
    expect(body.targets).toEqual([{ target: 'svc/a', open: 0, opened: 3, resolved: 3, open_breaches: 0 }]);
  });

  it('buckets by week (Monday, UTC) and narrows to one target', async () => {
    const response = await get('from=2026-03-04T15:00:00Z&to=2026-03-16T00:00:00Z&bucket=week&target=svc%2Fa');
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.from).toBe('2026-03-02T00:00:00.000Z');
    expect(body.buckets.map((b: { start: string }) => b.start)).toEqual(['2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z']);
    expect(body.buckets[0].opened).toMatchObject({ high: 3 });
    expect(body.buckets[0].resolved).toMatchObject({ high: 3 });
    expect(body.buckets[1].opened).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });
    expect(body.open_breaches.critical).toBe(0);
    expect(body.states.find((s: { state: string }) => s.state === 'done').total).toBe(3);
    expect(body.states.find((s: { state: string }) => s.state === 'backlog').total).toBe(0);
  });

  it('refuses bad ranges with 400', async () => {
    for (const query of [
      'from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z',
      'from=2026-03-10T00:00:00Z&to=2026-03-10T00:00:00Z',
      'from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=day',
      'from=yesterday',
      'bucket=month',
    ]) {
      const response = await get(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    // Two years of weeks fit.
    expect((await get('from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=week')).statusCode).toBe(200);
  });

  it('keeps organizations apart', async () => {
    const other = { authorization: `Bearer ${await service.token({ org: 'other-analytics-org', subject: 'x' })}` };
    const response = await service.app.inject({ method: 'GET', url: '/api/v1/analytics?from=2026-03-02T00:00:00Z&to=2026-03-16T00:00:00Z', headers: other });
    expect(response.statusCode).toBe(200);
    expect(response.json().targets).toEqual([]);
    expect(response.json().open_breaches.critical).toBe(0);
  });
});
