/**
 * GET /api/v1/pull-requests: the PR store's rows for the caller's organization, newest first, with
 * their findings and tickets; state, repo (any URL spelling or owner/name) and finding filters;
 * cursor paging; bad input refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullRequestPage } from '../../src/contracts/pull-requests.ts';
import { recordPullRequest } from '../../src/services/pull-requests/pr-store.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';

describe('GET /api/v1/pull-requests', () => {
  let fixture: JiraFixture;
  let findingIds: string[];
  let ticket: { id: string; external_key: string; url: string };

  const list = async (query = '', headers = fixture.auth): Promise<PullRequestPage> => {
    const response = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/pull-requests${query}`, headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    const posted = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings',
      headers: fixture.auth,
      payload: {
        findings: [1, 2, 3].map((index) => ({
          kind: 'vulnerability',
          title: `Vulnerable package ${index}`,
          severity: 'high',
          ecosystem: 'npm',
          package_name: `pkg-${index}`,
          current_version: '1.0.0',
          fixed_version: '1.0.1',
          repo_url: 'https://github.com/acme/web',
          manifest_path: 'package.json',
        })),
      },
    });
    findingIds = posted.json().findings.map((finding: { id: string }) => finding.id);
    const created = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: fixture.auth, payload: { finding_id: findingIds[0], project_key: 'SEC', issue_type: 'Bug' } });
    ticket = created.json();
    const { orgId } = await fixture.service.context.tenants.resolve('demo-org', 'test_user');
    const orm = fixture.service.context.db.orm;
    const base = { orgId, connectionId: null, baseBranch: 'main', headSha: 'a'.repeat(40), ticketIds: [] as string[] };
    await recordPullRequest(orm, { ...base, repoUrl: 'https://github.com/acme/web', branch: 'security/npm/pkg-1', number: 1, url: 'https://github.com/acme/web/pull/1', title: 'Bump pkg-1', state: 'open', findingIds: [findingIds[0]!], ticketIds: [ticket.id] });
    await recordPullRequest(orm, { ...base, repoUrl: 'https://github.com/acme/web', branch: 'security/npm/pkg-2', number: 2, url: 'https://github.com/acme/web/pull/2', title: 'Bump pkg-2', state: 'merged', findingIds: [findingIds[1]!] });
    await recordPullRequest(orm, { ...base, repoUrl: 'https://github.com/acme/api', branch: 'security/npm/pkg-3', number: 3, url: 'https://github.com/acme/api/pull/3', title: 'Bump pkg-3', state: 'open', findingIds: [findingIds[2]!] });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('lists the organization\'s pull requests newest first, with findings and tickets', async () => {
    const page = await list();
    expect(page.pull_requests.map((pr) => pr.number)).toEqual([3, 2, 1]);
    expect(page.next_cursor).toBeNull();
    const first = page.pull_requests.find((pr) => pr.number === 1)!;
    expect(first).toMatchObject({
      repo_url: 'https://github.com/acme/web',
      branch: 'security/npm/pkg-1',
      base_branch: 'main',
      url: 'https://github.com/acme/web/pull/1',
      state: 'open',
      finding_ids: [findingIds[0]],
      tickets: [{ id: ticket.id, key: ticket.external_key, url: ticket.url }],
    });
  });

  it('filters by state, repository and finding', async () => {
    expect((await list('?state=open')).pull_requests.map((pr) => pr.number)).toEqual([3, 1]);
    expect((await list('?state=merged')).pull_requests.map((pr) => pr.number)).toEqual([2]);
    expect((await list('?state=closed')).pull_requests).toEqual([]);
    for (const repo of ['acme/web', 'https://github.com/acme/web', 'http://github.com/acme/web.git', 'github.com/ACME/web/', 'git@github.com:acme/web.git']) {
      expect((await list(`?repo=${encodeURIComponent(repo)}`)).pull_requests.map((pr) => pr.number), repo).toEqual([2, 1]);
    }
    expect((await list('?repo=acme/we')).pull_requests).toEqual([]);
    expect((await list(`?finding=${findingIds[2]}&state=open`)).pull_requests.map((pr) => pr.number)).toEqual([3]);
    expect((await list(`?finding=${findingIds[2]}&state=merged`)).pull_requests).toEqual([]);
  });

  it('pages with cursors', async () => {
    const first = await list('?limit=2');
    expect(first.pull_requests.map((pr) => pr.number)).toEqual([3, 2]);
    const second = await list(`?limit=2&cursor=${first.next_cursor}`);
    expect(second.pull_requests.map((pr) => pr.number)).toEqual([1]);
    expect(second.next_cursor).toBeNull();
  });

  it('shows another organization nothing, and refuses bad input naming the field', async () => {
    const other = { authorization: `Bearer ${await fixture.service.token({ subject: 'x', org: 'other-org' })}` };
    expect((await list('', other)).pull_requests).toEqual([]);
    for (const [query, field] of [
      ['?state=draft', 'state'],
      ['?finding=123', 'finding'],
      ['?cursor=abc', 'cursor'],
      ['?limit=0', 'limit'],
      [`?repo=${'a'.repeat(2049)}`, 'repo'],
    ] as const) {
      const response = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/pull-requests${query}`, headers: fixture.auth });
      expect(response.statusCode, query).toBe(400);
      expect(String(response.json().error.field), query).toContain(field);
    }
  });
});
