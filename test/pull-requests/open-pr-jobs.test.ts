/**
 * Fix PRs as durable jobs (issues 13 and 14), against the GitHub simulator (real git underneath):
 * - with a stored GitHub connection, POST /internal/create-issues-and-prs answers the PR part
 *   `queued` with its `open_pr` job, and the job opens the PR and links it on the Jira issue;
 * - two workers running jobs for the same branch at once open one PR (the branch lease);
 * - a GitHub outage (5xx) and a rate limit (429 with Retry-After) fail an attempt; the retry succeeds;
 * - an organization policy opens fix PRs after a scan import (once: a re-import opens nothing), and
 *   a later complete scan without the findings closes the obsolete, unmerged PR with a comment.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequests } from '../../src/db/schema.ts';
import { openPrHandler } from '../../src/jobs/handlers/open-pr.ts';
import type { JobHandler } from '../../src/jobs/queue.ts';
import { createGitHubClient } from '../../src/providers/github/index.ts';
import { acquireBranchLock, branchLockKey, releaseBranchLock } from '../../src/services/pull-requests/branch-lock.ts';
import { openPrPayload } from '../../src/services/pull-requests/pr-jobs.ts';
import { waitFor } from '../helpers/wait.ts';
import { commentText, lodash, type PrFixture, seed000, startPrFixture } from './fixture.ts';
import { FAST_GITHUB } from './helpers.ts';

describe('fix PRs as open_pr jobs', () => {
  let fx: PrFixture;
  let admin: { authorization: string };
  let orgId: string;
  let connectionId: string;
  /** Called after each attempt of the test workers' open_pr handler (the outage tests end their outage here). */
  let afterAttempt: (attempt: number, failed: boolean) => void = () => {};

  const jobState = async (id: string) => (await fx.service.context.queue.get(orgId, id))!;
  const openPulls = (repo: string, head: string) => fx.github.admin.pulls(repo).filter((pull) => pull.headRef === head);

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
    const handler = openPrHandler(context, { clientFor: (target) => createGitHubClient(target, { http: context.outbound, logger: context.logger, options: FAST_GITHUB }) });
    const observed: JobHandler<'open_pr'> = async (data, job) => {
      try {
        const result = await handler(data, job);
        afterAttempt(job.attempt, false);
        return result;
      } catch (error) {
        afterAttempt(job.attempt, true);
        throw error;
      }
    };
    // Two at a time: two workers' worth of concurrency on one queue.
    await context.queue.work({ open_pr: observed }, 2);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('a stored connection answers the PR part queued with its job; the job opens the PR and links it on the issue', async () => {
    // Seed 000 on stored connections only (no PAT anywhere): the ticket and the PR can both be worked later.
    const response = await fx.post({ vulnerabilities: [lodash('queued-lodash')], jira: { project_key: 'SEC', issue_type: 'Bug' }, github: { repo_url: `${fx.github.url}/acme/web`, base_branch: 'main' } });
    expect(response.statusCode, response.body).toBe(200);
    const [result] = response.json().results;
    expect(result.jira.status).toBe('created');
    expect(result.github).toMatchObject({ status: 'queued', branch: 'security/npm/lodash-4.17.21', pr_number: null, job_id: expect.any(String) });
    expect(response.json().summary.prs_created).toBe(0);

    const job = await waitFor(async () => {
      const state = await jobState(result.github.job_id);
      return state.state === 'completed' ? state : null;
    });
    expect(job.kind).toBe('open_pr');
    const pulls = openPulls('acme/web', 'security/npm/lodash-4.17.21');
    expect(pulls).toHaveLength(1);
    expect(await fx.github.admin.readFile('acme/web', 'package.json', 'refs/heads/security/npm/lodash-4.17.21')).toContain('"lodash": "^4.17.21"');
    // The ticket link still happens: the PR names the issue, the issue gets the PR link.
    expect(pulls[0]!.body).toContain(result.jira.issue_key);
    const comments = fx.cloud.admin.comments(result.jira.issue_key).map((comment) => commentText(comment.body));
    expect(comments.filter((text) => text.includes(`acme/web#${pulls[0]!.number}`))).toHaveLength(1);
    const [row] = await fx.service.context.db.orm.select().from(pullRequests).where(and(eq(pullRequests.orgId, orgId), eq(pullRequests.branch, 'security/npm/lodash-4.17.21')));
    expect(row).toMatchObject({ state: 'open', number: pulls[0]!.number, connectionId });
    // The client that got `queued` finds the PR through the job it was given.
    const polled = await fx.service.app.inject({ method: 'GET', url: `/api/v1/jobs/${result.github.job_id}`, headers: admin });
    expect(polled.statusCode, polled.body).toBe(200);
    expect(polled.json()).toMatchObject({ state: 'completed', result: { pr_number: pulls[0]!.number, pr_url: expect.stringContaining(`/acme/web/pull/${pulls[0]!.number}`) } });
  }, 60_000);

  it('a request PAT keeps the synchronous path and its shape', async () => {
    const response = await fx.post(seed000(fx, [{ ...lodash('sync-minimist'), package_name: 'minimist', current_version: '1.2.5', fixed_version: '1.2.6' }], { repo_url: `${fx.github.url}/acme/web` }));
    expect(response.statusCode, response.body).toBe(200);
    const github = response.json().results[0].github;
    expect(github).toMatchObject({ status: 'created', pr_number: expect.any(Number) });
    expect(github.job_id).toBeUndefined();
  }, 60_000);

  it('a request-PAT run waits while another holder has the branch, then opens the PR', async () => {
    const branch = 'security/npm/react-17.0.3';
    const key = branchLockKey(`${fx.github.url}/acme/web`, branch);
    expect(await acquireBranchLock(fx.service.context.db.orm, key, 'job:elsewhere', 60)).toEqual({ acquired: true });
    fx.github.admin.clearRequests();
    const pending = fx.post(seed000(fx, [{ ...lodash('sync-react'), package_name: 'react', current_version: '17.0.2', fixed_version: '17.0.3' }], { repo_url: `${fx.github.url}/acme/web` }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Still waiting: GitHub was not even asked about the repository while the lease was held.
    expect(fx.github.admin.requests().filter((request) => request.path.includes('/repos/acme/web'))).toHaveLength(0);
    await releaseBranchLock(fx.service.context.db.orm, key, 'job:elsewhere');
    const response = await pending;
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().results[0].github).toMatchObject({ status: 'created', branch });
    expect(openPulls('acme/web', branch)).toHaveLength(1);
  }, 60_000);

  it('two workers running jobs for the same branch at once open exactly one PR', async () => {
    const context = fx.service.context;
    const payload = openPrPayload(
      { repoUrl: `${fx.github.url}/acme/web`, baseBranch: 'main', items: [{ packageName: 'axios', ecosystem: 'npm', fixedVersion: '0.21.2', currentVersion: '0.21.1', advisories: [{ id: 'CVE-2021-3749' }] }], connectionId },
      { orgId, commentOnTicket: false, source: 'request', requestedBy: null },
    );
    // Two workers (two handlers, as two processes would have) given two jobs for one branch at the
    // same moment; GitHub answers slowly, so without the lease both would be inside the engine at once.
    const worker = () => openPrHandler(context, { clientFor: (target) => createGitHubClient(target, { http: context.outbound, logger: context.logger, options: FAST_GITHUB }) });
    const jobContext = (name: string) => ({ id: randomUUID(), kind: 'open_pr' as const, attempt: 1, signal: new AbortController().signal, logger: context.logger.child({ worker: name }) });
    fx.github.admin.faults.configure({ latencyMs: 40 });
    let results: unknown[];
    try {
      results = await Promise.all([worker()(payload, jobContext('a')), worker()(payload, jobContext('b'))]);
    } finally {
      fx.github.admin.faults.configure({ latencyMs: 0 });
    }
    // One opened it; the other waited for the branch and found it.
    expect(results.map((result) => (result as { status: string }).status).sort()).toEqual(['created', 'existing']);
    expect(new Set(results.map((result) => (result as { pr_number: number }).pr_number)).size).toBe(1);
    expect(fx.service.logs.some((line) => line.includes('branch security/npm/axios-0.21.2 is leased by another job'))).toBe(true);
    expect(openPulls('acme/web', 'security/npm/axios-0.21.2')).toHaveLength(1);
    const creates = fx.github.admin.requests().filter((request) => request.method === 'POST' && request.path.endsWith('/repos/acme/web/pulls'));
    expect(creates.filter((request) => JSON.stringify(request.body ?? '').includes('axios-0.21.2'))).toHaveLength(1);
    const rows = await context.db.orm.select().from(pullRequests).where(and(eq(pullRequests.orgId, orgId), eq(pullRequests.branch, 'security/npm/axios-0.21.2')));
    expect(rows).toHaveLength(1);
  }, 90_000);

  it('a GitHub App installation connection: queued as well, and the job opens the PR as the app', async () => {
    const app = fx.github.githubApp!;
    const created = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: admin,
      payload: { provider: 'github', auth_kind: 'app-installation', name: 'Sim App', api_url: fx.github.apiUrl, app_id: String(app.id), installation_id: String(app.installationId), private_key: app.privateKeyPem },
    });
    expect(created.statusCode, created.body).toBe(201);
    const requests = { id: 'app-requests', package_name: 'requests', ecosystem: 'pypi', current_version: '2.25.1', fixed_version: '2.31.0', severity: 'high', cve_ids: ['CVE-2023-32681'], title: 'requests 2.25.1 is vulnerable' };
    const response = await fx.post({ vulnerabilities: [requests], jira: { project_key: 'SEC', issue_type: 'Bug' }, github: { repo_url: `${fx.github.url}/acme/api`, base_branch: 'main' } });
    expect(response.statusCode, response.body).toBe(200);
    const github = response.json().results[0].github;
    expect(github).toMatchObject({ status: 'queued', job_id: expect.any(String) });
    const job = await waitFor(async () => {
      const state = await jobState(github.job_id);
      return state.state === 'completed' || state.state === 'failed' ? state : null;
    }, 60_000);
    expect(job.state, JSON.stringify(job)).toBe('completed');
    const [pull] = openPulls('acme/api', 'security/pip/requests-2.31.0');
    expect(pull).toBeDefined();
    expect(JSON.stringify((await fx.github.admin.pull('acme/api', pull!.number))!.user)).toContain(`${app.slug}[bot]`);
    const [row] = await fx.service.context.db.orm.select().from(pullRequests).where(and(eq(pullRequests.orgId, orgId), eq(pullRequests.branch, 'security/pip/requests-2.31.0')));
    expect(row?.connectionId).toBe(created.json().id);
  }, 90_000);

  it.each([
    ['a 5xx outage', () => fx.github.admin.faults.configure({ errorRate: 1, errorStatuses: [502] }), () => fx.github.admin.faults.configure({ errorRate: 0 })],
    [
      'a 429 rate limit',
      () => {
        fx.github.admin.setRateLimits({ primaryStatus: 429 });
        fx.github.admin.faults.configure({ rateLimit: { capacity: 0, refillPerSecond: 1 } });
      },
      () => {
        fx.github.admin.faults.configure({ rateLimit: null });
        fx.github.admin.setRateLimits({ primaryStatus: 403 });
      },
    ],
  ])('%s fails the first attempt; the job is retried and opens the PR', async (_name, start, end) => {
    const version = _name.includes('5xx') ? '4.17.3' : '4.17.5';
    const payload = openPrPayload(
      { repoUrl: `${fx.github.url}/acme/web`, baseBranch: 'main', items: [{ packageName: 'express', ecosystem: 'npm', fixedVersion: version, currentVersion: '4.17.1', advisories: [{ id: 'CVE-2022-24999' }] }], connectionId },
      { orgId, commentOnTicket: false, source: 'request', requestedBy: null },
    );
    const attempts: { attempt: number; failed: boolean }[] = [];
    afterAttempt = (attempt, failed) => {
      attempts.push({ attempt, failed });
      if (failed) end();
    };
    start();
    try {
      const id = (await fx.service.context.queue.enqueue('open_pr', payload))!;
      const job = await waitFor(async () => {
        const state = await jobState(id);
        return state.state === 'completed' || state.state === 'failed' ? state : null;
      }, 60_000);
      expect(job.state, JSON.stringify(job)).toBe('completed');
      expect(job.attempts).toBeGreaterThanOrEqual(2);
      expect(attempts[0]).toEqual({ attempt: 1, failed: true });
      expect(attempts.at(-1)?.failed).toBe(false);
    } finally {
      end();
      afterAttempt = () => {};
    }
    expect(openPulls('acme/web', `security/npm/express-${version}`)).toHaveLength(1);
  }, 90_000);
});
