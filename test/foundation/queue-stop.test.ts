/**
 * A job still running when the worker's shutdown deadline passes is not failed for good: even on
 * its last attempt it goes back in line (pg-boss fails running jobs on stop; we grant one more try).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';

describe.each(databaseKinds())('queue shutdown on %s', (kind) => {
  it('releases a job on its last attempt instead of failing it', async () => {
    const service = await startTestService(kind, { JOB_MAX_ATTEMPTS: '1' });
    try {
      const queue = service.context.queue;
      const orgId = await service.context.tenants.orgId('demo-org');
      await queue.work({ update: () => new Promise((resolve) => setTimeout(resolve, 8_000)) }, 1);
      const id = (await queue.enqueue('update', { org_id: orgId, ticket_id: randomUUID(), fields: ['priority'], reason: 'stop test' }))!;
      await waitFor(async () => (await queue.get(orgId, id))?.state === 'active');
      await queue.stop(2_000);
      const job = await queue.get(orgId, id);
      expect(job?.state).toBe('retry');
    } finally {
      await service.close();
    }
  }, 60_000);
});
