/**
 * Webhook ingest over real HTTP: every signature form accepted, every bad one refused with 401 and
 * only a rejected-delivery record, replays acknowledged and processed once, 413 above
 * WEBHOOK_MAX_BYTES, rotation with an overlap window, deliveries listing and last_delivery_at.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { sealSecret } from '../../src/services/secret-columns.ts';
import { waitFor } from '../helpers/wait.ts';
import { deliveriesOf, type EndpointJson, endpoints, getJson, hmacHex, type ListeningService, post, startListening } from './helpers.ts';

const jiraBody = (id: string) => JSON.stringify({ timestamp: Date.now(), webhookEvent: 'jira:issue_updated', issue: { id, key: `SEC-${id}`, fields: { status: { name: 'Done' } } } });

describe('webhook ingest', () => {
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  const jiraUrl = () => `${listening.url}/api/integrations/jira/webhook`;
  const secretOf = (provider: 'jira' | 'servicenow' | 'github') => hooks[provider].secret!;

  beforeAll(async () => {
    listening = await startListening('embedded', { WEBHOOK_MAX_BYTES: '4096' });
    await listening.service.context.queue.work(productHandlers(listening.service.context), 2);
    hooks = await endpoints(listening);
  });
  afterAll(async () => {
    await listening?.close();
  });

  const jobsOfKind = async () => {
    const orgId = await listening.service.context.tenants.orgId('demo-org');
    const rows = await listening.service.context.db.query<{ n: number }>("select count(*)::int as n from job_records where org_id = $1::uuid and kind = 'webhook_delivery'", [orgId]);
    return rows[0]!.n;
  };

  it('creates the endpoints with secrets on first need; the secret is shown to admins only', async () => {
    expect(Object.keys(hooks).sort()).toEqual(['github', 'jira', 'servicenow']);
    expect(hooks.jira.url).toBe(`${listening.url}/api/integrations/jira/webhook`);
    expect(hooks.servicenow.url).toBe(`${listening.url}/api/integrations/servicenow/webhook`);
    expect(hooks.github.url).toBe(`${listening.url}/api/integrations/github/webhook/${hooks.github.id}`);
    expect(secretOf('jira')).toMatch(/^[0-9a-f]{64}$/);
    const asMember = await getJson<{ webhooks: EndpointJson[] }>(`${listening.url}/api/v1/webhooks`, listening.member);
    expect(asMember.status).toBe(200);
    expect(asMember.body.webhooks.map((hook) => hook.secret)).toEqual([undefined, undefined, undefined]);
    // The secret is sealed at rest: the stored column is an envelope, never the secret.
    const stored = await listening.service.context.db.query<{ secret_encrypted: string }>('select secret_encrypted from webhook_endpoints where id = $1::uuid', [hooks.jira.id]);
    expect(stored[0]!.secret_encrypted).not.toContain(secretOf('jira'));
    expect((await getJson(`${listening.url}/api/v1/webhooks`, {})).status).toBe(401);
  });

  it('accepts every signature form', async () => {
    const jira1 = jiraBody('1001');
    expect((await post(jiraUrl(), jira1, { 'x-hub-signature': `sha256=${hmacHex(secretOf('jira'), jira1)}` })).status).toBe(202);
    const jira2 = jiraBody('1002');
    expect((await post(jiraUrl(), jira2, { 'x-jira-signature': hmacHex(secretOf('jira'), jira2) })).status).toBe(202);
    const jira3 = jiraBody('1003');
    expect((await post(hooks.jira.endpoint_url, jira3, { 'x-hub-signature': `sha256=${hmacHex(secretOf('jira'), jira3)}`, 'x-atlassian-webhook-identifier': randomUUID() })).status).toBe(202);
    const sn = JSON.stringify({ event: 'update', table: 'incident', sys_id: 'a'.repeat(32), state: '2', sys_updated_on: '2026-03-01 10:00:05', sys_mod_count: '1' });
    expect((await post(`${listening.url}/api/integrations/servicenow/webhook`, sn, { 'x-servicenow-signature': hmacHex(secretOf('servicenow'), sn) })).status).toBe(202);
    const gh = JSON.stringify({ action: 'opened', number: 1, pull_request: { number: 1, html_url: 'https://github.com/acme/app/pull/1' } });
    const ghResult = await post(hooks.github.endpoint_url, gh, {
      'x-hub-signature-256': `sha256=${hmacHex(secretOf('github'), gh)}`,
      'x-github-event': 'pull_request',
      'x-github-delivery': randomUUID(),
    });
    expect(ghResult.status).toBe(202);
    expect(ghResult.json.status).toBe('accepted');
    // A charset parameter (as Jira sends) changes nothing.
    const jira4 = jiraBody('1004');
    const response = await fetch(jiraUrl(), { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'x-hub-signature': `sha256=${hmacHex(secretOf('jira'), jira4)}` }, body: jira4 });
    expect(response.status).toBe(202);
  });

  it('refuses every bad signature with 401 and records only a rejected delivery', async () => {
    const body = jiraBody('2001');
    const good = hmacHex(secretOf('jira'), body);
    const before = await jobsOfKind();
    const beforeList = await deliveriesOf(listening, hooks.jira.id, '?limit=200');
    const cases: [string, Record<string, string>][] = [
      ['missing', {}],
      ['wrong digest', { 'x-hub-signature': `sha256=${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}` }],
      ['wrong length', { 'x-hub-signature': `sha256=${good.slice(0, 40)}` }],
      ['wrong prefix', { 'x-hub-signature': `sha1=${good}` }],
      ['no prefix on X-Hub-Signature', { 'x-hub-signature': good }],
      ['other secret', { 'x-jira-signature': hmacHex('not-the-secret', body) }],
      ['not hex', { 'x-jira-signature': 'z'.repeat(64) }],
      ['empty', { 'x-jira-signature': '' }],
    ];
    for (const [label, headers] of cases) {
      const result = await post(jiraUrl(), body, headers);
      expect(result.status, label).toBe(401);
      expect((result.json.error as { code: string }).code, label).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    // GitHub and ServiceNow refuse the same way.
    const gh = JSON.stringify({ action: 'closed' });
    expect((await post(hooks.github.endpoint_url, gh, { 'x-hub-signature-256': `sha256=${hmacHex(secretOf('jira'), gh)}`, 'x-github-delivery': randomUUID() })).status).toBe(401);
    expect((await post(hooks.github.endpoint_url, gh, { 'x-hub-signature': `sha1=${hmacHex(secretOf('github'), gh, 'sha1')}` })).status).toBe(401);
    const sn = JSON.stringify({ sys_id: 'b'.repeat(32), sys_updated_on: '2026-03-01 10:00:00' });
    expect((await post(`${listening.url}/api/integrations/servicenow/webhook`, sn, { 'x-servicenow-signature': hmacHex(secretOf('jira'), sn) })).status).toBe(401);

    expect(await jobsOfKind()).toBe(before);
    const after = await deliveriesOf(listening, hooks.jira.id, '?limit=200');
    const added = after.deliveries.slice(0, after.deliveries.length - beforeList.deliveries.length);
    expect(added).toHaveLength(cases.length);
    for (const delivery of added) {
      expect(delivery.signature_valid).toBe(false);
      expect(delivery.outcome).toBe('rejected');
      expect(delivery.error).toBeTruthy();
    }
    const stored = await listening.service.context.db.query<{ n: number }>('select count(*)::int as n from deliveries where not signature_valid and payload is not null');
    expect(stored[0]!.n).toBe(0);
    // A forged delivery does not claim the id: the real one with the same body is still accepted.
    expect((await post(jiraUrl(), body, { 'x-hub-signature': `sha256=${good}` })).status).toBe(202);
  });

  it('acknowledges a repeated delivery id and a repeated body without processing either again', async () => {
    const before = await jobsOfKind();
    const id = randomUUID();
    const body = jiraBody('3001');
    const headers = { 'x-hub-signature': `sha256=${hmacHex(secretOf('jira'), body)}`, 'x-atlassian-webhook-identifier': id };
    const first = await post(jiraUrl(), body, headers);
    const again = await post(jiraUrl(), body, { ...headers, 'x-atlassian-webhook-retry': '1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'duplicate', id: first.json.id, delivery_id: id });

    const bare = jiraBody('3002');
    const bareHeaders = { 'x-jira-signature': hmacHex(secretOf('jira'), bare) };
    expect((await post(jiraUrl(), bare, bareHeaders)).status).toBe(202);
    const bareAgain = await post(jiraUrl(), bare, bareHeaders);
    expect(bareAgain.status).toBe(200);
    expect(String(bareAgain.json.delivery_id)).toMatch(/^sha256:[0-9a-f]{64}$/);

    const gh = JSON.stringify({ action: 'synchronize', number: 2 });
    const ghHeaders = { 'x-hub-signature-256': `sha256=${hmacHex(secretOf('github'), gh)}`, 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID() };
    expect((await post(hooks.github.endpoint_url, gh, ghHeaders)).status).toBe(202);
    expect((await post(hooks.github.endpoint_url, gh, ghHeaders)).status).toBe(200);

    const sn = JSON.stringify({ sys_id: 'c'.repeat(32), state: '6', sys_updated_on: '2026-03-01 11:00:00', sys_mod_count: '4' });
    const snHeaders = { 'x-servicenow-signature': hmacHex(secretOf('servicenow'), sn) };
    expect((await post(`${listening.url}/api/integrations/servicenow/webhook`, sn, snHeaders)).status).toBe(202);
    const snAgain = await post(`${listening.url}/api/integrations/servicenow/webhook`, sn, snHeaders);
    expect(snAgain.status).toBe(200);
    expect(snAgain.json.delivery_id).toBe(`${'c'.repeat(32)}@2026-03-01 11:00:00#4`);

    // Four distinct deliveries: four jobs, each processed once.
    expect(await jobsOfKind()).toBe(before + 4);
    const listed = await deliveriesOf(listening, hooks.jira.id, '?limit=200');
    const replayed = listed.deliveries.find((delivery) => delivery.delivery_id === id)!;
    expect(replayed.repeats).toBe(1);
    expect(listed.deliveries.filter((delivery) => delivery.delivery_id === id)).toHaveLength(1);
    const settled = await waitFor(async () => {
      const page = await deliveriesOf(listening, hooks.jira.id, '?limit=200');
      const row = page.deliveries.find((delivery) => delivery.delivery_id === id);
      return row && row.outcome !== 'queued' && row.outcome !== 'received' && row.outcome !== 'processing' ? row : null;
    });
    // No ticket of ours for SEC-3001: acknowledged, looked at once, nothing moved.
    expect(settled.outcome).toBe('ignored');
    expect(settled.detail).toMatch(/no ticket of ours/);
  });

  it('answers 413 above WEBHOOK_MAX_BYTES and stores nothing', async () => {
    const before = await listening.service.context.db.query<{ n: number }>('select count(*)::int as n from deliveries');
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '1', fields: { summary: 'x'.repeat(5000) } } });
    const result = await post(jiraUrl(), body, { 'x-hub-signature': `sha256=${hmacHex(secretOf('jira'), body)}` });
    expect(result.status).toBe(413);
    expect((result.json.error as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    const after = await listening.service.context.db.query<{ n: number }>('select count(*)::int as n from deliveries');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('answers 404 for an unknown endpoint id or the wrong provider on a known one', async () => {
    const body = '{}';
    expect((await post(`${listening.url}/api/integrations/jira/webhook/${randomUUID()}`, body, {})).status).toBe(404);
    expect((await post(`${listening.url}/api/integrations/github/webhook/${hooks.jira.id}`, body, {})).status).toBe(404);
  });

  it('rotates a secret keeping the previous one valid for the overlap window', async () => {
    const old = secretOf('servicenow');
    const url = `${listening.url}/api/integrations/servicenow/webhook`;
    const asMember = await fetch(`${listening.url}/api/v1/webhooks/${hooks.servicenow.id}/rotate-secret`, { method: 'POST', headers: listening.member });
    expect(asMember.status).toBe(403);
    const rotated = await fetch(`${listening.url}/api/v1/webhooks/${hooks.servicenow.id}/rotate-secret`, { method: 'POST', headers: listening.admin });
    expect(rotated.status).toBe(200);
    const view = (await rotated.json()) as EndpointJson;
    expect(view.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(view.secret).not.toBe(old);
    const expires = Date.parse(view.previous_secret_expires_at!);
    expect(expires - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const record = (n: number) => JSON.stringify({ sys_id: 'd'.repeat(32), state: '2', sys_updated_on: `2026-03-02 10:00:0${n}` });
    expect((await post(url, record(1), { 'x-servicenow-signature': hmacHex(old, record(1)) })).status).toBe(202);
    expect((await post(url, record(2), { 'x-servicenow-signature': hmacHex(view.secret!, record(2)) })).status).toBe(202);

    // Once the overlap has passed, the old secret is refused: a rotation with a 1 s overlap, then past it.
    const short = await fetch(`${listening.url}/api/v1/webhooks/${hooks.servicenow.id}/rotate-secret?overlap_seconds=1`, { method: 'POST', headers: listening.admin });
    const shortView = (await short.json()) as EndpointJson;
    expect((await post(url, record(3), { 'x-servicenow-signature': hmacHex(view.secret!, record(3)) })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(shortView.previous_secret_expires_at!) - Date.now()) + 50));
    expect((await post(url, record(4), { 'x-servicenow-signature': hmacHex(view.secret!, record(4)) })).status).toBe(401);
    expect((await post(url, record(7), { 'x-servicenow-signature': hmacHex(shortView.secret!, record(7)) })).status).toBe(202);
    view.secret = shortView.secret;

    // overlap_seconds=0: the previous secret stops at once.
    const immediate = await fetch(`${listening.url}/api/v1/webhooks/${hooks.servicenow.id}/rotate-secret?overlap_seconds=0`, { method: 'POST', headers: listening.admin });
    const next = (await immediate.json()) as EndpointJson;
    expect(next.previous_secret_expires_at).toBeNull();
    expect((await post(url, record(5), { 'x-servicenow-signature': hmacHex(view.secret!, record(5)) })).status).toBe(401);
    expect((await post(url, record(6), { 'x-servicenow-signature': hmacHex(next.secret!, record(6)) })).status).toBe(202);
  });

  it('verifies at once with a secret another process rotated (a cached endpoint is read again before a refusal)', async () => {
    const url = `${listening.url}/api/integrations/jira/webhook`;
    const body = (n: number) => JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: String(7100 + n), key: `ELSE-${n}`, fields: { status: { name: 'To Do' } } } });
    // This process reads (and caches) the endpoint.
    expect((await post(url, body(1), { 'x-hub-signature': `sha256=${hmacHex(secretOf('jira'), body(1))}` })).status).toBe(202);
    // Another process rotates it: the row changes under this process's cache.
    const fresh = 'f'.repeat(64);
    const { context } = listening.service;
    await context.db.query('update webhook_endpoints set secret_encrypted = $2 where id = $1::uuid', [hooks.jira.id, sealSecret(context.keyRing, 'webhook_endpoints', hooks.jira.id, fresh)]);
    expect((await post(url, body(2), { 'x-hub-signature': `sha256=${hmacHex(fresh, body(2))}` })).status).toBe(202);
    // A wrong signature is still refused, and recorded as such.
    expect((await post(url, body(3), { 'x-hub-signature': `sha256=${hmacHex('not-the-secret', body(3))}` })).status).toBe(401);
    hooks.jira.secret = fresh;
  });

  it("verifies ServiceNow with the endpoint's configured header, algorithm and encoding", async () => {
    const configure = (id: string, body: unknown, headers = listening.admin) =>
      fetch(`${listening.url}/api/v1/webhooks/${id}`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await configure(hooks.jira.id, { encoding: 'base64' })).status).toBe(409);
    expect((await configure(hooks.servicenow.id, { encoding: 'base64' }, listening.member)).status).toBe(403);
    const updated = await configure(hooks.servicenow.id, { signature_header: 'X-Signature', algorithm: 'hmac-sha512', encoding: 'base64' });
    expect(updated.status).toBe(200);
    const view = (await updated.json()) as EndpointJson & { signature_header: string };
    expect(view.signature_header).toBe('X-Signature');
    const url = `${listening.url}/api/integrations/servicenow/webhook`;
    const body = JSON.stringify({ sys_id: 'e'.repeat(32), state: '7', sys_updated_on: '2026-03-03 09:00:00' });
    const digest = createHmac('sha512', view.secret!).update(body).digest('base64');
    expect((await post(url, body, { 'x-signature': digest })).status).toBe(202);
    // The default header or a hex SHA-256 no longer verifies.
    expect((await post(url, body, { 'x-servicenow-signature': hmacHex(view.secret!, body) })).status).toBe(401);
    expect((await post(url, body.replace('7', '6'), { 'x-signature': createHmac('sha256', view.secret!).update(body.replace('7', '6')).digest('base64') })).status).toBe(401);
    await configure(hooks.servicenow.id, { signature_header: 'X-ServiceNow-Signature', algorithm: 'hmac-sha256', encoding: 'hex' });
  });

  it('lists deliveries newest first with cursor paging, and last_delivery_at follows accepted deliveries only', async () => {
    const github = (await endpoints(listening)).github;
    const lastBefore = github.last_delivery_at;
    expect(lastBefore).not.toBeNull();
    const bad = JSON.stringify({ action: 'edited' });
    expect((await post(github.endpoint_url, bad, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await endpoints(listening)).github.last_delivery_at).toBe(lastBefore);
    const good = JSON.stringify({ action: 'labeled', number: 9 });
    await post(github.endpoint_url, good, { 'x-hub-signature-256': `sha256=${hmacHex(secretOf('github'), good)}`, 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID() });
    const lastAfter = (await endpoints(listening)).github.last_delivery_at!;
    expect(Date.parse(lastAfter)).toBeGreaterThan(Date.parse(lastBefore!));

    const all = await deliveriesOf(listening, github.id, '?limit=200');
    expect(all.deliveries.length).toBeGreaterThanOrEqual(5);
    expect(all.deliveries[0]!.event).toBe('pull_request.labeled');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await deliveriesOf(listening, github.id, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...page.deliveries.map((delivery) => delivery.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.deliveries.map((delivery) => delivery.id));
    const times = all.deliveries.map((delivery) => Date.parse(delivery.received_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const missing = await getJson(`${listening.url}/api/v1/webhooks/${randomUUID()}/deliveries`, listening.admin);
    expect(missing.status).toBe(404);
  });
});
