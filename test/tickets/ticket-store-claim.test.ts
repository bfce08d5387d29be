/**
 * The compare-and-set claim on `create_requested_at` (TicketStore.claim) when the intent is already
 * set: an earlier attempt claimed the row and died, or its outcome was unknown, and nothing was found
 * at the provider, so this attempt must take the row over and create. PostgreSQL keeps timestamps to
 * the microsecond while the row read back holds a JavaScript Date (milliseconds), so comparing the
 * column with that Date never matched on PostgreSQL (its clock has microseconds; PGlite's clock has
 * milliseconds, which hid it there): the row stayed "in progress" forever and its create job used up
 * its attempts. Run on both databases, with an intent stamped by the database's own clock and with
 * an explicit microsecond value (the edge .999999, which a Date holds as .999).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionService } from '../../src/services/connections.ts';
import { upsertFindings } from '../../src/services/findings.ts';
import { TicketStore } from '../../src/services/tickets/ticket-store.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { startServiceNowSimulator } from '../simulators/servicenow/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(kind: Parameters<typeof startTestService>[0]): Promise<{ service: TestService; store: TicketStore; orgId: string; connectionId: string; findingIds: string[] }> {
  const sn = await startServiceNowSimulator({ outbound: null });
  cleanups.push(() => sn.close());
  const service = await startTestService(kind);
  cleanups.push(() => service.close());
  const { context } = service;
  const orgId = await context.tenants.orgId('demo-org');
  const connection = await new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard).create(orgId, {
    provider: 'servicenow',
    auth_kind: 'basic',
    name: 'Sim SN',
    instance_url: sn.url,
    username: sn.credentials.username,
    password: sn.credentials.password,
  });
  const findings = await upsertFindings(
    context.db.orm,
    orgId,
    ['lodash', 'minimist'].map((name) => ({ kind: 'vulnerability' as const, title: `${name} advisory`, severity: 'high' as const, ecosystem: 'npm', packageName: name, installedVersion: '1.0.0', fixedVersion: '1.0.9' })),
  );
  return { service, store: new TicketStore(context.db.orm), orgId, connectionId: connection.id, findingIds: findings.map((finding) => finding.id) };
}

describe.each(databaseKinds())('ticket claim over an earlier intent on %s', (kind) => {
  it('takes over a row whose intent the database stamped, once', async () => {
    const { store, orgId, connectionId, findingIds } = await setUp(kind);
    const [fresh] = await store.ensureRows(orgId, connectionId, 'servicenow', [findingIds[0]!], null);
    // The earlier attempt's claim: the database's now() stamps the intent.
    expect([...(await store.claim([fresh!]))]).toEqual([fresh!.id]);
    const [stamped] = await store.ensureRows(orgId, connectionId, 'servicenow', [findingIds[0]!], null);
    expect(stamped!.createRequestedAt).not.toBeNull();

    expect([...(await store.claim([stamped!]))]).toEqual([stamped!.id]);
    // Whoever still holds the value read before that claim gets nothing: one claimer only.
    expect(await store.claim([stamped!])).toEqual(new Set());
    const [after] = await store.ensureRows(orgId, connectionId, 'servicenow', [findingIds[0]!], null);
    expect(after!.createRequestedAt!.getTime()).toBeGreaterThan(stamped!.createRequestedAt!.getTime());
  });

  it('takes over a row whose intent has microseconds a Date cannot hold', async () => {
    const { service, store, orgId, connectionId, findingIds } = await setUp(kind);
    const [row] = await store.ensureRows(orgId, connectionId, 'servicenow', [findingIds[1]!], null);
    await service.context.db.query(`update tickets set create_requested_at = '2026-12-07 15:55:43.999999+00' where id = $1`, [row!.id]);
    const [stamped] = await store.ensureRows(orgId, connectionId, 'servicenow', [findingIds[1]!], null);
    expect(stamped!.createRequestedAt!.toISOString()).toBe('2026-12-07T15:55:43.999Z');

    expect([...(await store.claim([stamped!]))]).toEqual([stamped!.id]);
    expect(await store.claim([stamped!])).toEqual(new Set());
  });
});
