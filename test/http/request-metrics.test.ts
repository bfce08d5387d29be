/**
 * HTTP request metrics (src/http/plugins/metrics.ts): recorded once per request under the route
 * pattern with its prefix, the method (HEAD apart from GET) and the status, including answers that
 * a hook gives before the handler (401) and requests that match no route (`unmatched`); counted
 * once however often scraped; the tallied duration histogram exposed exactly as prom-client's own.
 */
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TalliedHistogram } from '../../src/http/plugins/metrics.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

function sample(body: string, metric: string, labels: string): number {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${metric}{${labels}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('request metrics', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('embedded');
  });
  afterAll(async () => {
    await service?.close();
  });

  it('counts each request once, by route pattern, method and status', async () => {
    const inject = (method: 'GET' | 'HEAD', url: string) => service.app.inject({ method, url });
    for (let index = 0; index < 3; index += 1) await inject('GET', '/health');
    await inject('HEAD', '/health');
    await inject('GET', '/api/v1/findings?limit=5');
    await inject('GET', '/api/v1/findings?limit=6');
    await inject('GET', '/no/such/route');
    const body = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;

    expect(sample(body, 'http_requests_total', 'method="GET",route="/health",status="200"')).toBe(3);
    expect(sample(body, 'http_requests_total', 'method="HEAD",route="/health",status="200"')).toBe(1);
    expect(sample(body, 'http_requests_total', 'method="GET",route="/api/v1/findings",status="401"')).toBe(2);
    expect(sample(body, 'http_requests_total', 'method="GET",route="unmatched",status="404"')).toBe(1);
    expect(sample(body, 'http_request_duration_seconds_count', 'method="GET",route="/health"')).toBe(3);
    expect(sample(body, 'http_request_duration_seconds_count', 'method="GET",route="/api/v1/findings"')).toBe(2);
    expect(sample(body, 'http_request_duration_seconds_count', 'method="GET",route="unmatched"')).toBe(1);
    expect(body).not.toContain('route="/no/such/route"');

    // Pending counts move into the counter at a scrape, once: a second scrape shows the same.
    const again = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(again, 'http_requests_total', 'method="GET",route="/health",status="200"')).toBe(3);
    expect(sample(again, 'http_request_duration_seconds_count', 'method="GET",route="/health"')).toBe(3);
    await inject('GET', '/health');
    const after = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(after, 'http_requests_total', 'method="GET",route="/health",status="200"')).toBe(4);
    expect(sample(after, 'http_request_duration_seconds_count', 'method="GET",route="/health"')).toBe(4);
    expect(sample(after, 'http_requests_total', 'method="GET",route="/metrics",status="200"')).toBe(2);
  });
});

describe('TalliedHistogram', () => {
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const labelSets = [
    { method: 'GET', route: '/health' },
    { method: 'HEAD', route: '/health' },
    { method: 'POST', route: '/api/v1/findings' },
  ];

  it("exposes what prom-client's Histogram exposes for the same observations, and resets like it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: labelSets.length - 1 }),
            fc.oneof(fc.constantFrom(0, ...buckets, 10.000001, 60), fc.double({ min: 0, max: 20, noNaN: true })),
          ),
          { maxLength: 60 },
        ),
        async (observations) => {
          const reference = new Registry();
          const tallied = new Registry();
          const options = { name: 'http_request_duration_seconds', help: 'HTTP request duration in seconds', labelNames: ['method', 'route'] as const, buckets };
          const plain = new Histogram({ ...options, labelNames: [...options.labelNames], registers: [reference] });
          const ours = new TalliedHistogram({ ...options, labelNames: [...options.labelNames], registers: [tallied] });
          const tallies = labelSets.map((labels) => ({ labels, tally: undefined as ReturnType<TalliedHistogram['tally']> | undefined }));
          for (const [index, seconds] of observations) {
            const entry = tallies[index] as (typeof tallies)[number];
            entry.tally ??= ours.tally(entry.labels);
            ours.observeTally(entry.tally, seconds);
            plain.observe(entry.labels, seconds);
          }
          // Same label sets first seen in the same order: the same text, sums included.
          expect(await tallied.metrics()).toBe(await reference.metrics());
          expect(await ours.get()).toEqual(await plain.get());
          plain.reset();
          ours.reset();
          expect(await tallied.metrics()).toBe(await reference.metrics());
        },
      ),
      { numRuns: 200 },
    );
  });
});
