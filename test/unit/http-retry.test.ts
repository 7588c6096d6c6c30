import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/core/http.js';
import { captureLogger } from './helpers/capture-logger.js';
import { httpFixtures, upstreamFailure } from './helpers/http-client.js';
import { sendJson, startServer, type Handler } from './helpers/http-server.js';

const fx = httpFixtures();
const ok = { issues: [{ id: 1 }] };

/** Answers the first `failures` requests with `status` (or drops the connection), then 200. */
function failThenSucceed(failures: number, status: number | 'drop', headers: Record<string, string> = {}): Handler {
  return (req, res, index) => {
    if (index >= failures) return sendJson(res, 200, ok);
    if (status === 'drop') return void req.socket.destroy();
    sendJson(res, status, { errors: ['try later'] }, headers);
  };
}

describe('HttpClient retries: safe methods', () => {
  it('retries a GET answered 503 and returns the later success', async () => {
    const server = await fx.server(failThenSucceed(1, 503));
    const body = await fx.client(server).requestJson({ method: 'GET', path: '/issues.json' });
    expect(body).toEqual(ok);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a GET whose connection was dropped', async () => {
    const server = await fx.server(failThenSucceed(1, 'drop'));
    const body = await fx.client(server).requestJson({ method: 'GET', path: '/issues.json' });
    expect(body).toEqual(ok);
    expect(server.requests).toHaveLength(2);
  });

  it.each([429, 502, 504])('retries a GET answered %i', async (status) => {
    const server = await fx.server(failThenSucceed(1, status));
    await fx.client(server).request({ method: 'GET', path: '/issues.json' });
    expect(server.requests).toHaveLength(2);
  });

  it.each(['PUT', 'DELETE', 'HEAD'] as const)('retries a %s answered 503', async (method) => {
    const server = await fx.server(failThenSucceed(1, 503));
    const response = await fx.client(server).request({ method, path: '/issues/1.json' });
    expect(response.status).toBe(200);
    expect(server.requests.map((r) => r.method)).toEqual([method, method]);
  });

  it('does not retry a 500', async () => {
    const server = await fx.server(failThenSucceed(5, 500));
    const error = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues.json' }));
    expect(error.status).toBe(500);
    expect(server.requests).toHaveLength(1);
  });

  it('waits as long as Retry-After asks, then retries', async () => {
    const server = await fx.server(failThenSucceed(1, 503, { 'retry-after': '1' }));
    const log = captureLogger('info');
    const body = await fx.client(server, { logger: log.logger }).requestJson({ method: 'GET', path: '/issues.json' });
    expect(body).toEqual(ok);
    expect(server.requests).toHaveLength(2);
    const retries = log.lines().map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.msg === 'retrying upstream call');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ delay_ms: 1000, attempt: 1, reason: 'status 503' });
  });

  it('gives up at once when Retry-After is longer than it may wait, saying when to retry', async () => {
    const server = await fx.server(failThenSucceed(5, 503, { 'retry-after': '120' }));
    const error = await upstreamFailure(fx.client(server, { maxRetryAfterMs: 10_000 }).request({ method: 'GET', path: '/issues.json' }));
    expect(server.requests).toHaveLength(1);
    expect(error.message).toContain('503');
    expect(error.message).toContain('Retry after 120 s.');
  });

  it('gives up after maxRetries with the last status in the message', async () => {
    const server = await fx.server(failThenSucceed(10, 503));
    const error = await upstreamFailure(fx.client(server, { maxRetries: 2 }).request({ method: 'GET', path: '/issues.json' }));
    expect(server.requests).toHaveLength(3);
    expect(error.kind).toBe('http');
    expect(error.status).toBe(503);
    expect(error.message).toContain('Redmine answered 503 to GET /redmine/issues.json');
  });

  it('gives up on an unreachable server with a network error naming it', async () => {
    const gone = await startServer(() => undefined);
    await gone.close();
    const error = await upstreamFailure(fx.client(gone.url, { maxRetries: 1 }).request({ method: 'GET', path: '/issues.json' }));
    expect(error.kind).toBe('network');
    expect(error.message).toBe(`Cannot reach Redmine at ${gone.url} (ECONNREFUSED).`);
  });

  it('stops waiting for a retry when the call is cancelled', async () => {
    const controller = new AbortController();
    const server = await fx.server((_req, res) => {
      sendJson(res, 503, {}, { 'retry-after': '30' });
      setImmediate(() => controller.abort());
    });
    const error = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues.json', signal: controller.signal }));
    expect(error.kind).toBe('cancelled');
    expect(server.requests).toHaveLength(1);
  });
});

describe('HttpClient retries: unsafe methods', () => {
  it('does not repeat a POST answered 503 and says so', async () => {
    const server = await fx.server(failThenSucceed(1, 503));
    const error = await upstreamFailure(fx.client(server).request({ method: 'POST', path: '/issues.json', json: { issue: { subject: 'x' } } }));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/not repeated/);
  });

  it('does not repeat a POST whose connection was dropped and says it may have been applied', async () => {
    const server = await fx.server(failThenSucceed(1, 'drop'));
    const error = await upstreamFailure(fx.client(server).request({ method: 'POST', path: '/issues.json', json: { issue: { subject: 'x' } } }));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('network');
    expect(error.message).toContain('The POST was not repeated automatically; it may or may not have been applied');
  });

  it('sends a change it will not repeat over a new connection, so an idle connection the server closed cannot cost it', async () => {
    // Like WEBrick, which closes an idle keep-alive connection after 2 s: here, the moment a second request arrives on it.
    const served = new WeakSet<Socket>();
    const server = await fx.server((req, res) => {
      if (served.has(req.socket)) return void req.socket.destroy();
      served.add(req.socket);
      sendJson(res, 200, ok);
    });
    const client = fx.client(server);
    await client.request({ method: 'GET', path: '/issues.json' });
    await client.request({ method: 'POST', path: '/uploads.json', body: 'log line', contentType: 'application/octet-stream' });
    await client.request({ method: 'PUT', path: '/issues/1.json', json: { issue: { notes: 'once' } }, idempotent: false });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /redmine/issues.json', 'POST /redmine/uploads.json', 'PUT /redmine/issues/1.json']);
  });

  it('does not repeat a PATCH answered 502', async () => {
    const server = await fx.server(failThenSucceed(1, 502));
    await upstreamFailure(fx.client(server).request({ method: 'PATCH', path: '/issues/1.json', json: {} }));
    expect(server.requests).toHaveLength(1);
  });

  it('does not repeat a PUT that adds something, and says how to check', async () => {
    const server = await fx.server(failThenSucceed(1, 503));
    const error = await upstreamFailure(
      fx.client(server).request({ method: 'PUT', path: '/issues/1.json', json: { issue: { notes: 'x' } }, idempotent: false, howToCheck: 'look at the history of issue #1' }),
    );
    expect(server.requests).toHaveLength(1);
    expect(error.maybeApplied).toBe(true);
    expect(error.message).toContain('The PUT was not repeated automatically; it may or may not have been applied, so check (look at the history of issue #1) before trying again.');
  });

  it('tries a POST again when the connection was refused, since nothing was sent', async () => {
    const gone = await startServer(() => undefined);
    await gone.close();
    const log = captureLogger('info');
    const error = await upstreamFailure(fx.client(gone.url, { maxRetries: 2, logger: log.logger }).request({ method: 'POST', path: '/issues.json', json: {} }));
    expect(error.kind).toBe('network');
    expect(error.maybeApplied).toBe(false);
    expect(error.message).toBe(`Cannot reach Redmine at ${gone.url} (ECONNREFUSED).`);
    expect(log.lines().filter((line) => line.includes('retrying upstream call'))).toHaveLength(2);
  });

  it('says a PUT that timed out after sending may or may not have been applied', async () => {
    const server = await fx.server(() => undefined);
    const error = await upstreamFailure(fx.client(server, { timeoutMs: 200 }).request({ method: 'PUT', path: '/issues/1.json', json: {} }));
    expect(error.kind).toBe('timeout');
    expect(error.maybeApplied).toBe(true);
    expect(error.message).toContain('The PUT may or may not have been applied; sending it again is safe.');
  });

  it('retries a POST marked idempotent', async () => {
    const server = await fx.server(failThenSucceed(1, 503));
    const body = await fx.client(server).requestJson({ method: 'POST', path: '/search.json', json: { q: 'x' }, idempotent: true });
    expect(body).toEqual(ok);
    expect(server.requests).toHaveLength(2);
    expect(server.requests.map((r) => r.body)).toEqual(['{"q":"x"}', '{"q":"x"}']);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter([' 30 '])).toBe(30_000);
  });

  it('reads an HTTP date as the time left until it, never negative', () => {
    const later = parseRetryAfter(new Date(Date.now() + 60_000).toUTCString());
    expect(later).toBeGreaterThan(55_000);
    expect(later).toBeLessThanOrEqual(60_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
  });

  it('ignores a missing or unreadable value', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
