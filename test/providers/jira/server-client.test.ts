import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JIRA_AUTH_FAILED,
  JIRA_FIELD_REJECTED,
  JIRA_PROJECT_NOT_FOUND,
  JIRA_SITE_UNREACHABLE,
  type JiraClient,
  JiraError,
  type JiraTarget,
} from '../../../src/providers/jira/index.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from '../../simulators/jira/server/index.ts';
import { type Harness, makeClient, uniqueLabel } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: JiraServerSimulator;
let harness: Harness;
let jira: JiraClient;
let target: JiraTarget;

beforeAll(async () => {
  sim = await startJiraServerSimulator({ contextPath: '/jira', maxResultsCap: 20 });
  target = { flavor: 'server', baseUrl: sim.url, credentials: staticCredentials({ kind: 'pat', token: sim.credentials.pat }), connectionId: 'dc-main' };
  harness = makeClient(target);
  jira = harness.client;
});
afterAll(async () => {
  await harness.http.close();
  await sim.close();
});

const fields = (extra: Record<string, unknown> = {}) => ({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'finding', description: 'h2. Fix', ...extra });

async function rejection(promise: Promise<unknown>): Promise<JiraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JiraError);
  return error as JiraError;
}

describe('Jira Server/DC client (REST v2, PAT, context path)', () => {
  it('reads the account by name and the create screen', async () => {
    const me = await jira.myself();
    expect(me.accountId).toBeNull();
    expect(me.name).toBe('integration-bot');
    expect((await jira.createFields('SEC', 'Task')).map((f) => f.fieldId)).toContain('customfield_10050');
    expect((await jira.priorities()).map((p) => p.name)).toContain('Medium');
  });

  it('creates with a wiki description and a {name} assignee found by e-mail, links to /jira/browse', async () => {
    const bob = sim.credentials.users.find((u) => u.name === 'bob');
    const user = await jira.findUser(bob?.email ?? '');
    expect(user).toEqual({ accountId: null, name: 'bob' });
    const ref = await jira.createIssue(fields({ assignee: { name: user?.name } }));
    expect(ref.url).toBe(`${sim.url}/browse/${ref.key}`);
    expect(ref.url).toContain('/jira/browse/');
    const issue = await jira.getIssue(ref.key);
    expect((issue.fields.assignee as { name: string }).name).toBe('bob');
  });

  it('bulk-creates 120 items in 3 calls with per-item failures at the right indexes', async () => {
    const label = uniqueLabel('dcbulk');
    const items = Array.from({ length: 120 }, (_, i) => ({ fields: fields({ labels: [label], summary: `n${i}`, ...(i % 40 === 7 ? { assignee: { name: 'ghost' } } : {}) }) }));
    const before = sim.admin.received({ method: 'POST', path: '/jira/rest/api/2/issue/bulk' }).length;
    const result = await jira.bulkCreate(items);
    expect(sim.admin.received({ method: 'POST', path: '/jira/rest/api/2/issue/bulk' }).length - before).toBe(3);
    expect(result.failed.map((f) => [f.index, f.error.code, f.error.field])).toEqual([
      [7, JIRA_FIELD_REJECTED, 'assignee'],
      [47, JIRA_FIELD_REJECTED, 'assignee'],
      [87, JIRA_FIELD_REJECTED, 'assignee'],
    ]);
    for (const created of result.created) expect(sim.admin.issue(created.key)?.summary).toBe(`n${created.index}`);

    const found = await jira.search(`labels = ${label} ORDER BY key ASC`, { pageSize: 50 });
    // maxResultsCap 20 makes the server give smaller pages than asked: startAt must follow what came back.
    expect(found).toHaveLength(117);
    expect(new Set(found.map((i) => i.key)).size).toBe(117);
  });

  it('comments in wiki markup, transitions and upserts remote links', async () => {
    const ref = await jira.createIssue(fields());
    await jira.addComment(ref.key, { text: 'PR opened [not a link]', links: [{ text: 'PR 7', url: 'https://github.com/acme/web/pull/7' }] });
    const stored = sim.admin.comments(ref.key).at(-1) as { body: unknown };
    expect(stored.body).toBe('PR opened \\[not a link\\]\n\n[PR 7|https://github.com/acme/web/pull/7]');
    const done = (await jira.listTransitions(ref.key)).find((t) => t.to.name === 'In Progress');
    await jira.transition(ref.key, done?.id ?? '');
    expect((await jira.getIssue(ref.key)).status.categoryKey).toBe('indeterminate');
    await jira.addRemoteLink(ref.key, { globalId: 'g1', url: 'https://github.com/acme/web/pull/7', title: 'PR 7', iconUrl: 'https://github.com/favicon.ico' });
    await jira.addRemoteLink(ref.key, { globalId: 'g1', url: 'https://github.com/acme/web/pull/7', title: 'PR 7 merged' });
    expect(sim.admin.remoteLinks(ref.key)).toHaveLength(1);
  });

  it('maps errors: bad PAT, unknown project, ADF refused, unreachable site', async () => {
    const bad = makeClient({ ...target, connectionId: 'dc-bad', credentials: staticCredentials({ kind: 'pat', token: 'wrong-pat' }) });
    const auth = await rejection(bad.client.myself());
    expect(auth.code).toBe(JIRA_AUTH_FAILED);
    expect(auth.message).toMatch(/personal access token/);
    await bad.http.close();

    const project = await rejection(jira.createIssue(fields({ project: { key: 'NOPE' } })));
    expect(project.code).toBe(JIRA_PROJECT_NOT_FOUND);
    const adf = await rejection(jira.createIssue(fields({ description: { type: 'doc', version: 1, content: [] } })));
    expect(adf).toMatchObject({ code: JIRA_FIELD_REJECTED, field: 'description' });
    expect(adf.message).toContain('Operation value must be a string');

    const closed = makeClient({ ...target, connectionId: 'dc-gone', baseUrl: 'http://127.0.0.1:1/jira' });
    const unreachable = await rejection(closed.client.myself());
    expect(unreachable.code).toBe(JIRA_SITE_UNREACHABLE);
    expect(unreachable.message).toMatch(/refused the connection/);
    await closed.http.close();

    const guarded = makeClient({ ...target, connectionId: 'dc-private', baseUrl: 'http://10.0.0.5/jira' });
    const refused = await rejection(guarded.client.myself());
    expect(refused.code).toBe(JIRA_SITE_UNREACHABLE);
    expect(refused.message).toMatch(/outbound guard/);
    await guarded.http.close();
  });
});
