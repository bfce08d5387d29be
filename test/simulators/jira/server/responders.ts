/**
 * How Jira DC looks under the fault injector: its admin-configured rate limiter answers 429 with
 * `X-RateLimit-Limit`, `-Remaining`, `-Interval-Seconds`, `-FillRate`, `Retry-After` and a Tomcat HTML
 * page; server errors are ErrorCollections (500) or proxy text (502/503).
 */
import type { Responders } from '../shared/http.ts';

export function serverResponders(fillRate: () => number): Responders {
  return {
    rateLimited(reply, decision) {
      void reply
        .code(429)
        .headers({
          'retry-after': String(decision.retryAfterSeconds),
          'x-ratelimit-limit': String(decision.limit),
          'x-ratelimit-remaining': String(decision.remaining),
          'x-ratelimit-interval-seconds': '1',
          'x-ratelimit-fillrate': String(fillRate()),
        })
        .type('text/html;charset=utf-8')
        .send('<!doctype html><html lang="en"><head><title>HTTP Status 429 – Too Many Requests</title></head><body><h1>HTTP Status 429 – Too Many Requests</h1><p>Rate limit exceeded.</p></body></html>');
    },
    serverError(reply, status) {
      if (status === 500) {
        void reply.code(500).send({ errorMessages: ['Internal server error'], errors: {} });
        return;
      }
      void reply.code(status).type('text/plain').send(status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Unavailable' : 'Error');
    },
  };
}
