/**
 * GitHub App authentication through real HTTP: app JWTs signed with the key the simulator generated
 * (and refused when expired, too long-lived, issued in the future or signed by another key), installation
 * tokens with a one-hour expiry on the simulator's clock, and those tokens accepted wherever a PAT is —
 * REST, GraphQL and git over HTTP — until they expire.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, JWT_MESSAGES, startGitHubSimulator } from './index.ts';
import { api, git, graphql, tempDir } from './test-helpers.ts';

let sim: GitHubSimulator;
let key: KeyObject;
let appId: number;
let installationId: number;
/** The simulator's clock in seconds (it moves with advanceClock). */
let offsetSeconds = 0;
const nowSeconds = () => Math.floor(Date.now() / 1000) + offsetSeconds;

beforeAll(async () => {
  sim = await startGitHubSimulator();
  const app = sim.githubApp;
  if (!app) throw new Error('the simulator should start with a GitHub App');
  // GitHub hands out PKCS#1 keys; node's crypto reads them as they are.
  expect(app.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  key = createPrivateKey(app.privateKeyPem);
  appId = app.id;
  installationId = app.installationId;
});
afterAll(async () => {
  await sim.close();
});

function advance(seconds: number): void {
  sim.advanceClock(seconds * 1000);
  offsetSeconds += seconds;
}

function jwt(claims: { iat?: number; exp?: number; iss?: string | number } = {}, signingKey: KeyObject = key, alg = 'RS256'): Promise<string> {
  const now = nowSeconds();
  const payload: Record<string, unknown> = { iat: now - 30, exp: now + 540, iss: String(appId), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(signingKey);
}

const asApp = async (method: string, route: string, body?: unknown, token?: string) => api(sim, method, route, body, { headers: { authorization: `Bearer ${token ?? (await jwt())}` }, token: null });

async function installationToken(body?: unknown): Promise<{ token: string; expires_at: string }> {
  const answer = await asApp('POST', `/app/installations/${installationId}/access_tokens`, body);
  expect(answer.status).toBe(201);
  return answer.json;
}

describe('app JWT', () => {
  it('authenticates GET /app with an RS256 JWT signed by the app key', async () => {
    const answer = await asApp('GET', '/app');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: appId, slug: sim.githubApp?.slug, client_id: sim.githubApp?.clientId, installations_count: 1, permissions: { contents: 'write' } });
  });

  it('accepts the client id as issuer and a numeric iss', async () => {
    expect((await asApp('GET', '/app', undefined, await jwt({ iss: sim.githubApp?.clientId }))).status).toBe(200);
    expect((await asApp('GET', '/app', undefined, await jwt({ iss: appId }))).status).toBe(200);
  });

  it("refuses with GitHub's messages: expired, too far in the future, issued in the future, wrong key, wrong algorithm", async () => {
    const now = nowSeconds();
    const cases: [string, Promise<string>][] = [
      [JWT_MESSAGES.expired, jwt({ iat: now - 700, exp: now - 100 })],
      [JWT_MESSAGES.tooFar, jwt({ iat: now, exp: now + 900 })],
      [JWT_MESSAGES.iat, jwt({ iat: now + 300, exp: now + 500 })],
      [JWT_MESSAGES.undecodable, jwt({}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)],
      [JWT_MESSAGES.undecodable, jwt({ iss: '1' })],
    ];
    for (const [message, token] of cases) {
      const answer = await asApp('GET', '/app', undefined, await token);
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ message, documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    const hs256 = await new SignJWT({ iat: now - 30, exp: now + 500, iss: String(appId) }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await asApp('GET', '/app', undefined, hs256)).json.message).toBe(JWT_MESSAGES.undecodable);
  });

  it('expires on the simulator clock: a JWT good now is refused ten minutes later', async () => {
    const token = await jwt();
    expect((await asApp('GET', '/app', undefined, token)).status).toBe(200);
    advance(600);
    expect((await asApp('GET', '/app', undefined, token)).json.message).toBe(JWT_MESSAGES.expired);
  });

  it('is accepted only as Bearer and only on the app endpoints; a PAT does not open them', async () => {
    const token = await jwt();
    expect((await api(sim, 'GET', '/app', undefined, { token })).status).toBe(401);
    const onRepo = await asApp('GET', '/repos/acme/web');
    expect(onRepo.status).toBe(401);
    expect(onRepo.json.message).toBe('Bad credentials');
    const withPat = await api(sim, 'GET', '/app');
    expect(withPat.status).toBe(401);
    expect(withPat.json.message).toBe(JWT_MESSAGES.undecodable);
  });
});

describe('installations and their tokens', () => {
  it('finds the installation of a repository', async () => {
    const found = await asApp('GET', '/repos/acme/web/installation');
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ id: installationId, app_id: appId, account: { login: 'acme' }, repository_selection: 'all', target_type: 'Organization' });
    expect((await asApp('GET', '/repos/acme/nope/installation')).status).toBe(404);
    expect((await asApp('GET', '/app/installations')).json.map((i: { id: number }) => i.id)).toEqual([installationId]);
  });

  it('mints ghs_ tokens that expire one hour ahead on the simulator clock', async () => {
    const issued = await installationToken();
    expect(issued.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const expiresAt = Date.parse(issued.expires_at) / 1000;
    expect(Math.abs(expiresAt - (nowSeconds() + 3600))).toBeLessThanOrEqual(2);
    const full = await asApp('POST', `/app/installations/${installationId}/access_tokens`);
    expect(full.json).toMatchObject({ permissions: { contents: 'write', pull_requests: 'write', issues: 'write', metadata: 'read' }, repository_selection: 'all' });
    expect(full.json.repositories).toBeUndefined();
    expect((await asApp('POST', '/app/installations/1/access_tokens')).status).toBe(404);
  });

  it('restricts a token to the repositories and permissions asked for, never beyond the installation', async () => {
    const narrowed = await asApp('POST', `/app/installations/${installationId}/access_tokens`, { repositories: ['web'], permissions: { contents: 'read' } });
    expect(narrowed.status).toBe(201);
    expect(narrowed.json.repository_selection).toBe('selected');
    expect(narrowed.json.repositories.map((r: { full_name: string }) => r.full_name)).toEqual(['acme/web']);
    const token = narrowed.json.token as string;
    expect((await api(sim, 'GET', '/repos/acme/web', undefined, { token })).status).toBe(200);
    expect((await api(sim, 'GET', '/repos/acme/api', undefined, { token })).status).toBe(404);
    const write = await api(sim, 'POST', '/repos/acme/web/git/blobs', { content: 'x', encoding: 'utf-8' }, { token });
    expect(write.status).toBe(403);
    expect(write.json.message).toBe('Resource not accessible by integration');

    const escalate = await asApp('POST', `/app/installations/${installationId}/access_tokens`, { permissions: { administration: 'write' } });
    expect(escalate.status).toBe(422);
    const unknownRepo = await asApp('POST', `/app/installations/${installationId}/access_tokens`, { repositories: ['not-there'] });
    expect(unknownRepo.status).toBe(422);
  });

  it('refuses token requests for a suspended installation', async () => {
    sim.githubApp?.setSuspended(installationId, true);
    try {
      expect((await asApp('POST', `/app/installations/${installationId}/access_tokens`)).status).toBe(403);
    } finally {
      sim.githubApp?.setSuspended(installationId, false);
    }
  });
});

describe('installation tokens wherever a PAT works', () => {
  it('REST (token and Bearer schemes), GraphQL and git over HTTP, until the token expires', async () => {
    const { token } = await installationToken();
    expect((await api(sim, 'GET', '/repos/acme/web', undefined, { token })).status).toBe(200);
    expect((await api(sim, 'GET', '/repos/acme/web', undefined, { token: null, headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const blob = await api(sim, 'POST', '/repos/acme/web/git/blobs', { content: 'from the app', encoding: 'utf-8' }, { token });
    expect(blob.status).toBe(201);
    const listed = await api(sim, 'GET', '/installation/repositories', undefined, { token });
    expect(listed.json.repositories.map((r: { full_name: string }) => r.full_name)).toContain('acme/web');

    const viewer = await graphql(sim, 'query { viewer { login } }', {}, token);
    expect(viewer.status).toBe(200);
    expect(viewer.json.data.viewer.login).toBe(`${sim.githubApp?.slug}[bot]`);

    const dir = await tempDir();
    try {
      const clone = await git(['clone', `${sim.url}/acme/web.git`, path.join(dir.path, 'web')], { token });
      expect(clone.code).toBe(0);
      advance(3601);
      const refused = await git(['clone', `${sim.url}/acme/web.git`, path.join(dir.path, 'again')], { token });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/Authentication failed|401|Invalid username or token|could not read Username/);
    } finally {
      await dir.remove();
    }
    const expired = await api(sim, 'GET', '/repos/acme/web', undefined, { token });
    expect(expired.status).toBe(401);
    expect(expired.json.message).toBe('Bad credentials');
    expect((await graphql(sim, 'query { viewer { login } }', {}, token)).status).toBe(401);
  });
});
