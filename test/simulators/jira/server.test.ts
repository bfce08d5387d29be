import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adf, basic, call } from './helpers.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from './server/index.ts';

let sim: JiraServerSimulator;
let api: string;
let auth: string;

beforeAll(async () => {
  sim = await startJiraServerSimulator({ contextPath: '/jira' });
  api = `${sim.url}/rest/api/2`;
  auth = sim.credentials.bearerAuthHeader;
});
afterAll(() => sim.close());

const fields = (extra: Record<string, unknown> = {}) => ({ project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: 'Log4Shell', description: 'h2. Fix\n* upgrade', ...extra });

describe('Jira Server/DC', () => {
  it('serves REST v2 under the context path with a PAT and creates with wiki markup', async () => {
    expect(sim.url).toMatch(/\/jira$/);
    const res = await call(`${api}/issue`, { auth, body: { fields: fields({ assignee: { name: 'bob' } }) } });
    expect(res.status).toBe(201);
    const { key, self } = res.json as { key: string; self: string };
    expect(self.startsWith(`${sim.url}/rest/api/2/issue/`)).toBe(true);
    const got = (await call(`${api}/issue/${key}`, { auth })).json as { fields: { description: string; assignee: { name: string } } };
    expect(got.fields.description).toBe('h2. Fix\n* upgrade');
    expect(got.fields.assignee.name).toBe('bob');
    expect((await call(`${sim.url.replace(/\/jira$/, '')}/rest/api/2/myself`, { auth })).status).toBe(404);
  });

  it('refuses an ADF description and an ADF comment', async () => {
    const res = await call(`${api}/issue`, { auth, body: { fields: fields({ description: adf('x') }) } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ errorMessages: [], errors: { description: 'Operation value must be a string' } });
    const { key } = (await call(`${api}/issue`, { auth, body: { fields: fields() } })).json as { key: string };
    const comment = await call(`${api}/issue/${key}/comment`, { auth, body: { body: adf('x') } });
    expect(comment.status).toBe(400);
    expect((comment.json as { errors: Record<string, string> }).errors.comment).toBe('Operation value must be a string');
    expect((await call(`${api}/issue/${key}/comment`, { auth, body: { body: 'PR: [#1|https://git.example/pr/1]' } })).status).toBe(201);
  });

  it('uses Server wording for missing project and issue type, and refuses unknown users', async () => {
    const res = await call(`${api}/issue`, { auth, body: { fields: { summary: 'x' } } });
    expect(res.json).toEqual({ errorMessages: [], errors: { project: 'project is required', issuetype: 'valid issue type is required' } });
    const user = await call(`${api}/issue`, { auth, body: { fields: fields({ assignee: { name: 'ghost' } }) } });
    expect((user.json as { errors: Record<string, string> }).errors.assignee).toBe("User 'ghost' does not exist.");
  });

  it('rejects bad credentials with the HTML 401 page; a PAT is not a Basic password', async () => {
    for (const a of [undefined, 'Bearer wrong', basic('integration-bot', sim.credentials.pat)]) {
      const res = await call(`${api}/myself`, { auth: a });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-seraph-loginreason')).toBe('AUTHENTICATED_FAILED');
      expect(res.text).toMatch(/Unauthorized \(401\)/);
    }
    expect((await call(`${api}/myself`, { auth: basic(sim.credentials.username, sim.credentials.password) })).status).toBe(200);
  });

  it('searches with startAt/maxResults/total and *navigable fields', async () => {
    const label = `dc-${Date.now()}`;
    for (let i = 0; i < 3; i++) await call(`${api}/issue`, { auth, body: { fields: fields({ labels: [label] }) } });
    const res = await call(`${api}/search?jql=${encodeURIComponent(`labels = ${label} ORDER BY key ASC`)}&maxResults=2`, { auth });
    const body = res.json as { startAt: number; maxResults: number; total: number; issues: { fields: { summary: string } }[] };
    expect(body).toMatchObject({ startAt: 0, maxResults: 2, total: 3 });
    expect(body.issues[0]?.fields.summary).toBe('Log4Shell');
    const bad = await call(`${api}/search?jql=${encodeURIComponent('project = NOPE')}`, { auth });
    expect(bad.status).toBe(400);
  });

  it('bulk-creates up to 50 and refuses the 51st; transitions like Cloud', async () => {
    const tooMany = await call(`${api}/issue/bulk`, { auth, body: { issueUpdates: Array.from({ length: 51 }, () => ({ fields: fields() })) } });
    expect(tooMany.status).toBe(400);
    const { key } = (await call(`${api}/issue`, { auth, body: { fields: fields() } })).json as { key: string };
    expect((await call(`${api}/issue/${key}/transitions`, { auth, body: { transition: { id: '31' } } })).json).toEqual({
      errorMessages: ["Transition id '31' is not valid for this issue."],
      errors: {},
    });
    expect((await call(`${api}/issue/${key}/transitions`, { auth, body: { transition: { id: '11' } } })).status).toBe(204);
  });

  it('answers 429 with the DC rate-limit headers', async () => {
    sim.admin.configureFaults({ rateLimit: { capacity: 1, refillPerSecond: 0.5 } });
    await call(`${api}/myself`, { auth });
    const res = await call(`${api}/myself`, { auth });
    sim.admin.configureFaults({ rateLimit: null });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(res.headers.get('x-ratelimit-fillrate')).toBe('0.5');
    expect(res.headers.get('x-ratelimit-interval-seconds')).toBe('1');
  });
});
