/**
 * Two requests for the same finding at once: the second learns that the first is creating the issue
 * right now (409 TICKET_CREATE_IN_PROGRESS with Retry-After), instead of the 503 "may have been
 * created, search has not caught up" meant for an attempt that died. The first request is held
 * between Jira's answer and our write (the service's test seam), so the overlap is certain, not timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketForFinding } from '../../src/services/tickets/ticket-operations.ts';
import { TicketService } from '../../src/services/tickets/ticket-service.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

describe('concurrent creates for one finding', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    // Jira Cloud's search lags far behind here: the second request cannot find the first one's issue.
    fixture = await startJiraFixture('embedded', { searchLagMs: 60_000 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('the second request gets 409 TICKET_CREATE_IN_PROGRESS with Retry-After; afterwards the one issue is existing', async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const findingId = violationIds[0]!;
    let reached!: () => void;
    const atJira = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const context = fixture.service.context;
    const held = new TicketService(context, {
      consistencyWindowMs: context.config.jiraSearchConsistencyMs,
      afterRemoteCreate: async () => {
        reached();
        await gate;
      },
    });
    const tenant = await context.tenants.resolve('demo-org', 'test_user');
    const first = createTicketForFinding(context, held, tenant, {
      findingId,
      findingField: 'finding_id',
      subject: 'test_user',
      privileged: true,
      options: { projectKey: 'COMP' },
      dryRun: false,
    });
    await atJira;

    const post = () => fixture.service.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: fixture.auth, payload: { finding_id: findingId, project_key: 'COMP' } });
    const second = await post();
    expect(second.statusCode, second.body).toBe(409);
    expect(second.json().error.code).toBe('TICKET_CREATE_IN_PROGRESS');
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);

    release();
    const done = await first;
    expect(done.status).toBe('created');
    if (done.status === 'planned') throw new Error('not a dry run');
    const third = await post();
    expect(third.statusCode, third.body).toBe(200);
    expect(third.json().external_key).toBe(done.ticket.externalKey);
    expect(fixture.jira.admin.issues()).toHaveLength(1);
  });
});
