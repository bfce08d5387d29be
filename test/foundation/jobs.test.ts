import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError, RetryLaterError } from '../../src/jobs/errors.ts';
import type { JobView } from '../../src/jobs/queue.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';

/** A valid `update` payload for the test handler below, which reads what to do from `reason`. */
const testUpdate = (orgId: string, behaviour: string) => ({ org_id: orgId, ticket_id: randomUUID(), fields: ['priority' as const], reason: behaviour });


describe.each(databaseKinds())('durable jobs on %s', (kind) => {
  let service: TestService;
  let orgA: string;
  let orgB: string;
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    service = await startTestService(kind, { JOB_MAX_ATTEMPTS: '3', JOB_RETRY_DELAY_SECONDS: '1' });
    orgA = await service.context.tenants.orgId('org-a');
    orgB = await service.context.tenants.orgId('org-b');
    await service.context.queue.work(
      {
        update: async (data, job) => {
          attempts.set(job.id, job.attempt);
          if (data.reason === 'flaky' && job.attempt < 2) throw new Error('temporary upstream failure');
          if (data.reason === 'permanent') throw new PermanentJobError('project SEC does not exist');
          if (data.reason === 'rate-limited' && job.attempt < 2) throw new RetryLaterError('429 from Jira', 3_000);
          if (data.reason === 'always') throw new Error('still broken');
          if (data.reason === 'rate-limited-then-broken') {
            if (job.attempt === 1) throw new RetryLaterError('429 from Jira', 1_000);
            throw new Error('now a plain failure');
          }
          return { ok: true };
        },
      },
      2,
    );
  });
  afterAll(async () => {
    await service?.close();
  });

  const jobOf = (org: string, id: string) => service.context.queue.get(org, id);
  const settled = (org: string, id: string, state: JobView['state']) =>
    waitFor(async () => {
      const job = await jobOf(org, id);
      return job?.state === state ? job : null;
    });

  it('collapses a repeat enqueue of the same create job while one is queued', async () => {
    const payload = { org_id: orgA, connection_id: randomUUID(), finding_id: randomUUID(), options: {}, requested_by: null };
    const first = await service.context.queue.enqueue('create', payload, { singletonKey: 'create:c:f-1', startAfterSeconds: 60 });
    const second = await service.context.queue.enqueue('create', payload, { singletonKey: 'create:c:f-1', startAfterSeconds: 60 });
    expect(first).not.toBeNull();
    expect(second).toBeNull();
    expect((await service.context.queue.list(orgA, { kind: 'create', limit: 10 })).jobs.length).toBe(1);
  });

  it('runs a job to completion', async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'ok'));
    const job = await settled(orgA, id!, 'completed');
    expect(job.attempts).toBe(1);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'flaky'));
    const job = await settled(orgA, id!, 'completed');
    expect(attempts.get(id!)).toBe(2);
    expect(job.attempts).toBe(2);
  });

  it('never retries a permanent failure, and keeps it visible with its error', async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'permanent'));
    const job = await settled(orgA, id!, 'failed');
    expect(job.attempts).toBe(1);
    expect(job.last_error).toContain('project SEC does not exist');
  });

  it("waits at least the provider's Retry-After before the next attempt", async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'rate-limited'));
    const retrying = await waitFor(async () => {
      const job = await jobOf(orgA, id!);
      return job?.state === 'retry' ? job : null;
    });
    const delayMs = Date.parse(retrying.next_run_at ?? '') - Date.now();
    expect(delayMs).toBeGreaterThan(1_500);
    await settled(orgA, id!, 'completed');
  });

  it('goes back to exponential backoff after a Retry-After wait', async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'rate-limited-then-broken'));
    await waitFor(async () => ((await jobOf(orgA, id!))?.attempts ?? 0) >= 2 && (await jobOf(orgA, id!))?.state !== 'active');
    const [row] = await service.context.db.query<{ retry_backoff: boolean }>('select retry_backoff from pgboss.job where id = $1', [id]);
    expect(row?.retry_backoff).toBe(true);
  });

  it('stops after the attempt cap and lists the failed job; POST retry puts it back in line', async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'always'));
    const failed = await settled(orgA, id!, 'failed');
    expect(failed.attempts).toBe(3);
    const token = await service.token({ org: 'org-a', roles: ['admin'] });
    const list = await service.app.inject({ method: 'GET', url: '/api/v1/jobs?state=failed', headers: { authorization: `Bearer ${token}` } });
    expect(list.statusCode).toBe(200);
    expect(list.json().jobs.map((job: { id: string }) => job.id)).toContain(id);
    const retried = await service.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/retry`, headers: { authorization: `Bearer ${token}` } });
    expect(retried.statusCode).toBe(202);
    expect(['created', 'retry', 'active', 'failed']).toContain(retried.json().state);
    const again = await service.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/retry`, headers: { authorization: `Bearer ${token}` } });
    // Either it is queued again (409: not failed) or it already failed once more (202).
    expect([202, 409]).toContain(again.statusCode);
  });

  it('pages through jobs enqueued in one burst without skipping or repeating any', async () => {
    const orgC = await service.context.tenants.orgId('org-c');
    const ids = await Promise.all(
      Array.from({ length: 7 }, () => service.context.queue.enqueue('update', testUpdate(orgC, 'ok'), { startAfterSeconds: 3600 })),
    );
    const token = await service.token({ org: 'org-c' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/jobs?kind=update&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })).json();
      seen.push(...page.jobs.map((job: { id: string }) => job.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it("keeps organizations apart: org B cannot list, read, retry or infer org A's jobs", async () => {
    const id = await service.context.queue.enqueue('update', testUpdate(orgA, 'permanent'));
    await settled(orgA, id!, 'failed');
    const tokenB = await service.token({ org: 'org-b', roles: ['admin'] });
    const auth = { authorization: `Bearer ${tokenB}` };
    const list = await service.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: auth });
    expect(list.json().jobs.map((job: { id: string }) => job.id)).not.toContain(id);
    const read = await service.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: auth });
    const missing = await service.app.inject({ method: 'GET', url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000', headers: auth });
    expect(read.statusCode).toBe(404);
    expect(read.json()).toEqual(missing.json());
    const retry = await service.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/retry`, headers: auth });
    expect(retry.statusCode).toBe(404);
    expect((await jobOf(orgA, id!))?.state).toBe('failed');
    expect(await jobOf(orgB, id!)).toBeNull();
  });
});
