/**
 * `POST /internal/create-issues-and-prs` as seeds 000 and 001 call it, against the Jira Cloud and
 * Server simulators: both shapes, credentials from the body, the JWT or a stored connection, count
 * mismatches, dry run, re-posting, and large batches answered with 202 and a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from '../simulators/jira/server/index.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

const vulnerability = (index: number) => ({
  id: `vuln-${index}`,
  package_name: index === 1 ? 'lodash' : `pkg-${index}`,
  ecosystem: 'npm',
  current_version: '4.17.15',
  fixed_version: '4.17.21',
  severity: 'high',
  cve_ids: [`CVE-2021-${23337 + index}`],
  title: `Prototype pollution in pkg-${index}`,
  description: 'Versions before 4.17.21 are vulnerable to command injection via template.',
});

describe.each(databaseKinds())('internal create-issues-and-prs on %s', (kind) => {
  let service: TestService;
  let cloud: JiraCloudSimulator;
  let server: JiraServerSimulator;
  let auth: { authorization: string };

  beforeAll(async () => {
    cloud = await startJiraCloudSimulator({ searchLagMs: 0 });
    server = await startJiraServerSimulator();
    service = await startTestService(kind);
    auth = { authorization: `Bearer ${await service.token({ subject: 'auth-service', roles: ['service'] })}` };
  });
  afterAll(async () => {
    await service?.close();
    await cloud?.close();
    await server?.close();
  });

  const post = (payload: unknown, headers = auth) =>
    service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers, payload: payload as object });

  const seed001 = (items: ReturnType<typeof vulnerability>[], extra: Record<string, unknown> = {}) => ({
    items,
    repo_url: 'https://github.com/acme/web',
    github_pat: 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB',
    jira_issue_requests: items.map((item) => ({
      jira_url: server.url,
      jira_pat: server.credentials.pat,
      fields: {
        project: { key: 'SEC' },
        issuetype: { name: 'Bug' },
        summary: `Upgrade ${item.package_name} to ${item.fixed_version}`,
        description: `h2. ${item.title}\n\n${item.description}`,
        labels: ['dependency'],
      },
      comment_with_pr_link: true,
    })),
    github_pr_requests: [],
    dry_run: false,
    ...extra,
  });

  it('seed 001: fully formed Server (PAT) requests are sent as given, plus our label', async () => {
    const response = await post(seed001([vulnerability(1), vulnerability(2)]));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.summary).toEqual({ total: 2, jira_created: 2, prs_created: 0, failed: 0 });
    expect(body.results[0]).toMatchObject({
      item_id: 'vuln-1',
      jira: { status: 'created', issue_key: expect.stringMatching(/^SEC-\d+$/), error: null },
      github: { status: 'skipped', error: null },
    });
    const issue = server.admin.issue(body.results[0].jira.issue_key)!;
    expect(issue.summary).toBe('Upgrade lodash to 4.17.21');
    expect(issue.description).toBe('h2. Prototype pollution in pkg-1\n\nVersions before 4.17.21 are vulnerable to command injection via template.');
    expect(issue.labels).toEqual(expect.arrayContaining(['dependency', expect.stringMatching(/^isfp-/)]));
  });

  it('seed 001: posting the same items again creates no new issue', async () => {
    const before = server.admin.issues().length;
    const response = await post(seed001([vulnerability(1), vulnerability(2)]));
    expect(response.json().results.map((result: { jira: { status: string } }) => result.jira.status)).toEqual(['existing', 'existing']);
    expect(server.admin.issues().length).toBe(before);
  });

  it('seed 001: a count mismatch is a 422 naming both counts, and nothing is written', async () => {
    const body = seed001([vulnerability(3), vulnerability(4)]);
    body.jira_issue_requests = body.jira_issue_requests.slice(0, 1);
    const before = await service.context.db.query('select count(*)::int as n from findings');
    const response = await post(body);
    expect(response.statusCode).toBe(422);
    expect(response.json().error.message).toMatch(/1 entries but items has 2/);
    expect(await service.context.db.query('select count(*)::int as n from findings')).toEqual(before);
  });

  it('seed 001: a PR that cannot be opened fails on its own, the Jira issue still stands', async () => {
    // Nothing listens on port 1: the GitHub half fails at once, with a reason, and nothing else does.
    const response = await post(
      seed001([vulnerability(5)], {
        github_pr_requests: [{ repo_url: 'http://127.0.0.1:1/acme/web', github_pat: 'ghp_x', branch_name: 'security/npm/pkg-5-4.17.21', base_branch: 'main', title: 't', body: 'b', package_name: 'pkg-5', current_version: '4.17.15', new_version: '4.17.21', dependency_files: ['package.json'] }],
      }),
    );
    const [result] = response.json().results;
    expect(result.jira.status).toBe('created');
    expect(result.github).toMatchObject({ status: 'failed', error: expect.any(String) });
    expect(result.github.error).not.toContain('ghp_x');
  });

  it('seed 000: we build the issue (ADF on Cloud) from findings with body credentials', async () => {
    const response = await post({
      vulnerabilities: [vulnerability(10), { ...vulnerability(11), severity: 'critical' }],
      jira: { jira_url: cloud.url, jira_email: cloud.credentials.email, jira_pat: cloud.credentials.apiToken, project_key: 'SEC', issue_type: 'Bug' },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.summary.jira_created).toBe(2);
    const critical = cloud.admin.issue(body.results[1].jira.issue_key)!;
    const high = cloud.admin.issue(body.results[0].jira.issue_key)!;
    expect(critical.priorityId).not.toBe(high.priorityId);
    expect((critical.description as { type: string }).type).toBe('doc');
    expect(body.results[0].jira.issue_url).toBe(`${cloud.url}/browse/${body.results[0].jira.issue_key}`);
  });

  it('seed 000: credentials may come from the JWT claims', async () => {
    const token = await service.token({
      subject: 'auth-service',
      roles: ['service'],
      extraClaims: { jira_url: cloud.url, jira_email: cloud.credentials.email, jira_pat: cloud.credentials.apiToken },
    });
    const response = await post({ vulnerabilities: [vulnerability(12)], jira: { project_key: 'SEC', issue_type: 'Bug' } }, { authorization: `Bearer ${token}` });
    expect(response.json().results[0].jira.status).toBe('created');
  });

  it('dry run returns the exact requests, masks the token, and sends and writes nothing', async () => {
    const writes = cloud.admin.received({ method: 'POST' }).length;
    const findings = await service.context.db.query<{ n: number }>('select count(*)::int as n from findings');
    const response = await post({
      vulnerabilities: [vulnerability(20), vulnerability(21)],
      jira: { jira_url: cloud.url, jira_email: cloud.credentials.email, jira_pat: cloud.credentials.apiToken, project_key: 'SEC', issue_type: 'Bug' },
      dry_run: true,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.dry_run).toBe(true);
    expect(body.results.map((result: { jira: { status: string } }) => result.jira.status)).toEqual(['planned', 'planned']);
    expect(body.requests).toHaveLength(1);
    expect(body.requests[0]).toMatchObject({ method: 'POST', url: `${cloud.url}/rest/api/3/issue/bulk`, headers: { Authorization: 'Basic ***' } });
    expect(body.requests[0].body.issueUpdates).toHaveLength(2);
    expect(JSON.stringify(body)).not.toContain(cloud.credentials.apiToken);
    expect(cloud.admin.received({ method: 'POST' }).length).toBe(writes);
    expect(await service.context.db.query('select count(*)::int as n from findings')).toEqual(findings);
  });

  it('answers over 100 items with 202 and a run whose result lists every item', async () => {
    const items = Array.from({ length: 120 }, (_, index) => vulnerability(100 + index));
    const response = await post({
      vulnerabilities: items,
      jira: { jira_url: cloud.url, jira_email: cloud.credentials.email, jira_pat: cloud.credentials.apiToken, project_key: 'SEC', issue_type: 'Bug' },
    });
    expect(response.statusCode).toBe(202);
    const { run_id, status_url } = response.json();
    let run: { status: string; result: { summary: { jira_created: number } } } | null = null;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      run = (await service.app.inject({ method: 'GET', url: status_url, headers: auth })).json();
      if (run?.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(run?.status).toBe('completed');
    expect(run?.result.summary.jira_created).toBe(120);
    expect(run_id).toMatch(/^[0-9a-f-]{36}$/);
    // The run row never holds the request's credentials.
    const stored = await service.context.db.query('select result::text as result from runs where id = $1', [run_id]);
    expect(JSON.stringify(stored)).not.toContain(cloud.credentials.apiToken);
  });

  it('seed 000 without a project key is a 400 naming jira.project_key, and writes nothing', async () => {
    const findings = await service.context.db.query('select count(*)::int as n from findings');
    const connections = await service.context.db.query('select count(*)::int as n from connections');
    const response = await post({
      vulnerabilities: [vulnerability(400)],
      jira: { jira_url: cloud.url, jira_email: cloud.credentials.email, jira_pat: cloud.credentials.apiToken },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'jira.project_key' });
    expect(await service.context.db.query('select count(*)::int as n from findings')).toEqual(findings);
    expect(await service.context.db.query('select count(*)::int as n from connections')).toEqual(connections);
  });

  it('refuses a Jira URL on a private address unless allow-listed, and writes nothing', async () => {
    const before = await service.context.db.query('select count(*)::int as n from findings');
    const response = await post({
      vulnerabilities: [vulnerability(300)],
      jira: { jira_url: 'https://10.0.0.5', jira_email: 'a@b.c', jira_pat: 'x', project_key: 'SEC' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'jira.jira_url', message: expect.stringMatching(/private/) });
    const plain = await post({
      ...seed001([vulnerability(301)]),
      jira_issue_requests: [{ jira_url: 'http://jira.example.com', jira_pat: 'x', fields: { project: { key: 'SEC' } } }],
    });
    expect(plain.statusCode).toBe(400);
    expect(plain.json().error).toMatchObject({ field: 'jira_issue_requests.0.jira_url', message: expect.stringMatching(/https/) });
    expect(await service.context.db.query('select count(*)::int as n from findings')).toEqual(before);
  });
});
