/**
 * GET /api/v1/audit-log against the Jira simulator: a request and a job are each one operation with
 * their audit events and the outbound calls they made (method, host, path without query, status,
 * duration); search, action and since filters; cursor paging; organization scoping; bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLogPage, AuditOperationView } from '../../src/contracts/audit-log.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';

describe('GET /api/v1/audit-log', () => {
  let fixture: JiraFixture;
  let findingIds: string[];
  let ticket: { id: string; external_key: string };
  let jiraHost: string;

  const inject = (method: 'GET' | 'POST', url: string, payload?: object, headers = fixture.auth) =>
    fixture.service.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  const log = async (query = '', headers = fixture.auth): Promise<AuditLogPage> => {
    const response = await inject('GET', `/api/v1/audit-log${query}`, undefined, headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const named = (page: AuditLogPage, name: string) => page.operations.filter((operation) => operation.name === name);

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    jiraHost = new URL(fixture.jira.url).host;
    await fixture.service.context.queue.work((await import('../../src/jobs/handlers/index.ts')).productHandlers(fixture.service.context), 2);
    const posted = await inject('POST', '/api/v1/findings', {
      findings: [1, 2].map((index) => ({
        kind: 'vulnerability',
        title: `Vulnerable package ${index}`,
        severity: 'high',
        ecosystem: 'npm',
        package_name: `pkg-${index}`,
        current_version: '1.0.0',
        fixed_version: '1.0.1',
        repo_url: 'https://github.com/acme/web',
        manifest_path: 'package.json',
      })),
    });
    findingIds = posted.json().findings.map((finding: { id: string }) => finding.id);
    const created = await inject('POST', '/api/v1/tickets', { finding_id: findingIds[0], project_key: 'SEC', issue_type: 'Bug' });
    expect(created.statusCode, created.body).toBe(201);
    ticket = created.json();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it("files a request's audit events and outbound calls under one operation", async () => {
    const page = await log();
    const [operation] = named(page, 'POST /api/v1/tickets');
    expect(operation).toBeDefined();
    expect(operation).toMatchObject({ kind: 'request', actor: 'test_user', request_id: expect.any(String) });
    expect(operation!.events.map((event) => event.action)).toContain('tickets.create');
    const create = operation!.outbound_calls.find((call) => call.method === 'POST' && call.path === '/rest/api/3/issue');
    expect(create).toMatchObject({ host: jiraHost, status: 201, provider: 'jira-cloud', attempt: 1, error: null });
    expect(create!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(operation!.outbound_calls_total).toBe(operation!.outbound_calls.length);
    // Paths are stored without their query strings (JQL searches carry one) and without credentials.
    for (const call of page.operations.flatMap((each) => each.outbound_calls)) {
      expect(call.path).not.toContain('?');
    }
    expect(JSON.stringify(page)).not.toContain(fixture.jira.credentials.apiToken);
  });

  it("files a job's calls under the job, with its id", async () => {
    const queued = await inject('POST', `/api/v1/tickets/${ticket.id}/comments`, { text: 'Fix PR opened.' });
    expect(queued.statusCode).toBe(202);
    const job = await waitFor(async () => {
      const page = await log('?q=comment');
      return page.operations.find((operation) => operation.kind === 'job' && operation.outbound_calls.length > 0) ?? null;
    });
    expect(job).toMatchObject({ name: 'comment', actor: 'service', request_id: null });
    expect(job.id).toBe(queued.json().job_id);
    expect(job.outbound_calls.some((call) => call.method === 'POST' && call.path === `/rest/api/3/issue/${ticket.external_key}/comment` && call.status === 201)).toBe(true);
  });

  it('searches, filters by action and time, and pages with cursors', async () => {
    const byPath = await log(`?q=${encodeURIComponent('/rest/api/3/issue')}`);
    expect(byPath.operations.length).toBeGreaterThan(0);
    expect(named(byPath, 'POST /api/v1/findings')).toHaveLength(0);
    expect((await log('?q=no-such-thing-anywhere')).operations).toEqual([]);
    // LIKE wildcards are literal text.
    expect((await log('?q=%25%25%25')).operations).toEqual([]);

    const byAction = await log('?action=tickets.create');
    expect(byAction.operations.map((operation) => operation.name)).toEqual(['POST /api/v1/tickets']);
    expect((await log('?action=findings.upsert')).operations.every((operation) => operation.name === 'POST /api/v1/findings')).toBe(true);

    expect((await log(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).operations).toEqual([]);
    expect((await log(`?since=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}`)).operations.length).toBeGreaterThan(1);

    const all = await log('?limit=100');
    const seen: AuditOperationView[] = [];
    let cursor: string | null = null;
    do {
      const page = await log(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.operations.length).toBeLessThanOrEqual(1);
      seen.push(...page.operations);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.map((operation) => operation.id)).toEqual(all.operations.map((operation) => operation.id));
    expect(new Set(seen.map((operation) => operation.id)).size).toBe(seen.length);
  });

  it('is readable by members and shows another organization nothing', async () => {
    const member = { authorization: `Bearer ${await fixture.service.token({ subject: 'member', roles: [] })}` };
    expect((await log('', member)).operations.length).toBeGreaterThan(0);
    const other = { authorization: `Bearer ${await fixture.service.token({ subject: 'someone', org: 'other-org', roles: ['admin'] })}` };
    expect((await log('', other)).operations).toEqual([]);
    expect((await inject('GET', '/api/v1/audit-log', undefined, {} as typeof fixture.auth)).statusCode).toBe(401);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['?cursor=not-a-cursor', 'cursor'],
      ['?since=yesterday', 'since'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      [`?q=${'x'.repeat(201)}`, 'q'],
      ['?q=a%0Ab', 'q'],
      ['?action=tickets.%E2%80%AEcreate', 'action'],
    ] as const) {
      const response = await inject('GET', `/api/v1/audit-log${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(String(response.json().error.field), query).toContain(field);
    }
  });
});
