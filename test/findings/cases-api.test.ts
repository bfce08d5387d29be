import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema.ts';
import { listCaseViolations } from '../../src/services/cases.ts';
import { getFinding, upsertFindings } from '../../src/services/findings.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { api } from './helpers.ts';

describe.each(databaseKinds())('audit cases on %s', (kind) => {
  let service: TestService;
  let client: ReturnType<typeof api>;
  let other: ReturnType<typeof api>;
  let orgId: string;

  beforeAll(async () => {
    service = await startTestService(kind);
    client = api(service, 'cases-org', 'carol');
    other = api(service, 'cases-other-org');
    orgId = await service.context.tenants.orgId('cases-org');
  });
  afterAll(async () => {
    await service?.close();
  });

  it('creates a case, adds violations, lists them, and counts them', async () => {
    const created = await client.post('/api/v1/cases', { name: 'FedRAMP audit 2026', framework: 'FedRAMP', description: 'Annual' });
    expect(created.statusCode).toBe(201);
    const auditCase = created.json();
    expect(auditCase).toMatchObject({ name: 'FedRAMP audit 2026', framework: 'FedRAMP', description: 'Annual', status: 'open', violation_count: 0 });
    expect(auditCase.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(auditCase.created_at)).not.toBeNaN();

    const violations = [
      { title: 'Inactive accounts not disabled', severity: 'high', framework: 'FedRAMP', control_id: 'AC-2' },
      { title: 'No MFA for privileged users', severity: 'Critical', control_id: 'IA-2(1)', description: 'framework from the case' },
      { title: 'Audit logs not reviewed', severity: 'moderate', framework: 'FedRAMP', control_id: 'AU-6' },
    ];
    const added = await client.post(`/api/v1/cases/${auditCase.id}/violations`, { violations });
    expect(added.statusCode).toBe(200);
    const body = added.json().violations;
    expect(body).toHaveLength(3);
    expect(body.every((v: { case_id: string; kind: string; created: boolean }) => v.case_id === auditCase.id && v.kind === 'violation' && v.created)).toBe(true);
    expect(body[1]).toMatchObject({ framework: 'FedRAMP', severity: 'critical', control_id: 'IA-2(1)' });
    expect(body[2].severity).toBe('medium');

    // Posting them again updates in place.
    const again = (await client.post(`/api/v1/cases/${auditCase.id}/violations`, { violations })).json().violations;
    expect(again.map((v: { id: string }) => v.id)).toEqual(body.map((v: { id: string }) => v.id));
    expect(again.some((v: { created: boolean }) => v.created)).toBe(false);

    // The same violation through /findings with case_id is the same row.
    const viaFindings = await client.post('/api/v1/findings', {
      findings: [{ kind: 'violation', title: 'inactive accounts not disabled', severity: 'high', framework: 'fedramp', control_id: 'ac-2', case_id: auditCase.id }],
    });
    expect(viaFindings.json().findings[0]).toMatchObject({ id: body[0].id, created: false });

    const listed = await client.get(`/api/v1/cases/${auditCase.id}/violations?limit=2`);
    expect(listed.statusCode).toBe(200);
    const page1 = listed.json();
    expect(page1.violations).toHaveLength(2);
    const page2 = (await client.get(`/api/v1/cases/${auditCase.id}/violations?limit=2&cursor=${encodeURIComponent(page1.next_cursor)}`)).json();
    expect(page2.next_cursor).toBeNull();
    expect(new Set([...page1.violations, ...page2.violations].map((v: { id: string }) => v.id))).toEqual(new Set(body.map((v: { id: string }) => v.id)));

    const filtered = (await client.get(`/api/v1/findings?case_id=${auditCase.id}`)).json().findings;
    expect(filtered).toHaveLength(3);

    const fetched = await client.get(`/api/v1/cases/${auditCase.id}`);
    expect(fetched.json().violation_count).toBe(3);

    // What the ticket service calls.
    const forTickets = await listCaseViolations(service.context.db.orm, orgId, auditCase.id);
    expect(forTickets.map((v) => v.controlId).sort()).toEqual(['AC-2', 'AU-6', 'IA-2(1)']);
    expect((await getFinding(service.context.db.orm, orgId, body[0].id))?.title).toBe('inactive accounts not disabled');

    const events = await service.context.db.orm
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.orgId, orgId), eq(auditEvents.targetId, auditCase.id)));
    expect(events.map((e) => e.action).sort()).toEqual(['cases.create', 'cases.violations.upsert', 'cases.violations.upsert']);
    expect(events.every((e) => e.actor === 'carol')).toBe(true);
  });

  it('requires a framework when the case has none, naming the violation', async () => {
    const bare = (await client.post('/api/v1/cases', { name: 'No framework' })).json();
    expect(bare.framework).toBeNull();
    const response = await client.post(`/api/v1/cases/${bare.id}/violations`, {
      violations: [
        { title: 'a', severity: 'low', framework: 'SOC 2', control_id: 'CC6.1' },
        { title: 'b', severity: 'low', control_id: 'CC6.2' },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.field).toBe('violations.1.framework');
    const invalid = await client.post(`/api/v1/cases/${bare.id}/violations`, { violations: [{ title: 'a', severity: 'severe', framework: 'x', control_id: 'y' }] });
    expect(invalid.json().error.field).toBe('violations.0.severity');
    expect((await client.get(`/api/v1/cases/${bare.id}`)).json().violation_count).toBe(0);
  });

  it('lists cases newest first with a cursor, and answers 404 for unknown or foreign cases', async () => {
    for (let i = 0; i < 5; i++) await client.post('/api/v1/cases', { name: `Case ${i}` });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/cases?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await client.get(url)).json() as { cases: { name: string }[]; next_cursor: string | null };
      names.push(...page.cases.map((c) => c.name));
      cursor = page.next_cursor;
    } while (cursor);
    expect(names.slice(0, 5)).toEqual(['Case 4', 'Case 3', 'Case 2', 'Case 1', 'Case 0']);
    expect(names).toHaveLength(7);

    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await client.get(`/api/v1/cases/${missing}`)).statusCode).toBe(404);
    expect((await client.post(`/api/v1/cases/${missing}/violations`, { violations: [{ title: 'a', severity: 'low', framework: 'x', control_id: 'y' }] })).statusCode).toBe(404);
    expect((await other.get('/api/v1/cases')).json().cases).toEqual([]);
    expect((await client.post('/api/v1/cases', { name: '  ' })).json().error.field).toBe('name');
  });

  it('service callers get the same validation as the API', async () => {
    await expect(
      upsertFindings(service.context.db.orm, orgId, [{ kind: 'violation', title: 'x', framework: 'f', controlId: 'c' }]),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'findings.0.severity' });
  });
});
