/**
 * The job queue's rule for connections that need a new consent (issue 11): a handler failing with
 * OAUTH_REAUTH_REQUIRED anywhere in its error's cause chain fails the job for good on the first
 * attempt, with that message, however many attempts the queue would otherwise allow.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/app-error.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';

describe('jobs of a connection that must be connected again', () => {
  let service: TestService;
  let orgId: string;
  beforeAll(async () => {
    service = await startTestService('embedded', { JOB_MAX_ATTEMPTS: '5', JOB_RETRY_DELAY_SECONDS: '1' });
    orgId = await service.context.tenants.orgId('org-a');
    await service.context.queue.work(
      {
        update: async () => {
          const refused = new AppError('OAUTH_REAUTH_REQUIRED', 'the Atlassian connection "sim-site" must be connected again: invalid_grant');
          throw new Error('the Jira call failed', { cause: refused });
        },
      },
      1,
    );
  });
  afterAll(async () => {
    await service?.close();
  });

  it('fails for good at once with the reconnect message', async () => {
    const id = await service.context.queue.enqueue('update', { org_id: orgId, ticket_id: randomUUID(), fields: ['priority'], reason: 'reauth' });
    const job = await waitFor(async () => {
      const found = await service.context.queue.get(orgId, id!);
      return found?.state === 'failed' ? found : null;
    });
    expect(job.attempts).toBe(1);
    expect(job.last_error).toContain('must be connected again');
    expect(service.logs.some((line) => line.includes('job stopped: its connection must be connected again'))).toBe(true);
  });
});
