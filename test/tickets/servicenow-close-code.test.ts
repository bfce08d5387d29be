/**
 * The `close_code` mapping kind on ServiceNow connections, over real HTTP through the public API and
 * the ServiceNow simulator, on both databases (the kind must pass mappings_kind_ck). Saving a row
 * checks its value against the instance's active choices for incident.close_code in sys_choice
 * (ServiceNow stores any string written to a choice field without a word): a known code is saved, an
 * unknown or inactive one (or a label's case that is not the stored value) is 422 naming it and
 * nothing is saved; the row's source is the internal state closed into or `default` (400 otherwise).
 * The closed loop's transition then resolves the incident with the mapped code, on an instance whose
 * data policy makes close_code and close_notes mandatory. Before, the API refused the kind (400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performTransition } from '../../src/services/webhooks/closed-loop.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { seedSysId } from '../simulators/servicenow/store.ts';
import { type ListeningService, post, startListening } from '../webhooks/helpers.ts';

const json = { 'content-type': 'application/json' };

describe.each(databaseKinds())('ServiceNow close_code mappings (%s)', (kind) => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;
  let connectionId: string;
  let serial = 0;

  beforeAll(async () => {
    listening = await startListening(kind);
    sn = await startServiceNowSimulator({ outbound: null, requireCloseFields: true });
    const created = await post(
      `${listening.url}/api/v1/connections`,
      JSON.stringify({ provider: 'servicenow', auth_kind: 'basic', name: 'SN close', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    connectionId = created.json.id as string;
  }, 60_000);
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const putMapping = async (source: string, target: string) => {
    const response = await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, {
      method: 'PUT',
      headers: { ...listening.admin, ...json },
      body: JSON.stringify({ kind: 'close_code', source, target }),
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string; field?: string }; kind?: string; target?: string } };
  };
  const rows = async () =>
    ((await (await fetch(`${listening.url}/api/v1/connections/${connectionId}/mappings`, { headers: listening.admin })).json()) as { mappings: { kind: string; source: string; target: string }[] }).mappings;

  it("a close code the instance has is saved; an unknown, inactive or miscased one is 422 naming it (and what the instance has), nothing saved; the source is an internal state closed into or default", async () => {
    const saved = await putMapping('done', 'Solved Remotely (Permanently)');
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ kind: 'close_code', target: 'Solved Remotely (Permanently)' });
    const choiceReads = sn.admin.received({ method: 'GET', path: '/api/now/table/sys_choice' });
    expect(choiceReads.length).toBeGreaterThanOrEqual(1);

    sn.admin.updateRecordDirectly('sys_choice', seedSysId('sys_choice', 'incident.close_code.Not Solved (Too Costly)'), { inactive: 'true' });
    for (const [target, says] of [
      ['Fixed by the robots', 'ServiceNow has no active close code "Fixed by the robots" for incident'],
      ['Not Solved (Too Costly)', 'ServiceNow has no active close code "Not Solved (Too Costly)"'],
      ['solved (permanently)', 'the choice is stored as "Solved (Permanently)"'],
    ] as const) {
      const refused = await putMapping('default', target);
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'UNPROCESSABLE', field: 'target' });
      expect(refused.body.error!.message).toContain(says);
    }
    expect((await putMapping('default', 'Fixed by the robots')).body.error!.message).toContain('Solved (Work Around)');

    const badSource = await putMapping('in_progress', 'Solved (Permanently)');
    expect(badSource.status).toBe(400);
    expect(badSource.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'source' });

    expect((await rows()).filter((row) => row.kind === 'close_code')).toEqual([expect.objectContaining({ source: 'done', target: 'Solved Remotely (Permanently)' })]);
  }, 60_000);

  it("the closed loop's transition to done resolves the incident with the mapped close code and close notes (the instance requires both)", async () => {
    const title = `Close code check ${kind} ${++serial}`;
    const finding = await post(`${listening.url}/api/v1/findings`, JSON.stringify({ findings: [{ kind: 'violation', title, severity: 'high', framework: 'SOC2', control_id: `CC7.${serial}` }] }), {
      ...listening.admin,
      ...json,
    });
    expect(finding.status, JSON.stringify(finding.json)).toBeLessThan(300);
    const findingId = (finding.json.findings as { id: string }[])[0]!.id;
    const ticket = await post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: findingId, connection_id: connectionId }), { ...listening.admin, ...json });
    expect(ticket.status, JSON.stringify(ticket.json)).toBeLessThan(300);
    const [row] = await listening.service.context.db.query<{ id: string; org_id: string; external_id: string }>(
      'select id::text as id, org_id::text as org_id, external_id from tickets where finding_id = $1::uuid and connection_id = $2::uuid',
      [findingId, connectionId],
    );
    expect(row).toBeDefined();

    const moved = await performTransition(listening.service.context, { orgId: row!.org_id, ticketId: row!.id, to: 'done', reason: 'test: fix merged' });
    expect(moved).toMatchObject({ ticket: 'moved', status: 'Resolved' });
    const incident = sn.admin.record('incident', row!.external_id) as Record<string, string>;
    expect(incident).toMatchObject({ state: '6', close_code: 'Solved Remotely (Permanently)' });
    expect(incident.close_notes).not.toBe('');
  }, 60_000);
});
