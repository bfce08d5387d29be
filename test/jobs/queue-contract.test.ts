/**
 * The queue's contract beyond retries: payloads are typed (checked on enqueue and on receipt, a
 * malformed one fails for good instead of looping), and nothing in src/ writes to pg-boss's tables.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidJobPayloadError } from '../../src/jobs/queue.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';

describe.each(databaseKinds())('typed job payloads on %s', (kind) => {
  let service: TestService;
  let orgId: string;
  const received: unknown[] = [];

  beforeAll(async () => {
    service = await startTestService(kind, { JOB_MAX_ATTEMPTS: '5', JOB_RETRY_DELAY_SECONDS: '1' });
    orgId = await service.context.tenants.orgId('payload-org');
    await service.context.queue.work(
      {
        comment: async (data) => {
          received.push(data);
          return { ok: true };
        },
      },
      2,
    );
  });
  afterAll(async () => {
    await service?.close();
  });

  it('refuses to enqueue a payload that does not match its kind, and records nothing', async () => {
    const before = await service.context.db.query<{ n: number }>('select count(*)::int as n from job_records');
    await expect(
      service.context.queue.enqueue('comment', { org_id: orgId, ticket_id: 'not-a-uuid', text: 'x' }),
    ).rejects.toBeInstanceOf(InvalidJobPayloadError);
    await expect(service.context.queue.enqueue('comment', { org_id: orgId, ticket_id: 'not-a-uuid', text: 'x' })).rejects.toThrow(/ticket_id/);
    expect(await service.context.db.query('select count(*)::int as n from job_records')).toEqual(before);
  });

  it('fails a malformed payload on receipt for good, once, with the reason, without calling the handler', async () => {
    // A producer that bypassed our queue (an older version, a hand-written row) sent it.
    const id = (await service.context.queue.boss.send('comment', { org_id: orgId, ticket_id: 42, text: '' }))!;
    const failed = await waitFor(async () => {
      const state = await service.context.queue.stateOf('comment', id);
      return state?.state === 'failed' ? state : null;
    });
    expect(failed.error).toMatch(/^malformed payload: ticket_id: .*text: /);
    const job = await service.context.queue.boss.getJobById('comment', id);
    expect(job?.retryCount).toBe(0);
    expect(received).toEqual([]);
  });

  it('hands the handler the validated payload, unknown keys dropped', async () => {
    const ticketId = randomUUID();
    const payload = { org_id: orgId, ticket_id: ticketId, text: 'hello', stray: 'dropped' };
    const id = await service.context.queue.enqueue('comment', payload as unknown as Parameters<typeof service.context.queue.enqueue<'comment'>>[1]);
    await waitFor(async () => (await service.context.queue.get(orgId, id!))?.state === 'completed');
    expect(received).toEqual([{ org_id: orgId, ticket_id: ticketId, text: 'hello' }]);
  });

  it('writes concurrent enqueues together, each job recorded for its org; a bad one fails alone', async () => {
    const before = received.length;
    const otherOrg = await service.context.tenants.orgId('payload-org-2');
    const unknownOrg = randomUUID();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) =>
        service.context.queue.enqueue('comment', { org_id: index === 7 ? unknownOrg : index % 2 ? otherOrg : orgId, ticket_id: randomUUID(), text: `group ${index}` }),
      ),
    );
    // The job for an organization that does not exist is refused (no record, no job); the 29 others
    // that shared its write are queued all the same.
    expect(outcomes[7]!.status).toBe('rejected');
    const ids = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value!] : []));
    expect(ids).toHaveLength(29);
    expect(new Set(ids).size).toBe(29);
    const records = await service.context.db.query<{ org_id: string; n: number }>(
      'select org_id, count(*)::int as n from job_records where id = any($1::uuid[]) group by org_id order by n',
      [ids],
    );
    expect(records.map((row) => row.n).sort()).toEqual([14, 15]);
    const second = outcomes[1] as PromiseFulfilledResult<string | null>;
    expect(await service.context.queue.get(otherOrg, second.value!)).not.toBeNull();
    expect(await service.context.queue.get(orgId, second.value!)).toBeNull();
    await waitFor(async () => received.length - before === 29, 60_000);
  }, 120_000);
});

describe('pg-boss internals', () => {
  it('no SQL in src/ writes to pg-boss tables (its public API does)', () => {
    const root = path.resolve(import.meta.dirname, '../../src');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(ts|sql)$/.test(entry.name)) {
          const text = fs.readFileSync(full, 'utf8');
          // A write statement whose target is the pgboss schema, spelled out or through a constant.
          const writes = /\b(update|insert\s+into|delete\s+from|truncate|alter\s+table)\s+("?pgboss"?|\$\{[A-Z_]*SCHEMA[A-Z_]*\})\s*\./gi;
          for (const match of text.matchAll(writes)) offenders.push(`${path.relative(root, full)}: ${match[0]}`);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
