/**
 * Seed 000 through `POST /internal/create-issues-and-prs`: findings only, and we build the Jira issue
 * and the PR (title, body with packages, advisories, the key, how to verify). A repository's findings
 * go into one PR with `group: true`; a package only pulled in transitively gets no PR, and the reason
 * is commented on its ticket instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { commentText, type PrFixture, seed000, startPrFixture } from './fixture.ts';

const finding = (id: string, packageName: string, ecosystem: string, current: string, fixed: string, cve: string) => ({
  id,
  package_name: packageName,
  ecosystem,
  current_version: current,
  fixed_version: fixed,
  severity: 'high',
  cve_ids: [cve],
  title: `${packageName} ${current} is vulnerable`,
  description: `${packageName} before ${fixed} is vulnerable.`,
});

describe.each(databaseKinds())('seed 000 fix PRs on %s', (kind) => {
  let fx: PrFixture;
  beforeAll(async () => {
    fx = await startPrFixture(kind);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('builds the PR: title, body with the key, NVD link and pip steps; only the version bytes change', async () => {
    const before = (await fx.github.admin.readFile('acme/api', 'requirements.txt'))!;
    const response = await fx.post(seed000(fx, [finding('api-requests', 'requests', 'pypi', '2.25.1', '2.31.0', 'CVE-2023-32681')], { repo_url: `${fx.github.url}/acme/api` }));
    expect(response.statusCode, response.body).toBe(200);
    const [result] = response.json().results;
    expect(result.jira.status).toBe('created');
    expect(result.github).toMatchObject({ status: 'created', branch: 'security/pip/requests-2.31.0', base: 'main' });
    const pull = (await fx.github.admin.pull('acme/api', result.github.pr_number))!;
    expect(pull.title).toBe('Bump requests from 2.25.1 to 2.31.0 (security)');
    const body = pull.body as string;
    expect(body).toContain(`[${result.jira.issue_key}](${result.jira.issue_url})`);
    expect(body).toContain('[CVE-2023-32681](https://nvd.nist.gov/vuln/detail/CVE-2023-32681)');
    expect(body).toContain('| requests | pip | `==2.25.1` | `==2.31.0` | `requirements.txt` |');
    expect(body).toContain('pip install -r requirements.txt');
    expect(await fx.github.admin.readFile('acme/api', 'requirements.txt', result.github.branch)).toBe(before.replace('requests==2.25.1', 'requests==2.31.0'));
    // requirements-dev.txt only includes requirements.txt: untouched.
    expect(await fx.github.admin.readFile('acme/api', 'requirements-dev.txt', result.github.branch)).toBe(await fx.github.admin.readFile('acme/api', 'requirements-dev.txt'));
    const comments = fx.cloud.admin.comments(result.jira.issue_key);
    expect(comments.map((comment) => commentText(comment.body)).join('\n')).toContain(result.github.pr_url);
    expect(fx.cloud.admin.remoteLinks(result.jira.issue_key)[0]).toMatchObject({ globalId: result.github.pr_url });
  }, 120_000);

  it('group: true puts a repository’s findings in one PR, versions in properties, catalogs and gradle.properties', async () => {
    const findings = [
      finding('java-jackson', 'com.fasterxml.jackson.core:jackson-databind', 'maven', '2.12.1', '2.12.7.1', 'CVE-2022-42003'),
      finding('java-guava', 'com.google.guava:guava', 'maven', '29.0-jre', '32.0.0-jre', 'CVE-2023-2976'),
    ];
    const response = await fx.post(seed000(fx, findings, { repo_url: `${fx.github.url}/acme/java`, group: true }));
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    const [jackson, guava] = body.results;
    expect(jackson.github.status).toBe('created');
    expect(guava.github).toMatchObject({ status: 'created', pr_url: jackson.github.pr_url, branch: jackson.github.branch });
    expect(jackson.github.branch).toMatch(/^security\/batch-[0-9a-f]{10}$/);
    expect(body.summary.prs_created).toBe(1);
    expect(fx.github.admin.pulls('acme/java')).toHaveLength(1);
    const pull = (await fx.github.admin.pull('acme/java', jackson.github.pr_number))!;
    expect(pull.title).toBe('Security updates for 2 packages');
    expect(pull.body).toContain(jackson.jira.issue_key);
    expect(pull.body).toContain(guava.jira.issue_key);
    const read = (path: string, ref?: string) => fx.github.admin.readFile('acme/java', path, ref);
    const branch = jackson.github.branch as string;
    expect(await read('pom.xml', branch)).toBe((await read('pom.xml'))!.replace('<jackson.version>2.12.1</jackson.version>', '<jackson.version>2.12.7.1</jackson.version>'));
    expect(await read('gradle/libs.versions.toml', branch)).toBe((await read('gradle/libs.versions.toml'))!.replace('jackson = "2.12.1"', 'jackson = "2.12.7.1"'));
    expect(await read('gradle.properties', branch)).toBe((await read('gradle.properties'))!.replace('guavaVersion=29.0-jre', 'guavaVersion=32.0.0-jre'));
    expect(await read('build.gradle', branch)).toBe(await read('build.gradle'));
  }, 120_000);

  it('a transitive-only package gets no PR; the reason is commented on its ticket, once', async () => {
    const qs = finding('web-qs', 'qs', 'npm', '6.7.0', '6.7.3', 'CVE-2022-24999');
    const pulls = fx.github.admin.pulls('acme/web').length;
    const response = await fx.post(seed000(fx, [qs], { repo_url: `${fx.github.url}/acme/web` }));
    const [result] = response.json().results;
    expect(result.github).toMatchObject({ status: 'skipped', reason_code: 'not-declared', pr_url: null, jira_commented: true });
    expect(result.github.note).toMatch(/qs cannot be raised to 6\.7\.3 by editing a manifest/);
    expect(fx.github.admin.pulls('acme/web')).toHaveLength(pulls);
    expect(Object.keys(await fx.github.admin.refs('acme/web'))).not.toContain('refs/heads/security/npm/qs-6.7.3');
    const comments = () => fx.cloud.admin.comments(result.jira.issue_key).map((comment) => commentText(comment.body));
    expect(comments()).toHaveLength(1);
    expect(comments()[0]).toContain('No fix pull request was opened');

    const again = (await fx.post(seed000(fx, [qs], { repo_url: `${fx.github.url}/acme/web` }))).json().results[0];
    expect(again.github).toMatchObject({ status: 'skipped', jira_commented: false });
    expect(comments()).toHaveLength(1);
  }, 120_000);

  it('the GitHub token may come from the JWT claims, and is never logged', async () => {
    const token = await fx.service.token({ subject: 'auth-service', roles: ['service'], extraClaims: { github_pat: fx.github.token } });
    const payload = seed000(fx, [finding('svc-net', 'golang.org/x/net', 'go', 'v0.7.0', 'v0.17.0', 'CVE-2023-44487')], { repo_url: `${fx.github.url}/acme/svc` });
    delete (payload.github as { github_pat?: string }).github_pat;
    const response = await fx.service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers: { authorization: `Bearer ${token}` }, payload });
    const [result] = response.json().results;
    expect(result.github).toMatchObject({ status: 'created', branch: 'security/gomod/golang.org/x/net-v0.17.0' });
    const pull = (await fx.github.admin.pull('acme/svc', result.github.pr_number))!;
    expect(pull.body).toContain('go mod tidy && go build ./...');
    expect(fx.service.logs.join('\n')).not.toContain(fx.github.token);
  }, 120_000);
});
