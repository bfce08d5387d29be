/**
 * Reports of a ticket that arrive out of order (providers do not promise order; concurrent jobs do
 * not keep it; a sync may read a ticket just before a change and apply it just after): the newest
 * by the provider's version wins, whatever the order they are applied in. ServiceNow deliveries of
 * the same second are ordered by sys_mod_count; concurrent applications of many reports leave the
 * newest, with the finding following it; a sync result older than an applied delivery is not
 * applied. On both databases. (Jira's shapes: test/webhooks/jira-loop.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTicketChange, changeFromRemote } from '../../src/services/webhooks/process.ts';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { waitFor } from '../helpers/wait.ts';
import { deliveriesOf, type DeliveryJson, endpoints, type EndpointJson, hmacHex, type ListeningService, post, startListening } from './helpers.ts';

describe.each(databaseKinds())('reports applied in any order leave the newest, on %s', (kind: DatabaseKind) => {
  let listening: ListeningService;
  let servicenow: EndpointJson;
  let orgId: string;
  let connectionId: string;

  beforeAll(async () => {
    listening = await startListening(kind);
    await listening.service.context.queue.work(productHandlers(listening.service.context), 4);
    servicenow = (await endpoints(listening)).servicenow;
    orgId = await listening.service.context.tenants.orgId('demo-org');
    const [connection] = await db().query<{ id: string }>(
      "insert into connections (org_id, provider, name, auth_kind, site_url, account_email, secrets_encrypted) values ($1::uuid, 'servicenow', 'Ordering SN', 'basic', 'https://dev00000.service-now.com', 'integration.user', 'sealed-elsewhere') returning id::text as id",
      [orgId],
    );
    connectionId = connection!.id;
  });
  afterAll(async () => {
    await listening?.close();
  });

  const db = () => listening.service.context.db;
  let counter = 0;

  /** A finding with a ServiceNow ticket of ours (state New). */
  async function ticketOf(): Promise<{ ticketId: string; sysId: string; number: string }> {
    counter += 1;
    const response = await fetch(`${listening.url}/api/v1/findings`, {
      method: 'POST',
      headers: { ...listening.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ findings: [{ kind: 'violation', title: `Ordering ${kind} ${counter}`, severity: 'high', framework: 'FedRAMP', control_id: 'AC-2' }] }),
    });
    const findingId = ((await response.json()) as { findings: { id: string }[] }).findings[0]!.id;
    const sysId = `${counter.toString(16).padStart(4, '0')}${'a'.repeat(28)}`;
    const number = `INC${String(9_000_000 + counter)}`;
    const [ticket] = await db().query<{ id: string }>(
      "insert into tickets (org_id, finding_id, connection_id, provider, sync_state, external_id, external_key, external_status, state) values ($1::uuid, $2::uuid, $3::uuid, 'servicenow', 'created', $4, $5, 'New', 'todo') returning id::text as id",
      [orgId, findingId, connectionId, sysId, number],
    );
    return { ticketId: ticket!.id, sysId, number };
  }

  const row = async (ticketId: string) =>
    (await db().query<{ external_status: string; state: string; finding_state: string; sequence: string | null; at: string | null }>(
      `select t.external_status, t.state, f.state as finding_state, t.remote_sequence::text as sequence, t.remote_changed_at::text as at
         from tickets t join findings f on f.id = t.finding_id where t.id = $1::uuid`,
      [ticketId],
    ))[0]!;

  const settled = async (number: string, count: number): Promise<DeliveryJson[]> =>
    waitFor(async () => {
      const mine = (await deliveriesOf(listening, servicenow.id, '?limit=200')).deliveries.filter((delivery) => delivery.detail?.includes(number));
      return mine.length >= count && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });

  it('ServiceNow: saves of the same second are ordered by sys_mod_count, earlier seconds are older', async () => {
    const { ticketId, sysId, number } = await ticketOf();
    let count = 0;
    // What the Business Rule of docs/webhooks.md posts, by a person (not the connection's account).
    const send = async (state: string, label: string, updatedOn: string, modCount: number) => {
      const body = JSON.stringify({ sys_id: sysId, number, table: 'incident', state, state_label: label, sys_updated_on: updatedOn, sys_mod_count: String(modCount), sys_updated_by: 'beth.anglin' });
      const answer = await post(`${listening.url}/api/integrations/servicenow/webhook`, body, { 'x-servicenow-signature': hmacHex(servicenow.secret!, body) });
      expect(answer.status).toBe(202);
      count += 1;
      const deliveries = await settled(number, count);
      return deliveries.find((delivery) => delivery.id === answer.json.id)!;
    };

    expect((await send('6', 'Resolved', '2026-03-01 10:00:05', 5)).outcome).toBe('processed');
    expect(await row(ticketId)).toMatchObject({ external_status: 'Resolved', state: 'done', finding_state: 'done', sequence: '5' });
    const sameSecond = await send('2', 'In Progress', '2026-03-01 10:00:05', 4);
    expect(sameSecond).toMatchObject({ outcome: 'ignored', detail: expect.stringMatching(/older than the change already applied \(2026-03-01T10:00:05\.000Z #5\)/) });
    const earlier = await send('2', 'In Progress', '2026-03-01 10:00:01', 9);
    expect(earlier).toMatchObject({ outcome: 'ignored', detail: expect.stringMatching(/older than the change already applied/) });
    expect(await row(ticketId)).toMatchObject({ external_status: 'Resolved', state: 'done', finding_state: 'done' });
    // Reopened in the same second, a later save: applied.
    expect((await send('2', 'In Progress', '2026-03-01 10:00:05', 6)).outcome).toBe('processed');
    expect(await row(ticketId)).toMatchObject({ external_status: 'In Progress', state: 'in_progress', finding_state: 'in_progress', sequence: '6' });
  });

  it('many reports applied at once, in any order, leave the newest (the ticket row is locked while one is applied)', async () => {
    const { ticketId, number } = await ticketOf();
    const [ticket] = await db().orm.query.tickets.findMany({ where: (table, { eq }) => eq(table.id, ticketId) });
    const reports = Array.from({ length: 12 }, (_, index) => {
      const resolved = index % 2 === 0;
      return {
        actor: 'beth.anglin',
        status: resolved ? 'Resolved' : 'In Progress',
        priority: null,
        label: `ServiceNow record ${number}`,
        stateFor: () => (resolved ? ('done' as const) : ('in_progress' as const)),
        version: { at: new Date(Date.UTC(2026, 2, 1, 11, 0, index)), sequence: index },
      };
    });
    // The newest is "In Progress" (index 11); shuffled so that it is not applied last.
    const order = [11, 3, 0, 7, 10, 5, 1, 8, 2, 9, 6, 4];
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(order.map((index) => applyTicketChange(listening.service.context, orgId, [ticket!], reports[index]!)));
      expect(await row(ticketId)).toMatchObject({ external_status: 'In Progress', state: 'in_progress', finding_state: 'in_progress', sequence: '11' });
    }
  });

  it('a sync result older than the delivery already applied is not applied; a newer one is', async () => {
    const { ticketId, sysId, number } = await ticketOf();
    const body = JSON.stringify({ sys_id: sysId, number, state: '6', state_label: 'Resolved', sys_updated_on: '2026-03-02 09:30:00', sys_mod_count: '3', sys_updated_by: 'beth.anglin' });
    expect((await post(`${listening.url}/api/integrations/servicenow/webhook`, body, { 'x-servicenow-signature': hmacHex(servicenow.secret!, body) })).status).toBe(202);
    await settled(number, 1);
    expect(await row(ticketId)).toMatchObject({ state: 'done', finding_state: 'done' });

    const remote = (status: string, updated: string) => ({ ref: { id: sysId, key: number, url: '' }, status: { name: status, category: status === 'Resolved' ? '6' : '2' }, priority: null, updated });
    const tickets = await db().orm.query.tickets.findMany({ where: (table, { eq }) => eq(table.id, ticketId) });
    const stale = await applyTicketChange(listening.service.context, orgId, tickets, changeFromRemote('servicenow', remote('In Progress', '2026-03-02 09:29:59')), undefined, { onlyChanges: true });
    expect(stale).toMatchObject({ outcome: 'ignored', detail: expect.stringMatching(/older than the change already applied/) });
    expect(await row(ticketId)).toMatchObject({ external_status: 'Resolved', state: 'done', finding_state: 'done' });

    const fresh = await applyTicketChange(listening.service.context, orgId, tickets, changeFromRemote('servicenow', remote('In Progress', '2026-03-02 09:31:00')), undefined, { onlyChanges: true });
    expect(fresh.outcome).toBe('processed');
    expect(await row(ticketId)).toMatchObject({ external_status: 'In Progress', state: 'in_progress', finding_state: 'in_progress', sequence: null });
    expect(new Date((await row(ticketId)).at!).toISOString()).toBe('2026-03-02T09:31:00.000Z');
  });
});
