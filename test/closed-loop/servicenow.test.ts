/**
 * The closed loop on ServiceNow, over real HTTP and through the simulators' own signed deliveries:
 * our fix PR merged in the GitHub simulator (REST merge) → its `pull_request` closed + merged webhook
 * (X-Hub-Signature-256) → the incident is moved to Resolved (the connection's close_code mapping row
 * and notes, on an instance that requires both) with a work note
 * naming the merge commit → the finding is resolved; the instance's Business-Rule call for that
 * update (X-ServiceNow-Signature) comes back and moves nothing. An incident resolved while the
 * instance drops its outbound calls is healed by the periodic sync.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../../src/db/schema.ts';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { sealSecret } from '../../src/services/secret-columns.ts';
import { syncConnection } from '../../src/services/sync/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { deliveriesOf, endpoints, type EndpointJson, type ListeningService, startListening } from '../webhooks/helpers.ts';

describe('closed loop on ServiceNow', () => {
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  let sn: ServiceNowSimulator;
  let github: GitHubSimulator;
  let orgId: string;
  let connectionId: string;

  beforeAll(async () => {
    listening = await startListening('embedded');
    await listening.service.context.queue.work(productHandlers(listening.service.context), 2);
    hooks = await endpoints(listening);
    orgId = await listening.service.context.tenants.orgId('demo-org');
    // The instance's Business Rule posts to our ServiceNow endpoint; GitHub's hook to our GitHub one.
    sn = await startServiceNowSimulator({ outbound: { url: hooks.servicenow.url, secret: hooks.servicenow.secret!, retryDelaysMs: [100, 300] } });
    github = await startGitHubSimulator();
    github.admin.addWebhook({ url: hooks.github.endpoint_url, secret: hooks.github.secret!, events: ['pull_request'] });
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
    await github?.close();
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

  /** Our fix PR in the GitHub simulator (branch, commit, PR through its REST API) and our record of it, linked to the ticket. */
  async function fixPr(ticketId: string, findingId: string, branch: string) {
    await github.admin.commitAsSomeoneElse({ repo: 'acme/web', branch, files: { 'SECURITY-FIX.md': `Fix for ${findingId}\n` }, message: 'Disable inactive accounts' });
    const opened = await fetch(`${github.apiUrl}/repos/acme/web/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${github.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Disable inactive accounts', head: branch, base: 'main' }),
    });
    expect(opened.status).toBe(201);
    const pr = (await opened.json()) as { number: number; html_url: string };
    const [row] = await db().query<{ id: string }>(
      "insert into pull_requests (org_id, repo_url, branch, base_branch, number, url, title, state) values ($1::uuid, $2, $3, 'main', $4, $5, 'Disable inactive accounts', 'open') returning id::text as id",
      [orgId, `${github.url}/acme/web`, branch, pr.number, pr.html_url],
    );
    await db().query('insert into pull_request_tickets (pull_request_id, ticket_id) values ($1::uuid, $2::uuid)', [row!.id, ticketId]);
    await db().query('insert into pull_request_findings (pull_request_id, finding_id) values ($1::uuid, $2::uuid)', [row!.id, findingId]);
    return pr;
  }

  it('PR merged in the GitHub simulator → its signed delivery → the incident is Resolved with close notes and a work note naming the merge commit → the finding is resolved; the instance’s call back moves nothing', async () => {
    const { ticketId, findingId, sysId, number } = await ticketFor('Inactive accounts (merged fix)');
    const pr = await fixPr(ticketId, findingId, 'fix/sn-inactive-accounts');
    // The connection's close code for done, checked against the instance's choices; the instance requires both close fields.
    const mapped = await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, {
      method: 'PUT',
      headers: { ...listening.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'close_code', source: 'done', target: 'Solved Remotely (Permanently)' }),
    });
    expect(mapped.status, await mapped.clone().text()).toBe(200);
    sn.admin.setRequireCloseFields(true);
    await sn.admin.waitForDeliveries();
    const mergedAt = Date.now();
    const merged = await fetch(`${github.apiUrl}/repos/acme/web/pulls/${pr.number}/merge`, {
      method: 'PUT',
      headers: { authorization: `token ${github.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'merge' }),
    });
    expect(merged.status).toBe(200);
    const sha = ((await merged.json()) as { sha: string }).sha;
    const done = await waitFor(async () => {
      const current = await row(ticketId);
      return current.finding_state === 'done' ? current : null;
    }, 30_000);
    expect(done).toMatchObject({ state: 'done', finding_state: 'done' });
    const sent = github.admin.deliveries().filter((delivery) => delivery.action === 'closed');
    expect(sent.map((delivery) => delivery.status)).toEqual([202]);
    const record = sn.admin.record('incident', sysId) as Record<string, unknown>;
    expect(String(record.state)).toBe('6');
    expect(String(record.close_code)).toBe('Solved Remotely (Permanently)');
    expect(String(record.close_notes ?? '')).not.toBe('');
    expect(JSON.stringify(sn.admin.journal('incident', sysId))).toContain(sha);

    // The instance posted our own update back (signed, sys_updated_by = the connection's account): ignored.
    await sn.admin.waitForDeliveries();
    const echoes = await waitFor(async () => {
      const mine = (await deliveriesOf(listening, hooks.servicenow.id, '?limit=200')).deliveries.filter((delivery) => delivery.detail?.includes(number) && Date.parse(delivery.received_at) >= mergedAt);
      return mine.length > 0 && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });
    expect(echoes.every((delivery) => delivery.signature_valid && delivery.outcome === 'ignored')).toBe(true);
    expect(await row(ticketId)).toMatchObject({ state: 'done', finding_state: 'done' });
  }, 60_000);

  it('an incident resolved while the instance drops its outbound calls is healed by the periodic sync', async () => {
    const { ticketId, sysId } = await ticketFor('Inactive accounts (dropped webhook)');
    sn.admin.setDropDeliveries(true);
    try {
      sn.admin.setStateDirectly('incident', sysId, 'Resolved', { close_code: 'Solved (Permanently)', close_notes: 'Accounts disabled' });
      await sn.admin.waitForDeliveries();
      expect(sn.admin.deliveries().filter((delivery) => delivery.sysId === sysId && delivery.dropped).length).toBeGreaterThanOrEqual(1);
    } finally {
      sn.admin.setDropDeliveries(false);
    }
    expect((await row(ticketId)).finding_state).not.toBe('done');
    const result = await syncConnection(listening.service.context, orgId, connectionId);
    expect(result.applied).toBeGreaterThanOrEqual(1);
    expect(await row(ticketId)).toMatchObject({ external_status: 'Resolved', state: 'done', finding_state: 'done' });
  });
});
