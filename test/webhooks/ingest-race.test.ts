/**
 * Repeats of a delivery racing their original (a provider retrying while the first attempt is still
 * being written): one stored row, one job, every answer given after the commit. Before the delivery
 * row and its job were written in one transaction, a repeat could see the row stored but not yet
 * queued and queue a second job for it (seen on PostgreSQL: bench webhook-ingest, 7 of 400).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookEndpoints } from '../../src/services/webhooks/endpoints.ts';
import { ingestDelivery } from '../../src/services/webhooks/ingest.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { type EndpointJson, endpoints, hmacHex, type ListeningService, post, startListening } from './helpers.ts';

const jiraBody = (id: string) => JSON.stringify({ timestamp: Date.now(), webhookEvent: 'jira:issue_updated', issue: { id, key: `SEC-${id}`, fields: { status: { name: 'Done' } } } });

describe.each(databaseKinds())('webhook ingest under racing repeats (%s)', (kind) => {
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;

  beforeAll(async () => {
    listening = await startListening(kind);
    hooks = await endpoints(listening);
  });
  afterAll(async () => {
    await listening?.close();
  });

  it('stores each delivery once, in exactly one job, however many repeats race it', async () => {
    const url = `${listening.url}/api/integrations/jira/webhook`;
    const secret = hooks.jira.secret!;
    const orgId = await listening.service.context.tenants.orgId('demo-org');
    const originals = Array.from({ length: 20 }, (_, n) => {
      const body = jiraBody(String(4000 + n));
      return { body, headers: { 'x-hub-signature': `sha256=${hmacHex(secret, body)}`, 'x-atlassian-webhook-identifier': randomUUID() } };
    });
    // Each delivery four times, all at once, interleaved.
    const sends = [0, 1, 2, 3].flatMap(() => originals);
    const answers = await Promise.all(sends.map((delivery) => post(url, delivery.body, delivery.headers)));
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(20);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(60);

    const rows = await listening.service.context.db.query<{ id: string; repeats: number }>(
      'select id::text as id, repeats from deliveries where endpoint_id = $1::uuid and signature_valid and delivery_id = any($2::text[])',
      [hooks.jira.id, originals.map((delivery) => delivery.headers['x-atlassian-webhook-identifier'])],
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((row) => row.repeats === 3)).toBe(true);
    // Each stored delivery is in exactly one job (a job may carry several: one per group commit).
    const jobs = await listening.service.context.db.query<{ delivery_id: string; n: number }>(
      `select ids.delivery_id, count(*)::int as n
         from pgboss.job, jsonb_array_elements_text(coalesce(data->'delivery_ids', jsonb_build_array(data->'delivery_id'))) as ids(delivery_id)
        where name = 'webhook_delivery' and data->>'org_id' = $1 group by 1`,
      [orgId],
    );
    const perDelivery = new Map(jobs.map((job) => [job.delivery_id, job.n]));
    expect(rows.map((row) => perDelivery.get(row.id))).toEqual(Array(20).fill(1));
  });

  it('writes deliveries that arrive together as one group: one transaction, one job', async () => {
    const { context } = listening.service;
    const orgId = await context.tenants.orgId('demo-org');
    const store = new WebhookEndpoints(context.db.orm, context.keyRing);
    const endpoint = await store.forIngest(orgId, 'jira');
    const secret = store.secret(endpoint);
    const ids = Array.from({ length: 12 }, () => randomUUID());
    // Twelve requests handled in the same turn of the event loop (as when they are read in one I/O
    // phase): the first no longer goes alone ahead of the others.
    const results = await Promise.all(
      ids.map((id, n) => {
        const body = jiraBody(String(6000 + n));
        const raw = Buffer.from(body);
        return ingestDelivery(context, store, {
          endpoint,
          provider: 'jira',
          headers: { 'x-hub-signature': `sha256=${hmacHex(secret, body)}`, 'x-atlassian-webhook-identifier': id },
          raw,
          json: raw,
          body: JSON.parse(body) as unknown,
        });
      }),
    );
    expect(results.every((result) => result.status === 'accepted')).toBe(true);
    const jobs = await context.db.query<{ ids: string[] }>(
      "select array(select jsonb_array_elements_text(data->'delivery_ids')) as ids from pgboss.job where name = 'webhook_delivery' and data->'delivery_ids' ?| $1::text[]",
      [results.map((result) => result.id)],
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.ids).toEqual(results.map((result) => result.id));
  });

  it('under heavy load a second group commits beside the first; repeats of the first group’s ids in the second are stored once and answered as repeats', async () => {
    const { context } = listening.service;
    const store = new WebhookEndpoints(context.db.orm, context.keyRing);
    const endpoint = await store.forIngest(await context.tenants.orgId('demo-org'), 'jira');
    const secret = store.secret(endpoint);
    const send = (id: string, n: number) => {
      const body = jiraBody(String(8000 + n));
      return ingestDelivery(context, store, {
        endpoint,
        provider: 'jira',
        headers: { 'x-hub-signature': `sha256=${hmacHex(secret, body)}`, 'x-atlassian-webhook-identifier': id },
        raw: Buffer.from(body),
        json: Buffer.from(body),
        body: JSON.parse(body) as unknown,
      });
    };
    const firstIds = Array.from({ length: 8 }, () => randomUUID());
    const first = Promise.all(firstIds.map((id, n) => send(id, n)));
    // While the first group commits: 90 new deliveries, and repeats of the first group's ids in the
    // opposite order (a second group starts at once: 64 or more are waiting).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const newIds = Array.from({ length: 90 }, () => randomUUID());
    const second = Promise.all([...newIds.map((id, n) => send(id, 100 + n)), ...[...firstIds].reverse().map((id, n) => send(id, n))]);
    const [firstResults, secondResults] = await Promise.all([first, second]);
    expect(firstResults.every((result) => result.status === 'accepted')).toBe(true);
    expect(secondResults.slice(0, 90).every((result) => result.status === 'accepted')).toBe(true);
    const repeats = secondResults.slice(90);
    expect(repeats.every((result) => result.status === 'duplicate')).toBe(true);
    expect(repeats.map((result) => result.id)).toEqual([...firstResults].reverse().map((result) => result.id));
    const rows = await context.db.query<{ delivery_id: string; repeats: number }>(
      'select delivery_id, repeats from deliveries where endpoint_id = $1::uuid and signature_valid and delivery_id = any($2::text[])',
      [endpoint.id, [...firstIds, ...newIds]],
    );
    expect(rows).toHaveLength(98);
    expect(rows.filter((row) => row.repeats === 1).map((row) => row.delivery_id).sort()).toEqual([...firstIds].sort());
    // Every stored delivery is named by exactly one job.
    const named = await context.db.query<{ id: string }>(
      "select jsonb_array_elements_text(data->'delivery_ids') as id from pgboss.job where name = 'webhook_delivery' and data->'delivery_ids' ?| $1::text[]",
      [[...firstResults, ...secondResults.slice(0, 90)].map((result) => result.id)],
    );
    const stored = new Set([...firstResults, ...secondResults.slice(0, 90)].map((result) => result.id));
    expect(named.filter((row) => stored.has(row.id))).toHaveLength(98);
  });

  it('after a large group, what trickles in over the next turns joins one group, and a lone delivery still goes', async () => {
    const { context } = listening.service;
    const store = new WebhookEndpoints(context.db.orm, context.keyRing);
    const endpoint = await store.forIngest(await context.tenants.orgId('demo-org'), 'jira');
    const secret = store.secret(endpoint);
    const send = (n: number) => {
      const body = jiraBody(String(7000 + n));
      return ingestDelivery(context, store, {
        endpoint,
        provider: 'jira',
        headers: { 'x-hub-signature': `sha256=${hmacHex(secret, body)}`, 'x-atlassian-webhook-identifier': randomUUID() },
        raw: Buffer.from(body),
        json: Buffer.from(body),
        body: JSON.parse(body) as unknown,
      });
    };
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const jobOf = async (ids: string[]) =>
      context.db.query<{ id: string }>("select id::text as id from pgboss.job where name = 'webhook_delivery' and data->'delivery_ids' ?| $1::text[]", [ids]);
    // A group of 20 (under load), then, once it is written, one delivery on each of two turns: they
    // wait for each other rather than going in two groups.
    const large = await Promise.all(Array.from({ length: 20 }, (_, n) => send(n)));
    expect(new Set((await jobOf(large.map((result) => result.id))).map((job) => job.id)).size).toBe(1);
    const first = send(100);
    await turn();
    const second = send(101);
    const trickled = await Promise.all([first, second]);
    expect(trickled.map((result) => result.status)).toEqual(['accepted', 'accepted']);
    expect((await jobOf(trickled.map((result) => result.id))).length).toBe(1);
    // The next group is small: nothing waits for a delivery that comes alone.
    const alone = await send(102);
    expect(alone.status).toBe('accepted');
    expect(await jobOf([alone.id])).toHaveLength(1);
  });
});
