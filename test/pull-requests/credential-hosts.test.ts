/**
 * A stored credential goes only to its own connection's hosts. With an organization's stored GitHub
 * connection and no PAT in the request, a repository on any other host is refused (422
 * CREDENTIAL_HOST_MISMATCH) and that host never sees the token; the same holds for a stored Jira
 * connection and a body jira_url elsewhere, and for a JWT-claim PAT and a body jira_url other than
 * the claim's. Underneath, the outbound client itself refuses to attach a stored secret to a request
 * for any other host, whatever code path built it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundError } from '../../src/http-client/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';
import { lodash, type PrFixture, seed000, seed001, startPrFixture } from './fixture.ts';

describe('stored credentials stay on their own hosts', () => {
  let fx: PrFixture;
  let stranger: GitHubSimulator;
  let admin: { authorization: string };
  const sawSecret = (entries: { headers: Record<string, unknown> }[], secret: string) =>
    entries.some((entry) => {
      const auth = String(entry.headers.authorization ?? '');
      const basic = auth.toLowerCase().startsWith('basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
      return auth.includes(secret) || basic.includes(secret);
    });

  beforeAll(async () => {
    fx = await startPrFixture('embedded');
    stranger = await startGitHubSimulator();
    admin = { authorization: `Bearer ${await fx.service.token({ subject: 'org-admin', roles: ['admin'] })}` };
    const github = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: admin,
      payload: { provider: 'github', name: 'Org GitHub', api_url: fx.github.apiUrl, token: fx.github.token },
    });
    expect(github.statusCode, github.body).toBe(201);
    const jira = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: admin,
      payload: { provider: 'jira-cloud', name: 'Org Jira', site_url: fx.cloud.url, email: fx.cloud.credentials.email, api_token: fx.cloud.credentials.apiToken },
    });
    expect(jira.statusCode, jira.body).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await stranger?.close();
  });

  it('seed 000: a repository on another host without github_pat is refused; that host never sees the stored token', async () => {
    stranger.admin.clearRequests();
    const payload = seed000(fx, [lodash('stranger-000')], { repo_url: `${stranger.url}/acme/web`, github_pat: null });
    const response = await fx.post(payload);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'CREDENTIAL_HOST_MISMATCH', field: 'vulnerabilities.0.repo_url' });
    expect(stranger.admin.requests()).toHaveLength(0);
    // Nothing was written either: no Jira issue for the refused request.
    expect(fx.cloud.admin.requests.entries.filter((entry) => entry.method === 'POST' && entry.path.includes('/issue'))).toHaveLength(0);
  });

  it('seed 001 and the git transport: refused the same way', async () => {
    stranger.admin.clearRequests();
    const payload = seed001(fx, [lodash('stranger-001')], () => ({ repo_url: `${stranger.url}/acme/web`, transport: 'git' }), { github_pat: null });
    const response = await fx.post(payload);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'CREDENTIAL_HOST_MISMATCH', field: 'github_pr_requests.0.repo_url' });
    expect(stranger.admin.requests()).toHaveLength(0);
  });

  it('the stored token still serves its own host, and a request PAT may go to any host', async () => {
    const own = await fx.post(seed000(fx, [lodash('own-host')], { repo_url: `${fx.github.url}/acme/web`, github_pat: null }, { dry_run: true }));
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json().results[0].github.status).toBe('planned');
    const elsewhere = await fx.post(seed000(fx, [lodash('own-pat')], { repo_url: `${stranger.url}/acme/web`, github_pat: stranger.token }, { dry_run: true }));
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    expect(elsewhere.json().results[0].github.status).toBe('planned');
    expect(sawSecret(stranger.admin.requests(), fx.github.token)).toBe(false);
  });

  it('a batch over 100 items on stored connections is refused with 422 before it is accepted (no 202, no run, nothing sent)', async () => {
    stranger.admin.clearRequests();
    fx.cloud.admin.requests.clear();
    const countRuns = async () => (await fx.service.context.db.query<{ n: number }>('select count(*)::int as n from runs'))[0]!.n;
    const runsBefore = await countRuns();
    const vulnerabilities = Array.from({ length: 101 }, (_, index) => lodash(`large-stranger-${index}`));
    const response = await fx.post({ vulnerabilities, jira: { project_key: 'SEC' }, github: { repo_url: `${stranger.url}/acme/web`, base_branch: 'main' } });
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'CREDENTIAL_HOST_MISMATCH', field: 'vulnerabilities.0.repo_url' });
    expect(stranger.admin.requests()).toHaveLength(0);
    expect(fx.cloud.admin.requests.entries.filter((entry) => entry.method === 'POST' && entry.path.includes('/issue'))).toHaveLength(0);
    expect(await countRuns()).toBe(runsBefore);
  });

  it('a stored Jira connection is not used for a body jira_url on another site', async () => {
    fx.server.admin.requests.clear();
    const payload = { vulnerabilities: [lodash('jira-elsewhere')], jira: { jira_url: fx.server.url, project_key: 'SEC' } };
    const response = await fx.post(payload);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'CREDENTIAL_HOST_MISMATCH', field: 'jira.jira_url' });
    expect(sawSecret(fx.server.admin.requests.entries, fx.cloud.credentials.apiToken)).toBe(false);
  });

  it("seed 000: a claim's jira_pat never goes to a body jira_url on another site", async () => {
    fx.server.admin.requests.clear();
    const token = await fx.service.token({
      subject: 'auth-service',
      roles: ['service'],
      extraClaims: { jira_url: fx.cloud.url, jira_email: fx.cloud.credentials.email, jira_pat: fx.cloud.credentials.apiToken },
    });
    const response = await fx.service.app.inject({
      method: 'POST',
      url: '/internal/create-issues-and-prs',
      headers: { authorization: `Bearer ${token}` },
      payload: { vulnerabilities: [lodash('claims-elsewhere')], jira: { jira_url: fx.server.url, project_key: 'SEC' }, dry_run: true },
    });
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'CREDENTIAL_HOST_MISMATCH', field: 'jira.jira_url' });
    expect(sawSecret(fx.server.admin.requests.entries, fx.cloud.credentials.apiToken)).toBe(false);
  });

  it('the outbound client refuses to attach a stored secret to another host, as Bearer, token or Basic', async () => {
    // Testing the connections opens their secrets, which binds them to their hosts.
    const listed = (await fx.service.app.inject({ method: 'GET', url: '/api/v1/connections', headers: admin })).json().connections as { id: string }[];
    for (const connection of listed) {
      const tested = await fx.service.app.inject({ method: 'POST', url: `/api/v1/connections/${connection.id}/test`, headers: admin });
      expect(tested.json().ok, tested.body).toBe(true);
    }
    stranger.admin.clearRequests();
    const basic = Buffer.from(`${fx.cloud.credentials.email}:${fx.cloud.credentials.apiToken}`).toString('base64');
    for (const authorization of [`Bearer ${fx.github.token}`, `token ${fx.github.token}`, `Basic ${basic}`]) {
      const attempt = fx.service.context.outbound.request({ method: 'GET', url: `${stranger.apiUrl}/user`, headers: { authorization } });
      await expect(attempt).rejects.toBeInstanceOf(OutboundError);
      await expect(attempt).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    }
    expect(stranger.admin.requests()).toHaveLength(0);
    // Its own host is fine.
    const own = await fx.service.context.outbound.request({ method: 'GET', url: `${fx.github.apiUrl}/user`, headers: { authorization: `token ${fx.github.token}` } });
    expect(own.status).toBe(200);
  });
});
