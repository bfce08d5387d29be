import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundClient } from '../../../src/http-client/index.ts';
import { createJiraLimiter, createJiraLimiterRegistry, JIRA_RATE_LIMITED, JiraError, type JiraTarget } from '../../../src/providers/jira/index.ts';
import { requestedPauseMs } from '../../../src/providers/jira/limiter.ts';
import { createMemorySharedState } from '../../../src/shared-state/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from '../../simulators/jira/server/index.ts';
import { makeClient, outbound } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

let sim: JiraCloudSimulator;
let dc: JiraServerSimulator;
let cloudTarget: JiraTarget;

beforeAll(async () => {
  sim = await startJiraCloudSimulator({ searchLagMs: 0 });
  dc = await startJiraServerSimulator();
  cloudTarget = { flavor: 'cloud', baseUrl: sim.url, credentials: staticCredentials({ kind: 'api-token', email: sim.credentials.email, apiToken: sim.credentials.apiToken }) };
});
afterAll(async () => {
  await sim.close();
  await dc.close();
});

/** An outbound client that records when each request left, to see who waited for the shared pause. */
function recording(): { http: OutboundClient; sentAt: number[]; statuses: number[] } {
  const inner = outbound();
  const sentAt: number[] = [];
  const statuses: number[] = [];
  return {
    sentAt,
    statuses,
    http: {
      request: async (req) => {
        sentAt.push(Date.now());
        const response = await inner.request(req);
        statuses.push(response.status);
        return response;
      },
      close: () => inner.close(),
    },
  };
}

describe('rate limits', () => {
  it('waits out Retry-After on 429 and every one of 20 calls succeeds (5/s, burst 5)', async () => {
    sim.admin.configureFaults({ rateLimit: { capacity: 5, refillPerSecond: 5 } });
    const recorder = recording();
    const { client, http } = makeClient({ ...cloudTarget, connectionId: 'burst' }, { http: recorder.http });
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.myself()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(recorder.statuses.filter((s) => s === 200)).toHaveLength(20);
      expect(recorder.statuses).toContain(429);
    } finally {
      sim.admin.configureFaults({ rateLimit: null });
      await http.close();
    }
  });

  it('shares the pause through SharedState: another process waits without calling', async () => {
    sim.admin.configureFaults({ rateLimit: { capacity: 1, refillPerSecond: 0.5 } });
    const sharedState = createMemorySharedState();
    const a = makeClient({ ...cloudTarget, connectionId: 'shared' }, { sharedState, limiters: createJiraLimiterRegistry() });
    const b = recording();
    const other = makeClient({ ...cloudTarget, connectionId: 'shared' }, { sharedState, http: b.http, limiters: createJiraLimiterRegistry() });
    try {
      await a.client.myself(); // uses the only token
      const first = a.client.myself(); // 429, Retry-After 2 s: pauses the connection
      let pausedUntil = 0;
      for (let i = 0; i < 200 && pausedUntil === 0; i++) {
        pausedUntil = Number((await sharedState.get('jira:pause:conn:shared')) ?? 0);
        if (pausedUntil === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(pausedUntil).toBeGreaterThan(Date.now() + 1000);
      const second = other.client.myself();
      await Promise.all([first, second]);
      expect(b.sentAt[0]).toBeGreaterThanOrEqual(pausedUntil);
    } finally {
      sim.admin.configureFaults({ rateLimit: null });
      await a.http.close();
      await other.http.close();
    }
  });

  it('gives PROVIDER_RATE_LIMITED with retryAfterMs when Jira asks for longer than the wait budget', async () => {
    dc.admin.configureFaults({ rateLimit: { capacity: 1, refillPerSecond: 0.25 } });
    const { client, http } = makeClient(
      { flavor: 'server', baseUrl: dc.url, credentials: staticCredentials({ kind: 'pat', token: dc.credentials.pat }), connectionId: 'budget' },
      { limits: { maxRateLimitWaitMs: 500 } },
    );
    try {
      await client.myself();
      const error = await client.myself().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JiraError);
      expect(error).toMatchObject({ code: JIRA_RATE_LIMITED, retryable: true, upstreamStatus: 429 });
      expect((error as JiraError).retryAfterMs).toBeGreaterThanOrEqual(3000);
    } finally {
      dc.admin.configureFaults({ rateLimit: null });
      await http.close();
    }
  });
});

describe('limiter', () => {
  it('reads Retry-After, Atlassian ISO resets, and DC fill rates; pauses proactively on Remaining 0', () => {
    const now = Date.parse('2026-01-01T10:00:00Z');
    expect(requestedPauseMs(429, { 'retry-after': '3' }, now)).toBe(3000);
    expect(requestedPauseMs(429, { 'x-ratelimit-reset': '2026-01-01T10:01Z' }, now)).toBe(60_000);
    expect(requestedPauseMs(429, {}, now)).toBe(1000);
    expect(requestedPauseMs(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-fillrate': '4', 'x-ratelimit-interval-seconds': '1' }, now)).toBe(250);
    expect(requestedPauseMs(200, { 'x-ratelimit-remaining': '0', 'ratelimit-reset': '2' }, now)).toBe(2000);
    expect(requestedPauseMs(200, { 'x-ratelimit-remaining': '7' }, now)).toBeUndefined();
  });

  it('caps concurrency per connection in one process', async () => {
    const limiter = createJiraLimiter({ key: 'k', sharedState: createMemorySharedState(), registry: createJiraLimiterRegistry(), maxConcurrent: 2, maxPauseMs: 1000 });
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });

  it('keeps the later of two pauses and makes callers wait for it', async () => {
    let clock = 1_000_000;
    const slept: number[] = [];
    const sharedState = createMemorySharedState({ now: () => clock });
    const limiter = createJiraLimiter({
      key: 'k',
      sharedState,
      registry: createJiraLimiterRegistry(),
      maxConcurrent: 1,
      maxPauseMs: 10_000,
      now: () => clock,
      random: () => 0,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    });
    await limiter.pauseFor(2000);
    await limiter.pauseFor(500);
    expect(await limiter.pausedForMs()).toBe(2000);
    await limiter.observe(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-fillrate': '1' });
    expect(await limiter.run(async () => 'ran')).toBe('ran');
    expect(slept).toEqual([2000]);
  });
});
