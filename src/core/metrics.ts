// Prometheus metrics for the HTTP transport's /metrics endpoint.
// Labels carry only names from configuration and code (tool, connector, service, method, status, caller):
// never URLs, arguments or credentials, which would leak through the endpoint and explode cardinality.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type ToolOutcome = 'ok' | 'error' | 'denied' | 'unknown';

/** Seconds, from 1 ms (a cached answer) to 30 s (the default upstream timeout). */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  // Own registry rather than prom-client's global one: several servers (or tests) in one process stay apart.
  readonly registry = new Registry();
  private readonly toolCalls: Counter<'tool' | 'connector' | 'outcome'>;
  private readonly toolDuration: Histogram<'tool'>;
  private readonly upstreamRequests: Counter<'service' | 'method' | 'status'>;
  private readonly upstreamDuration: Histogram<'service'>;
  private readonly rateLimitedCalls: Counter<'caller'>;
  private readonly refusedRequests: Counter<'reason'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.toolCalls = new Counter({
      name: 'bastion_tool_calls_total',
      help: 'Tool calls by tool, connector and outcome (ok, error, denied, unknown: a change that may or may not have been applied).',
      labelNames: ['tool', 'connector', 'outcome'],
      registers,
    });
    this.toolDuration = new Histogram({
      name: 'bastion_tool_duration_seconds',
      help: 'Time from receiving a tool call to its result, in seconds.',
      labelNames: ['tool'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'bastion_upstream_requests_total',
      help: 'Upstream HTTP attempts (retries count separately) by service, method and status ("error" when no answer came).',
      labelNames: ['service', 'method', 'status'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'bastion_upstream_duration_seconds',
      help: 'Duration of one upstream HTTP attempt, in seconds.',
      labelNames: ['service'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.rateLimitedCalls = new Counter({
      name: 'bastion_rate_limited_total',
      help: 'Calls refused by the inbound rate limit, by caller.',
      labelNames: ['caller'],
      registers,
    });
    this.refusedRequests = new Counter({
      name: 'bastion_http_refused_total',
      help: 'HTTP requests refused before reaching a tool, by reason (bad_token, bad_host, bad_origin, too_large, rate_limited, too_many_refusals, ...).',
      labelNames: ['reason'],
      registers,
    });
    // Bound, so the methods can be handed on as callbacks (e.g. HttpClient.observer = metrics.upstream).
    this.toolCall = this.toolCall.bind(this);
    this.upstream = this.upstream.bind(this);
    this.rateLimited = this.rateLimited.bind(this);
  }

  toolCall(tool: string, connector: string, outcome: ToolOutcome, seconds: number): void {
    this.toolCalls.inc({ tool, connector, outcome });
    const value = duration(seconds);
    if (value !== undefined) this.toolDuration.observe({ tool }, value);
  }

  upstream(service: string, method: string, status: number | 'error', seconds: number): void {
    this.upstreamRequests.inc({ service, method, status: String(status) });
    const value = duration(seconds);
    if (value !== undefined) this.upstreamDuration.observe({ service }, value);
  }

  rateLimited(caller: string): void {
    this.rateLimitedCalls.inc({ caller });
  }

  refused(reason: string): void {
    this.refusedRequests.inc({ reason });
  }

  /** The exposition text and its content type, for the metrics endpoint. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Metrics must never fail a call: a non-finite duration is skipped and a negative one (clock step) counts as 0. */
function duration(seconds: number): number | undefined {
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}
