/**
 * The `webhook_delivery` job applies a group of deliveries in the order received; one that fails
 * does not stop the others, the job then fails so the queue retries it, and the retry applies only
 * what is not settled yet. Run against a real database (embedded) with deliveries whose processing
 * is real except for one delivery made to fail.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webhookDeliveryHandler } from '../../src/jobs/handlers/webhook-delivery.ts';
import { jobPayloads } from '../../src/jobs/kinds.ts';
import * as processing from '../../src/services/webhooks/process.ts';
import { WebhookEndpoints } from '../../src/services/webhooks/endpoints.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

let runtime: TestService;

beforeEach(async () => {
  runtime = await startTestService('embedded');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await runtime.close();
});

async function storeDeliveries(n: number): Promise<{ orgId: string; ids: string[] }> {
  const { context } = runtime;
  const orgId = await context.tenants.orgId('demo-org');
  const endpoint = await new WebhookEndpoints(context.db.orm, context.keyRing).ensure(orgId, 'jira');
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const id = randomUUID();
    ids.push(id);
    await context.db.query(
      `insert into deliveries (id, org_id, endpoint_id, provider, delivery_id, event, signature_valid, outcome, payload, received_at)
       values ($1::uuid, $2::uuid, $3::uuid, 'jira', $4, 'jira:issue_updated', true, 'queued', convert_to($5, 'UTF8'), now())`,
      [id, orgId, endpoint.id, `d-${i}-${id}`, JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: String(9000 + i), key: `NONE-${i}` } })],
    );
  }
  return { orgId, ids };
}

const outcomes = async (ids: string[]) =>
  new Map(
    (await runtime.context.db.query<{ id: string; outcome: string; error: string | null }>('select id::text as id, outcome, error from deliveries where id = any($1::uuid[])', [ids])).map((row) => [
      row.id,
      row,
    ]),
  );

const jobContext = (attempt: number) => ({ id: randomUUID(), kind: 'webhook_delivery' as const, attempt, signal: new AbortController().signal, logger: runtime.context.logger });

describe('webhook_delivery job', () => {
  it('applies every delivery in order; a failing one fails the job after the rest, and the retry applies only it', async () => {
    const { orgId, ids } = await storeDeliveries(4);
    const seen: string[] = [];
    const real = processing.processDelivery;
    let failing = true;
    vi.spyOn(processing, 'processDelivery').mockImplementation(async (context, delivery) => {
      seen.push(delivery.id);
      if (delivery.id === ids[1] && failing) throw new Error('provider unreachable');
      return real(context, delivery);
    });
    const handler = webhookDeliveryHandler(runtime.context);

    await expect(handler({ org_id: orgId, delivery_ids: ids }, jobContext(1))).rejects.toThrow(/1 of 4 deliveries failed \(first: provider unreachable\)/);
    expect(seen).toEqual(ids);
    let rows = await outcomes(ids);
    expect(rows.get(ids[1]!)).toMatchObject({ outcome: 'queued', error: 'provider unreachable' });
    for (const id of [ids[0], ids[2], ids[3]]) expect(rows.get(id!)?.outcome).toBe('ignored');

    // The retry: the settled three are skipped, the failed one is applied.
    failing = false;
    seen.length = 0;
    await expect(handler({ org_id: orgId, delivery_ids: ids }, jobContext(2))).resolves.toEqual({ processed: 0, ignored: 1, skipped: 3, failed: 0 });
    expect(seen).toEqual([ids[1]]);
    rows = await outcomes(ids);
    expect([...rows.values()].every((row) => row.outcome === 'ignored')).toBe(true);
  });

  it('on the last attempt leaves a failing delivery failed with its error', async () => {
    const { orgId, ids } = await storeDeliveries(2);
    vi.spyOn(processing, 'processDelivery').mockImplementation(async () => {
      throw new Error('still unreachable');
    });
    const handler = webhookDeliveryHandler(runtime.context);
    await expect(handler({ org_id: orgId, delivery_ids: ids }, jobContext(runtime.context.config.jobs.maxAttempts))).rejects.toThrow(/2 of 2/);
    const rows = await outcomes(ids);
    expect([...rows.values()].map((row) => row.outcome)).toEqual(['failed', 'failed']);
  });

  it('still runs a one-delivery job queued by a version before batches', async () => {
    const { orgId, ids } = await storeDeliveries(1);
    const legacy = { org_id: orgId, delivery_id: ids[0]! };
    expect(jobPayloads.webhook_delivery.safeParse(legacy).success).toBe(true);
    expect(jobPayloads.webhook_delivery.safeParse({ org_id: orgId, delivery_ids: [] }).success).toBe(false);
    await webhookDeliveryHandler(runtime.context)(legacy, jobContext(1));
    expect((await outcomes(ids)).get(ids[0]!)?.outcome).toBe('ignored');
  });
});
