import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from './cloud/index.ts';
import { adf, call, sleep } from './helpers.ts';

let sim: JiraCloudSimulator;
let api: string;
let auth: string;

beforeAll(async () => {
  sim = await startJiraCloudSimulator({ searchLagMs: 0 });
  api = `${sim.url}/rest/api/3`;
  auth = sim.credentials.basicAuthHeader;
});
afterAll(() => sim.close());

const create = async (fields: Record<string, unknown> = {}): Promise<{ id: string; key: string }> => {
  const res = await call(`${api}/issue`, {
    auth,
    body: { fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'finding', description: adf('d'), ...fields } },
  });
  expect(res.status).toBe(201);
  return res.json as { id: string; key: string };
};
const search = (body: Record<string, unknown>) => call(`${api}/search/jql`, { auth, body });
const keysOf = (res: { json: unknown }) => ((res.json as { issues: { key: string }[] }).issues ?? []).map((i) => i.key);

/**
 * Search lag on the simulator's own clock: time moves only when the test moves it, so "not yet
 * visible" and "visible after the lag" hold however slow the machine is (no sleeps against the lag).
 */
describe('Jira Cloud search lag (manual clock)', () => {
  let lagged: JiraCloudSimulator;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const lag = 400;
  beforeAll(async () => {
    lagged = await startJiraCloudSimulator({ searchLagMs: lag, now: () => clock });
  });
  afterAll(() => lagged.close());
  const on = (path: string) => `${lagged.url}/rest/api/3${path}`;
  const createOn = async (fields: Record<string, unknown>) => {
    const res = await call(on('/issue'), {
      auth: lagged.credentials.basicAuthHeader,
      body: { fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'finding', description: adf('d'), ...fields } },
    });
    expect(res.status).toBe(201);
    return res.json as { id: string; key: string };
  };
  const searchOn = (body: Record<string, unknown>) => call(on('/search/jql'), { auth: lagged.credentials.basicAuthHeader, body });

  it('hides a new issue until the lag passes, unless reconcileIssues names it', async () => {
    const label = 'lag-new';
    const issue = await createOn({ labels: [label] });
    expect(keysOf(await searchOn({ jql: `labels = ${label}` }))).toEqual([]);
    expect(keysOf(await searchOn({ jql: `labels = ${label}`, reconcileIssues: [Number(issue.id)] }))).toEqual([issue.key]);
    // get-by-key is immediately consistent
    expect((await call(on(`/issue/${issue.key}`), { auth: lagged.credentials.basicAuthHeader })).status).toBe(200);
    clock += lag - 1;
    expect(keysOf(await searchOn({ jql: `labels = ${label}` }))).toEqual([]);
    clock += 1;
    expect(keysOf(await searchOn({ jql: `labels = ${label}` }))).toEqual([issue.key]);
  });

  it('keeps showing the old version of a changed issue until the lag passes', async () => {
    const label = 'lag-changed';
    const issue = await createOn({ labels: [label] });
    clock += lag;
    expect(keysOf(await searchOn({ jql: `labels = ${label}` }))).toEqual([issue.key]);
    await call(on(`/issue/${issue.key}`), { method: 'PUT', auth: lagged.credentials.basicAuthHeader, body: { update: { labels: [{ remove: label }] } } });
    expect(keysOf(await searchOn({ jql: `labels = ${label}` }))).toEqual([issue.key]);
    clock += lag;
    expect(keysOf(await searchOn({ jql: `labels = ${label}` }))).toEqual([]);
  });
});

describe('Jira Cloud search', () => {
  it('answers the removed /search with 410 and the CHANGE-2046 message', async () => {
    const res = await call(`${api}/search?jql=project=SEC`, { auth });
    expect(res.status).toBe(410);
    expect((res.json as { errorMessages: string[] }).errorMessages[0]).toMatch(/^The requested API has been removed\. Please migrate to the \/rest\/api\/3\/search\/jql API/);
  });

  it('defaults to id only, has no total/startAt, paginates with nextPageToken', async () => {
    const label = `page-${Date.now()}`;
    for (let i = 0; i < 5; i++) await create({ labels: [label] });
    const first = await search({ jql: `labels = ${label} ORDER BY key ASC`, maxResults: 2 });
    const body = first.json as Record<string, unknown> & { issues: Record<string, unknown>[] };
    expect(body).not.toHaveProperty('total');
    expect(body).not.toHaveProperty('startAt');
    expect(body.isLast).toBe(false);
    expect(body.issues[0]).not.toHaveProperty('fields');
    const seen = [...body.issues.map((i) => i.key)];
    let token = body.nextPageToken as string | undefined;
    while (token) {
      const next = (await search({ jql: `labels = ${label} ORDER BY key ASC`, maxResults: 2, nextPageToken: token })).json as { issues: { key: string }[]; nextPageToken?: string; isLast: boolean };
      seen.push(...next.issues.map((i) => i.key));
      token = next.nextPageToken;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('refuses a garbage nextPageToken and unbounded JQL', async () => {
    const bad = await search({ jql: 'project = SEC', nextPageToken: 'garbage' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ errorMessages: ['Invalid format of nextPageToken'], errors: {} });
    const unbounded = await search({ jql: 'order by key desc' });
    expect(unbounded.status).toBe(400);
    expect(unbounded.json).toEqual({ errorMessages: ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'], errors: {} });
  });

  it.each([
    ['project = SEC AND', /^Error in the JQL Query: Expecting either a value, list or function|^Error in the JQL Query: Expecting a field name/],
    ['project SEC', /^Error in the JQL Query: Expecting operator but got 'SEC'/],
    ['project = NOPE', /^The value 'NOPE' does not exist for the field 'project'\.$/],
    ['colour = red', /^Field 'colour' does not exist/],
    ['project in (SEC', /^Error in the JQL Query: Expecting '\)'/],
    ['status = "Nope"', /does not exist for the field 'status'/],
    ['updated >= "yesterday"', /^Date value 'yesterday' for field 'updated' is invalid/],
    ['project = SEC ORDER BY colour', /Not able to sort using field 'colour'/],
    ['key in (SEC-999999)', /An issue with key 'SEC-999999' does not exist/],
  ])('answers 400 for bad JQL: %s', async (jql, message) => {
    const res = await search({ jql });
    expect(res.status).toBe(400);
    expect((res.json as { errorMessages: string[] }).errorMessages[0]).toMatch(message);
  });

  it('evaluates the supported subset', async () => {
    const tag = `q${Date.now()}`;
    const a = await create({ labels: [tag, 'alpha'], priority: { name: 'High' } });
    const b = await create({ labels: [tag, 'beta'] });
    const c = await create({ labels: [tag], project: { key: 'COMP' } });
    await call(`${api}/issue/${b.key}/transitions`, { auth, body: { transition: { id: '11' } } });
    await call(`${api}/issue/${a.key}/properties/finding`, { method: 'PUT', auth, body: { fingerprint: 'fp-a' } });
    const q = async (jql: string) => keysOf(await search({ jql: `labels = ${tag} AND (${jql}) ORDER BY key ASC` })).sort();
    expect(await q('project = SEC')).toEqual([a.key, b.key].sort());
    expect(await q('project in (COMP)')).toEqual([c.key]);
    expect(await q('labels in (alpha, beta)')).toEqual([a.key, b.key].sort());
    expect(await q(`key in (${a.key}, ${c.key})`)).toEqual([a.key, c.key].sort());
    expect(await q(`id = ${b.id}`)).toEqual([b.key]);
    expect(await q('status = "In Progress"')).toEqual([b.key]);
    expect(await q('status in ("To Do")')).toEqual([a.key, c.key].sort());
    expect(await q('statusCategory = "In Progress" OR priority = High')).toEqual([a.key, b.key].sort());
    expect(await q('statusCategory != Done AND NOT labels = alpha')).toEqual([b.key, c.key].sort());
    expect(await q('issue.property[finding].fingerprint = "fp-a"')).toEqual([a.key]);
    expect(await q('updated >= -5m')).toHaveLength(3);
    expect(await q('created < "2000-01-01 00:00"')).toEqual([]);
  });

  it('orders by created DESC and key', async () => {
    const tag = `o${Date.now()}`;
    const first = await create({ labels: [tag] });
    await sleep(5);
    const second = await create({ labels: [tag] });
    expect(keysOf(await search({ jql: `labels = ${tag} ORDER BY created DESC` }))).toEqual([second.key, first.key]);
    expect(keysOf(await search({ jql: `labels = ${tag} ORDER BY key ASC` }))).toEqual([first.key, second.key]);
  });

  it('supports GET with query parameters and fields', async () => {
    const tag = `g${Date.now()}`;
    const issue = await create({ labels: [tag] });
    const res = await call(`${api}/search/jql?jql=${encodeURIComponent(`labels = ${tag}`)}&fields=summary,status`, { auth });
    const hit = (res.json as { issues: { key: string; fields: Record<string, unknown> }[] }).issues[0];
    expect(hit?.key).toBe(issue.key);
    expect(Object.keys(hit?.fields ?? {}).sort()).toEqual(['status', 'summary']);
  });
});
