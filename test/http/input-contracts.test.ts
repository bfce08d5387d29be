/**
 * Issue 9 items 5, 7 and 8 at the HTTP boundary, each refused with a 400 naming the field and with
 * nothing written:
 * - 5: control characters (a NUL reached PostgreSQL and came back as a 500; a secret with a NUL was
 *   stored and failed every later call);
 * - 7: caller JSON without bounds (a 20,000-deep custom field gave a 500 and left a ticket claimed);
 * - 8: base_branch not checked like branch_name, refs/heads/… names, invisible characters in branch
 *   names, `.git` below the top level of a manifest path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

/** 20,000 levels as JSON text (JSON.stringify itself would overflow the stack on the way in). */
const DEEP = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;

describe('request contracts: control characters, bounded JSON, branch names and paths', () => {
  let fixture: JiraFixture;
  let findingId: string;
  let caseId: string;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    const posted = await inject('POST', '/api/v1/findings', {
      findings: [{ kind: 'vulnerability', title: 'lodash', severity: 'high', ecosystem: 'npm', package_name: 'lodash', current_version: '4.17.15', fixed_version: '4.17.21' }],
    });
    findingId = posted.json().findings[0].id;
    caseId = (await seedCase(fixture, 1)).caseId;
  });
  afterAll(async () => {
    await fixture?.close();
  });

  function inject(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
    return fixture.service.app.inject({ method, url, headers: fixture.auth, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  /** Sends raw JSON text (for values JSON.stringify cannot produce). */
  function injectRaw(url: string, body: string) {
    return fixture.service.app.inject({ method: 'POST', url, headers: { ...fixture.auth, 'content-type': 'application/json' }, payload: body });
  }
  async function count(table: string): Promise<number> {
    const [row] = await fixture.service.context.db.query<{ n: string }>(`select count(*) as n from ${table}`);
    return Number(row?.n);
  }

  describe('item 5: control characters are refused at the boundary, naming the field', () => {
    const vulnerability = { kind: 'vulnerability', title: 'x', severity: 'low', ecosystem: 'npm', package_name: 'left-pad', current_version: '1.0.0' };
    it.each([
      ['title', 'a\u0000b'],
      ['description', 'before\u0000after'],
      ['package_name', 'left\u0000pad'],
      ['package_name', 'left\u200bpad'],
      ['source', 'scanner\u001b[31m'],
    ])('finding %s = %j', async (field, value) => {
      const before = await count('findings');
      const response = await inject('POST', '/api/v1/findings', { findings: [{ ...vulnerability, [field]: value }] });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: `findings.0.${field}` });
      expect(await count('findings')).toBe(before);
    });

    it('multi-line text keeps tabs and line breaks', async () => {
      const response = await inject('POST', '/api/v1/findings', { findings: [{ ...vulnerability, package_name: 'multi', description: 'line 1\n\tline 2\r\n' }] });
      expect(response.statusCode).toBe(200);
      expect(response.json().findings[0].description).toBe('line 1\n\tline 2\r\n');
    });

    it('case name, mapping value and comment body', async () => {
      expect((await inject('POST', '/api/v1/cases', { name: 'Audit\u0000' })).json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
      const mapping = await inject('PUT', `/api/v1/connections/${fixture.connectionId}/mappings`, { kind: 'priority', source: 'critical', target: 'High\u0000est' });
      expect(mapping.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'target' });
      const violations = await inject('POST', `/api/v1/cases/${caseId}/violations`, { violations: [{ title: 'x', severity: 'low', control_id: 'AC\u00002' }] });
      expect(violations.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'violations.0.control_id' });
      const ticket = await inject('POST', '/api/v1/tickets', { finding_id: findingId, project_key: 'SEC', issue_type: 'Bug' });
      expect(ticket.statusCode).toBe(201);
      const jobs = await count('job_records');
      const comment = await inject('POST', `/api/v1/tickets/${ticket.json().id}/comments`, { text: 'see \u0000 here' });
      expect(comment.statusCode).toBe(400);
      expect(comment.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'text' });
      expect(await count('job_records')).toBe(jobs);
    });

    it('a connection name or secret with a NUL is refused before anything is stored', async () => {
      const before = await count('connections');
      const base = { provider: 'jira-cloud', name: 'Mine', site_url: fixture.jira.url, email: fixture.jira.credentials.email, api_token: fixture.jira.credentials.apiToken };
      for (const [field, value] of [
        ['api_token', `${fixture.jira.credentials.apiToken}\u0000`],
        ['api_token', `${fixture.jira.credentials.apiToken}\n`],
        ['name', 'Mine\u0000'],
      ] as const) {
        const response = await inject('POST', '/api/v1/connections', { ...base, [field]: value });
        expect(response.statusCode).toBe(400);
        expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field });
        expect(response.body).not.toContain(fixture.jira.credentials.apiToken);
      }
      for (const [provider, field] of [['jira-server', 'pat'], ['github', 'token']] as const) {
        const response = await inject('POST', '/api/v1/connections', { provider, name: 'x', site_url: fixture.jira.url, [field]: 'abc\u0000def' });
        expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      }
      expect(await count('connections')).toBe(before);
    });

    it('query filters too (they reached PostgreSQL as well)', async () => {
      for (const url of ['/api/v1/findings?q=a%00b', '/api/v1/findings?package_name=a%00b', '/api/v1/connections?provider=a%00b']) {
        const response = await inject('GET', url);
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('item 7: caller JSON is bounded', () => {
    it('a 20,000-deep custom field is a 400 naming it, and no ticket is claimed; the next request creates the ticket', async () => {
      const posted = await inject('POST', '/api/v1/findings', {
        findings: [{ kind: 'vulnerability', title: 'deep', severity: 'high', ecosystem: 'npm', package_name: 'deep-pkg', current_version: '1.0.0' }],
      });
      const id = posted.json().findings[0].id as string;
      const tickets = await count('tickets');
      const response = await injectRaw('/api/v1/tickets', `{"finding_id":"${id}","project_key":"SEC","issue_type":"Bug","custom_fields":{"customfield_10042":${DEEP}}}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'custom_fields.customfield_10042' });
      expect(response.json().error.message).toMatch(/nests deeper than 64 levels/);
      expect(await count('tickets')).toBe(tickets);
      const retried = await inject('POST', '/api/v1/tickets', { finding_id: id, project_key: 'SEC', issue_type: 'Bug' });
      expect(retried.statusCode).toBe(201);
    });

    it('seed 001 fields: too deep, too many values or a NUL inside are refused before any finding is written', async () => {
      const findings = await count('findings');
      const item = { id: 'v-deep', package_name: 'lodash', ecosystem: 'npm', current_version: '4.17.15', severity: 'high' };
      const request = (fields: string) =>
        `{"items":[${JSON.stringify(item)}],"jira_issue_requests":[{"jira_url":"${fixture.jira.url}","jira_pat":"pat-123","fields":${fields}}]}`;
      const deep = await injectRaw('/internal/create-issues-and-prs', request(`{"project":{"key":"SEC"},"description":${DEEP}}`));
      expect(deep.statusCode).toBe(400);
      expect(deep.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'jira_issue_requests.0.fields' });
      const wide = await injectRaw('/internal/create-issues-and-prs', request(`{"project":{"key":"SEC"},"labels":[${Array.from({ length: 20_001 }, () => '"a"').join(',')}]}`));
      expect(wide.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'jira_issue_requests.0.fields' });
      const nul = await inject('POST', '/internal/create-issues-and-prs', JSON.parse(request('{"project":{"key":"SEC"},"summary":"a\\u0000b"}')));
      expect(nul.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'jira_issue_requests.0.fields.summary' });
      expect(await count('findings')).toBe(findings);
    });
  });

  describe('item 8: branch names and manifest paths, checked once up front with the git layer’s rules', () => {
    const item = { id: 'v1', package_name: 'lodash', ecosystem: 'npm', current_version: '4.17.15', fixed_version: '4.17.21', severity: 'high' };
    const seed001 = (pr: Record<string, unknown>) => ({ items: [item], github_pr_requests: [{ repo_url: 'https://github.com/acme/web', github_pat: 'ghp_x', ...pr }], dry_run: true });

    it.each([
      ['base_branch', '--upload-pack=touch /tmp/pwned'],
      ['base_branch', '-fo'],
      ['base_branch', 'refs/heads/main'],
      ['branch_name', 'refs/heads/x'],
      ['branch_name', 'fix\u202eexe.txt'],
      ['branch_name', '\u200bmain'],
      ['base_branch', 'main\ufeff'],
    ])('seed 001 %s %j → BRANCH_NAME_INVALID naming the field', async (field, value) => {
      const findings = await count('findings');
      const response = await inject('POST', '/internal/create-issues-and-prs', seed001({ [field]: value }));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'BRANCH_NAME_INVALID', field: `github_pr_requests.0.${field}` });
      expect(await count('findings')).toBe(findings);
    });

    it.each(['https://github.com/acme', 'https://user:pw@github.com/acme/web', 'ftp://github.com/acme/web'])('seed 001 repo_url %j → REPO_URL_INVALID naming the field, nothing stored', async (url) => {
      const findings = await count('findings');
      const response = await inject('POST', '/internal/create-issues-and-prs', seed001({ repo_url: url }));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'REPO_URL_INVALID', field: 'github_pr_requests.0.repo_url' });
      expect(response.body).not.toContain('pw@');
      expect(await count('findings')).toBe(findings);
    });

    it('seed 000 github.base_branch is checked the same way', async () => {
      const response = await inject('POST', '/internal/create-issues-and-prs', {
        vulnerabilities: [{ ...item, repo_url: 'https://github.com/acme/web' }],
        github: { base_branch: '--upload-pack=x' },
        dry_run: true,
      });
      expect(response.json().error).toMatchObject({ code: 'BRANCH_NAME_INVALID', field: 'github.base_branch' });
    });

    it.each(['a/.GIT/config', 'x/y/.git/hooks/pre-commit', '.git./config'])('dependency_files %j → MANIFEST_PATH_REFUSED', async (path) => {
      const response = await inject('POST', '/internal/create-issues-and-prs', seed001({ dependency_files: ['package.json', path] }));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'MANIFEST_PATH_REFUSED', field: 'github_pr_requests.0.dependency_files.1' });
      expect(response.json().error.message).toMatch(/\.git/);
    });
  });

  it('a path parameter longer than the router allows gets the catalogue’s error shape', async () => {
    const response = await inject('GET', `/api/v1/findings/${'x'.repeat(500)}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'VALIDATION_FAILED', message: 'a path parameter is longer than any valid value' } });
  });
});
