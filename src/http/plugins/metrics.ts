/**
 * Prometheus metrics for the HTTP layer, the job queue and the clock check, on the app's own
 * registry (one per app, so tests do not share counters). Route labels use the route pattern,
 * never the raw URL, to keep cardinality bounded.
 *
 * A request is tallied in plain numbers kept per route, method and status (found by two map
 * lookups, no label objects, no hashing); prom-client's label hashing and validation happen once
 * per label set and scrape instead of twice per request: the counter takes the pending counts in
 * its collect(), and the duration histogram exposes its tallies itself (TalliedHistogram), in
 * exactly prom-client's format (test/http/request-metrics.test.ts compares the two).
 */
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { AppContext } from '../../context.ts';

export function installMetrics(app: FastifyInstance, context: AppContext): void {
  const registry: Registry = context.metrics;
  collectDefaultMetrics({ register: registry });
  const statusTallies: StatusTally[] = [];
  new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      for (const tally of statusTallies) {
        if (tally.pending === 0) continue;
        this.inc(tally.labels, tally.pending);
        tally.pending = 0;
      }
    },
  });
  const duration = new TalliedHistogram({
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

  // Each route gets its own recorder when it is registered (its tallies are made on first use of a
  // method and status, and kept), so a request costs two map lookups and a few additions; requests
  // that match no route (404s, or answered by a hook before routing) are recorded under `unmatched`.
  const recorders = new Map<string, Recorder>();
  const recorderFor = (route: string): Recorder => {
    let recorder = recorders.get(route);
    if (!recorder) {
      recorder = talliedRecorder(duration, statusTallies, route);
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

/** Requests of one route, method and status answered since the counter last collected them. */
interface StatusTally {
  readonly labels: { method: string; route: string; status: string };
  pending: number;
}

/** Durations of one route and method: counts per bucket (not cumulative; the last one is above every bound), sum and count. */
interface DurationTally {
  readonly labels: { method: string; route: string };
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * prom-client's Histogram, fed by tallies kept by the caller (`tally(labels)` once per label set,
 * then `observe(tally, seconds)`): an observation is a bucket search and three additions instead of
 * prom-client's per-call label validation and hashing. Exposed (getForPromString, which `get()` and
 * the registry's text use) exactly as prom-client exposes its own label sets: cumulative buckets
 * with `le`, `+Inf`, `_sum`, `_count`. Label sets observed through prom-client's own API are
 * exposed as before; reset() clears both.
 */
export class TalliedHistogram extends Histogram<'method' | 'route'> {
  // Plain fields, not #private ones: prom-client's constructor calls reset() before they exist.
  private readonly metricName: string;
  private readonly bounds: readonly number[];
  private readonly tallies: DurationTally[] = [];

  constructor(configuration: ConstructorParameters<typeof Histogram<'method' | 'route'>>[0] & { buckets: number[] }) {
    super(configuration);
    this.metricName = configuration.name;
    this.bounds = [...configuration.buckets].sort((a, b) => a - b);
  }

  tally(labels: { method: string; route: string }): DurationTally {
    const tally: DurationTally = { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
    this.tallies.push(tally);
    return tally;
  }

  observeTally(tally: DurationTally, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && seconds > (bounds[index] as number)) index += 1;
    tally.counts[index] = (tally.counts[index] as number) + 1;
    tally.sum += seconds;
    tally.count += 1;
  }

  async getForPromString(): Promise<{ values: PromStringValue[] }> {
    const base = await (Histogram.prototype as unknown as { getForPromString(this: Histogram): Promise<{ values: PromStringValue[] }> }).getForPromString.call(this);
    const bucketName = `${this.metricName}_bucket`;
    for (const tally of this.tallies) {
      if (tally.count === 0) continue;
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += tally.counts[index] as number;
        base.values.push({ labels: { le: bound }, sharedLabels: tally.labels, value: cumulative, metricName: bucketName, exemplar: null });
      });
      base.values.push(
        { labels: { le: '+Inf' }, sharedLabels: tally.labels, value: tally.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: tally.labels, value: tally.sum, metricName: `${this.metricName}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: tally.labels, value: tally.count, metricName: `${this.metricName}_count`, exemplar: undefined },
      );
    }
    return base;
  }

  override reset(): void {
    super.reset();
    for (const tally of (this.tallies as DurationTally[] | undefined) ?? []) {
      tally.counts.fill(0);
      tally.sum = 0;
      tally.count = 0;
    }
  }
}

/** One value of prom-client's exposition (what its Histogram's getForPromString lists). */
interface PromStringValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

function talliedRecorder(duration: TalliedHistogram, statusTallies: StatusTally[], route: string): Recorder {
  const byMethod = new Map<string, { duration: DurationTally; byStatus: Map<number, StatusTally> }>();
  return (method, statusCode, elapsedMs) => {
    let perMethod = byMethod.get(method);
    if (!perMethod) {
      perMethod = { duration: duration.tally({ method, route }), byStatus: new Map() };
      byMethod.set(method, perMethod);
    }
    let counter = perMethod.byStatus.get(statusCode);
    if (!counter) {
      counter = { labels: { method, route, status: String(statusCode) }, pending: 0 };
      perMethod.byStatus.set(statusCode, counter);
      statusTallies.push(counter);
    }
    counter.pending += 1;
    duration.observeTally(perMethod.duration, elapsedMs / 1000);
  };
}
