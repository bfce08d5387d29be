/**
 * Seed 001 end to end through `POST /internal/create-issues-and-prs`: the Jira issue first, then the
 * branch with ONE commit that changes only the version bytes, the PR naming the Jira key, then the PR
 * link commented on the issue and added as a remote link. Re-running opens nothing new; a commit by
 * someone else on the branch is never force-pushed over; a `..` manifest path is refused up front.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { api } from '../simulators/github/test-helpers.ts';
import { commentText, lodash, type PrFixture, seed001, startPrFixture } from './fixture.ts';

const BRANCH = 'security/npm/lodash-4.17.21';

describe.each(databaseKinds())('seed 001 fix PRs on %s', (kind) => {
  let fx: PrFixture;
  beforeAll(async () => {
    fx = await startPrFixture(kind);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const request = (extra: Record<string, unknown> = {}) =>
    seed001(fx, [lodash()], (item) => ({
      branch_name: BRANCH,
      base_branch: 'main',
      title: `Upgrade ${item.package_name} to ${item.fixed_version}`,
      body: `Fixes ${item.cve_ids[0]} in ${item.package_name}.`,
      package_name: item.package_name,
      current_version: item.current_version,
      new_version: item.fixed_version,
      dependency_files: ['package.json'],
    }), extra);

  it('opens the issue, one commit changing only the version, the PR with the key, and links both ways', async () => {
    const before = (await fx.github.admin.readFile('acme/web', 'package.json'))!;
    const response = await fx.post(request());
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    const [result] = body.results;
    expect(result.jira).toMatchObject({ status: 'created', issue_key: expect.stringMatching(/^SEC-\d+$/) });
    expect(result.github).toMatchObject({ status: 'created', branch: BRANCH, base: 'main', error: null, pr_number: expect.any(Number), jira_commented: true });
    expect(body.summary).toMatchObject({ total: 1, jira_created: 1, prs_created: 1, failed: 0 });
    const key = result.jira.issue_key as string;

    // The branch: one commit on main, only package.json, only the version bytes.
    const after = await fx.github.admin.readFile('acme/web', 'package.json', BRANCH);
    expect(after).toBe(before.replace('"lodash": "^4.17.15"', '"lodash": "^4.17.21"'));
    expect(after).not.toBe(before);
    const commits = await api(fx.github, 'GET', `/repos/acme/web/pulls/${result.github.pr_number}/commits`);
    expect(commits.json).toHaveLength(1);
    expect(commits.json[0].commit.author.email).toBe('integration-service@users.noreply.github.com');
    const files = await api(fx.github, 'GET', `/repos/acme/web/pulls/${result.github.pr_number}/files`);
    expect(files.json.map((file: { filename: string }) => file.filename)).toEqual(['package.json']);
    expect(files.json[0]).toMatchObject({ additions: 1, deletions: 1 });

    // The PR: the caller's title and body, plus the ticket key; labelled.
    const pull = (await fx.github.admin.pull('acme/web', result.github.pr_number))!;
    expect(pull.title).toBe('Upgrade lodash to 4.17.21');
    expect(pull.body).toContain('Fixes CVE-2021-23337 in lodash.');
    expect(pull.body).toContain(key);
    expect(result.github.pr_url).toBe(pull.html_url);
    expect((pull.labels as { name: string }[]).map((label) => label.name).sort()).toEqual(['dependencies', 'security']);

    // Jira: the PR link as a comment and as a remote link keyed by the PR URL.
    const comments = fx.server.admin.comments(key);
    expect(comments).toHaveLength(1);
    expect(commentText(comments[0]!.body)).toContain(result.github.pr_url);
    const links = fx.server.admin.remoteLinks(key);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ globalId: result.github.pr_url, object: expect.objectContaining({ url: result.github.pr_url }) });

    // Our record: one open PR row linked to the finding and the ticket.
    const rows = await fx.service.context.db.query<{ n: number; findings: number; tickets: number }>(
      `select count(*)::int as n,
              (select count(*)::int from pull_request_findings) as findings,
              (select count(*)::int from pull_request_tickets) as tickets
         from pull_requests where branch = $1 and state = 'open'`,
      [BRANCH],
    );
    expect(rows[0]).toEqual({ n: 1, findings: 1, tickets: 1 });
  }, 120_000);

  it('re-running the same request opens nothing new and comments nothing twice', async () => {
    const pulls = fx.github.admin.pulls('acme/web').length;
    const refs = await fx.github.admin.refs('acme/web');
    const response = await fx.post(request());
    const [result] = response.json().results;
    expect(result.jira.status).toBe('existing');
    expect(result.github).toMatchObject({ status: 'existing', branch: BRANCH, jira_commented: false });
    expect(response.json().summary.prs_created).toBe(0);
    expect(fx.github.admin.pulls('acme/web')).toHaveLength(pulls);
    expect(await fx.github.admin.refs('acme/web')).toEqual(refs);
    expect(fx.server.admin.comments(result.jira.issue_key)).toHaveLength(1);
    expect(fx.server.admin.remoteLinks(result.jira.issue_key)).toHaveLength(1);
  }, 120_000);

  it('someone else pushed to the branch: not force-pushed, the PR gets one comment saying so', async () => {
    const theirs = await fx.github.admin.commitAsSomeoneElse({ repo: 'acme/web', branch: BRANCH, files: { 'NOTES.md': 'reviewer notes\n' } });
    const run = async () => (await fx.post(request({ github_pr_requests: [{ ...request().github_pr_requests[0], title: 'A new title we would like' }] }))).json().results[0].github;
    const first = await run();
    expect(first.status).toBe('existing');
    expect(first.note).toMatch(/someone else/);
    expect((await fx.github.admin.refs('acme/web'))[`refs/heads/${BRANCH}`]).toBe(theirs);
    const pull = (await fx.github.admin.pull('acme/web', first.pr_number))!;
    expect(pull.title).toBe('Upgrade lodash to 4.17.21');
    const notices = fx.github.admin.comments('acme/web', first.pr_number).filter((comment) => String(comment.body).includes('not updated'));
    expect(notices).toHaveLength(1);

    await run();
    expect((await fx.github.admin.refs('acme/web'))[`refs/heads/${BRANCH}`]).toBe(theirs);
    expect(fx.github.admin.comments('acme/web', first.pr_number).filter((comment) => String(comment.body).includes('not updated'))).toHaveLength(1);
  }, 120_000);

  it('a manifest path with .. is refused before anything is written', async () => {
    const issues = fx.server.admin.issues().length;
    const findings = await fx.service.context.db.query('select count(*)::int as n from findings');
    const response = await fx.post(
      seed001(fx, [lodash('vuln-escape')], () => ({ branch_name: 'security/escape', base_branch: 'main', package_name: 'lodash', new_version: '4.17.21', dependency_files: ['../../etc/package.json'] })),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'MANIFEST_PATH_REFUSED', field: 'github_pr_requests.0.dependency_files.0' });
    expect(fx.server.admin.issues()).toHaveLength(issues);
    expect(await fx.service.context.db.query('select count(*)::int as n from findings')).toEqual(findings);
    expect(Object.keys(await fx.github.admin.refs('acme/web'))).not.toContain('refs/heads/security/escape');
  });

  it('dry run shows the branch and the exact diff, and pushes, opens and writes nothing', async () => {
    const refs = await fx.github.admin.refs('acme/rails');
    const issues = fx.server.admin.issues().length;
    const nokogiri = { ...lodash('vuln-nokogiri'), package_name: 'nokogiri', ecosystem: 'rubygems', current_version: '1.11.7', fixed_version: '1.13.10', cve_ids: ['CVE-2022-23476'], ghsa_ids: [] };
    const response = await fx.post(
      seed001(fx, [nokogiri], () => ({ repo_url: `${fx.github.url}/acme/rails`, base_branch: 'main', package_name: 'nokogiri', new_version: '1.13.10' }), { dry_run: true }),
    );
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.results[0].github).toMatchObject({ status: 'planned', branch: 'security/bundler/nokogiri-1.13.10' });
    expect(body.pull_requests).toHaveLength(1);
    expect(body.pull_requests[0]).toMatchObject({ branch: 'security/bundler/nokogiri-1.13.10', base: 'main', status: 'planned' });
    expect(body.pull_requests[0].files).toEqual([
      {
        path: 'Gemfile',
        diff: [
          '--- a/Gemfile',
          '+++ b/Gemfile',
          '@@ -5,7 +5,7 @@',
          ' ',
          ' gem "rails", "~> 6.1.4"',
          ' gem "puma", "~> 5.0"',
          '-gem "nokogiri", ">= 1.11.0"',
          '+gem "nokogiri", ">= 1.13.10"',
          ' gem "rack", "~> 2.2.3"',
          ' ',
          ' group :development, :test do',
          '',
        ].join('\n'),
      },
    ]);
    expect(body.pull_requests[0].body).toContain('Gemfile.lock');
    expect(await fx.github.admin.refs('acme/rails')).toEqual(refs);
    expect(fx.github.admin.pulls('acme/rails')).toHaveLength(0);
    expect(fx.server.admin.issues()).toHaveLength(issues);
  });
});
