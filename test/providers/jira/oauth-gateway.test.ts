import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JIRA_AUTH_FAILED, JiraError } from '../../../src/providers/jira/index.ts';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../../simulators/atlassian-oauth/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { adfText, makeClient } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let oauth: AtlassianOAuthSimulator;
let sim: JiraCloudSimulator;

beforeAll(async () => {
  oauth = await startAtlassianOAuthSimulator();
  sim = await startJiraCloudSimulator({ oauth, cloudId: oauth.cloudId, searchLagMs: 0 });
});
afterAll(async () => {
  await sim.close();
  await oauth.close();
});

describe('Jira Cloud through the API gateway with an OAuth token', () => {
  it('creates and reads issues, with browse links on the site URL', async () => {
    const token = oauth.admin.issueTokensDirectly(['read:jira-work', 'write:jira-work', 'read:jira-user', 'offline_access']).access_token;
    const { client, http } = makeClient({ flavor: 'cloud', baseUrl: sim.gatewayUrl, browseUrl: sim.url, credentials: staticCredentials({ kind: 'pat', token }), connectionId: 'oauth' });
    try {
      const ref = await client.createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'via gateway', description: adfText('x') });
      expect(ref.url).toBe(`${sim.url}/browse/${ref.key}`);
      expect((await client.getIssue(ref.key)).summary).toBe('via gateway');
      expect((await client.myself()).accountId).toBe(sim.credentials.accountId);
    } finally {
      await http.close();
    }
  });

  it('says the token expired or was revoked, and names missing scopes', async () => {
    const expired = makeClient({ flavor: 'cloud', baseUrl: sim.gatewayUrl, credentials: staticCredentials({ kind: 'pat', token: 'sim-at-unknown' }), connectionId: 'oauth-bad' });
    const error = await expired.client.myself().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JiraError);
    expect(error).toMatchObject({ code: JIRA_AUTH_FAILED, upstreamStatus: 401 });
    expect((error as JiraError).message).toMatch(/expired or was revoked/);
    await expired.http.close();

    const readOnly = oauth.admin.issueTokensDirectly(['read:jira-work']).access_token;
    const scoped = makeClient({ flavor: 'cloud', baseUrl: sim.gatewayUrl, credentials: staticCredentials({ kind: 'pat', token: readOnly }), connectionId: 'oauth-ro' });
    const refused = await scoped.client
      .createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'x', description: adfText('x') })
      .catch((e: unknown) => e);
    expect((refused as JiraError).message).toMatch(/scopes/);
    await scoped.http.close();
  });
});
