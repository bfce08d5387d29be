/**
 * The connection's assignment_group mapping reaches the ServiceNow record, over real HTTP through the
 * public API: a group named in the mapping is sent by name with `sysparm_input_display_value=true`
 * (the instance stores its sys_id), a sys_id is sent as it is, a request's assignee email becomes
 * `assigned_to`. ServiceNow stores a reference to nothing without a word (an unknown sys_id as given,
 * an unmatched name as empty), so an unknown group is refused when the mapping is saved (and an
 * unknown user, or a group gone since, when the ticket is drafted) with a 422 naming the value, and
 * nothing is saved or filed. Before, the mapping row was ignored: incidents had no group.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { seedSysId } from '../simulators/servicenow/store.ts';
import { type ListeningService, post, startListening } from '../webhooks/helpers.ts';

const json = { 'content-type': 'application/json' };

describe('ServiceNow assignment group and assignee from the mapping', () => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;
  let connectionId: string;
  let serial = 0;

  beforeAll(async () => {
    listening = await startListening('embedded');
    sn = await startServiceNowSimulator({ outbound: null });
    const created = await post(
      `${listening.url}/api/v1/connections`,
      JSON.stringify({ provider: 'servicenow', auth_kind: 'basic', name: 'SN assign', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    connectionId = created.json.id as string;
  });
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });
  beforeEach(() => sn.admin.requests.clear());

  const putMapping = (kind: string, source: string, target: string) =>
    fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, {
      method: 'PUT',
      headers: { ...listening.admin, ...json },
      body: JSON.stringify({ kind, source, target }),
    });

  async function setMapping(source: string, target: string) {
    const response = await putMapping('assignment_group', source, target);
    expect(response.status, await response.clone().text()).toBe(200);
  }

  async function finding(severity: string): Promise<{ id: string; title: string }> {
    const title = `Assignment check ${++serial} ${severity}`;
    const created = await post(`${listening.url}/api/v1/findings`, JSON.stringify({ findings: [{ kind: 'violation', title, severity, framework: 'SOC2', control_id: `CC${serial}` }] }), {
      ...listening.admin,
      ...json,
    });
    expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
    return { id: (created.json.findings as { id: string }[])[0]!.id, title };
  }

  const ticket = (findingId: string, extra: Record<string, unknown> = {}) =>
    post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: findingId, connection_id: connectionId, ...extra }), { ...listening.admin, ...json });
  const incidentFor = (title: string) => sn.admin.records('incident').filter((record) => record.short_description?.includes(title));
  const creates = () => sn.admin.received({ method: 'POST', path: '/api/now/table/incident' });

  it('a group named in the default row is sent by name with sysparm_input_display_value=true; the incident carries its sys_id', async () => {
    await setMapping('default', 'Security Operations');
    const { id, title } = await finding('medium');
    const answer = await ticket(id);
    expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(300);
    const [incident] = incidentFor(title);
    expect(incident?.assignment_group).toBe(seedSysId('sys_user_group', 'Security Operations'));
    const [sent] = creates();
    expect(sent?.query).toContain('sysparm_input_display_value=true');
    expect((sent?.body as Record<string, unknown>).assignment_group).toBe('Security Operations');
  }, 60_000);

  it("a severity's own row wins over the default; a sys_id is sent as it is, without display-value input", async () => {
    const network = seedSysId('sys_user_group', 'Network');
    await setMapping('critical', network);
    const { id, title } = await finding('critical');
    const answer = await ticket(id);
    expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(300);
    expect(incidentFor(title)[0]?.assignment_group).toBe(network);
    const [sent] = creates();
    expect(sent?.query ?? '').not.toContain('sysparm_input_display_value');
    expect((sent?.body as Record<string, unknown>).assignment_group).toBe(network);
  }, 60_000);

  it('a request assignee (email) becomes assigned_to; an unknown email is a 422 naming it, nothing filed', async () => {
    const { id, title } = await finding('low');
    const answer = await ticket(id, { assignee: 'beth.anglin@sim.example' });
    expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(300);
    expect(incidentFor(title)[0]?.assigned_to).toBe(seedSysId('sys_user', 'beth.anglin'));

    const other = await finding('low');
    const refused = await ticket(other.id, { assignee: 'nobody@sim.example' });
    expect(refused.status, JSON.stringify(refused.json)).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'PROVIDER_FIELD_REJECTED', field: 'assignee' });
    expect(JSON.stringify(refused.json)).toContain('nobody@sim.example');
    expect(incidentFor(other.title)).toHaveLength(0);
  }, 60_000);

  it('saving a mapping checks its values on the instance: an unknown group (name or sys_id), priority or incident state is a 422 naming it, nothing saved', async () => {
    const before = (await (await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, { headers: listening.admin })).json()) as { mappings: unknown[] };
    const ghost = 'ab'.repeat(16);
    for (const [kind, source, target, value] of [
      ['assignment_group', 'default', 'Red Team Nobody Made', 'Red Team Nobody Made'],
      ['assignment_group', 'high', ghost, ghost],
      ['priority', 'high', 'Urgent', 'Urgent'],
      ['status', 'Awaiting Vendor', 'in_progress', 'Awaiting Vendor'],
      ['project', 'default', 'SEC', 'SEC'],
    ] as const) {
      const refused = await putMapping(kind, source, target);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(refused.status, JSON.stringify(body)).toBe(422);
      expect(body.error.code).toBe('UNPROCESSABLE');
      expect(body.error.message).toContain(value);
    }
    const after = (await (await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, { headers: listening.admin })).json()) as { mappings: unknown[] };
    expect(after.mappings).toEqual(before.mappings);
    // Values the instance has are saved: a group by sys_id, a priority pair, a state by label.
    for (const [kind, source, target] of [
      ['assignment_group', 'low', seedSysId('sys_user_group', 'Database')],
      ['priority', 'low', '3/2'],
      ['status', 'On Hold', 'in_progress'],
    ] as const) {
      const saved = await putMapping(kind, source, target);
      expect(saved.status, await saved.text()).toBe(200);
    }
  }, 60_000);

  it('a group deactivated after its mapping was saved refuses the ticket with a 422 naming it; nothing is filed', async () => {
    await setMapping('default', 'Service Desk');
    sn.admin.updateRecordDirectly('sys_user_group', seedSysId('sys_user_group', 'Service Desk'), { active: 'false' });
    const one = await finding('medium');
    const refused = await ticket(one.id);
    expect(refused.status, JSON.stringify(refused.json)).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'PROVIDER_FIELD_REJECTED', field: 'assignment_group' });
    expect(JSON.stringify(refused.json)).toContain('Service Desk');
    expect(incidentFor(one.title)).toHaveLength(0);
    expect(creates()).toHaveLength(0);
  }, 60_000);

  it('the simulator is as lenient as the instance: an unknown reference is not refused by ServiceNow', async () => {
    const direct = await fetch(`${sn.url}/api/now/table/incident?sysparm_input_display_value=true`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${sn.credentials.username}:${sn.credentials.password}`).toString('base64')}` },
      body: JSON.stringify({ short_description: 'lenient', assignment_group: 'Red Team Nobody Made' }),
    });
    expect(direct.status).toBe(201);
    const body = (await direct.json()) as { result: { assignment_group: unknown } };
    expect(body.result.assignment_group).toBe('');
  });
});
