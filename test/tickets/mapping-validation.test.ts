/**
 * PUT /api/v1/connections/{id}/mappings checks values against what Jira really has (issue 13), read
 * from the Jira Cloud simulator: status names (GET /status), priorities (GET /priority/search),
 * project keys (GET /project/{key}) and issue types (GET /issuetype, and the project's own). An
 * unknown value is 422 naming it and nothing is saved; the site's lists are cached briefly; a Jira
 * that cannot be reached fails the request (502) and nothing is saved. Before, every value was saved.
 * A kind Jira takes no rows of (close_code, assignment_group: ServiceNow's) is 422 without asking Jira.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';

describe('mapping values validated against Jira', () => {
  let fixture: JiraFixture;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const put = (kind: string, source: string, target: string) =>
    fixture.service.app.inject({ method: 'PUT', url: `/api/v1/connections/${fixture.connectionId}/mappings`, headers: fixture.auth, payload: { kind, source, target } });
  const rows = async () =>
    ((await fixture.service.app.inject({ method: 'GET', url: `/api/v1/connections/${fixture.connectionId}/mappings`, headers: fixture.auth })).json().mappings as {
      kind: string;
      source: string;
      target: string;
    }[]);
  const has = async (kind: string, source: string, target: string) => (await rows()).some((row) => row.kind === kind && row.source === source && row.target === target);
  const fetched = (path: string) => fixture.jira.admin.received({ method: 'GET' }).filter((request) => request.path.endsWith(path)).length;

  it('statuses: a status Jira has is saved; an unknown one is 422 naming it, nothing saved', async () => {
    const ok = await put('status', 'In Review', 'in_review');
    expect(ok.statusCode, ok.body).toBe(200);
    const unknown = await put('status', 'Blocked', 'in_progress');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({ code: 'UNPROCESSABLE', field: 'source' });
    expect(unknown.json().error.message).toContain('Jira has no status named "Blocked"');
    expect(unknown.json().error.message).toContain('In Review');
    expect(await has('status', 'Blocked', 'in_progress')).toBe(false);
    // The default row is ours, not a Jira status.
    expect((await put('status', 'default', 'todo')).statusCode).toBe(200);
  });

  it('priorities: the target must be a Jira priority, the source a severity; the list is cached', async () => {
    const before = fetched('/priority/search');
    expect((await put('priority', 'critical', 'Highest')).statusCode).toBe(200);
    expect((await put('priority', 'high', 'high')).statusCode).toBe(200); // Jira's names compare case-insensitively
    // Both answered from one read of Jira's priorities.
    expect(fetched('/priority/search') - before).toBe(1);

    const unknown = await put('priority', 'critical', 'Urgent');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.message).toMatch(/Jira has no priority named "Urgent" \(it has: .*Blocker/);
    expect(unknown.json().error.field).toBe('target');
    // An unknown value is looked up again before it is refused (it may have been added since).
    expect(fetched('/priority/search') - before).toBe(2);
    expect(await has('priority', 'critical', 'Urgent')).toBe(false);
    expect(await has('priority', 'critical', 'Highest')).toBe(true);

    const badSource = await put('priority', 'urgent', 'High');
    expect(badSource.statusCode).toBe(400);
    expect(badSource.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'source' });
  });

  it('projects and issue types: unknown keys and types are refused; an issue type must exist in the mapped project', async () => {
    const noProject = await put('project', 'default', 'NOPE');
    expect(noProject.statusCode).toBe(422);
    expect(noProject.json().error.message).toContain('Jira has no project with the key "NOPE"');
    expect((await put('project', 'default', 'SEC')).statusCode).toBe(200);

    const epic = await put('issue_type', 'vulnerability', 'Epic');
    expect(epic.statusCode).toBe(422);
    expect(epic.json().error.message).toContain('Jira has no issue type named "Epic"');
    expect((await put('issue_type', 'vulnerability', 'Story')).statusCode).toBe(200);

    // FEDRAMP offers Task and Bug only.
    expect((await put('project', 'default', 'FEDRAMP')).statusCode).toBe(200);
    const story = await put('issue_type', 'violation', 'Story');
    expect(story.statusCode).toBe(422);
    expect(story.json().error.message).toContain('project FEDRAMP has no issue type "Story"');
    expect(await has('issue_type', 'violation', 'Story')).toBe(false);
    expect((await put('issue_type', 'violation', 'Bug')).statusCode).toBe(200);
  });

  it("kinds Jira has no use for (ServiceNow's close_code and assignment_group) are 422 naming the kind, without asking Jira; nothing saved", async () => {
    const before = fixture.jira.admin.received({}).length;
    for (const [kind, source, target] of [
      ['close_code', 'done', 'Solved (Permanently)'],
      ['assignment_group', 'default', 'Security Operations'],
    ] as const) {
      const refused = await put(kind, source, target);
      expect(refused.statusCode, refused.body).toBe(422);
      expect(refused.json().error).toMatchObject({ code: 'UNPROCESSABLE', field: 'kind' });
      expect(refused.json().error.message).toContain(`Jira Cloud connections take no ${kind} mappings`);
      expect(refused.json().error.message).toContain('they take status, priority, project, issue_type');
      expect(await has(kind, source, target)).toBe(false);
    }
    expect(fixture.jira.admin.received({}).length).toBe(before);
    // A kind nobody takes is the request schema's 400.
    expect((await put('reporter', 'default', 'someone')).statusCode).toBe(400);
  });

  it('a Jira that cannot be reached fails the request; nothing is saved unchecked', async () => {
    fixture.jira.admin.configureFaults({ errorRate: 1, errorStatuses: [503] });
    try {
      const down = await put('project', 'default', 'COMP');
      expect(down.statusCode).toBeGreaterThanOrEqual(502);
      expect(down.statusCode).toBeLessThanOrEqual(503);
      expect(down.json().error.code).toMatch(/^PROVIDER_/);
      expect(await has('project', 'default', 'COMP')).toBe(false);
    } finally {
      fixture.jira.admin.configureFaults({ errorRate: 0 });
    }
    expect((await put('project', 'default', 'COMP')).statusCode).toBe(200);
  }, 60_000);
});
