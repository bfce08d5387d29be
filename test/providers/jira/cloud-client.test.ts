import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JIRA_AUTH_FAILED,
  JIRA_FIELD_REJECTED,
  JIRA_ISSUE_NOT_FOUND,
  JIRA_PROJECT_NOT_FOUND,
  JIRA_TRANSITION_NOT_AVAILABLE,
  type JiraClient,
  JiraError,
  type JiraTarget,
} from '../../../src/providers/jira/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { adfText, type Harness, makeClient, uniqueLabel } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: JiraCloudSimulator;
let harness: Harness;
let jira: JiraClient;
let target: JiraTarget;

beforeAll(async () => {
  sim = await startJiraCloudSimulator({ searchLagMs: 0 });
  target = { flavor: 'cloud', baseUrl: sim.url, credentials: staticCredentials({ kind: 'api-token', email: sim.credentials.email, apiToken: sim.credentials.apiToken }), connectionId: 'cloud-main' };
  harness = makeClient(target);
  jira = harness.client;
});
afterAll(async () => {
  await harness.http.close();
  await sim.close();
});

const fields = (extra: Record<string, unknown> = {}) => ({
  project: { key: 'SEC' },
  issuetype: { name: 'Task' },
  summary: 'finding',
  description: adfText('details'),
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<JiraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JiraError);
  return error as JiraError;
}

describe('Jira Cloud client (site URL, Basic)', () => {
  it('reads the account, the project, priorities and the create screen', async () => {
    const me = await jira.myself();
    expect(me.accountId).toBe(sim.credentials.accountId);
    expect(me.name).toBeNull();
    const project = await jira.getProject('SEC');
    expect(project.key).toBe('SEC');
    expect(project.issueTypes.map((t) => t.name)).toContain('Bug');
    expect((await jira.priorities()).map((p) => p.name)).toContain('High');
    const screen = await jira.createFields('SEC', 'Bug');
    expect(screen.find((f) => f.fieldId === 'summary')?.required).toBe(true);
    expect(screen.map((f) => f.fieldId)).toContain('environment');
    const before = sim.admin.received({ method: 'GET', path: '/rest/api/3/issue/createmeta/SEC/issuetypes' }).length;
    await jira.createFields('SEC', 'Bug');
    expect(sim.admin.received({ method: 'GET', path: '/rest/api/3/issue/createmeta/SEC/issuetypes' }).length).toBe(before);
  });

  it('creates an issue and reads it back with a browse URL', async () => {
    const label = uniqueLabel('create');
    const ref = await jira.createIssue(fields({ labels: [label], priority: { name: 'High' } }), { properties: [{ key: 'integration.finding', value: { fingerprint: label } }] });
    expect(ref.key).toMatch(/^SEC-\d+$/);
    expect(ref.url).toBe(`${sim.url}/browse/${ref.key}`);
    const issue = await jira.getIssue(ref.key);
    expect(issue).toMatchObject({ id: ref.id, key: ref.key, summary: 'finding', priority: 'High', labels: [label] });
    expect(issue.status).toEqual({ name: 'To Do', categoryKey: 'new' });
    expect(issue.updated).not.toBe('');
  });

  it('sets and reads issue properties, null when absent', async () => {
    const ref = await jira.createIssue(fields());
    expect(await jira.getIssueProperty(ref.key, 'integration.finding')).toBeNull();
    await jira.setIssueProperty(ref.key, 'integration.finding', { fingerprint: 'abc' });
    expect(await jira.getIssueProperty(ref.key, 'integration.finding')).toEqual({ fingerprint: 'abc' });
    expect((await rejection(jira.getIssueProperty('SEC-999999', 'x'))).code).toBe(JIRA_ISSUE_NOT_FOUND);
  });

  it('bulk-creates 120 items in 3 calls and maps per-item failures to input indexes', async () => {
    const label = uniqueLabel('bulk');
    const bad = new Set([3, 57, 119]);
    const items = Array.from({ length: 120 }, (_, i) => ({
      fields: bad.has(i) ? fields({ labels: [label], summary: `item ${i}`, customfield_99999: 'x' }) : fields({ labels: [label], summary: `item ${i}` }),
    }));
    const before = sim.admin.received({ method: 'POST', path: '/rest/api/3/issue/bulk' }).length;
    const result = await jira.bulkCreate(items);
    expect(sim.admin.received({ method: 'POST', path: '/rest/api/3/issue/bulk' }).length - before).toBe(3);
    expect(result.created).toHaveLength(117);
    expect(result.failed.map((f) => f.index)).toEqual([3, 57, 119]);
    for (const failure of result.failed) {
      expect(failure.error.code).toBe(JIRA_FIELD_REJECTED);
      expect(failure.error.field).toBe('customfield_99999');
      expect(failure.attempted).toBe(true);
    }
    for (const created of result.created) {
      expect(sim.admin.issue(created.key)?.summary).toBe(`item ${created.index}`);
    }
  });

  it('reports an all-failed chunk per item and stops on a chunk that fails as a whole', async () => {
    const allBad = await jira.bulkCreate([{ fields: fields({ summary: '' }) }, { fields: fields({ project: { key: 'NOPE' } }) }]);
    expect(allBad.created).toEqual([]);
    expect(allBad.failed.map((f) => [f.index, f.error.code])).toEqual([
      [0, JIRA_FIELD_REJECTED],
      [1, JIRA_PROJECT_NOT_FOUND],
    ]);
    const { client, http } = makeClient({ ...target, credentials: staticCredentials({ kind: 'api-token', email: sim.credentials.email, apiToken: 'wrong' }) });
    const result = await client.bulkCreate(Array.from({ length: 60 }, () => ({ fields: fields() })));
    expect(result.failed).toHaveLength(60);
    expect(result.failed[0]?.error.code).toBe(JIRA_AUTH_FAILED);
    expect(result.failed.filter((f) => !f.attempted).map((f) => f.index)[0]).toBe(50);
    await http.close();
  });

  it('searches every page, and sees fresh issues under search lag through reconcileIssues', async () => {
    const label = uniqueLabel('page');
    const made = await jira.bulkCreate(Array.from({ length: 45 }, (_, i) => ({ fields: fields({ labels: [label], summary: `p${i}` }) })));
    const found = await jira.search(`labels = ${label} ORDER BY key ASC`, { pageSize: 10 });
    expect(found).toHaveLength(45);
    expect(new Set(found.map((i) => i.key)).size).toBe(45);
    expect(found[0]?.summary).toMatch(/^p\d+$/);
    expect(sim.admin.received({ method: 'POST', path: '/rest/api/3/search/jql' }).length).toBeGreaterThanOrEqual(5);
    expect(await jira.search(`labels = ${label}`, { maxResults: 12, pageSize: 5 })).toHaveLength(12);
    expect(made.created).toHaveLength(45);

    sim.admin.setSearchLag(5_000);
    try {
      const lagLabel = uniqueLabel('lag');
      const fresh = await jira.createIssue(fields({ labels: [lagLabel] }));
      expect(await jira.search(`labels = ${lagLabel}`)).toEqual([]);
      const reconciled = await jira.search(`labels = ${lagLabel}`, { reconcileIssues: [Number(fresh.id)] });
      expect(reconciled.map((i) => i.key)).toEqual([fresh.key]);
      // More than 50 ids: one search per 50, results united.
      const many = [...Array.from({ length: 60 }, (_, i) => 900000 + i), Number(fresh.id)];
      expect((await jira.search(`labels = ${lagLabel}`, { reconcileIssues: many })).map((i) => i.key)).toEqual([fresh.key]);
    } finally {
      sim.admin.setSearchLag(0);
    }
  });

  it('comments in ADF with links, lists and applies transitions, upserts remote links', async () => {
    const ref = await jira.createIssue(fields());
    const comment = await jira.addComment(ref.key, { text: 'Fix PR opened.\n\nSecond paragraph\nwith a line break', links: [{ text: 'acme/web#7', url: 'https://github.com/acme/web/pull/7' }] });
    expect(comment.id).not.toBe('');
    const stored = sim.admin.comments(ref.key).at(-1) as { body: unknown };
    expect(JSON.stringify(stored.body)).toContain('"href":"https://github.com/acme/web/pull/7"');

    const transitions = await jira.listTransitions(ref.key);
    const start = transitions.find((t) => t.to.name === 'In Progress');
    expect(start?.to).toEqual({ name: 'In Progress', categoryKey: 'indeterminate' });
    await jira.transition(ref.key, start?.id ?? '');
    expect((await jira.getIssue(ref.key)).status.name).toBe('In Progress');
    const refused = await rejection(jira.transition(ref.key, '999'));
    expect(refused.code).toBe(JIRA_TRANSITION_NOT_AVAILABLE);

    await jira.addRemoteLink(ref.key, { globalId: 'github-pr:acme/web#7', url: 'https://github.com/acme/web/pull/7', title: 'PR #7' });
    await jira.addRemoteLink(ref.key, { globalId: 'github-pr:acme/web#7', url: 'https://github.com/acme/web/pull/7', title: 'PR #7 (merged)', summary: 'merged' });
    const links = sim.admin.remoteLinks(ref.key) as unknown as { object: { title: string } }[];
    expect(links).toHaveLength(1);
    expect(links[0]?.object.title).toBe('PR #7 (merged)');
  });

  it('finds users by e-mail (accountId), even with a hidden address, and null for nobody', async () => {
    const alice = sim.credentials.users.find((u) => u.email.startsWith('alice'));
    expect(await jira.findUser(alice?.email ?? '')).toEqual({ accountId: alice?.accountId, name: null });
    const carol = sim.credentials.users.find((u) => u.email.startsWith('carol'));
    expect((await jira.findUser(carol?.email ?? ''))?.accountId).toBe(carol?.accountId);
    expect(await jira.findUser('nobody@nowhere.example')).toBeNull();
  });

  it('maps failures to codes with messages a user can act on', async () => {
    const { client, http } = makeClient({ ...target, connectionId: 'bad', credentials: staticCredentials({ kind: 'api-token', email: sim.credentials.email, apiToken: 'not-the-token' }) });
    const auth = await rejection(client.myself());
    expect(auth.code).toBe(JIRA_AUTH_FAILED);
    expect(auth.upstreamStatus).toBe(401);
    expect(auth.message).toMatch(/check the email and API token/);
    expect(auth.message).not.toContain('not-the-token');
    await http.close();

    const project = await rejection(jira.createIssue(fields({ project: { key: 'NOPE' } })));
    expect(project.code).toBe(JIRA_PROJECT_NOT_FOUND);
    expect(project.message).toContain("'NOPE'");
    expect((await rejection(jira.getProject('NOPE'))).code).toBe(JIRA_PROJECT_NOT_FOUND);

    const field = await rejection(jira.createIssue(fields({ environment: adfText('x') })));
    expect(field.code).toBe(JIRA_FIELD_REJECTED);
    expect(field.field).toBe('environment');
    expect(field.message).toContain('not on the appropriate screen');

    const plain = await rejection(jira.createIssue(fields({ description: 'plain string' })));
    expect(plain).toMatchObject({ code: JIRA_FIELD_REJECTED, field: 'description' });

    const missing = await rejection(jira.getIssue('SEC-999999'));
    expect(missing.code).toBe(JIRA_ISSUE_NOT_FOUND);
    expect(missing.message).toContain('SEC-999999');
    expect((await rejection(jira.createFields('SEC', 'Epic'))).message).toMatch(/not available in project SEC \(available: .*Bug/);
  });
});
