import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('runs with zero setup: embedded database in ./data, port 3001, IST logs, CORS *', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      port: 3001,
      dataDir: '/srv/app/data',
      databaseUrl: null,
      corsOrigins: '*',
      log: { timezone: 'Asia/Kolkata' },
      jwt: { algorithm: 'HS256', secret: null },
      ntp: { server: 'pool.ntp.org' },
    });
  });

  it('accepts the seed names: JWT_SECRET for JWT_SECRET_KEY, APP_PORT for PORT, JIRA_* for the Atlassian app', () => {
    const config = loadConfig(
      {
        JWT_SECRET: 'x'.repeat(40),
        APP_PORT: '8081',
        JIRA_CLIENT_ID: 'abc123xyz',
        JIRA_CLIENT_SECRET: 'secret_key_here',
        JIRA_REDIRECT_URI: 'http://localhost:8000/api/jira/callback',
      },
      '/srv',
    );
    expect(config.port).toBe(8081);
    expect(config.jwt.secret).toBe('x'.repeat(40));
    expect(config.atlassianOAuth).toEqual({
      clientId: 'abc123xyz',
      clientSecret: 'secret_key_here',
      redirectUri: 'http://localhost:8000/api/jira/callback',
    });
  });

  it('PORT wins over APP_PORT; CORS_ORIGINS takes a comma list; NTP_SERVER=off disables the check', () => {
    const config = loadConfig({ PORT: '9000', APP_PORT: '8081', CORS_ORIGINS: 'https://a.example, https://b.example', NTP_SERVER: 'off' });
    expect(config.port).toBe(9000);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.ntp.server).toBeNull();
  });

  it('reports every problem at once, each with the variable name, never the value', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://root:hunter2@db/app',
      JWT_SECRET_KEY: 'short-secret',
      LOG_TIMEZONE: 'Mars/Olympus',
      JWT_ALGORITHM: 'RS256',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^DATABASE_URL: must be a postgres/),
        expect.stringMatching(/^JWT_SECRET_KEY: must be at least 32/),
        expect.stringMatching(/^LOG_TIMEZONE: /),
        expect.stringMatching(/^JWT_ALGORITHM: RS256 needs JWT_PUBLIC_KEY/),
      ]),
    );
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('refuses to start in production without encryption keys or a JWT secret', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ENCRYPTION_KEYS: is required when NODE_ENV=production/), expect.stringMatching(/^JWT_SECRET_KEY: is required/)]),
    );
  });

  it('reports a malformed ENCRYPTION_KEYS with the rest, naming the entry, not the key', () => {
    const problems = problemsOf({ PORT: 'x', ENCRYPTION_KEYS: 'k1:c2hvcnQ=' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^PORT: /), expect.stringMatching(/^ENCRYPTION_KEYS: item 1/)]));
    expect(problems.join('\n')).not.toContain('c2hvcnQ=');
  });

  it('says what is wrong with a value of the wrong type instead of calling it missing (PORT=abc)', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT: must be an integer between 0 and 65535']);
    expect(problemsOf({ APP_PORT: '70000' })).toEqual(['APP_PORT: must be an integer between 0 and 65535']);
    expect(problemsOf({ WORKER_CONCURRENCY: 'four' })).toEqual(['WORKER_CONCURRENCY: must be a number']);
    expect(loadConfig({ APP_PORT: '8082' }).port).toBe(8082);
    expect(loadConfig({}).port).toBe(3001);
  });

  it('reads the JWT lifetime cap and the org-claim rule (both off by default)', () => {
    expect(loadConfig({}).jwt).toMatchObject({ maxTtlSeconds: null, requireOrgClaim: false });
    expect(loadConfig({ JWT_MAX_TTL_SECONDS: '900', JWT_REQUIRE_ORG_CLAIM: 'true' }).jwt).toMatchObject({ maxTtlSeconds: 900, requireOrgClaim: true });
    expect(problemsOf({ JWT_MAX_TTL_SECONDS: '0' })).toEqual([expect.stringMatching(/^JWT_MAX_TTL_SECONDS: /)]);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', REDIS_URL: '' }).databaseUrl).toBeNull();
  });
});
