/**
 * The `update` job (seed 003's worker model): a finding posted again with a new severity or title
 * pushes them to its ticket — Jira's priority by the mapping (PUT /issue), ServiceNow's impact and
 * urgency (PATCH on the incident). The echo webhook of our own edit starts no new job; a 429 is
 * retried; a mapping naming a priority the site does not have fails the job for good with Jira's
 * message. Against the Jira Cloud and ServiceNow simulators over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';
import { DEFAULT_PRIORITIES } from '../simulators/jira/shared/seed.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { deliveriesOf, type DeliveryJson, endpoints, type ListeningService } from '../webhooks/helpers.ts';

describe('update jobs push our finding to its ticket', () => {
  let fixture: JiraFixture;
  let sn: ServiceNowSimulator;
  let listening: ListeningService;
  let endpointId: string;
  let snEndpointId: string;
  let snConnection: string;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { env: { JOB_RETRY_DELAY_SECONDS: '1' } });
    await fixture.service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = fixture.service.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    listening = { service: fixture.service, url, admin: fixture.auth, member: fixture.auth, close: async () => {} };
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
    const hooks = await endpoints(listening);
    const jira = hooks.jira;
    endpointId = jira.id;
    snEndpointId = hooks.servicenow.id;
    // The instance's Business Rule posts every incident change, signed, to our ServiceNow endpoint.
    sn = await startServiceNowSimulator({ outbound: { url: hooks.servicenow.url, secret: hooks.servicenow.secret! } });
    fixture.jira.admin.registerWebhook({ url: jira.url, secret: jira.secret! });
    const created = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: fixture.auth,
      payload: { provider: 'servicenow', auth_kind: 'basic', name: 'Sim SN', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password },
    });
    expect(created.statusCode, created.body).toBe(201);
    snConnection = created.json().id as string;
  }, 120_000);
  afterAll(async () => {
    await sn?.close();
    await fixture?.close();
  });

  const finding = (severity: string, title = 'lodash prototype pollution') => ({
    kind: 'vulnerability',
    title,
    severity,
    ecosystem: 'npm',
    package_name: 'lodash',
    current_version: '4.17.15',
    fixed_version: '4.17.21',
    fingerprint: `upd-${title}`,
  });
  const post = async (body: Record<string, unknown>) => {
    const response = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/findings', headers: fixture.auth, payload: { findings: [body] } });
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { findings: { id: string }[] }).findings[0]!.id;
  };
  const file = async (findingId: string, extra: Record<string, unknown>) => {
    const response = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: fixture.auth, payload: { finding_id: findingId, ...extra } });
    expect(response.statusCode, response.body).toBeLessThan(300);
    const [ticket] = await fixture.service.context.db.query<{ id: string; external_key: string; external_id: string }>(
      'select id, external_key, external_id from tickets where finding_id = $1::uuid',
      [findingId],
    );
    return ticket!;
  };
  const updateJobs = (ticketId: string) =>
    fixture.service.context.db.query<{ state: string; retry_count: number; output: unknown }>("select state, retry_count, output from pgboss.job where name = 'update' and data->>'ticket_id' = $1", [ticketId]);
  const settledJob = (ticketId: string, state: 'completed' | 'failed') =>
    waitFor(async () => {
      const jobs = await updateJobs(ticketId);
      return jobs.length > 0 && jobs.every((job) => job.state === state) ? jobs : null;
    }, 60_000);
  const priorityName = (key: string) => DEFAULT_PRIORITIES.find((priority) => priority.id === fixture.jira.admin.issue(key)?.priorityId)?.name;
  /** Work other than our updates and the processing of webhook deliveries (which only records them). */
  const otherJobs = async () => Number((await fixture.service.context.db.query<{ n: string }>("select count(*) as n from pgboss.job where name not in ('update', 'webhook_delivery')"))[0]!.n);

  it('Jira: a new severity moves the priority by the mapping, a new title the summary; the echo starts nothing', async () => {
    const findingId = await post(finding('low'));
    const ticket = await file(findingId, { project_key: 'SEC', connection_id: fixture.connectionId });
    const key = ticket.external_key;
    expect(priorityName(key)).toBe('Low');
    await fixture.jira.admin.waitForWebhooks();

    const before = await otherJobs();
    const deliveriesBefore = (await deliveriesOf(listening, endpointId, '?limit=200')).deliveries.length;
    await post(finding('critical'));
    const [job] = await settledJob(ticket.id, 'completed');
    // A new severity has a new SLA due date too.
    expect(job!.output).toMatchObject({ priority: 'Blocker', fields: ['priority', 'due_date'] });
    // The default mapping: critical → Blocker (the simulated site has it).
    expect(priorityName(key)).toBe('Blocker');
    const [row] = await fixture.service.context.db.query<{ external_priority: string; last_written_priority: string }>('select external_priority, last_written_priority from tickets where id = $1::uuid', [ticket.id]);
    expect(row).toEqual({ external_priority: 'Blocker', last_written_priority: 'Blocker' });

    // Jira's webhook for our edit comes back: recognised as ours, no new work.
    await fixture.jira.admin.waitForWebhooks();
    const echoes = await waitFor(async () => {
      const all = (await deliveriesOf(listening, endpointId, '?limit=200')).deliveries;
      const mine = all.slice(0, all.length - deliveriesBefore).filter((delivery: DeliveryJson) => delivery.detail?.includes(key));
      return mine.length > 0 && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });
    expect(echoes.map((delivery) => delivery.outcome)).toEqual(echoes.map(() => 'ignored'));
    expect(await otherJobs()).toBe(before);
    expect(await updateJobs(ticket.id)).toHaveLength(1);

    // Posting the same values again changes nothing and queues nothing.
    await post(finding('critical'));
    expect(await updateJobs(ticket.id)).toHaveLength(1);
  }, 120_000);

  it('Jira: a 429 is retried and the edit lands', async () => {
    const findingId = await post(finding('medium', 'minimist prototype pollution'));
    const ticket = await file(findingId, { project_key: 'SEC', connection_id: fixture.connectionId });
    const sentBefore = fixture.jira.admin.received().length;
    // Jira answers every call with 429 and Retry-After: 2 until the limit is lifted.
    fixture.jira.admin.configureFaults({ rateLimit: { capacity: 0, refillPerSecond: 0.5 } });
    try {
      await post(finding('high', 'minimist prototype pollution'));
      // The job exists and keeps going (the transport waits out Retry-After, the queue retries past
      // the longest wait); nothing lands while Jira refuses.
      await waitFor(async () => ((await updateJobs(ticket.id)).some((job) => job.state === 'active' || job.state === 'retry') ? true : null), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect((await updateJobs(ticket.id)).map((job) => job.state)).not.toContain('completed');
      expect(priorityName(ticket.external_key)).toBe('Medium');
    } finally {
      fixture.jira.admin.configureFaults({ rateLimit: null });
    }
    await settledJob(ticket.id, 'completed');
    // The simulator logs the requests it let through (a 429 is answered before the log): the edit went through once.
    const sent = fixture.jira.admin.received().slice(sentBefore);
    expect(sent.filter((request) => request.method === 'PUT').map((request) => request.status)).toEqual([204]);
    expect(priorityName(ticket.external_key)).toBe('High');
  }, 120_000);

  it('Jira: a mapping naming a priority the site does not have fails the job for good with Jira’s message', async () => {
    const findingId = await post(finding('low', 'qs prototype pollution'));
    const ticket = await file(findingId, { project_key: 'SEC', connection_id: fixture.connectionId });
    await fixture.service.context.db.query(
      "insert into mappings (org_id, connection_id, kind, source, target) select org_id, id, 'priority', 'medium', 'Urgent-ish' from connections where id = $1::uuid on conflict do nothing",
      [fixture.connectionId],
    );
    try {
      await post(finding('medium', 'qs prototype pollution'));
      const [job] = await settledJob(ticket.id, 'failed');
      expect(job!.retry_count).toBe(0);
      expect(JSON.stringify(job!.output)).toMatch(/Urgent-ish/);
      expect(priorityName(ticket.external_key)).toBe('Low');
    } finally {
      await fixture.service.context.db.query("delete from mappings where connection_id = $1::uuid and kind = 'priority' and source = 'medium'", [fixture.connectionId]);
    }
  }, 120_000);

  it('a re-import that changes the severity queues the update (Jira priority follows)', async () => {
    const report = (severity: string) =>
      JSON.stringify({
        SchemaVersion: 2,
        ArtifactName: '.',
        Results: [
          {
            Target: 'package-lock.json',
            Class: 'lang-pkgs',
            Type: 'npm',
            Vulnerabilities: [{ VulnerabilityID: 'CVE-2026-4177', PkgName: 'update-job-pkg', InstalledVersion: '1.0.0', FixedVersion: '1.0.1', Severity: severity, Title: 'CVE-2026-4177 in update-job-pkg' }],
          },
        ],
      });
    const importReport = async (body: string) => {
      const response = await fixture.service.app.inject({
        method: 'POST',
        url: '/api/v1/findings/import?target=update-job%2Fapp&format=trivy',
        headers: { ...fixture.auth, 'content-type': 'application/json' },
        payload: body,
      });
      expect(response.statusCode, response.body).toBe(200);
    };
    await importReport(report('LOW'));
    const [row] = await fixture.service.context.db.query<{ id: string }>("select id from findings where package_name = 'update-job-pkg'");
    const ticket = await file(row!.id, { project_key: 'SEC', connection_id: fixture.connectionId });
    expect(priorityName(ticket.external_key)).toBe('Low');
    await importReport(report('HIGH'));
    const [job] = await settledJob(ticket.id, 'completed');
    expect(job!.output).toMatchObject({ priority: 'High' });
    expect(priorityName(ticket.external_key)).toBe('High');
  }, 120_000);

  it('ServiceNow: a new severity sets impact and urgency (the priority ServiceNow computes follows; the echo starts nothing), a new title the short description', async () => {
    const findingId = await post(finding('low', 'axios SSRF'));
    const ticket = await file(findingId, { connection_id: snConnection });
    const record = () => sn.admin.records('incident').find((row) => row.sys_id === ticket.external_id)!;
    expect(record()).toMatchObject({ impact: '3', urgency: '3', priority: '5' });

    await sn.admin.waitForDeliveries();
    const seen = (await deliveriesOf(listening, snEndpointId, '?limit=200')).deliveries.length;
    const before = await otherJobs();
    await post(finding('high', 'axios SSRF'));
    const [job] = await settledJob(ticket.id, 'completed');
    expect(record()).toMatchObject({ impact: '1', urgency: '2', priority: '2' });
    expect(job!.output).toMatchObject({ priority: '2 - High' });
    // The Business Rule's delivery of our PATCH comes back: ignored, no new work.
    await sn.admin.waitForDeliveries();
    const echoes = await waitFor(async () => {
      const all = (await deliveriesOf(listening, snEndpointId, '?limit=200')).deliveries;
      const mine = all.slice(0, all.length - seen);
      return mine.length > 0 && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });
    expect(echoes.map((delivery) => delivery.outcome)).toEqual(echoes.map(() => 'ignored'));
    expect(await otherJobs()).toBe(before);

    await post({ ...finding('high', 'axios SSRF'), title: 'axios server-side request forgery', fingerprint: 'upd-axios SSRF' });
    await waitFor(async () => ((await updateJobs(ticket.id)).filter((row) => row.state === 'completed').length === 2 ? true : null), 60_000);
    expect(record().short_description).toContain('axios server-side request forgery');
  }, 120_000);
});
