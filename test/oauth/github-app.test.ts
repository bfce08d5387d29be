/**
 * A GitHub App installation instead of a PAT (issue 11): a `github` connection with auth kind
 * app-installation (app id, installation id, private key PEM sealed) buys an installation token with
 * an RS256 app JWT, keeps it (sealed in the row) until shortly before it expires, buys a new one once
 * the simulator's clock passes expiry, and the PR engine opens a fix PR with it exactly as with a PAT.
 * Real HTTP against the GitHub simulator (its App checks the JWT with the app's public key).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt } from '../../src/providers/github/app-installation.ts';
import { setOAuthClock } from '../../src/services/atlassian-oauth.ts';
import { type PrFixture, seed000, startPrFixture } from '../pull-requests/fixture.ts';

const requests = { id: 'api-requests', package_name: 'requests', ecosystem: 'pypi', current_version: '2.25.1', fixed_version: '2.31.0', severity: 'high', cve_ids: ['CVE-2023-32681'], title: 'requests 2.25.1 is vulnerable', description: 'requests before 2.31.0 is vulnerable.' };

describe('GitHub App installation connections', () => {
  let fx: PrFixture;
  let connectionId: string;
  const tokenCalls = () => fx.github.admin.requests().filter((r) => r.method === 'POST' && /\/app\/installations\/\d+\/access_tokens$/.test(r.path));

  beforeAll(async () => {
    fx = await startPrFixture('embedded');
    const admin = { authorization: `Bearer ${await fx.service.token({ subject: 'root', roles: ['admin'] })}` };
    const app = fx.github.githubApp!;
    const created = await fx.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: admin,
      payload: { provider: 'github', auth_kind: 'app-installation', name: 'Sim App', api_url: fx.github.apiUrl, app_id: String(app.id), installation_id: String(app.installationId), private_key: app.privateKeyPem },
    });
    expect(created.statusCode, created.body).toBe(201);
    connectionId = created.json().id;
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('the app JWT is RS256 with iat 60 s back and exp at most 10 minutes ahead', async () => {
    const now = Date.now();
    const jwt = await appJwt('42', fx.github.githubApp!.privateKeyPem, now);
    const claims = decodeJwt(jwt);
    expect(claims.iss).toBe('42');
    expect(claims.iat).toBe(Math.floor(now / 1000) - 60);
    expect(claims.exp! - Math.floor(now / 1000)).toBeLessThanOrEqual(600);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(660);
  });

  it('opens a fix PR with an installation token, caches the token, and buys a new one after expiry', async () => {
    fx.github.admin.clearRequests();
    const response = await fx.post(seed000(fx, [requests], { repo_url: `${fx.github.url}/acme/api`, github_pat: undefined }));
    expect(response.statusCode, response.body).toBe(200);
    const [result] = response.json().results;
    expect(result.github).toMatchObject({ status: 'created' });
    const pull = (await fx.github.admin.pull('acme/api', result.github.pr_number))!;
    expect(JSON.stringify(pull.user)).toContain(`${fx.github.githubApp!.slug}[bot]`);
    expect(tokenCalls()).toHaveLength(1);
    const apiCalls = fx.github.admin.requests().filter((r) => r.path.startsWith('/api/v3/repos/'));
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.every((r) => String(r.headers.authorization).startsWith('Bearer ghs_'))).toBe(true);
    const [row] = await fx.service.context.db.query<{ secrets_encrypted: string; expires_at: Date }>(`select secrets_encrypted, expires_at from connections where id = $1::uuid`, [connectionId]);
    expect(row!.secrets_encrypted).not.toContain('ghs_');
    expect(new Date(row!.expires_at).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

    // Within the hour: the stored token is reused, nothing bought.
    const again = await fx.post(seed000(fx, [{ ...requests, id: 'api-requests-2' }], { repo_url: `${fx.github.url}/acme/api`, github_pat: undefined }));
    expect(again.statusCode, again.body).toBe(200);
    expect(tokenCalls()).toHaveLength(1);

    // The simulator's clock passes the token's expiry: GitHub answers 401 to it, one new token is bought.
    // Both clocks move together (as GitHub's and ours would): the simulator's and the credential clock.
    fx.github.advanceClock(61 * 60_000);
    setOAuthClock(fx.service.context, () => Date.now() + 61 * 60_000);
    const later = await fx.post(seed000(fx, [{ ...requests, id: 'api-urllib3', package_name: 'urllib3', current_version: '1.26.4', fixed_version: '1.26.18' }], { repo_url: `${fx.github.url}/acme/api`, github_pat: undefined }));
    expect(later.statusCode, later.body).toBe(200);
    expect(later.json().results[0].github.status, later.body).not.toBe('failed');
    expect(tokenCalls()).toHaveLength(2);
  }, 120_000);
});
