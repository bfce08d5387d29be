/**
 * Seed 002's ticket flow against the Jira Cloud simulator: single and bulk creation, listing,
 * status sync, no duplicates on re-posting, dry run, and the troubleshooting errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

describe.each(databaseKinds())('seed 002 Jira tickets on %s', (kind) => {
  let fixture: JiraFixture;
  let caseId: string;
  let violationIds: string[];

  beforeAll(async () => {
    fixture = await startJiraFixture(kind);
    ({ caseId, violationIds } = await seedCase(fixture, 3));
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const post = (url: string, payload: unknown) => fixture.service.app.inject({ method: 'POST', url, headers: fixture.auth, payload: payload as object });

  it('POST /api/jira/tickets creates one issue and answers with the seed shape', async () => {
    const response = await post('/api/jira/tickets', {
      user_id: 'test_user',
      violation_id: violationIds[0],
      project_key: 'COMP',
      issue_type: 'Bug',
      priority: 'High',
      assignee: 'alice@sim.example',
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ jira_ticket_key: expect.stringMatching(/^COMP-\d+$/), status: 'To Do' });
    expect(body.jira_ticket_url).toBe(`${fixture.jira.url}/browse/${body.jira_ticket_key}`);
    const issue = fixture.jira.admin.issue(body.jira_ticket_key)!;
    expect(issue.labels).toEqual(expect.arrayContaining(['security', expect.stringMatching(/^isfp-[0-9a-f]{24}$/)]));
    expect(issue.assigneeId).not.toBeNull();
    expect((issue.description as { type: string }).type).toBe('doc');
  });

  it('re-posting the same violation creates nothing new', async () => {
    const before = fixture.jira.admin.issues().length;
    const response = await post('/api/jira/tickets', { user_id: 'test_user', violation_id: violationIds[0], project_key: 'COMP', issue_type: 'Bug' });
    expect(response.statusCode).toBe(200);
    expect(fixture.jira.admin.issues().length).toBe(before);
  });

  it('bulk-create opens the rest of the case in one Jira call and is idempotent', async () => {
    const bulkCallsBefore = fixture.jira.admin.received({ method: 'POST', path: '/issue/bulk' }).length;
    const response = await post('/api/jira/tickets/bulk-create', { user_id: 'test_user', case_id: caseId, project_key: 'COMP', issue_type: 'Bug', priority: 'High' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ total: 3, created: 2, existing: 1, failed: 0 });
    expect(fixture.jira.admin.received({ method: 'POST', path: '/issue/bulk' }).length).toBe(bulkCallsBefore + 1);
    const again = await post('/api/jira/tickets/bulk-create', { user_id: 'test_user', case_id: caseId, project_key: 'COMP', issue_type: 'Bug' });
    expect(again.json()).toMatchObject({ total: 3, created: 0, existing: 3 });
    expect(fixture.jira.admin.issues().filter((issue) => issue.key.startsWith('COMP-')).length).toBe(3);
  });

  it('GET /api/jira/tickets lists by case and by user', async () => {
    const byCase = await fixture.service.app.inject({ method: 'GET', url: `/api/jira/tickets?case_id=${caseId}`, headers: fixture.auth });
    expect(byCase.json().total).toBe(3);
    const byUser = await fixture.service.app.inject({ method: 'GET', url: '/api/jira/tickets?user_id=test_user', headers: fixture.auth });
    expect(byUser.json().total).toBe(3);
  });

  it('pages through tickets created by one bulk call without skipping any', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/tickets?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await fixture.service.app.inject({ method: 'GET', url, headers: fixture.auth })).json();
      seen.push(...page.tickets.map((ticket: { id: string }) => ticket.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(3);
    expect(seen).toHaveLength(3);
  });

  it('lists by user in the database, not after a limit', async () => {
    const other = { authorization: `Bearer ${await fixture.service.token({ subject: 'other_user', roles: ['admin'] })}` };
    const { violationIds: later } = await seedCase(fixture, 2, 'Other user case');
    await fixture.service.app.inject({ method: 'POST', url: '/api/jira/tickets/bulk-create', headers: other, payload: { user_id: 'other_user', case_id: (await fixture.service.context.db.query<{ case_id: string }>('select case_id from findings where id = $1', [later[0]]))[0]!.case_id, project_key: 'COMP', issue_type: 'Bug' } });
    const mine = await fixture.service.app.inject({ method: 'GET', url: '/api/jira/tickets?user_id=test_user&limit=2', headers: fixture.auth });
    expect(mine.json().total).toBe(2);
    expect(mine.json().tickets.every((ticket: { violation_id: string }) => violationIds.includes(ticket.violation_id))).toBe(true);
  });

  it('sync maps the Jira status to our internal state', async () => {
    const list = await fixture.service.app.inject({ method: 'GET', url: `/api/jira/tickets?case_id=${caseId}`, headers: fixture.auth });
    const ticket = list.json().tickets[0];
    fixture.jira.admin.transitionIssueDirectly(ticket.jira_ticket_key, 'In Progress');
    const synced = await post(`/api/jira/tickets/${ticket.id}/sync`, {});
    expect(synced.statusCode).toBe(200);
    expect(synced.json()).toMatchObject({ status: 'In Progress', internal_state: 'in_progress' });
    fixture.jira.admin.transitionIssueDirectly(ticket.jira_ticket_key, 'Done');
    expect((await post(`/api/jira/tickets/${ticket.id}/sync`, {})).json()).toMatchObject({ status: 'Done', internal_state: 'done' });
  });

  it('dry run sends nothing to Jira and writes nothing', async () => {
    const { violationIds: fresh } = await seedCase(fixture, 1, 'Dry run case');
    const writesBefore = fixture.jira.admin.received({ method: 'POST' }).length;
    const response = await post('/api/jira/tickets', { user_id: 'test_user', violation_id: fresh[0], project_key: 'COMP', issue_type: 'Bug', dry_run: true });
    expect(response.statusCode).toBe(202);
    const [request] = response.json().requests;
    expect(request).toMatchObject({ method: 'POST', url: `${fixture.jira.url}/rest/api/3/issue`, headers: { Authorization: 'Basic ***' } });
    expect(request.body.fields.project).toEqual({ key: 'COMP' });
    expect(fixture.jira.admin.received({ method: 'POST' }).length).toBe(writesBefore);
    const tickets = await fixture.service.context.db.query('select id from tickets where finding_id = $1', [fresh[0]]);
    expect(tickets).toHaveLength(0);
  });

  it('answers the troubleshooting cases clearly', async () => {
    const { violationIds: fresh } = await seedCase(fixture, 1, 'Errors case');
    const missingProject = await post('/api/jira/tickets', { user_id: 'test_user', violation_id: fresh[0], project_key: 'NOPE', issue_type: 'Bug' });
    expect(missingProject.statusCode).toBe(422);
    expect(missingProject.json().error).toMatchObject({ code: 'PROJECT_NOT_FOUND', field: 'project_key' });

    // An admin may act for another user; that user has no connection of their own, so the org's is used.
    const otherUser = await post('/api/jira/tickets', { user_id: 'someone_else', violation_id: fresh[0], project_key: 'COMP' });
    expect(otherUser.statusCode).toBe(201);

    const missingViolation = await post('/api/jira/tickets', { user_id: 'test_user', violation_id: '00000000-0000-4000-8000-000000000000', project_key: 'COMP' });
    expect(missingViolation.statusCode).toBe(404);
    expect(missingViolation.json().error.field).toBe('violation_id');
  });
});

describe('seed 002 credentials errors', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { roles: [] });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('a user may not act for another user without the admin role', async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const response = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/jira/tickets',
      headers: fixture.auth,
      payload: { user_id: 'someone_else', violation_id: violationIds[0], project_key: 'COMP' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.field).toBe('user_id');
  });

  it('invalid credentials say so', async () => {
    const bad = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: fixture.auth,
      payload: { provider: 'jira-cloud', name: 'Bad', site_url: fixture.jira.url, email: 'bot@sim.example', api_token: 'wrong-token', user_id: 'test_user' },
    });
    expect(bad.statusCode).toBe(201);
    const tested = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/connections/${bad.json().id}/test`, headers: fixture.auth });
    expect(tested.json()).toMatchObject({ ok: false, code: 'PROVIDER_AUTH_FAILED' });
    const { violationIds } = await seedCase(fixture, 1, 'Bad creds case');
    const response = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/jira/tickets',
      headers: fixture.auth,
      payload: { user_id: 'test_user', violation_id: violationIds[0], project_key: 'COMP' },
    });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(response.json().error.message).toMatch(/credentials|token/i);
  });
});
