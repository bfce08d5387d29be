import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from './cloud/index.ts';
import { basic, call } from './helpers.ts';

let sim: JiraCloudSimulator;

beforeAll(async () => {
  sim = await startJiraCloudSimulator({
    // A stand-in token store; the OAuth simulator tests cover the real one.
    validateBearer: (token) =>
      token === 'good-read'
        ? { ok: true, grant: { accountId: sim.credentials.accountId, scopes: ['read:jira-work'], cloudIds: [sim.cloudId] } }
        : token === 'expired'
          ? { ok: false, reason: 'expired' }
          : { ok: false, reason: 'unknown' },
  });
});
afterAll(() => sim.close());

describe('Jira Cloud auth', () => {
  it('accepts Basic email:api-token at the site URL', async () => {
    const res = await call(`${sim.url}/rest/api/3/myself`, { auth: sim.credentials.basicAuthHeader });
    expect(res.status).toBe(200);
    expect((res.json as { accountId: string }).accountId).toBe(sim.credentials.accountId);
  });

  it('answers 401 plain text without or with wrong credentials', async () => {
    for (const auth of [undefined, basic(sim.credentials.email, 'wrong'), basic('nobody@x', 'y')]) {
      const res = await call(`${sim.url}/rest/api/3/myself`, { auth });
      expect(res.status).toBe(401);
      expect(res.text).toBe('Client must be authenticated to access this resource.');
      expect(res.headers.get('x-seraph-loginreason')).toBe('AUTHENTICATED_FAILED');
    }
  });

  it('answers the deprecation notice for a password in Basic auth', async () => {
    const bot = sim.credentials.users[0];
    const res = await call(`${sim.url}/rest/api/3/myself`, { auth: basic(sim.credentials.email, bot?.password ?? '') });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/^Basic authentication with passwords is deprecated/);
  });

  it('refuses OAuth bearer tokens at the site URL; accepts them at the gateway', async () => {
    const site = await call(`${sim.url}/rest/api/3/myself`, { auth: 'Bearer good-read' });
    expect(site.status).toBe(401);
    const gateway = await call(`${sim.gatewayUrl}/rest/api/3/project/search`, { auth: 'Bearer good-read' });
    expect(gateway.status).toBe(200);
    // self links follow the gateway host
    expect((gateway.json as { values: { self: string }[] }).values[0]?.self.startsWith(sim.gatewayUrl)).toBe(true);
  });

  it('answers gateway 401s in the gateway shape: expired, unknown, wrong cloud, missing scope', async () => {
    expect((await call(`${sim.gatewayUrl}/rest/api/3/project/search`, { auth: 'Bearer expired' })).json).toEqual({ code: 401, message: 'Unauthorized' });
    expect((await call(`${sim.url}/ex/jira/other-cloud/rest/api/3/project/search`, { auth: 'Bearer good-read' })).status).toBe(401);
    const write = await call(`${sim.gatewayUrl}/rest/api/3/issue`, {
      auth: 'Bearer good-read',
      body: { fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'x' } },
    });
    expect(write.status).toBe(401);
    expect(write.json).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
  });

  it('accepts scoped API tokens only through the gateway', async () => {
    const scoped = basic(sim.credentials.email, sim.credentials.scopedApiToken);
    expect((await call(`${sim.url}/rest/api/3/myself`, { auth: scoped })).status).toBe(401);
    expect((await call(`${sim.gatewayUrl}/rest/api/3/myself`, { auth: scoped })).status).toBe(200);
  });

  it('can answer 401 as JSON when configured', async () => {
    const jsonSim = await startJiraCloudSimulator({ unauthorizedStyle: 'json' });
    try {
      const res = await call(`${jsonSim.url}/rest/api/3/myself`);
      expect(res.json).toEqual({ message: 'Client must be authenticated to access this resource.', 'status-code': 401 });
    } finally {
      await jsonSim.close();
    }
  });
});
