/**
 * Prometheus metrics for the HTTP layer, the job queue and the clock check, on the app's own
 * registry (one per app, so tests do not share counters). Route labels use the route pattern,
 * never the raw URL, to keep cardinality bounded.
 */
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
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

  // Each route gets its own recorder when it is registered (its label set's children are made on
  // first use and kept), so a request costs two map lookups and no label objects; requests that
  // match no route (404s, or answered by a hook before routing) are recorded under `unmatched`.
  const recorders = new Map<string, Recorder>();
  const recorderFor = (route: string): Recorder => {
    let recorder = recorders.get(route);
    if (!recorder) {
      recorder = labelledRecorder(requests, duration, route);
      recorders.set(route, recorder);
    }
    return recorder;
  };
  const unmatched = recorderFor('unmatched');
  app.addHook('onRoute', (route) => {
    const recorder = recorderFor(route.url);
    const record: onResponseHookHandler = function recordRequest(request, reply, done) {
      recorder(request.method, reply.statusCode, reply.elapsedTime);
      done();
    };
    // A new array: Fastify copies a GET route's options for its HEAD route before these hooks run.
    route.onResponse = [...[route.onResponse ?? []].flat(), record];
  });
  app.addHook('onResponse', function recordUnmatched(request, reply, done) {
    if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime);
    done();
  });
}

/** Records one answered request of a route: method, status code, elapsed milliseconds. */
type Recorder = (method: string, statusCode: number, elapsedMs: number) => void;

function labelledRecorder(requests: Counter, duration: Histogram, route: string): Recorder {
  const byMethod = new Map<string, { observe: (seconds: number) => void; byStatus: Map<number, { inc: () => void }> }>();
  return (method, statusCode, elapsedMs) => {
    let perMethod = byMethod.get(method);
    if (!perMethod) {
      perMethod = { observe: duration.labels({ method, route }).observe, byStatus: new Map() };
      byMethod.set(method, perMethod);
    }
    let counter = perMethod.byStatus.get(statusCode);
    if (!counter) {
      counter = requests.labels({ method, route, status: String(statusCode) });
      perMethod.byStatus.set(statusCode, counter);
    }
    counter.inc();
    perMethod.observe(elapsedMs / 1000);
  };
}
