import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one hub (a registry of its own, so several hubs can live in one process). */
export class Metrics {
  readonly registry = new Registry();
  readonly accepted = new Counter({ name: 'xhub_events_accepted_total', help: 'Events acknowledged after commit', registers: [this.registry] });
  readonly rejected = new Counter({
    name: 'xhub_events_rejected_total',
    help: 'Ingestion requests refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'xhub_commit_seconds',
    help: 'Latency of group commits to the event log',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly processed = new Counter({ name: 'xhub_events_processed_total', help: 'Events applied to profiles', registers: [this.registry] });

  constructor(lag: () => number) {
    new Gauge({
      name: 'xhub_processing_lag_events',
      help: 'Events appended to the log and not yet processed',
      registers: [this.registry],
      collect() {
        this.set(lag());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }
}
