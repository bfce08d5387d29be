/**
 * The scan lifecycle on tickets (issue 14), end to end through POST /api/v1/findings/import against
 * the Jira simulator over real HTTP: the policy opens a ticket for a new critical finding; a second
 * complete scan without the finding resolves it, and its ticket is commented "no longer detected in
 * scan X" and walked through the workflow to Done by a `transition` job (the webhooks those
 * transitions cause come back as our own writes and change nothing); the finding returning in a
 * third scan reopens the same issue (To Do), never a second one. A transition job queued for a
 * finding that moved on before it ran does nothing. The same on the ServiceNow simulator (below).
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_DAYS } from '../../src/contracts/policies.ts';
import { findings, tickets } from '../../src/db/schema.ts';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { transitionHandler } from '../../src/jobs/handlers/transition.ts';
import type { JobContext } from '../../src/jobs/queue.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { deliveriesOf, endpoints, type EndpointJson, type ListeningService, post, startListening } from '../webhooks/helpers.ts';

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

const CRITICAL = { id: 'CVE-2026-4100', pkg: 'lifecycle-crit', severity: 'CRITICAL' };
const LOW = { id: 'CVE-2026-4101', pkg: 'lifecycle-low', severity: 'LOW' };

describe('scan lifecycle on Jira tickets', () => {
  let fixture: JiraFixture;
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  let orgId: string;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { env: { JOB_RETRY_DELAY_SECONDS: '1' } });
    await fixture.service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = fixture.service.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    listening = { service: fixture.service, url, admin: fixture.auth, member: fixture.auth, close: async () => {} };
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
    hooks = await endpoints(listening);
    fixture.jira.admin.registerWebhook({ url: hooks.jira.url, secret: hooks.jira.secret!, jiraSignatureHeader: true });
    orgId = await fixture.service.context.tenants.orgId('demo-org');
    const policy = await fixture.service.app.inject({
      method: 'PUT',
      url: '/api/v1/policies',
      headers: fixture.auth,
      payload: {
        tickets: { severities: ['critical'], connection_id: fixture.connectionId, options: { project_key: 'COMP', issue_type: 'Bug' } },
        pull_requests: { severities: [], connection_id: null, grouping: 'repo_scan' },
        sla_days: { ...DEFAULT_SLA_DAYS },
      },
    });
    expect(policy.statusCode, policy.body).toBe(200);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const importReport = async (body: string) => {
    const response = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings/import?target=lifecycle%2Fapp&format=trivy',
      headers: { ...fixture.auth, 'content-type': 'application/json' },
      payload: body,
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { scan_id: string; new: number; resolved: number; reopened: number };
  };

  const ticketRows = async () =>
    fixture.service.context.db.orm
      .select({ id: tickets.id, key: tickets.externalKey, state: tickets.state, externalStatus: tickets.externalStatus, findingId: tickets.findingId, findingState: findings.state })
      .from(tickets)
      .innerJoin(findings, eq(findings.id, tickets.findingId))
      .where(and(eq(findings.orgId, orgId), eq(findings.packageName, CRITICAL.pkg)));

  const issuesOf = (pkg: string) => fixture.jira.admin.issues().filter((issue) => JSON.stringify(issue).includes(pkg));
  const commentsText = (key: string) => JSON.stringify(fixture.jira.admin.comments(key).map((comment) => comment.body));

  it('a second scan without the finding resolves it and transitions its ticket to Done; the finding returning reopens the same ticket', async () => {
    const first = await importReport(trivy([CRITICAL, LOW]));
    expect(first).toMatchObject({ new: 2 });
    const [created] = await waitFor(async () => {
      const rows = await ticketRows();
      return rows.length === 1 && rows[0]!.key ? rows : null;
    });
    const key = created!.key!;
    expect(fixture.jira.admin.issue(key)).toBeDefined();
    expect(fixture.jira.admin.transitions(key)).toEqual([]);

    // Scan 2: the critical finding is gone.
    const second = await importReport(trivy([LOW]));
    expect(second).toMatchObject({ resolved: 1, reopened: 0 });
    await waitFor(async () => (fixture.jira.admin.transitions(key).at(-1)?.to === 'Done' ? true : null));
    // The simulator's workflow has no To Do → Done transition: the job walked it, never into Won't Do.
    expect(fixture.jira.admin.transitions(key).map((step) => step.to)).toEqual(['In Progress', 'In Review', 'Done']);
    await waitFor(async () => (commentsText(key).includes(`no longer detected in scan ${second.scan_id}`) ? true : null));
    const resolved = await waitFor(async () => {
      const [row] = await ticketRows();
      return row?.state === 'done' && row.findingState === 'done' ? row : null;
    });
    expect(resolved).toMatchObject({ externalStatus: 'Done', state: 'done', findingState: 'done' });

    // The webhooks our transitions and comment caused are recognised as ours and move nothing.
    await fixture.jira.admin.waitForWebhooks();
    const ours = await waitFor(async () => {
      const page = await deliveriesOf(listening, hooks.jira.id, '?limit=200');
      const mine = page.deliveries.filter((delivery) => delivery.detail?.includes(key) || delivery.error?.includes(key));
      return mine.length >= 3 && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });
    expect(ours.filter((delivery) => delivery.outcome !== 'ignored')).toEqual([]);
    expect((await ticketRows())[0]).toMatchObject({ state: 'done', findingState: 'done' });

    // Scan 3: the finding is back. The same issue is reopened; no second issue, no second ticket row.
    const third = await importReport(trivy([CRITICAL, LOW]));
    expect(third).toMatchObject({ new: 0, reopened: 1 });
    await waitFor(async () => (fixture.jira.admin.transitions(key).at(-1)?.to === 'To Do' ? true : null));
    const reopened = await waitFor(async () => {
      const rows = await ticketRows();
      return rows.length === 1 && rows[0]!.state === 'todo' && rows[0]!.findingState === 'todo' ? rows[0]! : null;
    });
    expect(reopened).toMatchObject({ id: created!.id, key, externalStatus: 'To Do', findingState: 'todo' });
    expect(issuesOf(CRITICAL.pkg)).toHaveLength(1);
    expect(commentsText(key)).toContain('detected again');

    // A resolution queued before the finding came back is void when it runs: nothing is written.
    const before = fixture.jira.admin.transitions(key).length;
    const handler = transitionHandler(fixture.service.context);
    const result = await handler(
      { org_id: orgId, ticket_id: created!.id, to: 'done', reason: 'stale resolution', if_finding: 'resolved' },
      { jobId: 'test', attempt: 1, signal: new AbortController().signal } as unknown as JobContext,
    );
    expect(result).toMatchObject({ ticket: 'skipped' });
    expect(fixture.jira.admin.transitions(key)).toHaveLength(before);
    expect((await ticketRows())[0]).toMatchObject({ state: 'todo', findingState: 'todo' });
  });
});

/**
 * The same lifecycle on ServiceNow through the same ticketing interface: the resolved finding's
 * incident is moved to Resolved (state 6) with close code and close notes, and a work note names
 * the scan; the finding returning reopens the same incident (state 1), never a second one.
 */
describe('scan lifecycle on ServiceNow incidents', () => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;
  let orgId: string;
  let connectionId: string;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    listening = await startListening('embedded');
    await listening.service.context.queue.work(productHandlers(listening.service.context), 2);
    sn = await startServiceNowSimulator({ outbound: null });
    sn.admin.setRequireCloseFields(true);
    const created = await post(
      `${listening.url}/api/v1/connections`,
      JSON.stringify({ provider: 'servicenow', auth_kind: 'basic', name: 'SN lifecycle', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    connectionId = created.json.id as string;
    orgId = await listening.service.context.tenants.orgId('demo-org');
    const policy = await listening.service.app.inject({
      method: 'PUT',
      url: '/api/v1/policies',
      headers: listening.admin,
      payload: {
        tickets: { severities: ['critical'], connection_id: connectionId },
        pull_requests: { severities: [], connection_id: null, grouping: 'repo_scan' },
        sla_days: { ...DEFAULT_SLA_DAYS },
      },
    });
    expect(policy.statusCode, policy.body).toBe(200);
  });
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const importReport = async (body: string) => {
    const response = await listening.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings/import?target=lifecycle%2Fsn&format=trivy',
      headers: { ...listening.admin, 'content-type': 'application/json' },
      payload: body,
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { scan_id: string; new: number; resolved: number; reopened: number };
  };
  const ticketRows = async () =>
    listening.service.context.db.orm
      .select({ id: tickets.id, externalId: tickets.externalId, state: tickets.state, findingState: findings.state })
      .from(tickets)
      .innerJoin(findings, eq(findings.id, tickets.findingId))
      .where(and(eq(findings.orgId, orgId), eq(findings.packageName, CRITICAL.pkg)));
  const incidents = () => sn.admin.records('incident').filter((record) => record.short_description?.includes(CRITICAL.pkg));

  it('a second scan without the finding resolves its incident with close notes; the finding returning reopens the same incident', async () => {
    expect(await importReport(trivy([CRITICAL, LOW]))).toMatchObject({ new: 2 });
    const [ticket] = await waitFor(async () => {
      const rows = await ticketRows();
      return rows.length === 1 && rows[0]!.externalId ? rows : null;
    });
    expect(incidents()).toHaveLength(1);

    const second = await importReport(trivy([LOW]));
    expect(second).toMatchObject({ resolved: 1 });
    const resolved = await waitFor(async () => (incidents()[0]?.state === '6' ? incidents()[0]! : null));
    expect(resolved.close_notes).toBeTruthy();
    expect(resolved.close_code).toBeTruthy();
    await waitFor(async () => (JSON.stringify(sn.admin.journal('incident', resolved.sys_id!)).includes(`no longer detected in scan ${second.scan_id}`) ? true : null));
    await waitFor(async () => ((await ticketRows())[0]?.state === 'done' ? true : null));

    const third = await importReport(trivy([CRITICAL, LOW]));
    expect(third).toMatchObject({ new: 0, reopened: 1 });
    await waitFor(async () => (incidents()[0]?.state === '1' ? true : null));
    const reopened = await waitFor(async () => {
      const rows = await ticketRows();
      return rows.length === 1 && rows[0]!.state === 'todo' && rows[0]!.findingState === 'todo' ? rows[0]! : null;
    });
    expect(reopened.id).toBe(ticket!.id);
    expect(incidents()).toHaveLength(1);
  });
});
