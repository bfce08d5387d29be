/**
 * ServiceNow and GitHub deliveries over real HTTP: the ServiceNow simulator's outbound call (the
 * Business Rule of docs/webhooks.md) resolving an incident moves our ticket to done and resolves its
 * finding, and the integration user's own saves are not bounced back; a GitHub `pull_request`
 * closed + merged for one of our fix PRs records it merged, closed unmerged records it closed, and
 * a PR that is not ours is ignored.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { deliveriesOf, endpoints, type EndpointJson, hmacHex, type ListeningService, post, startListening } from './helpers.ts';

describe('ServiceNow and GitHub deliveries', () => {
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  let sn: ServiceNowSimulator;
  let orgId: string;

  beforeAll(async () => {
    listening = await startListening('embedded');
    await listening.service.context.queue.work(productHandlers(listening.service.context), 2);
    hooks = await endpoints(listening);
    orgId = await listening.service.context.tenants.orgId('demo-org');
    sn = await startServiceNowSimulator({ outbound: { url: hooks.servicenow.url, secret: hooks.servicenow.secret! } });
  });
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const db = () => listening.service.context.db;

  async function finding(title: string): Promise<string> {
    const response = await fetch(`${listening.url}/api/v1/findings`, {
      method: 'POST',
      headers: { ...listening.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ findings: [{ kind: 'violation', title, severity: 'high', framework: 'FedRAMP', control_id: 'AC-2' }] }),
    });
    return ((await response.json()) as { findings: { id: string }[] }).findings[0]!.id;
  }

  const settledAll = async (endpointId: string) =>
    waitFor(async () => {
      const page = await deliveriesOf(listening, endpointId, '?limit=200');
      return page.deliveries.every((delivery) => !['received', 'queued', 'processing'].includes(delivery.outcome)) ? page.deliveries : null;
    });

  it('an incident resolved in ServiceNow resolves the finding; the integration user’s own save is not bounced back', async () => {
    const findingId = await finding('Inactive accounts not disabled (ServiceNow)');
    // The ticket a ServiceNow connection filed (its account is the simulator's integration user).
    const [connection] = await db().query<{ id: string }>(
      "insert into connections (org_id, provider, name, auth_kind, site_url, account_email, secrets_encrypted) values ($1::uuid, 'servicenow', 'Sim SN', 'basic', $2, $3, 'sealed-elsewhere') returning id::text as id",
      [orgId, sn.url, sn.credentials.username],
    );
    const incident = sn.admin.insertRecordDirectly('incident', { short_description: 'AC-2 gap', impact: '2', urgency: '2', correlation_id: findingId }, sn.credentials.username);
    const [ticket] = await db().query<{ id: string }>(
      "insert into tickets (org_id, finding_id, connection_id, provider, sync_state, external_id, external_key, external_status, state) values ($1::uuid, $2::uuid, $3::uuid, 'servicenow', 'created', $4, $5, 'New', 'todo') returning id::text as id",
      [orgId, findingId, connection!.id, incident.sys_id, incident.number],
    );
    await sn.admin.waitForDeliveries();
    const afterInsert = await settledAll(hooks.servicenow.id);
    const insertDelivery = afterInsert.find((delivery) => delivery.detail?.includes(incident.number!))!;
    expect(insertDelivery.outcome).toBe('ignored');
    expect(insertDelivery.detail).toMatch(/own account/);
    expect(insertDelivery.delivery_id_source).toBe('body');

    // A person (the simulator's default actor) resolves it.
    sn.admin.setStateDirectly('incident', incident.sys_id!, 'Resolved', { close_code: 'Solved (Permanently)', close_notes: 'Accounts disabled' });
    await sn.admin.waitForDeliveries();
    await settledAll(hooks.servicenow.id);
    const [row] = await db().query<{ external_status: string; state: string; finding_state: string; resolved_at: string | null }>(
      'select t.external_status, t.state, f.state as finding_state, f.resolved_at::text as resolved_at from tickets t join findings f on f.id = t.finding_id where t.id = $1::uuid',
      [ticket!.id],
    );
    expect(row).toMatchObject({ external_status: 'Resolved', state: 'done', finding_state: 'done' });
    expect(row!.resolved_at).not.toBeNull();
    // Every simulator delivery was answered 2xx once (no retry needed).
    expect(sn.admin.deliveries().every((delivery) => delivery.status !== null && delivery.status < 300)).toBe(true);
  });

  it('GitHub pull_request closed + merged records our fix PR merged; unmerged records it closed; other PRs are ignored', async () => {
    const pr = async (number: number) =>
      (
        await db().query<{ id: string }>(
          "insert into pull_requests (org_id, repo_url, branch, base_branch, number, url, title, state) values ($1::uuid, 'https://github.com/acme/app', $2, 'main', $3, $4, 'Fix', 'open') returning id::text as id",
          [orgId, `fix/lodash-${number}`, number, `https://github.com/acme/app/pull/${number}`],
        )
      )[0]!.id;
    const merged = await pr(41);
    const closed = await pr(42);
    const send = async (number: number, isMerged: boolean, repo = 'acme/app') => {
      const body = JSON.stringify({
        action: 'closed',
        number,
        pull_request: {
          number,
          html_url: `https://github.com/${repo}/pull/${number}`,
          state: 'closed',
          merged: isMerged,
          merged_at: isMerged ? '2026-03-01T10:00:00Z' : null,
          // Set on unmerged PRs too: never the merge signal.
          merge_commit_sha: 'e'.repeat(40),
          head: { sha: 'f'.repeat(40), ref: `fix/lodash-${number}` },
        },
        repository: { full_name: repo, html_url: `https://github.com/${repo}` },
      });
      const result = await post(hooks.github.endpoint_url, body, {
        'x-hub-signature-256': `sha256=${hmacHex(hooks.github.secret!, body)}`,
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
      });
      expect(result.status).toBe(202);
    };
    await send(41, true);
    await send(42, false);
    await send(7, true, 'someone/else');
    const all = await settledAll(hooks.github.id);
    const states = await db().query<{ id: string; state: string; merged_at: string | null }>(
      'select id::text as id, state, merged_at::text as merged_at from pull_requests where id = any($1::uuid[])',
      [[merged, closed]],
    );
    const byId = Object.fromEntries(states.map((state) => [state.id, state]));
    expect(byId[merged]).toMatchObject({ state: 'merged' });
    expect(byId[merged]!.merged_at).not.toBeNull();
    expect(byId[closed]).toMatchObject({ state: 'closed', merged_at: null });
    expect(all.find((delivery) => delivery.detail?.includes('someone/else'))?.outcome).toBe('ignored');
  });

  it('GitHub deliveries sent as a form (payload=<url-encoded JSON>) are verified over the form bytes and applied alike', async () => {
    const [{ id: prId } = { id: '' }] = await db().query<{ id: string }>(
      "insert into pull_requests (org_id, repo_url, branch, base_branch, number, url, title, state) values ($1::uuid, 'https://github.com/acme/app', 'fix/lodash-43', 'main', 43, 'https://github.com/acme/app/pull/43', 'Fix', 'open') returning id::text as id",
      [orgId],
    );
    const json = JSON.stringify({
      action: 'closed',
      number: 43,
      pull_request: { number: 43, html_url: 'https://github.com/acme/app/pull/43', state: 'closed', merged: true, merged_at: '2026-03-01T10:00:00Z', head: { sha: 'f'.repeat(40), ref: 'fix/lodash-43' } },
      repository: { full_name: 'acme/app', html_url: 'https://github.com/acme/app' },
    });
    const sendForm = async (form: string, signedOver: string = form) => {
      const response = await fetch(hooks.github.endpoint_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-hub-signature-256': `sha256=${hmacHex(hooks.github.secret!, signedOver)}`,
          'x-github-event': 'pull_request',
          'x-github-delivery': randomUUID(),
        },
        body: form,
      });
      return { status: response.status, json: (await response.json()) as { id?: string; error?: { code: string } } };
    };
    const form = new URLSearchParams({ payload: json }).toString();
    // Signed over the JSON, not over the bytes sent: refused.
    expect((await sendForm(form, json)).status).toBe(401);
    // No payload field: refused, nothing stored.
    const missing = await sendForm(new URLSearchParams({ other: json }).toString());
    expect(missing.status).toBe(400);
    expect(missing.json.error?.code).toBe('VALIDATION_FAILED');
    // Not JSON in the field.
    expect((await sendForm(new URLSearchParams({ payload: '{"action":' }).toString())).status).toBe(400);

    const accepted = await sendForm(form);
    expect(accepted.status).toBe(202);
    await settledAll(hooks.github.id);
    const [state] = await db().query<{ state: string }>('select state from pull_requests where id = $1::uuid', [prId]);
    expect(state?.state).toBe('merged');
    // The job's payload is the form's JSON.
    const [stored] = await db().query<{ payload: Uint8Array }>('select payload from deliveries where id = $1::uuid', [accepted.json.id]);
    expect(Buffer.from(stored!.payload).toString('utf8')).toBe(json);
    expect((await db().query<{ n: number }>("select count(*)::int as n from deliveries where endpoint_id = $1::uuid and signature_valid and event is null", [hooks.github.id]))[0]?.n).toBe(0);
  });
});
