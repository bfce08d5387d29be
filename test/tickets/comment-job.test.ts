/**
 * A comment whose delivery Jira never confirmed (a 500 after we sent it) is not posted again: the
 * comment job stops at once and says why, rather than risk a duplicate comment on the issue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';

describe('comment job', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { env: { JOB_RETRY_DELAY_SECONDS: '1' } });
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('stops after an unconfirmed post instead of posting again', async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const created = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/jira/tickets',
      headers: fixture.auth,
      payload: { violation_id: violationIds[0], project_key: 'COMP', issue_type: 'Bug' },
    });
    const ticket = created.json();
    fixture.jira.admin.configureFaults({ errorRate: 1, errorStatuses: [500] });
    const queued = await fixture.service.app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticket.id}/comments`,
      headers: fixture.auth,
      payload: { text: 'Please prioritise.' },
    });
    const jobId = queued.json().job_id as string;
    const orgId = await fixture.service.context.tenants.orgId('demo-org');
    const job = await waitFor(async () => {
      const found = await fixture.service.context.queue.get(orgId, jobId);
      return found && (found.state === 'failed' || found.state === 'completed') ? found : null;
    });
    fixture.jira.admin.configureFaults({ errorRate: 0 });
    expect(job.state).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.last_error).toMatch(/may have been posted/);
    expect(fixture.jira.admin.received({ method: 'POST', path: `/issue/${ticket.jira_ticket_key}/comment` }).length + fixture.jira.admin.received({ method: 'POST', path: `/issue/${ticket.jira_ticket_id}/comment` }).length).toBeLessThanOrEqual(1);
  });
});
