/**
 * The `assignee` mapping kind on ServiceNow connections, over real HTTP through the public API and the
 * ServiceNow simulator, on both databases (the kind must pass mappings_kind_ck). Rows are keyed like
 * the assignment group's (the severity, else the finding kind, else `default`); the value is a
 * sys_user's sys_id, user_name or email, checked against the active users when saved (ServiceNow
 * stores a reference to nothing without a word: 422 naming it, nothing saved) and sent as the sys_id
 * in `assigned_to` when the ticket request names no assignee; a request's assignee wins. A user
 * deactivated after the row was saved refuses the ticket with a 422, nothing filed. Before, the API
 * refused the kind (400) and incidents were filed unassigned.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { seedSysId } from '../simulators/servicenow/store.ts';
import { type ListeningService, post, startListening } from '../webhooks/helpers.ts';

const json = { 'content-type': 'application/json' };
const BETH = seedSysId('sys_user', 'beth.anglin');
const ADMIN = seedSysId('sys_user', 'admin');
const INTEGRATION = seedSysId('sys_user', 'sim.integration');

describe.each(databaseKinds())('ServiceNow default assignee from the mapping (%s)', (kind) => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;
  let connectionId: string;
  let serial = 0;

  beforeAll(async () => {
    listening = await startListening(kind);
    sn = await startServiceNowSimulator({ outbound: null });
    const created = await post(
      `${listening.url}/api/v1/connections`,
      JSON.stringify({ provider: 'servicenow', auth_kind: 'basic', name: 'SN assignee', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    connectionId = created.json.id as string;
  }, 60_000);
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });
  beforeEach(() => sn.admin.requests.clear());

  const putMapping = async (source: string, target: string) => {
    const response = await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, {
      method: 'PUT',
      headers: { ...listening.admin, ...json },
      body: JSON.stringify({ kind: 'assignee', source, target }),
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string; field?: string } } };
  };
  async function setMapping(source: string, target: string) {
    const saved = await putMapping(source, target);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  }
  async function finding(severity: string, findingKind: 'violation' | 'vulnerability' = 'violation'): Promise<{ id: string; title: string }> {
    const title = `Assignee check ${kind} ${++serial} ${severity}`;
    const item =
      findingKind === 'violation'
        ? { kind: 'violation', title, severity, framework: 'SOC2', control_id: `CC6.${serial}` }
        : { kind: 'vulnerability', title, severity, package_name: `pkg-${serial}`, ecosystem: 'npm', installed_version: '1.0.0', cve_ids: [`CVE-2026-${10000 + serial}`] };
    const created = await post(`${listening.url}/api/v1/findings`, JSON.stringify({ findings: [item] }), { ...listening.admin, ...json });
    expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
    return { id: (created.json.findings as { id: string }[])[0]!.id, title };
  }
  const ticket = (findingId: string, extra: Record<string, unknown> = {}) =>
    post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: findingId, connection_id: connectionId, ...extra }), { ...listening.admin, ...json });
  const incidentFor = (title: string) => sn.admin.records('incident').filter((record) => record.short_description?.includes(title));
  const sentAssignee = () => (sn.admin.received({ method: 'POST', path: '/api/now/table/incident' })[0]?.body as Record<string, unknown> | undefined)?.assigned_to;

  it('saving checks the user on the instance: a user_name, email or sys_id of an active user is saved; an unknown or inactive one is 422 naming it, nothing saved; the source is a severity, finding kind or default', async () => {
    await setMapping('default', 'beth.anglin');
    await setMapping('critical', 'admin@sim.example');
    await setMapping('vulnerability', INTEGRATION);
    sn.admin.updateRecordDirectly('sys_user', seedSysId('sys_user', 'sim.readonly'), { active: 'false' });
    for (const target of ['nobody.here', 'nobody@sim.example', 'ab'.repeat(16), 'sim.readonly']) {
      const refused = await putMapping('high', target);
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'UNPROCESSABLE', field: 'target' });
      expect(refused.body.error!.message).toContain(`ServiceNow has no active user "${target}"`);
    }
    const badSource = await putMapping('In Progress', 'beth.anglin');
    expect(badSource.status).toBe(400);
    expect(badSource.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'source' });
    const rows = ((await (await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, { headers: listening.admin })).json()) as { mappings: { kind: string; source: string; target: string }[] }).mappings;
    expect(rows.filter((row) => row.kind === 'assignee').map((row) => [row.source, row.target])).toEqual([
      ['critical', 'admin@sim.example'],
      ['default', 'beth.anglin'],
      ['vulnerability', INTEGRATION],
    ]);
  }, 60_000);

  it("a ticket without an assignee gets the mapped user's sys_id in assigned_to (severity row, else finding kind row, else default); a request's assignee wins", async () => {
    const medium = await finding('medium');
    expect((await ticket(medium.id)).status).toBeLessThan(300);
    expect(incidentFor(medium.title)[0]?.assigned_to).toBe(BETH);
    expect(sentAssignee()).toBe(BETH);

    sn.admin.requests.clear();
    const critical = await finding('critical');
    expect((await ticket(critical.id)).status).toBeLessThan(300);
    expect(incidentFor(critical.title)[0]?.assigned_to).toBe(ADMIN);

    const vulnerability = await finding('low', 'vulnerability');
    const filed = await ticket(vulnerability.id);
    expect(filed.status, JSON.stringify(filed.json)).toBeLessThan(300);
    expect(incidentFor(vulnerability.title)[0]?.assigned_to).toBe(INTEGRATION);

    const named = await finding('critical');
    expect((await ticket(named.id, { assignee: 'beth.anglin@sim.example' })).status).toBeLessThan(300);
    expect(incidentFor(named.title)[0]?.assigned_to).toBe(BETH);
  }, 60_000);

  it('a mapped user deactivated after the row was saved refuses the ticket with a 422 naming it; nothing is filed', async () => {
    sn.admin.updateRecordDirectly('sys_user', BETH, { active: 'false' });
    try {
      const one = await finding('medium');
      const refused = await ticket(one.id);
      expect(refused.status, JSON.stringify(refused.json)).toBe(422);
      expect(refused.json.error).toMatchObject({ code: 'PROVIDER_FIELD_REJECTED', field: 'assignee' });
      expect(JSON.stringify(refused.json)).toContain('beth.anglin');
      expect(incidentFor(one.title)).toHaveLength(0);
    } finally {
      sn.admin.updateRecordDirectly('sys_user', BETH, { active: 'true' });
    }
  }, 60_000);
});
