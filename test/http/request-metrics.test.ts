/**
 * HTTP request metrics (src/http/plugins/metrics.ts): recorded once per request under the route
 * pattern with its prefix, the method (HEAD apart from GET) and the status, including answers that
 * a hook gives before the handler (401) and requests that match no route (`unmatched`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  });
});
