/**
 * The /api/v1 ticket and connection routes against the Jira simulators: connections never echo a
 * secret and refuse private URLs, mappings keep their default rows, tickets are created (singly and
 * in bulk), listed, synced, and commented on through the comment job (ADF on Cloud, wiki on Server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraServerSimulator, startJiraServerSimulator } from '../simulators/jira/server/index.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';


describe('/api/v1 connections and tickets', () => {
  let fixture: JiraFixture;
  let server: JiraServerSimulator;
  let findingIds: string[];

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    server = await startJiraServerSimulator();
    await fixture.service.context.queue.work(
      (await import('../../src/jobs/handlers/index.ts')).productHandlers(fixture.service.context),
      2,
    );
    const posted = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings',
      headers: fixture.auth,
      payload: {
        findings: [1, 2, 3].map((index) => ({
          kind: 'vulnerability',
          title: `Vulnerable package ${index}`,
          severity: index === 1 ? 'critical' : 'medium',
          ecosystem: 'npm',
          package_name: `pkg-${index}`,
          current_version: '1.0.0',
          fixed_version: '1.0.1',
          cve_ids: [`CVE-2026-${1000 + index}`],
          repo_url: 'https://github.com/acme/web',
          manifest_path: 'package.json',
        })),
      },
    });
    findingIds = posted.json().findings.map((finding: { id: string }) => finding.id);
  });
  afterAll(async () => {
    await fixture?.close();
    await server?.close();
  });

  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    fixture.service.app.inject({ method, url, headers: fixture.auth, ...(payload === undefined ? {} : { payload: payload as object }) });

  it('never returns a secret and refuses private or plain-http site URLs', async () => {
    const listed = await inject('GET', '/api/v1/connections');
    expect(JSON.stringify(listed.json())).not.toContain(fixture.jira.credentials.apiToken);
    for (const siteUrl of ['https://169.254.169.254', 'https://10.1.2.3', 'http://jira.example.com']) {
      const refused = await inject('POST', '/api/v1/connections', { provider: 'jira-server', name: 'x', site_url: siteUrl, pat: 'secret-pat' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.field).toBe('site_url');
      expect(refused.body).not.toContain('secret-pat');
    }
  });

  it('tests a connection and says who it is', async () => {
    const tested = await inject('POST', `/api/v1/connections/${fixture.connectionId}/test`);
    expect(tested.json()).toMatchObject({ ok: true, account: { display_name: expect.any(String) } });
  });

  it('shows the default mappings and refuses to remove them', async () => {
    const listed = await inject('GET', `/api/v1/connections/${fixture.connectionId}/mappings`);
    const defaults = listed.json().mappings.filter((row: { source: string }) => row.source === 'default');
    expect(defaults.map((row: { kind: string; target: string }) => [row.kind, row.target]).sort()).toEqual([
      ['priority', 'medium'],
      ['status', 'backlog'],
    ]);
    const removed = await inject('DELETE', `/api/v1/connections/${fixture.connectionId}/mappings/${defaults[0].id}`);
    expect(removed.statusCode).toBe(409);
    const set = await inject('PUT', `/api/v1/connections/${fixture.connectionId}/mappings`, { kind: 'priority', source: 'critical', target: 'Highest' });
    expect(set.json()).toMatchObject({ kind: 'priority', source: 'critical', target: 'Highest', removable: true });
  });

  it('creates a ticket with the mapped priority, and answers 200 with the same ticket on a repeat', async () => {
    const created = await inject('POST', '/api/v1/tickets', { finding_id: findingIds[0], project_key: 'SEC', issue_type: 'Bug' });
    expect(created.statusCode).toBe(201);
    const ticket = created.json();
    const issue = fixture.jira.admin.issue(ticket.external_key)!;
    const priorities = (await (await fetch(`${fixture.jira.url}/rest/api/3/priority`, { headers: { authorization: fixture.jira.credentials.basicAuthHeader } })).json()) as { id: string; name: string }[];
    expect(priorities.find((priority: { id: string }) => priority.id === issue.priorityId)?.name).toBe('Highest');
    expect(issue.duedate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const again = await inject('POST', '/api/v1/tickets', { finding_id: findingIds[0], project_key: 'SEC', issue_type: 'Bug' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(ticket.id);
  });

  it('creates the rest in bulk, lists and reads them', async () => {
    const bulk = await inject('POST', '/api/v1/tickets/bulk', { finding_ids: findingIds, project_key: 'SEC', issue_type: 'Bug' });
    expect(bulk.json().summary).toEqual({ total: 3, created: 2, existing: 1, planned: 0, failed: 0 });
    const listed = await inject('GET', '/api/v1/tickets?limit=10');
    expect(listed.json().tickets).toHaveLength(3);
    const one = await inject('GET', `/api/v1/tickets/${listed.json().tickets[0].id}`);
    expect(one.json().external_key).toMatch(/^SEC-/);
  });

  it('a field the create screen lacks is one clear error, before anything is sent', async () => {
    const posted = await inject('POST', '/api/v1/findings', {
      findings: [{ kind: 'vulnerability', title: 'x', severity: 'low', ecosystem: 'npm', package_name: 'x', current_version: '1', fixed_version: '2' }],
    });
    const creates = fixture.jira.admin.received({ method: 'POST', path: '/rest/api/3/issue' }).length;
    const response = await inject('POST', '/api/v1/tickets', {
      finding_id: posted.json().findings[0].id,
      project_key: 'SEC',
      issue_type: 'Bug',
      custom_fields: { customfield_99999: 'nope' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'PROVIDER_FIELD_REJECTED', field: 'customfield_99999' });
    expect(fixture.jira.admin.received({ method: 'POST', path: '/rest/api/3/issue' }).length).toBe(creates);
  });

  it('comments through a job: ADF on Cloud', async () => {
    const listed = await inject('GET', '/api/v1/tickets?limit=1');
    const ticket = listed.json().tickets[0];
    const queued = await inject('POST', `/api/v1/tickets/${ticket.id}/comments`, {
      text: 'Fix PR opened.',
      links: [{ text: 'acme/web#7', url: 'https://github.com/acme/web/pull/7' }],
    });
    expect(queued.statusCode).toBe(202);
    const comments = await waitFor(async () => {
      const list = fixture.jira.admin.comments(ticket.external_key);
      return list.length > 0 ? list : null;
    });
    expect((comments[0]!.body as { type: string }).type).toBe('doc');
    expect(JSON.stringify(comments[0]!.body)).toContain('https://github.com/acme/web/pull/7');
  });

  it('comments through a job: wiki markup on Server', async () => {
    const connection = await inject('POST', '/api/v1/connections', { provider: 'jira-server', name: 'DC', site_url: server.url, pat: server.credentials.pat });
    const created = await inject('POST', '/api/v1/tickets', {
      finding_id: findingIds[1],
      connection_id: connection.json().id,
      project_key: 'SEC',
      issue_type: 'Bug',
    });
    expect(created.statusCode).toBe(201);
    const ticket = created.json();
    expect(typeof server.admin.issue(ticket.external_key)!.description).toBe('string');
    await inject('POST', `/api/v1/tickets/${ticket.id}/comments`, { text: 'Checked by the integration.' });
    const comments = await waitFor(async () => {
      const list = server.admin.comments(ticket.external_key);
      return list.length > 0 ? list : null;
    });
    expect(comments[0]!.body).toBe('Checked by the integration.');
  });

  it('sync reads the status back', async () => {
    const listed = await inject('GET', `/api/v1/tickets?limit=1&connection_id=${fixture.connectionId}`);
    const ticket = listed.json().tickets[0];
    fixture.jira.admin.transitionIssueDirectly(ticket.external_key, 'In Review');
    const synced = await inject('POST', `/api/v1/tickets/${ticket.id}/sync`);
    expect(synced.json()).toMatchObject({ external_status: 'In Review', state: 'in_review' });
  });
});
