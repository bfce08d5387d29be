/**
 * The Table API of the ServiceNow simulator through real HTTP: record shape (strings, references, sys
 * fields, numbers), display values, input display values, the priority lookup, incident state side
 * effects, journal fields, the required headers and the error bodies, the close_code choices in sys_choice.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BASE_CLOSE_CODES } from './schema.ts';
import { seedSysId } from './store.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from './index.ts';
import { basic, call, rawRequest, result } from './test-helpers.ts';

let sim: ServiceNowSimulator;
let auth: string;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const SECOPS = seedSysId('sys_user_group', 'Security Operations');

beforeAll(async () => {
  sim = await startServiceNowSimulator({ now: () => T0 });
  auth = sim.credentials.basicAuthHeader;
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.admin.reset());

const table = (name: string, query = '') => `${sim.url}/api/now/table/${name}${query}`;
const create = async (body: Record<string, unknown>, query = '', name = 'incident') => {
  const answer = await call(table(name, query), { auth, body });
  expect(answer.status).toBe(201);
  return result(answer);
};

describe('insert and read', () => {
  it('answers 201 with every value a string, a 32-hex sys_id, INC numbers, UTC timestamps and the base defaults', async () => {
    const answer = await call(table('incident'), { auth, body: { short_description: 'Log4Shell in api', impact: 1, urgency: 2, active: true } });
    expect(answer.status).toBe(201);
    const record = result(answer);
    expect(answer.headers.get('location')).toBe(`${sim.url}/api/now/table/incident/${String(record.sys_id)}`);
    expect(record.sys_id).toMatch(/^[0-9a-f]{32}$/);
    expect(record).toMatchObject({
      number: 'INC0010001',
      short_description: 'Log4Shell in api',
      state: '1',
      incident_state: '1',
      impact: '1',
      urgency: '2',
      priority: '2',
      active: 'true',
      sys_mod_count: '0',
      sys_created_on: '2026-03-01 10:00:00',
      sys_updated_on: '2026-03-01 10:00:00',
      sys_created_by: 'sim.integration',
      sys_updated_by: 'sim.integration',
      sys_class_name: 'incident',
      correlation_id: '',
      correlation_display: '',
      assignment_group: '',
      work_notes: '',
      comments: '',
      reassignment_count: '0',
    });
    expect(record.opened_by).toEqual({ link: `${sim.url}/api/now/table/sys_user/${seedSysId('sys_user', 'sim.integration')}`, value: seedSysId('sys_user', 'sim.integration') });
    for (const value of Object.values(record)) {
      if (typeof value !== 'string') expect(Object.keys(value as object).sort()).toEqual(['link', 'value']);
    }
    expect((await create({ short_description: 'second' })).number).toBe('INC0010002');
    const got = await call(table('incident', `/${String(record.sys_id)}`), { auth });
    expect(result(got)).toEqual(record);
  });

  it('unknown fields are ignored, a sys_id may be given on insert, and only the first record of an array is inserted', async () => {
    const id = 'a'.repeat(32);
    const record = await create({ sys_id: id, short_description: 'mine', u_nonexistent: 'x', sys_created_by: 'mallory' });
    expect(record.sys_id).toBe(id);
    expect(record).not.toHaveProperty('u_nonexistent');
    expect(record.sys_created_by).toBe('sim.integration');
    const answer = await call(table('incident'), { auth, body: [{ short_description: 'first' }, { short_description: 'second' }] });
    expect(result(answer).short_description).toBe('first');
    expect(sim.admin.records('incident')).toHaveLength(2);
  });

  it('unknown table → 400 Invalid table, unknown sys_id → 404 No Record found, unknown API path → 400', async () => {
    const unknown = await call(table('incidentx'), { auth });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({ error: { message: 'Invalid table incidentx', detail: null }, status: 'failure' });
    const missing = await call(table('incident', `/${'0'.repeat(32)}`), { auth });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" }, status: 'failure' });
    const path = await call(`${sim.url}/api/now/nothing`, { auth });
    expect(path.status).toBe(400);
    expect(path.json).toEqual({ error: { message: 'Requested URI does not represent any resource', detail: null }, status: 'failure' });
  });

  it('PATCH and PUT update, bump sys_mod_count and sys_updated_on; an update that changes nothing is not saved; DELETE is 204', async () => {
    const record = await create({ short_description: 'a' });
    const one = table('incident', `/${String(record.sys_id)}`);
    sim.admin.advanceClock(65_000);
    const patched = result(await call(one, { method: 'PATCH', auth, body: { short_description: 'b' } }));
    expect(patched).toMatchObject({ short_description: 'b', sys_mod_count: '1', sys_updated_on: '2026-03-01 10:01:05', sys_created_on: '2026-03-01 10:00:00' });
    const put = result(await call(one, { method: 'PUT', auth, body: { description: 'longer' } }));
    expect(put).toMatchObject({ short_description: 'b', description: 'longer', sys_mod_count: '2' });
    const same = result(await call(one, { method: 'PATCH', auth, body: { description: 'longer' } }));
    expect(same.sys_mod_count).toBe('2');
    const override = await call(one, { method: 'POST', auth, body: { description: 'via override' }, headers: { 'x-http-method-override': 'PATCH' } });
    expect(result(override).description).toBe('via override');
    const removed = await call(one, { method: 'DELETE', auth, headers: { 'content-type': 'application/json' } });
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await call(one, { auth })).status).toBe(404);
  });
});

describe('headers', () => {
  it('missing Accept → 400, a non-JSON Accept → 406; */* is fine', async () => {
    const missing = await rawRequest(table('incident'), 'GET', { authorization: auth });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body)).toMatchObject({ status: 'failure' });
    expect((await call(table('incident'), { auth, headers: { accept: 'text/html' } })).status).toBe(406);
    expect((await call(table('incident'), { auth, headers: { accept: '*/*' } })).status).toBe(200);
  });

  it('writes without Content-Type → 400, with a non-JSON type → 415, with a body that is not JSON → 400', async () => {
    const none = await rawRequest(table('incident'), 'POST', { accept: 'application/json', authorization: auth }, '{"short_description":"x"}');
    expect(none.status).toBe(400);
    const text = await call(table('incident'), { auth, body: 'short_description=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const broken = await call(table('incident'), { auth, body: '{"short_description":' });
    expect(broken.status).toBe(400);
    expect(broken.json).toEqual({ error: { message: 'Exception while reading request', detail: 'Verify Request body and Content-type headers. Not able to parse request' }, status: 'failure' });
    expect(sim.admin.records('incident')).toHaveLength(0);
  });
});

describe('priority from impact × urgency', () => {
  it('follows the base lookup table for all nine combinations', async () => {
    const expected: Record<string, string> = { '11': '1', '12': '2', '13': '3', '21': '2', '22': '3', '23': '4', '31': '3', '32': '4', '33': '5' };
    for (const [iu, priority] of Object.entries(expected)) {
      const record = await create({ short_description: iu, impact: iu[0], urgency: iu[1] });
      expect(record.priority, `impact ${iu[0]} urgency ${iu[1]}`).toBe(priority);
    }
    expect((await create({ short_description: 'defaults' })).priority).toBe('5');
  });

  it('a written priority is overwritten by the lookup (default); in `kept` mode it stays until impact/urgency change', async () => {
    const record = await create({ short_description: 'p', priority: '1' });
    expect(record.priority).toBe('5');
    const one = table('incident', `/${String(record.sys_id)}`);
    expect(result(await call(one, { method: 'PATCH', auth, body: { priority: '1' } })).priority).toBe('5');
    expect(result(await call(one, { method: 'PATCH', auth, body: { impact: '1', urgency: '1' } })).priority).toBe('1');

    sim.admin.setPriorityWrites('kept');
    const kept = await create({ short_description: 'k', priority: '2' });
    expect(kept.priority).toBe('2');
    const keptOne = table('incident', `/${String(kept.sys_id)}`);
    expect(result(await call(keptOne, { method: 'PATCH', auth, body: { urgency: '2' } })).priority).toBe('4');
  });
});

describe('references and display values', () => {
  it('reference {link,value}, "" when empty, display_value true/all, exclude_reference_link', async () => {
    const record = await create({ short_description: 'r', assignment_group: SECOPS, state: '2' });
    const link = `${sim.url}/api/now/table/sys_user_group/${SECOPS}`;
    expect(record.assignment_group).toEqual({ link, value: SECOPS });
    expect(record.assigned_to).toBe('');
    const one = (q: string) => call(table('incident', `/${String(record.sys_id)}?${q}`), { auth }).then((a) => result(a));

    const shown = await one('sysparm_display_value=true');
    expect(shown).toMatchObject({ assignment_group: { display_value: 'Security Operations', link }, state: 'In Progress', priority: '5 - Planning', impact: '3 - Low', assigned_to: '' });
    const all = await one('sysparm_display_value=all');
    expect(all.assignment_group).toEqual({ display_value: 'Security Operations', link, value: SECOPS });
    expect(all.state).toEqual({ display_value: 'In Progress', value: '2' });
    expect(all.assigned_to).toEqual({ display_value: '', value: '' });
    expect((await one('sysparm_exclude_reference_link=true')).assignment_group).toBe(SECOPS);
    expect((await one('sysparm_display_value=true&sysparm_exclude_reference_link=true')).assignment_group).toBe('Security Operations');
    expect((await one('sysparm_display_value=all&sysparm_exclude_reference_link=true')).assignment_group).toEqual({ display_value: 'Security Operations', value: SECOPS });
  });

  it('sysparm_fields picks fields (dot-walked too) and ignores unknown ones', async () => {
    const record = await create({ short_description: 'f', assignment_group: SECOPS });
    const picked = result(await call(table('incident', `/${String(record.sys_id)}?sysparm_fields=number,assignment_group.name,bogus,state`), { auth }));
    expect(picked).toEqual({ number: 'INC0010001', 'assignment_group.name': 'Security Operations', state: '1' });
  });

  it('sysparm_input_display_value=true resolves a group by name against sys_user_group and a state by label', async () => {
    const record = await create({ short_description: 'g', assignment_group: 'Security Operations', state: 'In Progress' }, '?sysparm_input_display_value=true');
    expect(record.assignment_group).toEqual({ link: `${sim.url}/api/now/table/sys_user_group/${SECOPS}`, value: SECOPS });
    expect(record.state).toBe('2');
    // An unknown name leaves the field as it was.
    const unknown = await create({ short_description: 'g2', assignment_group: 'No Such Group' }, '?sysparm_input_display_value=true');
    expect(unknown.assignment_group).toBe('');
    // Without the flag the text is stored as given (a dangling reference).
    const raw = await create({ short_description: 'g3', assignment_group: 'Security Operations' });
    expect((raw.assignment_group as { value: string }).value).toBe('Security Operations');
  });
});

describe('incident state model', () => {
  it('resolving stamps resolved_at/by, closing sets closed_at and active=false, reopening counts; close fields are not enforced by default', async () => {
    const record = await create({ short_description: 's' });
    const one = table('incident', `/${String(record.sys_id)}`);
    sim.admin.advanceClock(1000);
    const resolved = result(await call(one, { method: 'PATCH', auth, body: { state: '6' } }));
    expect(resolved).toMatchObject({ state: '6', incident_state: '6', active: 'true', resolved_at: '2026-03-01 10:00:01' });
    expect((resolved.resolved_by as { value: string }).value).toBe(seedSysId('sys_user', 'sim.integration'));
    const reopened = result(await call(one, { method: 'PATCH', auth, body: { state: '2' } }));
    expect(reopened).toMatchObject({ state: '2', resolved_at: '', reopen_count: '1' });
    const closed = result(await call(one, { method: 'PATCH', auth, body: { state: '7', close_code: 'Solved (Permanently)', close_notes: 'patched' } }));
    expect(closed).toMatchObject({ state: '7', active: 'false', closed_at: '2026-03-01 10:00:01', close_code: 'Solved (Permanently)' });
    const canceled = await create({ short_description: 'c', state: '8' });
    expect(canceled.active).toBe('false');
  });

  it('with requireCloseFields, resolving without close_code/close_notes is refused with 403', async () => {
    sim.admin.setRequireCloseFields(true);
    const record = await create({ short_description: 's' });
    const refused = await call(table('incident', `/${String(record.sys_id)}`), { method: 'PATCH', auth, body: { state: '6' } });
    expect(refused.status).toBe(403);
    expect((refused.json as { error: { message: string } }).error.message).toBe('Operation Failed');
    expect(sim.admin.record('incident', String(record.sys_id))!.state).toBe('1');
  });

  it('a change of assignment group counts a reassignment', async () => {
    const record = await create({ short_description: 'a', assignment_group: SECOPS });
    const moved = result(await call(table('incident', `/${String(record.sys_id)}`), { method: 'PATCH', auth, body: { assignment_group: seedSysId('sys_user_group', 'Network') } }));
    expect(moved.reassignment_count).toBe('1');
  });
});

describe('journal fields', () => {
  it('work_notes and comments append to sys_journal_field, read back "" on the record, and show in display mode', async () => {
    const record = await create({ short_description: 'j', work_notes: 'Fix PR: https://git.example/pr/1' });
    expect(record.work_notes).toBe('');
    const one = table('incident', `/${String(record.sys_id)}`);
    sim.admin.advanceClock(2000);
    const patched = result(await call(one, { method: 'PATCH', auth, body: { comments: 'Customer visible' } }));
    expect(patched).toMatchObject({ comments: '', work_notes: '', sys_mod_count: '1' });

    const entries = await call(table('sys_journal_field', `?sysparm_query=element_id=${String(record.sys_id)}^ORDERBYsys_created_on`), { auth });
    expect(result<Record<string, string>[]>(entries).map((e) => [e.element, e.value, e.name, e.sys_created_by])).toEqual([
      ['work_notes', 'Fix PR: https://git.example/pr/1', 'incident', 'sim.integration'],
      ['comments', 'Customer visible', 'incident', 'sim.integration'],
    ]);
    const shown = result(await call(`${one}?sysparm_display_value=true&sysparm_fields=work_notes,comments_and_work_notes`, { auth }));
    expect(shown.work_notes).toBe('2026-03-01 10:00:00 - Integration User (Work notes)\nFix PR: https://git.example/pr/1\n\n');
    expect(String(shown.comments_and_work_notes).indexOf('Additional comments')).toBeLessThan(String(shown.comments_and_work_notes).indexOf('Work notes'));
    // A blank note is not an entry and not a change.
    expect(result(await call(one, { method: 'PATCH', auth, body: { work_notes: '  ' } })).sys_mod_count).toBe('1');
  });
});

describe('custom table', () => {
  it('serves the configured custom table with its own numbers and task fields; no priority lookup unless asked', async () => {
    expect(sim.customTable).toBe('sn_vul_vulnerable_item');
    const item = await create({ short_description: 'CVE-2021-44228 on host-1', correlation_id: 'finding-1', impact: '1', urgency: '1' }, '', 'sn_vul_vulnerable_item');
    expect(item).toMatchObject({ number: 'VIT0010001', state: '1', correlation_id: 'finding-1', sys_class_name: 'sn_vul_vulnerable_item', priority: '4' });
    const custom = await startServiceNowSimulator({ customTable: { name: 'u_security_finding', numberPrefix: 'SECF', priorityLookup: true, extraFields: ['u_cve'] } });
    try {
      const answer = await call(`${custom.url}/api/now/table/u_security_finding`, { auth: custom.credentials.basicAuthHeader, body: { short_description: 'x', u_cve: 'CVE-1', impact: 2, urgency: 2 } });
      expect(result(answer)).toMatchObject({ number: 'SECF0010001', u_cve: 'CVE-1', priority: '3' });
      expect((await call(`${custom.url}/api/now/table/sn_vul_vulnerable_item`, { auth: custom.credentials.basicAuthHeader })).status).toBe(400);
    } finally {
      await custom.close();
    }
  });
});

describe('sys_choice', () => {
  it("lists the incident close_code choices (name, element, value, label, inactive) as the Table API would; an inactive one is filtered out by inactive=false; an admin may add one; the integration user may not", async () => {
    const query = '?sysparm_query=name=incident^element=close_code^inactive=false^ORDERBYsequence&sysparm_fields=name,element,value,label,inactive';
    const listed = result<Record<string, string>[]>(await call(table('sys_choice', query), { auth }));
    expect(listed.map((row) => row.value)).toEqual(BASE_CLOSE_CODES);
    expect(listed[1]).toEqual({ name: 'incident', element: 'close_code', value: 'Solved (Permanently)', label: 'Solved (Permanently)', inactive: 'false' });

    sim.admin.updateRecordDirectly('sys_choice', seedSysId('sys_choice', 'incident.close_code.Not Solved (Too Costly)'), { inactive: 'true' });
    expect(result<Record<string, string>[]>(await call(table('sys_choice', query), { auth })).map((row) => row.value)).not.toContain('Not Solved (Too Costly)');

    const choice = { name: 'incident', element: 'close_code', value: 'Solution provided', label: 'Solution provided' };
    expect((await call(table('sys_choice'), { auth, body: choice })).status).toBe(403);
    const admin = basic(sim.credentials.admin.username, sim.credentials.admin.password);
    expect((await call(table('sys_choice'), { auth: admin, body: choice })).status).toBe(201);
    expect(result<Record<string, string>[]>(await call(table('sys_choice', query), { auth })).map((row) => row.value)).toContain('Solution provided');
  });

  it('seeds the close codes the closeCodes option names (an instance on a newer release)', async () => {
    const newer = await startServiceNowSimulator({ closeCodes: ['Solution provided', 'Workaround provided', 'Duplicate'] });
    try {
      const answer = await call(`${newer.url}/api/now/table/sys_choice?sysparm_query=element=close_code&sysparm_fields=value`, { auth: newer.credentials.basicAuthHeader });
      expect(result<Record<string, string>[]>(answer).map((row) => row.value)).toEqual(['Solution provided', 'Workaround provided', 'Duplicate']);
    } finally {
      await newer.close();
    }
  });
});
