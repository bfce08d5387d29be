/**
 * The ServiceNow client against the simulator over real HTTP: create/get/update, queries and Link
 * paging, display values, journal fields, priority through impact/urgency, states with close fields,
 * assignment group by name, the custom table.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MappingRow } from '../../../src/domain/mapping.ts';
import { displayOf, impactUrgencyFor, internalStateOf, stateChangeFor, valueOf } from '../../../src/providers/servicenow/index.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../../simulators/servicenow/index.ts';
import { type Harness, makeClient, uniqueKey } from './helpers.ts';

let sim: ServiceNowSimulator;
let h: Harness;

beforeAll(async () => {
  sim = await startServiceNowSimulator();
  h = makeClient(sim);
});
afterEach(() => sim.admin.reset());
afterAll(async () => {
  await h.http.close();
  await sim.close();
});

describe('records', () => {
  it('creates, reads and updates an incident; values come back as strings, references as {link, value}', async () => {
    const created = await h.client.create('incident', { short_description: 'Prototype pollution in lodash', impact: 2, urgency: 2 });
    expect(created.sysId).toMatch(/^[0-9a-f]{32}$/);
    expect(created.number).toMatch(/^INC\d{7}$/);
    expect(created.url).toBe(`${sim.url}/nav_to.do?uri=${encodeURIComponent(`incident.do?sys_id=${created.sysId}`)}`);
    expect(created.fields.impact).toBe('2');
    expect(created.fields.priority).toBe('3');

    const read = await h.client.get('incident', created.sysId, { fields: ['number', 'short_description', 'state'] });
    expect(read.fields).toEqual({ number: created.number, short_description: 'Prototype pollution in lodash', state: '1' });

    const group = (await h.client.findGroupByName('Security Operations'))!;
    const updated = await h.client.update('incident', created.sysId, { assignment_group: group.sysId, urgency: '1' });
    expect(updated.fields.assignment_group).toEqual({ link: `${sim.url}/api/now/table/sys_user_group/${group.sysId}`, value: group.sysId });
    expect(updated.fields.priority).toBe('2');
    expect(sim.admin.record('incident', created.sysId)?.sys_mod_count).toBe('1');
  });

  it('reads display values: labels, and {display_value, value} with all', async () => {
    const created = await h.client.create('incident', { short_description: 'x' });
    const shown = await h.client.get('incident', created.sysId, { fields: ['state', 'priority'], displayValue: true });
    expect(shown.fields).toEqual({ state: 'New', priority: '5 - Planning' });
    const both = await h.client.get('incident', created.sysId, { fields: ['state'], displayValue: 'all' });
    expect(both.fields.state).toEqual({ display_value: 'New', value: '1' });
    expect(valueOf(both.fields.state)).toBe('1');
    expect(displayOf(both.fields.state)).toBe('New');
  });

  it('lists every page of a query by following the Link header', async () => {
    const tag = uniqueKey('page');
    for (let i = 0; i < 7; i++) sim.admin.insertRecordDirectly('incident', { short_description: `${tag} ${i}`, category: i % 2 === 0 ? 'software' : 'network' });
    const all = await h.client.list('incident', { query: `short_descriptionSTARTSWITH${tag}^ORDERBYshort_description`, fields: ['short_description'], pageSize: 3 });
    expect(all.map((r) => r.fields.short_description)).toEqual(Array.from({ length: 7 }, (_, i) => `${tag} ${i}`));
    const gets = sim.admin.received({ method: 'GET', path: '/api/now/table/incident' });
    expect(gets).toHaveLength(3);
    const capped = await h.client.list('incident', { query: `short_descriptionSTARTSWITH${tag}^category=software`, pageSize: 2, maxRecords: 3 });
    expect(capped).toHaveLength(3);
    expect(await h.client.list('incident', { query: 'short_description=nothing-matches-this' })).toEqual([]);
  });

  it('finds records by correlation id (a key with a caret is escaped)', async () => {
    const key = `${uniqueKey('finding')}^x`;
    const created = await h.client.create('incident', { short_description: 'keyed', correlation_id: key });
    await h.client.create('incident', { short_description: 'other', correlation_id: `${key}y` });
    const found = await h.client.findByCorrelationId('incident', key);
    expect(found.map((r) => r.sysId)).toEqual([created.sysId]);
    expect(await h.client.findByCorrelationId('incident', uniqueKey('absent'))).toEqual([]);
  });

  it('createOnce returns the existing record for a known key and creates for a new one', async () => {
    const key = uniqueKey('once');
    const first = await h.client.createOnce('incident', key, { short_description: 'first' });
    expect(first.created).toBe(true);
    expect(first.record.fields.correlation_id).toBe(key);
    const second = await h.client.createOnce('incident', key, { short_description: 'second' });
    expect(second).toMatchObject({ created: false, reconciled: 0 });
    expect(second.record.sysId).toBe(first.record.sysId);
    expect(sim.admin.records('incident').filter((r) => r.correlation_id === key)).toHaveLength(1);
  });

  it('writes to the custom table too', async () => {
    const created = await h.client.create(sim.customTable, { short_description: 'vulnerable item' });
    expect(created.number).toMatch(/^VIT/);
    expect((await h.client.get(sim.customTable, created.sysId)).fields.short_description).toBe('vulnerable item');
  });
});

describe('journal fields', () => {
  it('adds a work note and a comment; they read back as journal entries, not as fields', async () => {
    const created = await h.client.create('incident', { short_description: 'with notes' });
    await h.client.addWorkNote('incident', created.sysId, 'Fix PR opened: https://github.com/acme/app/pull/7');
    await h.client.addComment('incident', created.sysId, 'We are on it.');
    const journal = sim.admin.journal('incident', created.sysId);
    expect(journal.map((j) => [j.element, j.value])).toEqual([
      ['comments', 'We are on it.'],
      ['work_notes', 'Fix PR opened: https://github.com/acme/app/pull/7'],
    ]);
    expect(journal[0]?.sys_created_by).toBe(sim.credentials.username);
    expect((await h.client.get('incident', created.sysId)).fields.work_notes).toBe('');
    await expect(h.client.addWorkNote('incident', created.sysId, '  ')).rejects.toThrow(TypeError);
    await expect(h.client.update('incident', created.sysId, { work_notes: 'no' })).rejects.toThrow(/addWorkNote/);
  });
});

describe('priority via impact and urgency', () => {
  const cases: [string, string][] = [
    ['critical', '1'],
    ['high', '2'],
    ['medium', '3'],
    ['low', '5'],
    ['info', '5'],
  ];
  for (const [severity, priority] of cases) {
    it(`${severity} → priority ${priority}, computed by the instance (we never write priority)`, async () => {
      const pair = impactUrgencyFor([], severity as 'critical');
      const created = await h.client.create('incident', { short_description: severity, ...pair });
      expect(created.fields.priority).toBe(priority);
      const body = sim.admin.received({ method: 'POST', path: '/api/now/table/incident' }).at(-1)?.body as Record<string, unknown>;
      expect(body).toMatchObject({ short_description: severity, impact: pair.impact, urgency: pair.urgency });
      expect(body).not.toHaveProperty('priority');
    });
  }

  it('a mapping row overrides a severity (pair, number or name)', async () => {
    const rows: MappingRow[] = [
      { kind: 'priority', source: 'low', target: '2/3' },
      { kind: 'priority', source: 'info', target: '4 - Low' },
      { kind: 'priority', source: 'high', target: 'Critical' },
    ];
    const low = await h.client.create('incident', { short_description: 'l', ...impactUrgencyFor(rows, 'low') });
    const info = await h.client.create('incident', { short_description: 'i', ...impactUrgencyFor(rows, 'info') });
    const high = await h.client.create('incident', { short_description: 'h', ...impactUrgencyFor(rows, 'high') });
    expect([low.fields.priority, info.fields.priority, high.fields.priority]).toEqual(['4', '4', '1']);
  });
});

describe('states', () => {
  it('resolves with close_code and close_notes, cancels, reopens; reads states back to ours', async () => {
    sim.admin.setRequireCloseFields(true);
    const created = await h.client.create('incident', { short_description: 'to resolve' });
    expect(internalStateOf([], { value: valueOf(created.fields.state) })).toBe('todo');

    await h.client.update('incident', created.sysId, stateChangeFor([], 'in_progress').fields);
    const resolved = await h.client.update('incident', created.sysId, stateChangeFor([], 'done', { closeNotes: 'Fixed by PR #7' }).fields);
    expect(resolved.fields).toMatchObject({ state: '6', incident_state: '6', close_code: 'Solved (Permanently)', close_notes: 'Fixed by PR #7' });
    expect(resolved.fields.resolved_at).not.toBe('');
    expect(internalStateOf([], { value: '6' })).toBe('done');

    const reopened = await h.client.update('incident', created.sysId, stateChangeFor([], 'todo').fields);
    expect(reopened.fields.state).toBe('1');
    expect(reopened.fields.reopen_count).toBe('1');

    const canceled = await h.client.update('incident', created.sysId, stateChangeFor([], 'wont_fix').fields);
    expect(canceled.fields).toMatchObject({ state: '8', active: 'false' });
    expect(internalStateOf([], { value: '8' })).toBe('wont_fix');
  });

  it('mapping rows win both ways; unknown states fall to the default row', () => {
    const rows: MappingRow[] = [
      { kind: 'status', source: 'On Hold', target: 'backlog' },
      { kind: 'status', source: '7', target: 'done' },
      { kind: 'status', source: 'default', target: 'todo' },
      { kind: 'close_code', source: 'done', target: 'Solution provided' },
    ];
    expect(internalStateOf(rows, { value: '3', label: 'On Hold' })).toBe('backlog');
    expect(internalStateOf([], { value: '3' })).toBe('in_progress');
    expect(internalStateOf(rows, { value: '42', label: 'Awaiting vendor' })).toBe('todo');
    expect(internalStateOf([], { value: '42' })).toBe('backlog');
    expect(stateChangeFor(rows, 'done').fields).toEqual({ state: '7', incident_state: '7', close_code: 'Solution provided', close_notes: 'Resolved: the finding is fixed.' });
    expect(stateChangeFor(rows, 'backlog').fields).toEqual({ state: '3', incident_state: '3' });
    expect(stateChangeFor([], 'done', { table: 'sn_vul_vulnerable_item' }).fields).toMatchObject({ state: '3', close_code: 'Solved (Permanently)' });
    expect(internalStateOf([], { value: '3', label: 'Closed Complete' }, 'sn_vul_vulnerable_item')).toBe('done');
  });
});

describe('assignment group', () => {
  it('finds a group by name in sys_user_group (case-insensitive), null when absent', async () => {
    const group = await h.client.findGroupByName('security operations');
    expect(group).toMatchObject({ name: 'Security Operations' });
    expect(group?.sysId).toMatch(/^[0-9a-f]{32}$/);
    expect(await h.client.findGroupByName('No Such Group')).toBeNull();
  });

  it('writes a group by display name with sysparm_input_display_value', async () => {
    const group = (await h.client.findGroupByName('Application Security'))!;
    const created = await h.client.create('incident', { short_description: 'assigned', assignment_group: 'Application Security' }, { inputDisplayValue: true });
    expect(valueOf(created.fields.assignment_group)).toBe(group.sysId);
  });
});
