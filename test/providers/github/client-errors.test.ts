import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  GITHUB_AUTH_FAILED,
  GITHUB_FORBIDDEN,
  GITHUB_NOT_FOUND,
  GITHUB_RATE_LIMITED,
  GITHUB_UNAVAILABLE,
  GITHUB_UNREACHABLE,
  GITHUB_URL_REFUSED,
  GitHubError,
  type RepoRef,
} from '../../../src/providers/github/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../../simulators/github/index.ts';
import { capturingLogger, makeClient, outbound, rejection, silentLogger } from './helpers.ts';
import { createOutboundClient, createOutboundGuard, type OutboundCallEvent } from '../../../src/http-client/index.ts';
import { createGitHubClient } from '../../../src/providers/github/index.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: GitHubSimulator;
const web: RepoRef = { owner: 'acme', repo: 'web' };
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sim = await startGitHubSimulator({ readOnlyToken: `ghp_${'r'.repeat(36)}` });
});
afterEach(async () => {
  sim.admin.faults.configure({ errorRate: 0 });
  sim.admin.rateLimits.reset();
  sim.admin.setRateLimits({ secondaryPerMinute: 80, secondaryPerHour: 500, secondaryRetryAfter: true, secondaryStatus: 403 });
  while (closers.length > 0) await closers.pop()?.();
});
afterAll(async () => {
  await sim.close();
});

function client(token: string, options = {}, logger: Logger = silentLogger) {
  const made = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token }) }, { logger, options });
  closers.push(() => made.http.close());
  return made.client;
}

const requestsTo = (method: string, pattern: RegExp) => sim.admin.requests().filter((r) => r.method === method && pattern.test(r.path));

describe('GitHub client: errors', () => {
  it('a bad token gives PROVIDER_AUTH_FAILED, and neither message nor logs carry the token', async () => {
    const token = `ghp_${'x'.repeat(36)}`;
    const { logger, lines } = capturingLogger();
    const gh = client(token, {}, logger);
    const error = await rejection(gh.getRepo(web), GitHubError);
    expect(error.code).toBe(GITHUB_AUTH_FAILED);
    expect(error.upstreamStatus).toBe(401);
    expect(error.message).toContain('Bad credentials');
    expect(error.retryable).toBe(false);
    for (const text of [error.message, String(error.stack), JSON.stringify(error), ...lines]) expect(text).not.toContain(token);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('the read-only token reads but gets PROVIDER_FORBIDDEN naming what it cannot do', async () => {
    const gh = client(sim.readOnlyToken);
    const repo = await gh.getRepo(web);
    expect(repo.canPush).toBe(false);
    const head = (await gh.getBranchHead(web, 'main')) as string;
    const error = await rejection(gh.createRef(web, 'read-only-branch', head), GitHubError);
    expect(error.code).toBe(GITHUB_FORBIDDEN);
    expect(error.upstreamStatus).toBe(403);
    expect(error.message).toMatch(/^the token cannot create branch read-only-branch in acme\/web/);
    expect(error.message).not.toContain(sim.readOnlyToken);
    const commit = await gh.getCommit(web, head);
    const write = await rejection(gh.commitFiles(web, { parentSha: head, baseTreeSha: commit.treeSha, message: 'm', files: [{ path: 'a', content: 'a' }] }), GitHubError);
    expect(write.code).toBe(GITHUB_FORBIDDEN);
    expect(write.message).toMatch(/^the token cannot push to acme\/web/);
  });

  it('an unknown repository is PROVIDER_NOT_FOUND (GitHub answers 404, not 403)', async () => {
    const error = await rejection(client(sim.token).getRepo({ owner: 'acme', repo: 'missing' }), GitHubError);
    expect(error.code).toBe(GITHUB_NOT_FOUND);
    expect(error.message).toBe('repository acme/missing was not found, or the token cannot see it');
  });

  it('waits out a secondary rate limit (retry-after) and then succeeds', async () => {
    const gh = client(sim.token);
    const { logger, lines } = capturingLogger();
    const waiting = client(sim.token, {}, logger);
    const head = (await gh.getBranchHead(web, 'main')) as string;
    sim.admin.setRateLimits({ secondaryPerMinute: 1 });
    await gh.createRef(web, `rl-first-${Date.now()}`, head);
    sim.admin.clearRequests();
    const started = Date.now();
    const pending = waiting.createRef(web, `rl-second-${Date.now()}`, head);
    // Lift the limit once GitHub has said no, so the client's retry (after retry-after) goes through.
    for (let i = 0; i < 200 && !requestsTo('POST', /\/git\/refs$/).some((r) => r.status === 403); i++) await new Promise((r) => setTimeout(r, 10));
    sim.admin.setRateLimits({ secondaryPerMinute: 80 });
    await pending;
    const posts = requestsTo('POST', /\/git\/refs$/);
    expect(posts.map((r) => r.status)).toEqual([403, 201]);
    const waitLine = lines.map((l) => JSON.parse(l)).find((l) => l.kind === 'secondary rate limit');
    expect(waitLine).toMatchObject({ waiting: true, retry_count: 0 });
    expect(waitLine.retry_after_s).toBeGreaterThanOrEqual(30);
    // retry-after seconds × secondMs (10 ms in tests): the client really waited.
    expect(Date.now() - started).toBeGreaterThanOrEqual(waitLine.retry_after_s * 10 - 20);
  });

  it('gives a long rate-limit wait back as PROVIDER_RATE_LIMITED with retryAfterMs', async () => {
    const gh = client(sim.token, { maxRateLimitWaitMs: 5_000 });
    const head = (await gh.getBranchHead(web, 'main')) as string;
    sim.admin.setRateLimits({ secondaryPerMinute: 1, secondaryStatus: 429 });
    await gh.createRef(web, `rl-a-${Date.now()}`, head);
    const error = await rejection(gh.createRef(web, `rl-b-${Date.now()}`, head), GitHubError);
    expect(error.code).toBe(GITHUB_RATE_LIMITED);
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBeGreaterThan(5_000);
    expect(error.message).toMatch(/secondary rate limit/);
  });

  it('retries 5xx for reads, never for a comment (outcome unknown instead)', async () => {
    const calls: OutboundCallEvent[] = [];
    const http = outbound(silentLogger, (event) => {
      calls.push(event);
    });
    closers.push(() => http.close());
    const gh = makeClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http }).client;
    const count = (method: string, pattern: RegExp) => calls.filter((c) => c.method === method && pattern.test(c.path)).length;
    sim.admin.faults.configure({ errorRate: 1, errorStatuses: [503] });
    const read = await rejection(gh.getRepo(web), GitHubError);
    expect(read.code).toBe(GITHUB_UNAVAILABLE);
    expect(read.retryable).toBe(true);
    expect(read.outcomeUnknown).toBe(false);
    expect(count('GET', /^\/api\/v3\/repos\/acme\/web$/)).toBe(3);
    expect(calls.every((c) => c.provider === 'github' && c.attempt === 1)).toBe(true);
    const write = await rejection(gh.comment(web, 1, 'hello'), GitHubError);
    expect(write.code).toBe(GITHUB_UNAVAILABLE);
    expect(write.outcomeUnknown).toBe(true);
    expect(count('POST', /\/issues\/1\/comments$/)).toBe(1);
  });

  it('a primary rate limit with a far reset comes back as PROVIDER_RATE_LIMITED with the wait until reset', async () => {
    const gh = client(sim.token);
    sim.admin.setRateLimits({ primaryLimit: 1 });
    try {
      await gh.getRepo(web);
      const error = await rejection(gh.getRepo(web), GitHubError);
      expect(error.code).toBe(GITHUB_RATE_LIMITED);
      expect(error.upstreamStatus).toBe(403);
      expect(error.message).toMatch(/GitHub's rate limit/);
      expect(error.retryAfterMs).toBeGreaterThan(60_000);
    } finally {
      sim.admin.setRateLimits({ primaryLimit: 5000 });
      sim.admin.rateLimits.reset();
    }
  });

  it('an unreachable API is PROVIDER_UNREACHABLE after retries (nothing was sent, so even writes retry)', async () => {
    const calls: OutboundCallEvent[] = [];
    const http = outbound(silentLogger, (event) => {
      calls.push(event);
    });
    closers.push(() => http.close());
    // A port nobody listens on.
    const gh = makeClient({ apiUrl: 'http://127.0.0.1:9/api/v3', credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http }).client;
    const error = await rejection(gh.addLabels(web, 1, ['x']), GitHubError);
    expect(error.code).toBe(GITHUB_UNREACHABLE);
    expect(error.retryable).toBe(true);
    expect(error.outcomeUnknown).toBe(false);
    expect(calls).toHaveLength(3);
  });

  it('refuses an API URL the outbound guard does not allow, without retrying', async () => {
    const http = createOutboundClient({ logger: silentLogger, guard: createOutboundGuard({ allowedHosts: [] }), defaultTimeoutMs: 5_000, maxRetries: 2 });
    closers.push(() => http.close());
    const gh = createGitHubClient({ apiUrl: sim.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http, logger: silentLogger, options: { secondMs: 1000 } });
    const started = Date.now();
    const error = await rejection(gh.getRepo(web), GitHubError);
    expect(error.code).toBe(GITHUB_URL_REFUSED);
    expect(Date.now() - started).toBeLessThan(900);
  });
});
