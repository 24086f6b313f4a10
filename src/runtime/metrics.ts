import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueSize } from './queue.js';

/** What the queue gauges read at scrape time. */
export interface QueueProbe {
  size(): Promise<QueueSize>;
  oldestQueuedMs?(): Promise<number>;
}

export type PlanPhase = 'fetch' | 'render' | 'diff' | 'validate' | 'report';

/**
 * Ferry's Prometheus metrics, in a registry of their own (docs/operations.md lists them).
 * Only the composition root holds this; the bot and the adapters are given plain
 * callbacks that count into it, so nothing else imports prom-client.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly deliveries = new Counter({ name: 'ferry_deliveries_total', help: 'Webhook deliveries by forge, event and outcome (queued, ignored, duplicate, refused, error).', labelNames: ['forge', 'event', 'outcome'] as const, registers: [this.registry] });
  readonly jobDuration = new Histogram({ name: 'ferry_job_duration_seconds', help: 'Jobs run to an end, by kind and outcome (ok, aborted, failed).', labelNames: ['kind', 'outcome'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600], registers: [this.registry] });
  readonly jobFailures = new Counter({ name: 'ferry_job_failures_total', help: 'Jobs that failed for good (retries spent, or an error not worth retrying), by kind.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly jobRetries = new Counter({ name: 'ferry_job_retries_total', help: 'Retries scheduled after a forge 429 or 5xx, by kind (Redis queue only).', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly planPhase = new Histogram({ name: 'ferry_plan_phase_seconds', help: 'Time a plan spent in each phase: fetch, render, diff, validate (summed over apps), report (comment and checks).', labelNames: ['phase'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [this.registry] });
  readonly plans = new Counter({ name: 'ferry_plans_total', help: 'Plan jobs by outcome (planned, no-config, stale, failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly renderCache = new Counter({ name: 'ferry_render_cache_total', help: 'Renders looked up in the render cache, by result (hit, miss).', labelNames: ['result'] as const, registers: [this.registry] });
  readonly forgeCalls = new Counter({ name: 'ferry_forge_api_calls_total', help: 'Forge API requests by forge and HTTP status (0: no response).', labelNames: ['forge', 'status'] as const, registers: [this.registry] });
  readonly rateLimitRemaining = new Gauge({ name: 'ferry_forge_rate_limit_remaining', help: 'Requests left in the forge\'s rate-limit window, as its last answer said.', labelNames: ['forge'] as const, registers: [this.registry] });
  readonly promotions = new Counter({ name: 'ferry_promotions_total', help: 'Promotion attempts by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly findings = new Counter({ name: 'ferry_findings_total', help: 'Findings in finished plans, by rule and severity.', labelNames: ['rule', 'severity'] as const, registers: [this.registry] });
  private probe: QueueProbe | null = null;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const probe = () => this.probe;
    new Gauge({
      name: 'ferry_queue_jobs', help: 'Jobs by state: running (this replica), queued and delayed (all replicas with Redis).', labelNames: ['state'] as const, registers: [this.registry],
      async collect() {
        const p = probe();
        if (!p) return;
        const s = await p.size();
        for (const state of ['running', 'queued', 'delayed'] as const) this.set({ state }, s[state]);
      },
    });
    new Gauge({
      name: 'ferry_queue_oldest_job_age_seconds', help: 'Age of the oldest queued (not delayed) job; 0 when none waits.', registers: [this.registry],
      async collect() {
        const p = probe();
        if (p?.oldestQueuedMs) this.set((await p.oldestQueuedMs()) / 1000);
      },
    });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ferry_' });
  }

  watchQueue(probe: QueueProbe): void {
    this.probe = probe;
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
