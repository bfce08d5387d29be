/**
 * Prometheus metrics for outbound calls. Registered once per registry and reused, so several
 * clients (one per provider, say) can share a registry without a duplicate-metric error.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface OutboundMetrics {
  observe(labels: { provider: string; method: string; status: string }, durationSeconds: number): void;
}

const LABELS = ['provider', 'method', 'status'] as const;

export function createOutboundMetrics(registry: Registry): OutboundMetrics {
  const counter =
    (registry.getSingleMetric('outbound_requests_total') as Counter<(typeof LABELS)[number]> | undefined) ??
    new Counter({
      name: 'outbound_requests_total',
      help: 'Outbound HTTP attempts by provider, method and status (or error kind)',
      labelNames: LABELS,
      registers: [registry],
    });
  const histogram =
    (registry.getSingleMetric('outbound_request_duration_seconds') as Histogram<(typeof LABELS)[number]> | undefined) ??
    new Histogram({
      name: 'outbound_request_duration_seconds',
      help: 'Outbound HTTP attempt duration in seconds, headers and body included',
      labelNames: LABELS,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return {
    observe(labels, durationSeconds) {
      counter.inc(labels);
      histogram.observe(labels, durationSeconds);
    },
  };
}
