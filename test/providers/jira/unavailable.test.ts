import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JIRA_UNAVAILABLE, JiraError, type JiraTarget } from '../../../src/providers/jira/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { adfText, makeClient } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: JiraCloudSimulator;
let target: JiraTarget;

beforeAll(async () => {
  sim = await startJiraCloudSimulator({ searchLagMs: 0 });
  target = { flavor: 'cloud', baseUrl: sim.url, credentials: staticCredentials({ kind: 'api-token', email: sim.credentials.email, apiToken: sim.credentials.apiToken }), connectionId: 'flaky' };
});
afterAll(() => sim.close());

describe('Jira 5xx answers', () => {
  it('retries reads through intermittent 500/502 answers', async () => {
    const { client, http } = makeClient(target, { limits: { maxAttempts: 6 } });
    const ref = await client.createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'flaky', description: adfText('x') });
    sim.admin.configureFaults({ errorRate: 0.25, errorStatuses: [500, 502], seed: 3 });
    try {
      for (let i = 0; i < 10; i++) expect((await client.getIssue(ref.key)).key).toBe(ref.key);
    } finally {
      sim.admin.configureFaults({ errorRate: 0 });
      await http.close();
    }
  });

  it('never resends a create after a 500, and says its outcome is unknown', async () => {
    const { client, http } = makeClient(target);
    sim.admin.configureFaults({ errorRate: 1, errorStatuses: [500] });
    const before = sim.admin.issues().length;
    try {
      const error = await client
        .createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'once', description: adfText('x') })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JiraError);
      expect(error).toMatchObject({ code: JIRA_UNAVAILABLE, retryable: true, outcomeUnknown: true, upstreamStatus: 500 });
    } finally {
      sim.admin.configureFaults({ errorRate: 0 });
      await http.close();
    }
    expect(sim.admin.issues().length).toBe(before);
  });
});
