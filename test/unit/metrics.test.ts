// Prometheus metrics: series names, labels and counts in the rendered text, histograms, and the HttpClient observer.
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/core/http.js';
import { DURATION_BUCKETS, Metrics } from '../../src/core/metrics.js';
import { httpFixtures, upstreamFailure } from './helpers/http-client.js';
import { sendJson } from './helpers/http-server.js';

const fx = httpFixtures();

afterEach(() => {
  HttpClient.observer = undefined;
});

/** The value of one sample line, e.g. sample(body, 'x_total{a="b"}'); undefined when absent. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Metrics', () => {
  it('counts tool calls by tool, connector and outcome', async () => {
    const metrics = new Metrics();
    metrics.toolCall('redmine_get_issue', 'redmine', 'ok', 0.12);
    metrics.toolCall('redmine_get_issue', 'redmine', 'ok', 0.3);
    metrics.toolCall('redmine_get_issue', 'redmine', 'error', 1.5);
    metrics.toolCall('youtrack_create_issue', 'youtrack', 'denied', 0.001);
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE bastion_tool_calls_total counter');
    expect(sample(body, 'bastion_tool_calls_total{tool="redmine_get_issue",connector="redmine",outcome="ok"}')).toBe(2);
    expect(sample(body, 'bastion_tool_calls_total{tool="redmine_get_issue",connector="redmine",outcome="error"}')).toBe(1);
    expect(sample(body, 'bastion_tool_calls_total{tool="youtrack_create_issue",connector="youtrack",outcome="denied"}')).toBe(1);
  });

  it('records tool durations in a histogram per tool with buckets from 1 ms to 30 s', async () => {
    const metrics = new Metrics();
    metrics.toolCall('redmine_get_issue', 'redmine', 'ok', 0.0005);
    metrics.toolCall('redmine_get_issue', 'redmine', 'ok', 0.2);
    metrics.toolCall('redmine_get_issue', 'redmine', 'error', 12);
    metrics.toolCall('etim_get_class', 'etim', 'ok', 45);
    const { body } = await metrics.render();
    expect(body).toContain('# TYPE bastion_tool_duration_seconds histogram');
    expect(sample(body, 'bastion_tool_duration_seconds_count{tool="redmine_get_issue"}')).toBe(3);
    expect(sample(body, 'bastion_tool_duration_seconds_sum{tool="redmine_get_issue"}')).toBeCloseTo(12.2005, 6);
    expect(sample(body, 'bastion_tool_duration_seconds_bucket{le="0.001",tool="redmine_get_issue"}')).toBe(1);
    expect(sample(body, 'bastion_tool_duration_seconds_bucket{le="0.25",tool="redmine_get_issue"}')).toBe(2);
    expect(sample(body, 'bastion_tool_duration_seconds_bucket{le="30",tool="redmine_get_issue"}')).toBe(3);
    expect(sample(body, 'bastion_tool_duration_seconds_bucket{le="+Inf",tool="redmine_get_issue"}')).toBe(3);
    expect(sample(body, 'bastion_tool_duration_seconds_bucket{le="30",tool="etim_get_class"}')).toBe(0);
    expect(sample(body, 'bastion_tool_duration_seconds_count{tool="etim_get_class"}')).toBe(1);
    expect(DURATION_BUCKETS[0]).toBe(0.001);
    expect(DURATION_BUCKETS.at(-1)).toBe(30);
  });

  it('counts upstream requests by service, method and status, with a duration histogram per service', async () => {
    const metrics = new Metrics();
    metrics.upstream('Redmine', 'GET', 200, 0.05);
    metrics.upstream('Redmine', 'GET', 200, 0.07);
    metrics.upstream('Redmine', 'POST', 422, 0.1);
    metrics.upstream('YouTrack', 'GET', 'error', 30);
    const { body } = await metrics.render();
    expect(sample(body, 'bastion_upstream_requests_total{service="Redmine",method="GET",status="200"}')).toBe(2);
    expect(sample(body, 'bastion_upstream_requests_total{service="Redmine",method="POST",status="422"}')).toBe(1);
    expect(sample(body, 'bastion_upstream_requests_total{service="YouTrack",method="GET",status="error"}')).toBe(1);
    expect(sample(body, 'bastion_upstream_duration_seconds_count{service="Redmine"}')).toBe(3);
    expect(sample(body, 'bastion_upstream_duration_seconds_bucket{le="0.05",service="Redmine"}')).toBe(1);
    expect(sample(body, 'bastion_upstream_duration_seconds_bucket{le="30",service="YouTrack"}')).toBe(1);
  });

  it('counts rate-limited calls by caller', async () => {
    const metrics = new Metrics();
    metrics.rateLimited('ci-bot');
    metrics.rateLimited('ci-bot');
    metrics.rateLimited('alice');
    const { body } = await metrics.render();
    expect(sample(body, 'bastion_rate_limited_total{caller="ci-bot"}')).toBe(2);
    expect(sample(body, 'bastion_rate_limited_total{caller="alice"}')).toBe(1);
  });

  it('includes the default process metrics', async () => {
    const { body } = await new Metrics().render();
    expect(body).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
    expect(body).toContain('process_resident_memory_bytes');
  });

  it('keeps each instance on its own registry', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.rateLimited('alice');
    expect(sample((await a.render()).body, 'bastion_rate_limited_total{caller="alice"}')).toBe(1);
    expect((await b.render()).body).not.toContain('caller="alice"');
  });

  it('skips durations that are not numbers and counts negative ones as 0, without throwing', async () => {
    const metrics = new Metrics();
    metrics.toolCall('t', 'c', 'ok', Number.NaN);
    metrics.toolCall('t', 'c', 'ok', -1);
    const { body } = await metrics.render();
    expect(sample(body, 'bastion_tool_calls_total{tool="t",connector="c",outcome="ok"}')).toBe(2);
    expect(sample(body, 'bastion_tool_duration_seconds_count{tool="t"}')).toBe(1);
    expect(sample(body, 'bastion_tool_duration_seconds_sum{tool="t"}')).toBe(0);
  });
});

describe('HttpClient.observer', () => {
  it('reports each attempt, retries included, with the service, method and status only', async () => {
    const metrics = new Metrics();
    HttpClient.observer = metrics.upstream;
    const server = await fx.server((req, res, index) => {
      if (req.url?.includes('missing')) return sendJson(res, 404, {});
      if (index === 0) return sendJson(res, 503, {});
      sendJson(res, 200, { ok: true });
    });
    const client = fx.client(server);
    await client.request({ method: 'GET', path: '/issues.json', query: { key: 'secret-in-query', limit: 5 } });
    await upstreamFailure(client.request({ method: 'GET', path: '/missing.json' }));
    const { body } = await metrics.render();
    expect(sample(body, 'bastion_upstream_requests_total{service="Redmine",method="GET",status="503"}')).toBe(1);
    expect(sample(body, 'bastion_upstream_requests_total{service="Redmine",method="GET",status="200"}')).toBe(1);
    expect(sample(body, 'bastion_upstream_requests_total{service="Redmine",method="GET",status="404"}')).toBe(1);
    expect(sample(body, 'bastion_upstream_duration_seconds_count{service="Redmine"}')).toBe(3);
    expect(body).not.toContain('secret-in-query');
    expect(body).not.toContain('issues.json');
    expect(body).not.toContain('127.0.0.1');
  });

  it('reports failed connections as "error", once per attempt', async () => {
    const seen: Array<[string, string, number | 'error', number]> = [];
    HttpClient.observer = (...args) => void seen.push(args);
    const server = await fx.server((_req, res) => sendJson(res, 200, {}));
    const origin = server.url;
    await server.close();
    await upstreamFailure(fx.client(origin, { maxRetries: 2 }).request({ method: 'GET', path: '/issues.json' }));
    expect(seen.map(([service, method, status]) => [service, method, status])).toEqual([
      ['Redmine', 'GET', 'error'],
      ['Redmine', 'GET', 'error'],
      ['Redmine', 'GET', 'error'],
    ]);
    expect(seen.every(([, , , seconds]) => seconds >= 0)).toBe(true);
  });

  it('does not change the outcome of a call when the observer throws', async () => {
    HttpClient.observer = () => {
      throw new Error('observer broke');
    };
    const server = await fx.server((_req, res) => sendJson(res, 200, { ok: true }));
    const body = await fx.client(server).requestJson({ method: 'GET', path: '/issues.json' });
    expect(body).toEqual({ ok: true });
    expect(server.requests).toHaveLength(1);
  });
});
