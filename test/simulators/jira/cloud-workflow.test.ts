import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from './cloud/index.ts';
import { adf, call } from './helpers.ts';

let sim: JiraCloudSimulator;
let api: string;
let auth: string;

beforeAll(async () => {
  sim = await startJiraCloudSimulator({ searchLagMs: 0 });
  api = `${sim.url}/rest/api/3`;
  auth = sim.credentials.basicAuthHeader;
});
afterAll(() => sim.close());

const create = async (): Promise<string> =>
  ((await call(`${api}/issue`, { auth, body: { fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 's' } } })).json as { key: string }).key;

describe('Jira Cloud transitions', () => {
  it('offers only transitions from the current status and walks the workflow', async () => {
    const key = await create();
    const list = (await call(`${api}/issue/${key}/transitions`, { auth })).json as { transitions: { id: string; to: { name: string } }[] };
    expect(list.transitions.map((t) => t.to.name).sort()).toEqual(['In Progress', "Won't Do"]);
    for (const id of ['11', '21', '31']) expect((await call(`${api}/issue/${key}/transitions`, { auth, body: { transition: { id } } })).status).toBe(204);
    const issue = sim.admin.issue(key);
    expect(sim.admin.store.status(issue?.statusId ?? '').name).toBe('Done');
    expect(issue?.resolution).toBe('Done');
    expect(sim.admin.transitions(key).map((t) => t.to)).toEqual(['In Progress', 'In Review', 'Done']);
  });

  it("refuses a transition not available from the current status with Jira's message", async () => {
    const key = await create();
    const res = await call(`${api}/issue/${key}/transitions`, { auth, body: { transition: { id: '31' } } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ errorMessages: ["Transition id '31' is not valid for this issue."], errors: {} });
    const nonNumeric = await call(`${api}/issue/${key}/transitions`, { auth, body: { transition: { id: 'done' } } });
    expect(nonNumeric.json).toEqual({ errorMessages: ["'transition' identifier must be an integer"], errors: {} });
  });
});

describe('Jira Cloud comments, remote links, users, priorities', () => {
  it('needs an ADF comment body on v3', async () => {
    const key = await create();
    const plain = await call(`${api}/issue/${key}/comment`, { auth, body: { body: 'PR opened' } });
    expect(plain.status).toBe(400);
    expect((plain.json as { errors: Record<string, string> }).errors.comment).toMatch(/Atlassian Document/);
    const ok = await call(`${api}/issue/${key}/comment`, { auth, body: { body: adf('PR opened') } });
    expect(ok.status).toBe(201);
    expect((ok.json as { author: { accountId: string } }).author.accountId).toBe(sim.credentials.accountId);
    const list = (await call(`${api}/issue/${key}/comment`, { auth })).json as { total: number };
    expect(list.total).toBe(1);
  });

  it('upserts remote links by globalId (201 then 200) and requires a title', async () => {
    const key = await create();
    const link = { globalId: 'pr:org/repo#1', object: { url: 'https://github.example/org/repo/pull/1', title: 'Fix PR' } };
    const first = await call(`${api}/issue/${key}/remotelink`, { auth, body: link });
    expect(first.status).toBe(201);
    const second = await call(`${api}/issue/${key}/remotelink`, { auth, body: { ...link, object: { ...link.object, title: 'Fix PR (merged)' } } });
    expect(second.status).toBe(200);
    expect((second.json as { id: number }).id).toBe((first.json as { id: number }).id);
    expect(sim.admin.remoteLinks(key)).toHaveLength(1);
    const noTitle = await call(`${api}/issue/${key}/remotelink`, { auth, body: { object: { url: 'https://x' } } });
    expect(noTitle.json).toEqual({ errorMessages: [], errors: { title: "'title' is required." } });
  });

  it('finds users by e-mail (hidden addresses still match) and lists priorities with Blocker', async () => {
    const bob = (await call(`${api}/user/search?query=bob@sim.example`, { auth })).json as { accountId: string; emailAddress?: string }[];
    expect(bob).toHaveLength(1);
    expect(bob[0]?.emailAddress).toBe('bob@sim.example');
    const carol = (await call(`${api}/user/search?query=carol@sim.example`, { auth })).json as { accountId: string; emailAddress?: string }[];
    expect(carol[0]?.accountId).toBeDefined();
    expect(carol[0]).not.toHaveProperty('emailAddress');
    expect((await call(`${api}/user/search`, { auth })).status).toBe(400);
    const priorities = (await call(`${api}/priority`, { auth })).json as { name: string }[];
    expect(priorities.map((p) => p.name)).toEqual(['Highest', 'High', 'Medium', 'Low', 'Lowest', 'Blocker']);
  });

  it('lists projects, 404s an unknown one, and serves create metadata', async () => {
    const projects = (await call(`${api}/project/search`, { auth })).json as { total: number; isLast: boolean; values: { key: string }[] };
    expect(projects.values.map((p) => p.key)).toEqual(['SEC', 'COMP', 'FEDRAMP']);
    expect(projects.isLast).toBe(true);
    const missing = await call(`${api}/project/NOPE`, { auth });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ errorMessages: ["No project could be found with key 'NOPE'."], errors: {} });
    const types = (await call(`${api}/issue/createmeta/SEC/issuetypes`, { auth })).json as { issueTypes: { id: string; name: string }[] };
    expect(types.issueTypes.map((t) => t.name)).toEqual(['Task', 'Bug', 'Story']);
    const fields = (await call(`${api}/issue/createmeta/FEDRAMP/issuetypes/10001`, { auth })).json as { fields: { fieldId: string; required: boolean; allowedValues?: unknown[] }[] };
    expect(fields.fields.find((f) => f.fieldId === 'customfield_10052')).toMatchObject({ required: true });
    expect(fields.fields.find((f) => f.fieldId === 'priority')?.allowedValues).toHaveLength(6);
    expect((await call(`${api}/issue/createmeta/NOPE/issuetypes`, { auth })).status).toBe(404);
  });
});

describe('Jira Cloud faults', () => {
  it('answers 429 with Retry-After and the rate-limit headers when the bucket is empty', async () => {
    const limited = await startJiraCloudSimulator({ faults: { rateLimit: { capacity: 2, refillPerSecond: 0.5 } } });
    try {
      const auth2 = limited.credentials.basicAuthHeader;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await call(`${limited.url}/rest/api/3/myself`, { auth: auth2 });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(last?.headers.get('x-ratelimit-limit')).toBe('2');
      expect(last?.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(last?.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
      expect(last?.headers.get('ratelimit-reason')).toBe('jira-burst-based');
      expect(last?.json).toEqual({ errorMessages: ['The request has been rate-limited. Please try again later.'], errors: {}, status: 429 });
      // the admin side is never faulted
      expect((await call(`${limited.url}/_admin/state`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('injects 5xx deterministically by seed, and connection resets', async () => {
    const run = async (): Promise<number[]> => {
      const flaky = await startJiraCloudSimulator({ faults: { errorRate: 0.5, seed: 42 } });
      try {
        const out: number[] = [];
        for (let i = 0; i < 10; i++) out.push((await call(`${flaky.url}/rest/api/3/serverInfo`, { auth: flaky.credentials.basicAuthHeader })).status);
        return out;
      } finally {
        await flaky.close();
      }
    };
    const a = await run();
    expect(a.some((s) => s >= 500)).toBe(true);
    expect(await run()).toEqual(a);
    sim.admin.configureFaults({ resetRate: 1 });
    await expect(fetch(`${api}/myself`, { headers: { authorization: auth } })).rejects.toThrow();
    sim.admin.configureFaults({ resetRate: 0 });
  });

  it('can hang requests and add latency, configured over the HTTP admin side', async () => {
    const hanging = await startJiraCloudSimulator();
    try {
      const set = await call(`${hanging.url}/_admin/faults`, { body: { hangRate: 1 } });
      expect((set.json as { hangRate: number }).hangRate).toBe(1);
      await expect(fetch(`${hanging.url}/rest/api/3/myself`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
      await call(`${hanging.url}/_admin/faults`, { body: { hangRate: 0, latencyMs: 150 } });
      const started = Date.now();
      expect((await call(`${hanging.url}/rest/api/3/myself`, { auth: hanging.credentials.basicAuthHeader })).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await hanging.close();
    }
  });
});
