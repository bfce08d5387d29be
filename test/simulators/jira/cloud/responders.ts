/**
 * How Jira Cloud looks when the fault injector fires: 429 with `Retry-After`, `X-RateLimit-*` and
 * `RateLimit-Reason` and the JSON rate-limit body; 500 as an ErrorCollection; 502/503/504 as the edge's
 * plain text (503 with `Retry-After`).
 */
import type { Responders } from '../shared/http.ts';

/** `X-RateLimit-Reset` is ISO-8601 to the minute: `yyyy-MM-ddTHH:mmZ`. */
export function isoMinute(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 16)}Z`;
}

export function cloudResponders(reason: () => string): Responders {
  return {
    rateLimited(reply, decision) {
      void reply
        .code(429)
        .headers({
          'retry-after': String(decision.retryAfterSeconds),
          'x-ratelimit-limit': String(decision.limit),
          'x-ratelimit-remaining': String(decision.remaining),
          'x-ratelimit-reset': isoMinute(decision.resetAtEpochSeconds),
          'ratelimit-reason': reason(),
        })
        .send({ errorMessages: ['The request has been rate-limited. Please try again later.'], errors: {}, status: 429 });
    },
    serverError(reply, status) {
      if (status === 500) {
        void reply.code(500).send({ errorMessages: ['Internal server error'], errors: {} });
        return;
      }
      if (status === 503) void reply.header('retry-after', '5');
      const text = status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Unavailable' : status === 504 ? 'Gateway Timeout' : 'Error';
      void reply.code(status).type('text/plain').send(text);
    },
  };
}
