/**
 * Policy-driven fix PRs (issue 14), end to end against the GitHub simulator: an organization policy
 * says which severities get fix PRs and how they are grouped; a Trivy report imported for the
 * repository opens them through `open_pr` jobs (the bump on a branch, once — a re-import opens
 * nothing); a later complete scan that no longer reports a finding closes its obsolete, unmerged PR
 * with a comment naming the scan, and leaves a merged one alone.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_DAYS } from '../../src/contracts/policies.ts';
import { pullRequests } from '../../src/db/schema.ts';
import { createHandler } from '../../src/jobs/handlers/create.ts';
import { openPrHandler } from '../../src/jobs/handlers/open-pr.ts';
import { createGitHubClient } from '../../src/providers/github/index.ts';
import { manifestForPath, repoUrlFor, webOriginOf } from '../../src/services/pull-requests/policy-prs.ts';
import { waitFor } from '../helpers/wait.ts';
import { commentText, type PrFixture, startPrFixture } from './fixture.ts';
import { FAST_GITHUB } from './helpers.ts';

type Vuln = { id: string; pkg: string; installed: string; fixed: string; severity: string };
const LODASH: Vuln = { id: 'CVE-2021-23337', pkg: 'lodash', installed: '4.17.15', fixed: '4.17.21', severity: 'HIGH' };
const MINIMIST: Vuln = { id: 'CVE-2021-44906', pkg: 'minimist', installed: '1.2.5', fixed: '1.2.6', severity: 'CRITICAL' };
const EXPRESS: Vuln = { id: 'CVE-2022-24999', pkg: 'express', installed: '4.17.1', fixed: '4.17.3', severity: 'LOW' };

function trivy(vulns: Vuln[], result: { Target: string; Type: string } = { Target: 'package-lock.json', Type: 'npm' }): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: '.',
    ArtifactType: 'filesystem',
    Results: [
      {
        Target: result.Target,
        Class: 'lang-pkgs',
        Type: result.Type,
        Vulnerabilities: vulns.map((v) => ({ VulnerabilityID: v.id, PkgName: v.pkg, InstalledVersion: v.installed, FixedVersion: v.fixed, Severity: v.severity, Title: `${v.id} in ${v.pkg}` })),
      },
    ],
  });
}

describe('policy-driven fix PRs', () => {
  let fx: PrFixture;
  let admin: { authorization: string };
  let orgId: string;
  let connectionId: string;
  let jiraId: string;
  let failNextClose = false;

  const importReport = async (vulns: Vuln[]) => {
    const response = await fx.service.app.inject({ method: 'POST', url: '/api/v1/findings/import?target=acme%2Fweb&format=trivy', headers: { ...admin, 'content-type': 'application/json' }, payload: trivy(vulns) });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { scan_id: string; new: number; resolved: number };
  };
  const pullsOf = (branch: string) => fx.github.admin.pulls('acme/web').filter((pull) => pull.headRef === branch);
  const openPrJobs = async () => (await fx.service.context.db.query<{ n: number }>("select count(*)::int as n from job_records where kind = 'open_pr'"))[0]!.n;
  const settled = async () => {
    const rows = await fx.service.context.db.query<{ n: number }>("select count(*)::int as n from pgboss.job where name = 'open_pr' and state not in ('completed', 'failed', 'cancelled')");
    return rows[0]!.n === 0;
  };

  beforeAll(async () => {
    fx = await startPrFixture(process.env.PR_TEST_DB === 'postgres' ? 'postgres' : 'embedded');
    const context = fx.service.context;
    admin = { authorization: `Bearer ${await fx.service.token({ subject: 'org-admin', roles: ['admin'] })}` };
    orgId = await context.tenants.orgId('demo-org');
    const github = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: admin,
      payload: { provider: 'github', name: 'Org GitHub', api_url: fx.github.apiUrl, token: fx.github.token },
    });
    expect(github.statusCode, github.body).toBe(201);
    connectionId = github.json().id;
    const jira = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: admin,
      payload: { provider: 'jira-cloud', name: 'Org Jira', site_url: fx.cloud.url, email: fx.cloud.credentials.email, api_token: fx.cloud.credentials.apiToken },
    });
    expect(jira.statusCode, jira.body).toBe(201);
    jiraId = jira.json().id;
    const clientFor = (target: Parameters<typeof createGitHubClient>[0]) => {
      const client = createGitHubClient(target, { http: context.outbound, logger: context.logger, options: FAST_GITHUB });
      return {
        ...client,
        async closePull(ref: Parameters<typeof client.closePull>[0], number: number) {
          // A crash (here: an unexpected error) between the comment and the close, once.
          if (failNextClose) {
            failNextClose = false;
            throw new Error('worker lost between comment and close');
          }
          return client.closePull(ref, number);
        },
      };
    };
    await context.queue.work({ create: createHandler(context), open_pr: openPrHandler(context, { clientFor }) }, 2);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('maps scanner paths and targets to manifests and repositories', () => {
    expect(manifestForPath('npm', 'package-lock.json')).toBe('package.json');
    expect(manifestForPath('npm', 'packages/web/yarn.lock')).toBe('packages/web/package.json');
    expect(manifestForPath('pypi', 'services/api/requirements.txt')).toBe('services/api/requirements.txt');
    expect(manifestForPath('go', 'go.sum')).toBe('go.mod');
    expect(manifestForPath('npm', 'node_modules/.package-lock.json.bak')).toBeNull();
    expect(manifestForPath('npm', null)).toBeNull();
    expect(webOriginOf('https://api.github.com')).toBe('https://github.com');
    expect(webOriginOf('https://ghe.example/api/v3')).toBe('https://ghe.example');
    expect(repoUrlFor(null, 'acme/web', 'https://github.com')).toBe('https://github.com/acme/web');
    expect(repoUrlFor(null, 'https://ghe.example/acme/api.git', 'https://github.com')).toBe('https://ghe.example/acme/api');
    expect(repoUrlFor('https://github.com/acme/own', 'acme/web', 'https://github.com')).toBe('https://github.com/acme/own');
    expect(repoUrlFor(null, 'registry.example/acme/web:1.2', 'https://github.com')).toBeNull();
  });

  it('opens one PR per package for the policy severities after an import, once; a newer scan closes the obsolete one', async () => {
    const put = await fx.service.app.inject({
      method: 'PUT',
      url: '/api/v1/policies',
      headers: admin,
      payload: { tickets: { severities: [], connection_id: null }, pull_requests: { severities: ['critical', 'high'], connection_id: connectionId, grouping: 'package' }, sla_days: { ...DEFAULT_SLA_DAYS } },
    });
    expect(put.statusCode, put.body).toBe(200);

    const first = await importReport([LODASH, MINIMIST, EXPRESS]);
    expect(first.new).toBe(3);
    await waitFor(async () => pullsOf('security/npm/lodash-4.17.21').length === 1 && pullsOf('security/npm/minimist-1.2.6').length === 1 && (await settled()), 60_000);
    expect(await fx.github.admin.readFile('acme/web', 'package.json', 'refs/heads/security/npm/lodash-4.17.21')).toContain('"lodash": "^4.17.21"');
    expect(await fx.github.admin.readFile('acme/web', 'package.json', 'refs/heads/security/npm/minimist-1.2.6')).toContain('"minimist": "1.2.6"');
    // LOW is not in the policy: no PR for express.
    expect(pullsOf('security/npm/express-4.17.3')).toHaveLength(0);
    const jobsAfterFirst = await openPrJobs();
    expect(jobsAfterFirst).toBe(2);

    // The same report again: nothing new, nothing queued, still one PR each.
    const again = await importReport([LODASH, MINIMIST, EXPRESS]);
    expect(again.new).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await openPrJobs()).toBe(jobsAfterFirst);
    expect(pullsOf('security/npm/lodash-4.17.21')).toHaveLength(1);
    expect(pullsOf('security/npm/minimist-1.2.6')).toHaveLength(1);

    // Someone merges the minimist PR; then a scan no longer reports lodash nor minimist.
    const minimist = pullsOf('security/npm/minimist-1.2.6')[0]!;
    const merged = await fetch(`${fx.github.apiUrl}/repos/acme/web/pulls/${minimist.number}/merge`, { method: 'PUT', headers: { authorization: `token ${fx.github.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(merged.status).toBe(200);
    failNextClose = true;
    const third = await importReport([EXPRESS]);
    expect(third.resolved).toBe(2);
    const lodash = pullsOf('security/npm/lodash-4.17.21')[0]!;
    await waitFor(async () => pullsOf('security/npm/lodash-4.17.21')[0]!.state === 'closed' && (await settled()), 60_000);
    expect(lodash.mergedAt).toBeNull();
    const comments = fx.github.admin.comments('acme/web', lodash.number).map((comment) => String(comment.body));
    // The first attempt commented and failed before closing; the retry closed it without a second comment.
    expect(failNextClose).toBe(false);
    expect(comments.filter((body) => body.includes(`no longer detected in scan ${third.scan_id} of acme/web`))).toHaveLength(1);
    // The merged one is left as it is (no comment, not reopened or closed by us); our records follow GitHub.
    expect(fx.github.admin.comments('acme/web', minimist.number).filter((comment) => String(comment.body).includes('no longer detected'))).toHaveLength(0);
    const rows = await fx.service.context.db.orm.select({ branch: pullRequests.branch, state: pullRequests.state }).from(pullRequests).where(and(eq(pullRequests.orgId, orgId), eq(pullRequests.connectionId, connectionId)));
    expect(Object.fromEntries(rows.map((row) => [row.branch, row.state]))).toEqual({ 'security/npm/lodash-4.17.21': 'closed', 'security/npm/minimist-1.2.6': 'merged' });
  }, 120_000);

  it('with tickets in the policy too, the PR names the ticket and the ticket gets the PR link', async () => {
    const put = await fx.service.app.inject({
      method: 'PUT',
      url: '/api/v1/policies',
      headers: admin,
      payload: {
        tickets: { severities: ['high'], connection_id: jiraId, options: { project_key: 'SEC', issue_type: 'Bug' } },
        pull_requests: { severities: ['high'], connection_id: connectionId, grouping: 'package' },
        sla_days: { ...DEFAULT_SLA_DAYS },
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    const requests: Vuln = { id: 'CVE-2023-32681', pkg: 'requests', installed: '2.25.1', fixed: '2.31.0', severity: 'HIGH' };
    const response = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings/import?target=acme%2Fapi&format=trivy',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: trivy([requests], { Target: 'requirements.txt', Type: 'pip' }),
    });
    expect(response.statusCode, response.body).toBe(200);
    const branch = 'security/pip/requests-2.31.0';
    await waitFor(async () => fx.github.admin.pulls('acme/api').some((pull) => pull.headRef === branch) && (await settled()), 60_000);
    const issue = fx.cloud.admin.issues().find((candidate) => JSON.stringify(candidate).includes('requests'));
    expect(issue).toBeDefined();
    const pull = fx.github.admin.pulls('acme/api').find((candidate) => candidate.headRef === branch)!;
    expect(pull.body).toContain(issue!.key);
    expect(await fx.github.admin.readFile('acme/api', 'requirements.txt', `refs/heads/${branch}`)).toContain('requests==2.31.0');
    const comments = fx.cloud.admin.comments(issue!.key).map((comment) => commentText(comment.body));
    expect(comments.filter((text) => text.includes(`acme/api#${pull.number}`))).toHaveLength(1);
  }, 120_000);

  it('repo_scan grouping: one PR for the repository and scan with every bump', async () => {
    await fx.github.admin.createRepo({
      fullName: 'acme/shop',
      files: { 'package.json': '{\n  "name": "shop",\n  "dependencies": {\n    "lodash": "4.17.15",\n    "minimist": "1.2.5"\n  }\n}\n' },
    });
    const put = await fx.service.app.inject({
      method: 'PUT',
      url: '/api/v1/policies',
      headers: admin,
      payload: { tickets: { severities: [], connection_id: null }, pull_requests: { severities: ['critical', 'high'], connection_id: connectionId, grouping: 'repo_scan' }, sla_days: { ...DEFAULT_SLA_DAYS } },
    });
    expect(put.statusCode, put.body).toBe(200);
    const response = await fx.service.app.inject({ method: 'POST', url: '/api/v1/findings/import?target=acme%2Fshop&format=trivy', headers: { ...admin, 'content-type': 'application/json' }, payload: trivy([LODASH, MINIMIST]) });
    expect(response.statusCode, response.body).toBe(200);
    await waitFor(async () => fx.github.admin.pulls('acme/shop').length > 0 && (await settled()), 60_000);
    const pulls = fx.github.admin.pulls('acme/shop');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.headRef).toMatch(/^security\/batch-[0-9a-f]{10}$/);
    const manifest = await fx.github.admin.readFile('acme/shop', 'package.json', `refs/heads/${pulls[0]!.headRef}`);
    expect(manifest).toContain('"lodash": "4.17.21"');
    expect(manifest).toContain('"minimist": "1.2.6"');
  }, 120_000);
});
