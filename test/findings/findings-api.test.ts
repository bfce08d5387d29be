import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, findings } from '../../src/db/schema.ts';
import { computeFingerprint } from '../../src/domain/fingerprint.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { api, vulnerability } from './helpers.ts';

interface FindingJson {
  id: string;
  fingerprint: string;
  created: boolean;
  reopened: boolean;
  kind: string;
  title: string;
  severity: string;
  state: string;
  state_reason: string | null;
  description: string | null;
  current_version: string | null;
  advisory_ids: string[];
  repo_url: string | null;
  case_id: string | null;
  created_at: string;
}

describe.each(databaseKinds())('findings API on %s', (kind) => {
  let service: TestService;
  let orgA: ReturnType<typeof api>;
  let orgB: ReturnType<typeof api>;
  let orgAId: string;

  beforeAll(async () => {
    service = await startTestService(kind);
    orgA = api(service, 'findings-org-a', 'alice');
    orgB = api(service, 'findings-org-b', 'bob');
    orgAId = await service.context.tenants.orgId('findings-org-a');
  });
  afterAll(async () => {
    await service?.close();
  });

  const countRows = async (orgId: string) => (await service.context.db.orm.select({ id: findings.id }).from(findings).where(eq(findings.orgId, orgId))).length;

  it('upserts: a re-post returns the same ids with created:false and writes no duplicates', async () => {
    const batch = [
      vulnerability(1, { cve_ids: ['CVE-2021-23337', 'ghsa-35jh-r3h4-6jhm'] }),
      { kind: 'violation', title: 'Inactive accounts not disabled', severity: 'HIGH', framework: 'FedRAMP', control_id: 'AC-2' },
    ];
    const first = await orgA.post('/api/v1/findings', { findings: batch });
    expect(first.statusCode).toBe(200);
    const created: FindingJson[] = first.json().findings;
    expect(created.map((f) => f.created)).toEqual([true, true]);
    expect(created[0]).toMatchObject({ kind: 'vulnerability', severity: 'high', state: 'backlog', current_version: '1.0.0' });
    expect(created[0]!.advisory_ids).toEqual(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm']);
    expect(created[1]).toMatchObject({ kind: 'violation', severity: 'high' });

    // Same findings, other spelling and content: advisory order/case, severity, description, title.
    const again = [
      vulnerability(1, { cve_ids: ['GHSA-35JH-R3H4-6JHM'], advisory_ids: ['cve-2021-23337'], severity: 'critical', description: 'new text', title: 'Renamed' }),
      { kind: 'violation', title: '  inactive   ACCOUNTS not disabled ', severity: 'moderate', framework: 'fedramp', control_id: 'ac-02' },
    ];
    const second = await orgA.post('/api/v1/findings', { findings: again });
    expect(second.statusCode).toBe(200);
    const updated: FindingJson[] = second.json().findings;
    expect(updated.map((f) => f.id)).toEqual(created.map((f) => f.id));
    expect(updated.map((f) => f.created)).toEqual([false, false]);
    expect(updated[0]).toMatchObject({ severity: 'critical', description: 'new text', title: 'Renamed' });
    expect(updated[1]!.severity).toBe('medium');
    expect(await countRows(orgAId)).toBe(2);
  });

  it('uses a given fingerprint as is, and derives the documented one otherwise', async () => {
    const response = await orgA.post('/api/v1/findings', {
      findings: [vulnerability(2, { fingerprint: 'scanner-key-2' }), vulnerability(3, { severity: undefined, cvss_score: 9.8 })],
    });
    expect(response.statusCode).toBe(200);
    const [given, derived] = response.json().findings as FindingJson[];
    expect(given!.fingerprint).toBe('scanner-key-2');
    expect(derived!.severity).toBe('critical');
    expect(derived!.fingerprint).toBe(
      computeFingerprint({
        kind: 'vulnerability',
        ecosystem: 'npm',
        packageName: 'pkg-3',
        repoUrl: 'https://github.com/acme/web',
        manifestPath: 'package.json',
        advisoryIds: ['CVE-2024-10003'],
      }),
    );
  });

  it('merges duplicate fingerprints within one request (last wins) and reports both positions', async () => {
    const response = await orgA.post('/api/v1/findings', {
      findings: [vulnerability(4, { title: 'first' }), vulnerability(5), vulnerability(4, { title: 'last', severity: 'low' })],
    });
    expect(response.statusCode).toBe(200);
    const [a, , c] = response.json().findings as FindingJson[];
    expect(a!.id).toBe(c!.id);
    expect(a).toMatchObject({ title: 'last', severity: 'low', created: true });
    expect(c).toMatchObject({ title: 'last', severity: 'low', created: true });
  });

  it('rejects an invalid item with 400 naming findings.<index>.<field>, and writes nothing', async () => {
    const before = await countRows(orgAId);
    const items = [0, 1, 2, 3, 4].map((i) => vulnerability(100 + i));
    items[3] = vulnerability(103, { severity: 'urgent' });
    const response = await orgA.post('/api/v1/findings', { findings: items });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'findings.3.severity' });
    expect(await countRows(orgAId)).toBe(before);

    const missing = await orgA.post('/api/v1/findings', { findings: [vulnerability(110), vulnerability(111, { package_name: undefined })] });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.field).toBe('findings.1.package_name');
    const noSeverity = await orgA.post('/api/v1/findings', { findings: [vulnerability(112, { severity: undefined })] });
    expect(noSeverity.json().error.field).toBe('findings.0.severity');
    const badKind = await orgA.post('/api/v1/findings', { findings: [vulnerability(113), { kind: 'bug', title: 'x' }] });
    expect(badKind.statusCode).toBe(400);
    expect(badKind.json().error.field).toMatch(/^findings\.1/);
    expect(await countRows(orgAId)).toBe(before);
  });

  it('ignores extra fields and accepts installed_version as an alias', async () => {
    const response = await orgA.post('/api/v1/findings', {
      findings: [vulnerability(6, { current_version: undefined, installed_version: '2.0.0', scanner_internal: { a: 1 } })],
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().findings[0].current_version).toBe('2.0.0');
    expect(response.json().findings[0]).not.toHaveProperty('scanner_internal');
  });

  it('reopens a done finding that is reported again, and keeps other states', async () => {
    const [posted] = (await orgA.post('/api/v1/findings', { findings: [vulnerability(7), vulnerability(8)] })).json().findings as FindingJson[];
    const orm = service.context.db.orm;
    await orm.update(findings).set({ state: 'done', resolvedAt: new Date() }).where(eq(findings.id, posted!.id));
    await orm.update(findings).set({ state: 'wont_fix' }).where(and(eq(findings.orgId, orgAId), eq(findings.packageName, 'pkg-8')));
    const again = (await orgA.post('/api/v1/findings', { findings: [vulnerability(7), vulnerability(8)] })).json().findings as FindingJson[];
    expect(again[0]).toMatchObject({ id: posted!.id, state: 'backlog', reopened: true, created: false });
    expect(again[0]!.state_reason).toContain('reopened');
    expect(again[1]).toMatchObject({ state: 'wont_fix', reopened: false });
  });

  it('records one audit event per request with the counts and the caller', async () => {
    await orgA.post('/api/v1/findings', { findings: [vulnerability(9), vulnerability(10), vulnerability(9)] });
    const events = await service.context.db.orm
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.orgId, orgAId), eq(auditEvents.action, 'findings.upsert')));
    const last = events.at(-1)!;
    expect(last.actor).toBe('alice');
    expect(last.detail).toMatchObject({ received: 3, unique: 2, created: 2, updated: 0 });
  });

  it('keeps organizations apart: no reads, no lists, no attaching to another org’s case', async () => {
    const [mine] = (await orgA.post('/api/v1/findings', { findings: [vulnerability(11)] })).json().findings as FindingJson[];
    const own = await orgA.get(`/api/v1/findings/${mine!.id}`);
    expect(own.statusCode).toBe(200);
    expect(own.json().id).toBe(mine!.id);

    const other = await orgB.get(`/api/v1/findings/${mine!.id}`);
    const missing = await orgB.get('/api/v1/findings/00000000-0000-4000-8000-000000000000');
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual(missing.json());
    expect((await orgB.get('/api/v1/findings')).json().findings).toEqual([]);

    // Same finding posted by org B is a separate row of org B.
    const theirs = (await orgB.post('/api/v1/findings', { findings: [vulnerability(11)] })).json().findings[0] as FindingJson;
    expect(theirs.created).toBe(true);
    expect(theirs.id).not.toBe(mine!.id);

    const aCase = (await orgA.post('/api/v1/cases', { name: 'A only' })).json();
    const attach = await orgB.post('/api/v1/findings', {
      findings: [
        vulnerability(12),
        { kind: 'violation', title: 'x', severity: 'low', framework: 'FedRAMP', control_id: 'AC-3', case_id: aCase.id },
      ],
    });
    expect(attach.statusCode).toBe(400);
    expect(attach.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'findings.1.case_id' });
    expect((await orgB.get('/api/v1/findings?package_name=pkg-12')).json().findings).toEqual([]);
    expect((await orgB.get(`/api/v1/cases/${aCase.id}`)).statusCode).toBe(404);
    expect((await orgB.get(`/api/v1/cases/${aCase.id}/violations`)).statusCode).toBe(404);
  });

  it('concurrent posts of overlapping batches neither fail nor duplicate', async () => {
    const batch = Array.from({ length: 60 }, (_, i) => vulnerability(500 + i));
    const reversed = [...batch].reverse();
    const responses = await Promise.all([batch, reversed, batch, reversed].map((findings) => orgA.post('/api/v1/findings', { findings })));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const idsOf = (index: number) => (responses[index]!.json().findings as FindingJson[]).map((f) => f.id);
    expect(idsOf(2)).toEqual(idsOf(0));
    expect(idsOf(1)).toEqual([...idsOf(0)].reverse());
    const createdCounts = [0, 1, 2, 3].map((i) => (responses[i]!.json().findings as FindingJson[]).filter((f) => f.created).length);
    expect(createdCounts.reduce((a, b) => a + b, 0)).toBe(60);
  });

  it('needs a token', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/api/v1/findings' });
    expect(response.statusCode).toBe(401);
  });
});
