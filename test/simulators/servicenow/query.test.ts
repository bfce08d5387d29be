/**
 * `sysparm_query` (encoded queries), plain field parameters, ordering, `sysparm_limit`/`sysparm_offset`
 * paging with the Link header and X-Total-Count, and the v1/v2 empty-list answers, through real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedSysId } from './store.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from './index.ts';
import { call, result } from './test-helpers.ts';

let sim: ServiceNowSimulator;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const SECOPS = seedSysId('sys_user_group', 'Security Operations');

beforeAll(async () => {
  sim = await startServiceNowSimulator({ now: () => T0 });
});
afterAll(async () => {
  await sim.close();
});

/** Five incidents, one a minute: INC0010001..5. */
beforeEach(() => {
  sim.admin.reset();
  const rows = [
    { short_description: 'Log4Shell in billing', impact: '1', urgency: '1', correlation_id: 'fk-1', assignment_group: SECOPS },
    { short_description: 'Outdated lodash', impact: '3', urgency: '3', correlation_id: 'fk-2', state: '2' },
    { short_description: 'Log4j in search', impact: '2', urgency: '1', correlation_id: 'fk-3', state: '6' },
    { short_description: 'Weak TLS config', impact: '2', urgency: '2', correlation_id: '' },
    { short_description: 'SQL injection in login', impact: '1', urgency: '2', correlation_id: 'fk-5', assignment_group: SECOPS },
  ];
  for (const row of rows) {
    sim.admin.insertRecordDirectly('incident', row, 'sim.integration');
    sim.admin.advanceClock(60_000);
  }
});

async function numbers(query: string): Promise<string[]> {
  const answer = await call(`${sim.url}/api/now/table/incident?${query}`, { auth: sim.credentials.basicAuthHeader });
  expect(answer.status).toBe(200);
  return result<Record<string, string>[]>(answer).map((r) => r.number!);
}
const q = (encoded: string, extra = ''): Promise<string[]> => numbers(`sysparm_query=${encodeURIComponent(encoded)}&sysparm_fields=number${extra}`);

describe('encoded queries', () => {
  it('=, !=, LIKE, STARTSWITH, ENDSWITH, IN, ISEMPTY', async () => {
    expect(await q('correlation_id=fk-3')).toEqual(['INC0010003']);
    expect(await q('correlation_id!=fk-3')).toEqual(['INC0010001', 'INC0010002', 'INC0010005']);
    expect(await q('short_descriptionLIKElog4')).toEqual(['INC0010001', 'INC0010003']);
    expect(await q('short_descriptionSTARTSWITHOutdated')).toEqual(['INC0010002']);
    expect(await q('short_descriptionENDSWITHlogin')).toEqual(['INC0010005']);
    expect(await q('priorityIN1,2')).toEqual(['INC0010001', 'INC0010003', 'INC0010005']);
    expect(await q('correlation_idISEMPTY')).toEqual(['INC0010004']);
  });

  it('^ is AND, ^OR binds to the previous condition', async () => {
    expect(await q('impact=1^urgency=2')).toEqual(['INC0010005']);
    expect(await q('state=2^ORstate=6')).toEqual(['INC0010002', 'INC0010003']);
    expect(await q('impact=2^state=6^ORurgency=2')).toEqual(['INC0010003', 'INC0010004']);
  });

  it('> >= < <= on sys_updated_on (and on numbers), with gs.dateGenerate values', async () => {
    expect(await q('sys_updated_on>2026-03-01 10:02:00')).toEqual(['INC0010004', 'INC0010005']);
    expect(await q('sys_updated_on>=2026-03-01 10:02:00')).toEqual(['INC0010003', 'INC0010004', 'INC0010005']);
    expect(await q('sys_updated_on<2026-03-01 10:01:00')).toEqual(['INC0010001']);
    expect(await q('sys_updated_on<=2026-03-01 10:01:00')).toEqual(['INC0010001', 'INC0010002']);
    expect(await q("sys_updated_on>javascript:gs.dateGenerate('2026-03-01','10:03:00')")).toEqual(['INC0010005']);
    expect(await q('priority<=2')).toEqual(['INC0010001', 'INC0010003', 'INC0010005']);
  });

  it('ORDERBY / ORDERBYDESC, dot-walked conditions', async () => {
    expect(await q('ORDERBYpriority^ORDERBYDESCnumber')).toEqual(['INC0010001', 'INC0010005', 'INC0010003', 'INC0010004', 'INC0010002']);
    expect(await q('ORDERBYDESCsys_updated_on')).toEqual(['INC0010005', 'INC0010004', 'INC0010003', 'INC0010002', 'INC0010001']);
    expect(await q('assignment_group.name=Security Operations^ORDERBYDESCnumber')).toEqual(['INC0010005', 'INC0010001']);
  });

  it('invalid clauses are silently dropped (the rest still filters); with returns_no_rows the query returns nothing', async () => {
    expect(await q('no_such_field=1')).toHaveLength(5);
    expect(await q('no_such_field=1^correlation_id=fk-2')).toEqual(['INC0010002']);
    expect(await q('correlation_id~~fk-2^ORDERBYbogus')).toHaveLength(5);
    sim.admin.setInvalidQueryReturnsNoRows(true);
    expect(await q('no_such_field=1^correlation_id=fk-2')).toEqual([]);
  });

  it('plain field=value parameters filter when there is no sysparm_query', async () => {
    expect(await numbers('correlation_id=fk-5&sysparm_fields=number')).toEqual(['INC0010005']);
  });

  it('queries other tables: groups by name, users by user_name', async () => {
    const groups = await call(`${sim.url}/api/now/table/sys_user_group?sysparm_query=name=Security Operations&sysparm_fields=sys_id,name`, { auth: sim.credentials.basicAuthHeader });
    expect(result(groups)).toEqual([{ sys_id: SECOPS, name: 'Security Operations' }]);
    const users = await call(`${sim.url}/api/now/table/sys_user?sysparm_query=user_nameSTARTSWITHsim.&sysparm_fields=user_name`, { auth: sim.credentials.basicAuthHeader });
    expect(result(users)).toEqual([{ user_name: 'sim.integration' }, { user_name: 'sim.readonly' }]);
  });
});

describe('paging', () => {
  function links(header: string | null): Record<string, { limit: string | null; offset: string | null; query: string | null }> {
    const out: Record<string, { limit: string | null; offset: string | null; query: string | null }> = {};
    for (const part of (header ?? '').split(',')) {
      const m = /^<([^>]+)>;rel="(\w+)"$/.exec(part.trim());
      if (!m) continue;
      const url = new URL(m[1]!);
      out[m[2]!] = { limit: url.searchParams.get('sysparm_limit'), offset: url.searchParams.get('sysparm_offset'), query: url.searchParams.get('sysparm_query') };
    }
    return out;
  }
  const page = (extra: string) =>
    call(`${sim.url}/api/now/table/incident?sysparm_query=ORDERBYnumber&sysparm_fields=number${extra}`, { auth: sim.credentials.basicAuthHeader });

  it('sysparm_limit/sysparm_offset with X-Total-Count and Link first/prev/next/last that keep the other parameters', async () => {
    const first = await page('&sysparm_limit=2');
    expect(result<Record<string, string>[]>(first).map((r) => r.number)).toEqual(['INC0010001', 'INC0010002']);
    expect(first.headers.get('x-total-count')).toBe('5');
    const l1 = links(first.headers.get('link'));
    expect(Object.keys(l1)).toEqual(['first', 'next', 'last']);
    expect(l1.next).toEqual({ limit: '2', offset: '2', query: 'ORDERBYnumber' });
    expect(l1.last).toMatchObject({ offset: '4' });
    expect(first.headers.get('link')!.startsWith(`<${sim.url}/api/now/table/incident?`)).toBe(true);

    const middle = await page('&sysparm_limit=2&sysparm_offset=2');
    expect(result<Record<string, string>[]>(middle).map((r) => r.number)).toEqual(['INC0010003', 'INC0010004']);
    expect(Object.keys(links(middle.headers.get('link')))).toEqual(['first', 'prev', 'next', 'last']);
    expect(links(middle.headers.get('link')).prev).toMatchObject({ offset: '0' });

    const last = await page('&sysparm_limit=2&sysparm_offset=4');
    expect(result<unknown[]>(last)).toHaveLength(1);
    expect(Object.keys(links(last.headers.get('link')))).toEqual(['first', 'prev', 'last']);
  });

  it('default page is 10000; suppress_pagination_header and no_count drop the headers', async () => {
    const all = await page('');
    expect(result<unknown[]>(all)).toHaveLength(5);
    expect(links(all.headers.get('link')).first).toMatchObject({ limit: '10000', offset: '0' });
    const quiet = await page('&sysparm_suppress_pagination_header=true&sysparm_no_count=true');
    expect(quiet.headers.get('link')).toBeNull();
    expect(quiet.headers.get('x-total-count')).toBeNull();
  });

  it('an empty result is 200 {"result":[]} on the default/v2 path and 404 on v1', async () => {
    const empty = await call(`${sim.url}/api/now/table/incident?sysparm_query=correlation_id=nothing`, { auth: sim.credentials.basicAuthHeader });
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ result: [] });
    expect(empty.headers.get('x-total-count')).toBe('0');
    const v2 = await call(`${sim.url}/api/now/v2/table/incident?sysparm_query=correlation_id=nothing`, { auth: sim.credentials.basicAuthHeader });
    expect(v2.json).toEqual({ result: [] });
    const v1 = await call(`${sim.url}/api/now/v1/table/incident?sysparm_query=correlation_id=nothing`, { auth: sim.credentials.basicAuthHeader });
    expect(v1.status).toBe(404);
    expect(v1.json).toMatchObject({ error: { message: 'No Record found' }, status: 'failure' });
  });
});
