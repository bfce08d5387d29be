/**
 * ServiceNow through the public API only, over real HTTP: a connection is created with
 * `POST /api/v1/connections` (basic auth, instance URL, table), tested, and used by
 * `POST /api/v1/tickets` to open one incident per finding — exactly once, however often it is asked.
 * Before the registry line gave ServiceNow its connection test, the create answered 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { getJson, type ListeningService, post, startListening } from '../webhooks/helpers.ts';

describe('ServiceNow connections through the API', () => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;

  beforeAll(async () => {
    listening = await startListening('embedded');
    sn = await startServiceNowSimulator({ outbound: null });
  });
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const json = { 'content-type': 'application/json' };

  it('creates, tests and uses a basic-auth connection; a repeated ticket request opens no second incident', async () => {
    const created = await post(
      `${listening.url}/api/v1/connections`,
      JSON.stringify({ provider: 'servicenow', auth_kind: 'basic', name: 'Sim SN', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ provider: 'servicenow', name: 'Sim SN' });
    expect(JSON.stringify(created.json)).not.toContain(sn.credentials.password);
    const connectionId = created.json.id as string;

    const tested = await post(`${listening.url}/api/v1/connections/${connectionId}/test`, '{}', { ...listening.admin, ...json });
    expect(tested.status, JSON.stringify(tested.json)).toBe(200);
    expect(tested.json).toMatchObject({ ok: true });

    const finding = await post(
      `${listening.url}/api/v1/findings`,
      JSON.stringify({ findings: [{ kind: 'violation', title: 'MFA not enforced for admins', severity: 'critical', framework: 'FedRAMP', control_id: 'IA-2' }] }),
      { ...listening.admin, ...json },
    );
    const findingId = (finding.json.findings as { id: string }[])[0]!.id;

    const first = await post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: findingId, connection_id: connectionId }), { ...listening.admin, ...json });
    expect(first.status, JSON.stringify(first.json)).toBeLessThan(300);
    const again = await post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: findingId, connection_id: connectionId }), { ...listening.admin, ...json });
    expect(again.status, JSON.stringify(again.json)).toBeLessThan(300);

    const incidents = sn.admin.records('incident').filter((record) => record.short_description?.includes('MFA not enforced'));
    expect(incidents).toHaveLength(1);
    // Critical → impact 1 / urgency 1, so ServiceNow computes priority 1; we never write priority.
    expect(incidents[0]).toMatchObject({ impact: '1', urgency: '1', priority: '1' });
    expect(incidents[0]!.correlation_id).not.toBe('');

    const listed = await getJson<{ tickets: { provider: string; external_key: string | null }[] }>(`${listening.url}/api/v1/tickets?finding_id=${findingId}`, listening.admin);
    expect(listed.status).toBe(200);
    expect(listed.body.tickets).toHaveLength(1);
    expect(listed.body.tickets[0]!.provider).toBe('servicenow');
  }, 120_000);
});
