import { createServer, type Server } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.ts';
import { signHmacToken } from '../../src/auth/sign.ts';
import { startTestService, TEST_JWT_SECRET, type TestService } from '../helpers/runtime.ts';

const secretBytes = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);

async function call(service: TestService, authorization?: string) {
  return service.app.inject({
    method: 'GET',
    url: '/api/v1/jobs',
    headers: authorization === undefined ? {} : { authorization },
  });
}

describe('JWT authentication (HS256, issuer and audience configured)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('embedded', { JWT_ISSUER: 'auth-service', JWT_AUDIENCE: 'integration-service' });
  });
  afterAll(async () => {
    await service?.close();
  });

  const valid = (alg = 'HS256') =>
    new SignJWT({ org: 'demo-org', roles: ['admin'] })
      .setProtectedHeader({ alg })
      .setSubject('svc-auth')
      .setIssuer('auth-service')
      .setAudience('integration-service')
      .setIssuedAt()
      .setExpirationTime('5m');

  it('accepts a valid token', async () => {
    const response = await call(service, `Bearer ${await valid().sign(secretBytes)}`);
    expect(response.statusCode).toBe(200);
  });

  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no token', async () => undefined, /missing bearer token/],
    ['a non-bearer scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, /Bearer/],
    ['a malformed token', async () => 'Bearer not.a.jwt', /malformed|could not be verified/],
    ['a wrong signature', async () => `Bearer ${await valid().sign(new TextEncoder().encode('another-secret-another-secret-another-secret'))}`, /signature/],
    [
      'alg none',
      async () =>
        `Bearer ${new UnsecuredJWT({ org: 'demo-org', roles: ['admin'] })
          .setSubject('svc')
          .setIssuer('auth-service')
          .setAudience('integration-service')
          .setExpirationTime('5m')
          .encode()}`,
      /algorithm|malformed|could not be verified/,
    ],
    [
      'an expired token',
      async () => `Bearer ${await valid().setExpirationTime(now() - 3600).sign(secretBytes)}`,
      /expired/,
    ],
    ['a token not yet valid', async () => `Bearer ${await valid().setNotBefore(now() + 3600).sign(secretBytes)}`, /not yet valid/],
    ['a wrong issuer', async () => `Bearer ${await valid().setIssuer('someone-else').sign(secretBytes)}`, /issuer/],
    ['a wrong audience', async () => `Bearer ${await valid().setAudience('other-service').sign(secretBytes)}`, /audience/],
    [
      'a token without exp',
      async () =>
        `Bearer ${await new SignJWT({ org: 'demo-org' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('auth-service').setAudience('integration-service').sign(secretBytes)}`,
      /"exp"/,
    ],
    [
      'HS512 when HS256 is configured',
      async () => `Bearer ${await valid('HS512').sign(new TextEncoder().encode(TEST_JWT_SECRET.repeat(2)))}`,
      /algorithm/,
    ],
  ];

  it.each(cases)('rejects %s with 401 in the error shape', async (_name, make, message) => {
    const response = await call(service, await make());
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    const body = response.json();
    expect(body.error.code).toBe('UNAUTHENTICATED');
    expect(body.error.message).toMatch(message);
  });

  it('checks the token before the body: an unauthenticated invalid body is 401, not 400', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/v1/findings',
      headers: { 'content-type': 'application/json' },
      payload: { findings: [{ kind: 'nonsense' }] },
    });
    expect(response.statusCode).toBe(401);
    const badId = await service.app.inject({ method: 'GET', url: '/api/v1/jobs/not-a-uuid' });
    expect(badId.statusCode).toBe(401);
  });

  it('answers 403 when the token lacks the role a route needs', async () => {
    const token = await signHmacToken(TEST_JWT_SECRET, 'HS256', {
      subject: 'viewer',
      roles: ['viewer'],
      issuer: 'auth-service',
      audience: 'integration-service',
    });
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000/retry',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN');
  });
});

describe('JWT authentication (RS256 with a PEM public key)', () => {
  let service: TestService;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let publicPem: string;
  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
    publicPem = await exportSPKI(keys.publicKey);
    service = await startTestService('embedded', { JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: publicPem, JWT_SECRET_KEY: '' });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('accepts a token signed with the private key', async () => {
    const token = await new SignJWT({ org: 'demo-org' }).setProtectedHeader({ alg: 'RS256' }).setSubject('svc').setExpirationTime('5m').sign(keys.privateKey);
    expect((await call(service, `Bearer ${token}`)).statusCode).toBe(200);
  });

  it('rejects HS/RS confusion: an HS256 token keyed with the public key PEM', async () => {
    const token = await new SignJWT({ org: 'demo-org' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('attacker')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicPem));
    const response = await call(service, `Bearer ${token}`);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toMatch(/algorithm/);
  });
});

describe('JWT authentication (ES256 through a JWKS URL)', () => {
  let service: TestService;
  let server: Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'issuer-key-1', alg: 'ES256', use: 'sig' };
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(request.url === '/.well-known/jwks.json' ? { keys: [jwk] } : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    service = await startTestService('embedded', {
      JWT_ALGORITHM: 'ES256',
      JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      JWT_SECRET_KEY: '',
    });
  });
  afterAll(async () => {
    await service?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('accepts a token whose key id is in the JWKS, and refuses an unknown key', async () => {
    const signed = await new SignJWT({ org: 'demo-org' }).setProtectedHeader({ alg: 'ES256', kid: 'issuer-key-1' }).setSubject('svc').setExpirationTime('5m').sign(keys.privateKey);
    expect((await call(service, `Bearer ${signed}`)).statusCode).toBe(200);
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ org: 'demo-org' }).setProtectedHeader({ alg: 'ES256', kid: 'issuer-key-1' }).setSubject('svc').setExpirationTime('5m').sign(other.privateKey);
    const refused = await call(service, `Bearer ${forged}`);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toMatch(/signature/);
  });
});

describe('JWT lifetime cap (JWT_MAX_TTL_SECONDS) and the org claim (JWT_REQUIRE_ORG_CLAIM)', () => {
  const settings = {
    algorithm: 'HS256' as const,
    secret: TEST_JWT_SECRET,
    publicKeyPem: null,
    jwksUrl: null,
    issuer: null,
    audience: null,
    clockToleranceSeconds: 30,
    maxTtlSeconds: null,
    requireOrgClaim: false,
  };
  const token = (claims: Record<string, unknown>) =>
    new SignJWT({ org: 'acme', ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('svc').sign(secretBytes);
  const refusal = async (verify: (token: string) => Promise<unknown>, signed: string) =>
    verify(signed).then(
      () => 'accepted',
      (error: Error) => `${error.name}: ${error.message}`,
    );

  it('without a cap accepts a long-lived token, and one without iat', async () => {
    const verify = await createJwtVerifier(settings);
    await expect(verify(await token({ iat: now(), exp: now() + 30 * 24 * 3600 }))).resolves.toMatchObject({ orgSlug: 'acme' });
    await expect(verify(await token({ exp: now() + 60 }))).resolves.toMatchObject({ subject: 'svc' });
  });

  it('with a cap accepts a lifetime up to the cap and refuses a longer one, a missing iat or exp, and an iat in the future', async () => {
    const verify = await createJwtVerifier({ ...settings, maxTtlSeconds: 900 });
    const issued = now();
    await expect(verify(await token({ iat: issued, exp: issued + 900 }))).resolves.toMatchObject({ orgSlug: 'acme' });
    expect(await refusal(verify, await token({ iat: issued, exp: issued + 901 }))).toBe(
      'AuthenticationError: token lifetime (exp - iat) exceeds the accepted maximum of 900 seconds',
    );
    expect(await refusal(verify, await token({ exp: issued + 60 }))).toBe('AuthenticationError: token claim "iat" is missing or invalid');
    expect(await refusal(verify, await token({ iat: issued }))).toBe('AuthenticationError: token claim "exp" is missing or invalid');
    // A future iat would make exp - iat look short for a token that lives much longer.
    expect(await refusal(verify, await token({ iat: issued + 86_400, exp: issued + 86_400 + 60 }))).toMatch(/^AuthenticationError: .*"iat"/);
  });

  it('treats a token without org as demo-org by default, and refuses it with JWT_REQUIRE_ORG_CLAIM', async () => {
    const withoutOrg = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('svc').setIssuedAt().setExpirationTime('5m').sign(secretBytes);
    await expect((await createJwtVerifier(settings))(withoutOrg)).resolves.toMatchObject({ orgSlug: 'demo-org' });
    const strict = await createJwtVerifier({ ...settings, requireOrgClaim: true });
    expect(await refusal(strict, withoutOrg)).toBe('AuthenticationError: token has no "org" claim');
    await expect(strict(await token({ iat: now(), exp: now() + 60 }))).resolves.toMatchObject({ orgSlug: 'acme' });
  });

  it('answers 401 over HTTP when the service is configured with both', async () => {
    const service = await startTestService('embedded', { JWT_MAX_TTL_SECONDS: '600', JWT_REQUIRE_ORG_CLAIM: 'true' });
    try {
      const longLived = await signHmacToken(TEST_JWT_SECRET, 'HS256', { subject: 'svc', org: 'acme', roles: ['admin'], expiresInSeconds: 3600 });
      const tooLong = await call(service, `Bearer ${longLived}`);
      expect(tooLong.statusCode).toBe(401);
      expect(tooLong.json().error.message).toMatch(/lifetime/);
      const noOrg = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('svc').setIssuedAt().setExpirationTime('5m').sign(secretBytes);
      const refused = await call(service, `Bearer ${noOrg}`);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.message).toMatch(/org/);
      const ok = await signHmacToken(TEST_JWT_SECRET, 'HS256', { subject: 'svc', org: 'acme', roles: ['admin'], expiresInSeconds: 300 });
      expect((await call(service, `Bearer ${ok}`)).statusCode).toBe(200);
    } finally {
      await service.close();
    }
  });
});
