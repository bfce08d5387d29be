/**
 * The closed loop on ServiceNow, over real HTTP: a signed GitHub `pull_request` closed + merged for
 * our fix PR → the incident is moved to Resolved (close code and notes) with a work note naming the
 * merge commit → the finding is resolved. An incident resolved while its outbound call is dropped
 * (the simulator sends none here) is healed by the periodic sync.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../../src/db/schema.ts';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { sealSecret } from '../../src/services/secret-columns.ts';
import { syncConnection } from '../../src/services/sync/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { endpoints, type EndpointJson, hmacHex, type ListeningService, post, startListening } from '../webhooks/helpers.ts';

describe('closed loop on ServiceNow', () => {
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  let sn: ServiceNowSimulator;
  let orgId: string;
  let connectionId: string;

  beforeAll(async () => {
    listening = await startListening('embedded');
    await listening.service.context.queue.work(productHandlers(listening.service.context), 2);
    hooks = await endpoints(listening);
    orgId = await listening.service.context.tenants.orgId('demo-org');
    sn = await startServiceNowSimulator({ outbound: null });
    // ServiceNow connections are not creatable through the connections API yet: the row it would write.
    connectionId = randomUUID();
    await listening.service.context.db.orm.insert(connections).values({
      id: connectionId,
      orgId,
      provider: 'servicenow',
      name: 'Sim SN',
      authKind: 'basic',
      siteUrl: sn.url,
      accountEmail: sn.credentials.username,
      settings: { table: 'incident' },
      secretsEncrypted: sealSecret(listening.service.context.keyRing, 'connections', connectionId, JSON.stringify({ password: sn.credentials.password })),
    });
  });
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const db = () => listening.service.context.db;

  async function ticketFor(title: string) {
    const response = await fetch(`${listening.url}/api/v1/findings`, {
      method: 'POST',
      headers: { ...listening.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ findings: [{ kind: 'violation', title, severity: 'high', framework: 'FedRAMP', control_id: 'AC-2' }] }),
    });
    const findingId = ((await response.json()) as { findings: { id: string }[] }).findings[0]!.id;
    const incident = sn.admin.insertRecordDirectly('incident', { short_description: title, impact: '2', urgency: '2', correlation_id: `isc-${findingId}` }, sn.credentials.username);
    const [ticket] = await db().query<{ id: string }>(
      "insert into tickets (org_id, finding_id, connection_id, provider, sync_state, external_id, external_key, external_status, state) values ($1::uuid, $2::uuid, $3::uuid, 'servicenow', 'created', $4, $5, 'New', 'todo') returning id::text as id",
      [orgId, findingId, connectionId, incident.sys_id, incident.number],
    );
    return { ticketId: ticket!.id, findingId, sysId: incident.sys_id!, number: incident.number! };
  }

  const row = async (ticketId: string) =>
    (await db().query<{ external_status: string; state: string; finding_state: string }>(
      'select t.external_status, t.state, f.state as finding_state from tickets t join findings f on f.id = t.finding_id where t.id = $1::uuid',
      [ticketId],
    ))[0]!;

  it('PR merged → the incident is Resolved with close notes and a work note naming the merge commit → the finding is resolved', async () => {
    const { ticketId, findingId, sysId } = await ticketFor('Inactive accounts (merged fix)');
    const [pr] = await db().query<{ id: string }>(
      "insert into pull_requests (org_id, repo_url, branch, base_branch, number, url, title, state) values ($1::uuid, 'https://github.com/acme/app', 'fix/sn-201', 'main', 201, 'https://github.com/acme/app/pull/201', 'Fix', 'open') returning id::text as id",
      [orgId],
    );
    await db().query('insert into pull_request_tickets (pull_request_id, ticket_id) values ($1::uuid, $2::uuid)', [pr!.id, ticketId]);
    await db().query('insert into pull_request_findings (pull_request_id, finding_id) values ($1::uuid, $2::uuid)', [pr!.id, findingId]);
    const sha = '0f1e2d3c'.repeat(5);
    const body = JSON.stringify({
      action: 'closed',
      number: 201,
      pull_request: { number: 201, html_url: 'https://github.com/acme/app/pull/201', state: 'closed', merged: true, merged_at: new Date().toISOString(), merge_commit_sha: sha },
      repository: { full_name: 'acme/app', html_url: 'https://github.com/acme/app' },
    });
    const sent = await post(hooks.github.endpoint_url, body, { 'x-hub-signature-256': `sha256=${hmacHex(hooks.github.secret!, body)}`, 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID() });
    expect(sent.status).toBe(202);
    const done = await waitFor(async () => {
      const current = await row(ticketId);
      return current.finding_state === 'done' ? current : null;
    });
    expect(done).toMatchObject({ state: 'done', finding_state: 'done' });
    const record = sn.admin.record('incident', sysId) as Record<string, unknown>;
    expect(String(record.state)).toBe('6');
    expect(String(record.close_notes ?? '')).not.toBe('');
    expect(JSON.stringify(sn.admin.journal('incident', sysId))).toContain(sha);
  });

  it('an incident resolved without an outbound call is healed by the periodic sync', async () => {
    const { ticketId, sysId } = await ticketFor('Inactive accounts (dropped webhook)');
    sn.admin.setStateDirectly('incident', sysId, 'Resolved', { close_code: 'Solved (Permanently)', close_notes: 'Accounts disabled' });
    expect((await row(ticketId)).finding_state).not.toBe('done');
    const result = await syncConnection(listening.service.context, orgId, connectionId);
    expect(result.applied).toBeGreaterThanOrEqual(1);
    expect(await row(ticketId)).toMatchObject({ external_status: 'Resolved', state: 'done', finding_state: 'done' });
  });
});
