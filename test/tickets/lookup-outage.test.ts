/**
 * docs/tickets.md promises that, on a stored connection, an outage is queued and healed. That holds
 * for an outage during the pre-create lookups (priorities, create screen) too: the answer says Jira
 * failed, a `create` job is queued, and once Jira is back the job files the one issue.
 */
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';

describe('an outage during the pre-create lookups', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { searchLagMs: 0 });
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('is answered as a Jira failure, queued as a create job, and healed when Jira is back', async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const findingId = violationIds[0]!;
    fixture.jira.admin.configureFaults({ errorRate: 1, errorStatuses: [500] });
    let response;
    try {
      response = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: fixture.auth, payload: { finding_id: findingId, project_key: 'COMP' } });
    } finally {
      fixture.jira.admin.configureFaults({ errorRate: 0 });
    }
    expect(response.statusCode, response.body).toBe(502);
    expect(response.json().error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(fixture.jira.admin.issues()).toHaveLength(0);

    const jobs = await fixture.service.context.db.query<{ data: { finding_id: string } }>("select data from pgboss.job where name = 'create'");
    expect(jobs.map((job) => job.data.finding_id)).toContain(findingId);

    // The worker runs in this process; it takes the job after its start delay.
    const ticket = await waitFor(async () => {
      const listed = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/tickets?finding_id=${findingId}`, headers: fixture.auth });
      const [row] = listed.json().tickets as { external_key: string | null }[];
      return row?.external_key ? row : null;
    }, 60_000);
    expect(fixture.jira.admin.issues()).toHaveLength(1);
    expect(fixture.jira.admin.issues()[0]!.key).toBe(ticket.external_key);
  }, 90_000);
});
