/**
 * A `create` job that meets another holder's live in-flight mark (REDIS_URL set): the holder's create
 * is respected (nothing is searched for or sent), and the job is retried once the mark is gone, after
 * the mark's remaining lifetime, not after the 2 s Retry-After meant for a polling caller (that spent
 * a job's attempts while a killed worker's mark stood; crash-in-flight-mark.test.ts). Once the holder
 * has written its key, the job's next attempt answers that issue as `existing`: one issue.
 *
 * Jira's search lags far behind and the consistency window is 0 here, so the mark is the only thing
 * keeping the job from taking the claim over and creating a second issue.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryLaterError } from '../../src/jobs/errors.ts';
import { createHandler } from '../../src/jobs/handlers/create.ts';
import { createTicketForFinding } from '../../src/services/tickets/ticket-operations.ts';
import { TicketService } from '../../src/services/tickets/ticket-service.ts';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MARK_TTL_MS = 60_000;

describe.each(databaseKinds())('a create job meeting a live in-flight mark in Redis on %s', (kind: DatabaseKind) => {
  let fixture: JiraFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it("waits for the holder's mark to go, sends nothing meanwhile, then answers the holder's issue as existing", async () => {
    fixture = await startJiraFixture(kind, { searchLagMs: 600_000, env: { REDIS_URL, JIRA_SEARCH_CONSISTENCY_SECONDS: '0' } });
    const context = fixture.service.context;
    expect(context.sharedState.backend).toBe('redis');
    const { violationIds } = await seedCase(fixture, 1);
    const findingId = violationIds[0]!;
    const tenant = await context.tenants.resolve('demo-org', 'test_user');

    // The holder: a request held between Jira's answer and our write of the key, its mark live.
    let reached!: () => void;
    const atJira = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = new TicketService(context, {
      consistencyWindowMs: 0,
      inFlightTtlMs: MARK_TTL_MS,
      afterRemoteCreate: async () => {
        reached();
        await gate;
      },
    });
    const first = createTicketForFinding(context, held, tenant, {
      findingId,
      findingField: 'finding_id',
      subject: 'test_user',
      privileged: true,
      options: { projectKey: 'COMP' },
      dryRun: false,
    });
    await atJira;
    expect(fixture.jira.admin.issues()).toHaveLength(1);

    const handler = createHandler(context);
    const data = { org_id: tenant.orgId, connection_id: fixture.connectionId, finding_id: findingId, options: { projectKey: 'COMP' }, requested_by: null };
    const job = (attempt: number) => ({ id: randomUUID(), kind: 'create' as const, attempt, signal: new AbortController().signal, logger: context.logger });

    const deferred = await handler(data, job(1)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(deferred).toBeInstanceOf(RetryLaterError);
    expect((deferred as RetryLaterError).message).toMatch(/another request is creating this issue/);
    // Retried when the mark has gone (the job queue's 5 s retry delay and the 2 s Retry-After are far shorter).
    expect((deferred as RetryLaterError).retryAfterMs).toBeGreaterThan(MARK_TTL_MS / 2);
    expect((deferred as RetryLaterError).retryAfterMs).toBeLessThanOrEqual(MARK_TTL_MS + 1_000);
    expect(fixture.jira.admin.issues()).toHaveLength(1);

    release();
    const done = await first;
    expect(done.status).toBe('created');
    if (done.status === 'planned') throw new Error('not a dry run');
    expect(await handler(data, job(2))).toEqual({ issue_key: done.ticket.externalKey, outcome: 'existing' });
    expect(fixture.jira.admin.issues()).toHaveLength(1);
  });
});
