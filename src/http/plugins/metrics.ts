/**
 * Prometheus metrics for the HTTP layer, the job queue and the clock check, on the app's own
 * registry (one per app, so tests do not share counters). Route labels use the route pattern,
 * never the raw URL, to keep cardinality bounded.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { AppContext } from '../../context.ts';

export function installMetrics(app: FastifyInstance, context: AppContext): void {
  const registry: Registry = context.metrics;
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'jobs',
    help: 'Jobs in the queue, by kind and state',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      if (!context.queue.running) return;
      const counts = await context.queue.counts().catch(() => ({}));
      for (const [key, value] of Object.entries(counts)) {
        const [kind = '', state = ''] = key.split(':');
        this.set({ kind, state }, value);
      }
    },
  });
  new Gauge({
    name: 'clock_offset_seconds',
    help: 'Offset of the local clock against the NTP server at start (positive: local clock is behind)',
    registers: [registry],
    collect() {
      if (context.clock.offsetMs !== null) this.set(context.clock.offsetMs / 1000);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
