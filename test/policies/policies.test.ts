/**
 * Organization policies and SLAs through HTTP (docs/policies-and-sla.md): policy CRUD and
 * validation, due dates per severity (recomputed on policy and severity changes), breach detection
 * marked and commented once (on the Jira simulator's issue) and counted in /metrics, and the
 * policy's automatic tickets after a complete scan import, with "no longer detected" comments
 * when a later scan resolves the finding.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_DAYS } from '../../src/contracts/policies.ts';
import { findings, tickets } from '../../src/db/schema.ts';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { queueSlaScans, scanBreaches } from '../../src/services/sla/index.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';

const DAY = 86_400_000;

function trivy(vulns: { id: string; pkg: string; severity: string }[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: '.',
    Results: [
      {
        Target: 'package-lock.json',
        Class: 'lang-pkgs',
        Type: 'npm',
        Vulnerabilities: vulns.map((v) => ({ VulnerabilityID: v.id, PkgName: v.pkg, InstalledVersion: '1.0.0', FixedVersion: '1.0.1', Severity: v.severity, Title: `${v.id} in ${v.pkg}` })),
      },
    ],
  });
}

const policyBody = (overrides: Record<string, unknown> = {}) => ({
  tickets: { severities: [], connection_id: null },
  pull_requests: { severities: [], connection_id: null, grouping: 'repo_scan' },
  sla_days: { ...DEFAULT_SLA_DAYS },
  ...overrides,
});

describe('policies and SLAs', () => {
  let fixture: JiraFixture;
  let member: { authorization: string };
  let orgId: string;

  const put = (body: unknown, headers = fixture.auth) => fixture.service.app.inject({ method: 'PUT', url: '/api/v1/policies', headers, payload: body as object });
  const getFindingView = async (id: string) => (await fixture.service.app.inject({ method: 'GET', url: `/api/v1/findings/${id}`, headers: fixture.auth })).json();
  const postFindings = async (items: { title: string; severity: string }[]) => {
    const response = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings',
      headers: fixture.auth,
      payload: { findings: items.map((item) => ({ kind: 'vulnerability', ecosystem: 'npm', package_name: item.title, current_version: '1.0.0', ...item })) },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().findings as { id: string; due_at: string | null; first_seen_at: string; sla_breached: boolean }[];
  };

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { env: { JOB_RETRY_DELAY_SECONDS: '1', SLA_SCAN_INTERVAL_SECONDS: '0' } });
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
    member = { authorization: `Bearer ${await fixture.service.token({ subject: 'member', roles: [] })}` };
    orgId = await fixture.service.context.tenants.orgId('demo-org');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('answers the defaults to members, lets admins replace the policy, and refuses bad ones', async () => {
    const initial = await fixture.service.app.inject({ method: 'GET', url: '/api/v1/policies', headers: member });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toMatchObject({ stored: false, sla_days: { critical: 7, high: 30, medium: 90, low: 180, info: null }, tickets: { severities: [] } });

    expect((await put(policyBody(), member)).statusCode).toBe(403);
    const unknown = await put(policyBody({ tickets: { severities: ['critical'], connection_id: '00000000-0000-4000-8000-000000000000' } }));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({ code: 'UNPROCESSABLE', field: 'tickets.connection_id' });
    const jiraForPrs = await put(policyBody({ pull_requests: { severities: ['high'], connection_id: fixture.connectionId, grouping: 'package' } }));
    expect(jiraForPrs.statusCode).toBe(422);
    expect(jiraForPrs.json().error.field).toBe('pull_requests.connection_id');
    expect((await put(policyBody({ tickets: { severities: ['critical'], connection_id: null } }))).statusCode).toBe(400);
    expect((await put(policyBody({ sla_days: { ...DEFAULT_SLA_DAYS, high: 0 } }))).statusCode).toBe(400);
    expect((await put(policyBody({ sla_days: { critical: 7 } }))).statusCode).toBe(400);
    expect((await put({ ...policyBody(), extra: true })).statusCode).toBe(400);

    const stored = await put(policyBody({ tickets: { severities: ['high', 'critical', 'high'], connection_id: fixture.connectionId, options: { project_key: 'COMP' } } }));
    expect(stored.statusCode, stored.body).toBe(200);
    expect(stored.json()).toMatchObject({ stored: true, updated_by: 'test_user', tickets: { severities: ['high', 'critical'], connection_id: fixture.connectionId, options: { project_key: 'COMP' } } });
    const read = await fixture.service.app.inject({ method: 'GET', url: '/api/v1/policies', headers: member });
    expect(read.json()).toMatchObject({ stored: true, tickets: { severities: ['high', 'critical'] } });
    // Back to no automatic tickets for the tests below.
    expect((await put(policyBody())).statusCode).toBe(200);
  });

  it('dates findings by severity and recomputes on policy and severity changes', async () => {
    const posted = await postFindings([
      { title: 'due-critical', severity: 'critical' },
      { title: 'due-high', severity: 'high' },
      { title: 'due-low', severity: 'low' },
      { title: 'due-info', severity: 'info' },
    ]);
    const dueIn = (f: { due_at: string | null; first_seen_at: string }) => (f.due_at === null ? null : (Date.parse(f.due_at) - Date.parse(f.first_seen_at)) / DAY);
    expect(posted.map(dueIn)).toEqual([7, 30, 180, null]);
    expect(posted.every((f) => f.sla_breached === false)).toBe(true);

    const changed = await put(policyBody({ sla_days: { ...DEFAULT_SLA_DAYS, high: 10, info: 365 } }));
    expect(changed.statusCode).toBe(200);
    expect(changed.json().recomputed).toBeGreaterThanOrEqual(2);
    expect(dueIn(await getFindingView(posted[1]!.id))).toBe(10);
    expect(dueIn(await getFindingView(posted[3]!.id))).toBe(365);

    // The same finding reported as critical now: due 7 days after it was first seen.
    const [again] = await postFindings([{ title: 'due-high', severity: 'critical' }]);
    expect(again!.id).toBe(posted[1]!.id);
    expect(dueIn(again!)).toBe(7);
    expect((await put(policyBody())).statusCode).toBe(200);
    expect(dueIn(await getFindingView(posted[3]!.id))).toBe(null);
  });

  it('marks a breach once at its due date, comments once on the Jira issue and counts it in /metrics', async () => {
    const { violationIds } = await seedCase(fixture, 1, 'SLA case');
    const findingId = violationIds[0]!; // critical
    const created = await fixture.service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: fixture.auth, payload: { violation_id: findingId, project_key: 'COMP', issue_type: 'Bug' } });
    expect(created.statusCode, created.body).toBeLessThan(300);
    const issueKey = created.json().jira_ticket_key as string;
    const view = await getFindingView(findingId);
    const due = Date.parse(view.due_at);

    // A controlled clock: a second before the due date nothing happens; at it, the finding is marked.
    expect(await scanBreaches(fixture.service.context, orgId, new Date(due - 1000))).toEqual({ breached: 0, comments: 0 });
    // Now for real: the finding was first seen 8 days ago, so it is 1 day past due.
    await fixture.service.context.db.orm.update(findings).set({ firstSeenAt: new Date(Date.now() - 8 * DAY) }).where(eq(findings.id, findingId));
    expect((await getFindingView(findingId)).sla_breached).toBe(true);
    expect(await queueSlaScans(fixture.service.context)).toBe(1);
    const comment = await waitFor(async () => fixture.jira.admin.comments(issueKey).find((c) => JSON.stringify(c).includes('SLA breached')));
    expect(JSON.stringify(comment)).toContain('critical');
    const [row] = await fixture.service.context.db.orm.select({ breachedAt: findings.breachedAt }).from(findings).where(eq(findings.id, findingId));
    expect(row!.breachedAt).not.toBeNull();
    expect((await getFindingView(findingId)).sla_breached_at).toBe(row!.breachedAt!.toISOString());

    // Scanned again (job and direct): nothing new is marked or commented.
    expect(await queueSlaScans(fixture.service.context)).toBe(0);
    expect(await scanBreaches(fixture.service.context, orgId)).toEqual({ breached: 0, comments: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(fixture.jira.admin.comments(issueKey).filter((c) => JSON.stringify(c).includes('SLA breached'))).toHaveLength(1);

    const metrics = (await fixture.service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^sla_breaches_detected_total\{severity="critical"\} 1$/m);
    expect(metrics).toMatch(/^sla_breaches_open\{severity="critical"\} 1$/m);
    expect(metrics).toMatch(/^sla_breaches_open\{severity="info"\} 0$/m);
  });

  it('opens tickets for new findings of the policy severities after a complete import, and comments when a scan resolves them', async () => {
    expect((await put(policyBody({ tickets: { severities: ['critical'], connection_id: fixture.connectionId, options: { project_key: 'COMP', issue_type: 'Bug' } } }))).statusCode).toBe(200);
    const importReport = (body: string, query = '') =>
      fixture.service.app.inject({ method: 'POST', url: `/api/v1/findings/import?target=policy%2Fweb&format=trivy${query}`, headers: { ...fixture.auth, 'content-type': 'application/json' }, payload: body });

    // A partial scan opens nothing.
    const partial = await importReport(trivy([{ id: 'CVE-2026-0001', pkg: 'partial-pkg', severity: 'CRITICAL' }]), '&partial=true');
    expect(partial.json()).toMatchObject({ new: 1 });

    const first = await importReport(trivy([{ id: 'CVE-2026-1000', pkg: 'crit-pkg', severity: 'CRITICAL' }, { id: 'CVE-2026-1001', pkg: 'low-pkg', severity: 'LOW' }]));
    expect(first.json()).toMatchObject({ new: 2, resolved: 1 });
    const ticketOf = async (pkg: string) => {
      const [row] = await fixture.service.context.db.orm
        .select({ key: tickets.externalKey, id: tickets.id })
        .from(tickets)
        .innerJoin(findings, eq(findings.id, tickets.findingId))
        .where(and(eq(findings.orgId, orgId), eq(findings.packageName, pkg), sql`${tickets.externalKey} is not null`));
      return row ?? null;
    };
    const critical = await waitFor(() => ticketOf('crit-pkg'));
    expect(fixture.jira.admin.issue(critical.key!)).toBeDefined();
    // Give the queue a moment: the low one and the partial one never get a ticket.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await ticketOf('low-pkg')).toBeNull();
    expect(await ticketOf('partial-pkg')).toBeNull();

    // The next complete scan no longer has the critical finding: its ticket is told, once.
    const second = await importReport(trivy([{ id: 'CVE-2026-1001', pkg: 'low-pkg', severity: 'LOW' }]));
    const secondBody = second.json();
    expect(secondBody).toMatchObject({ resolved: 1 });
    const told = await waitFor(async () => fixture.jira.admin.comments(critical.key!).find((c) => JSON.stringify(c).includes('no longer detected')));
    expect(JSON.stringify(told)).toContain(secondBody.scan_id);
    expect(fixture.jira.admin.issues().filter((issue) => JSON.stringify(issue).includes('crit-pkg'))).toHaveLength(1);
  });
});
