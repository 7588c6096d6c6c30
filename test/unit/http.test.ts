import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { HttpClient, pathSegment } from '../../src/core/http.js';
import { clearRegisteredSecrets } from '../../src/core/redact.js';
import { Secret } from '../../src/core/secrets.js';
import { captureLogger } from './helpers/capture-logger.js';
import { httpFixtures, upstreamFailure } from './helpers/http-client.js';
import { sendJson } from './helpers/http-server.js';

const fx = httpFixtures();
const ok = { issues: [] };

afterEach(() => clearRegisteredSecrets());

describe('HttpClient: requests', () => {
  it('keeps the base path of the configured URL', async () => {
    const server = await fx.server((_req, res) => sendJson(res, 200, ok));
    await fx.client(server).request({ method: 'GET', path: '/issues.json' });
    await fx.client(server.url, { baseUrl: `${server.url}/redmine/` }).request({ method: 'GET', path: '/projects.json' });
    expect(server.requests.map((r) => r.url)).toEqual(['/redmine/issues.json', '/redmine/projects.json']);
  });

  it('repeats array query values, encodes text and leaves out undefined and null', async () => {
    const server = await fx.server((_req, res) => sendJson(res, 200, ok));
    await fx.client(server).request({
      method: 'GET',
      path: '/issues.json',
      query: { status_id: [1, 2], subject: 'Bug & fix', limit: 25, offset: undefined, assigned_to_id: null, closed: false },
    });
    expect(server.requests[0]!.url).toBe('/redmine/issues.json?status_id=1&status_id=2&subject=Bug+%26+fix&limit=25&closed=false');
  });

  it('sends JSON bodies, default headers and auth headers', async () => {
    const server = await fx.server((_req, res) => sendJson(res, 201, { issue: { id: 7 } }));
    const client = fx.client(server, { authHeaders: () => ({ 'X-Redmine-API-Key': 'canary-key-for-header-test' }) });
    const body = await client.requestJson<{ issue: { id: number } }>({ method: 'POST', path: '/issues.json', json: { issue: { subject: 'Hi' } } });
    expect(body).toEqual({ issue: { id: 7 } });
    const seen = server.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(JSON.parse(seen.body)).toEqual({ issue: { subject: 'Hi' } });
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.headers['user-agent']).toBe('bastion-mcp');
    expect(seen.headers['x-redmine-api-key']).toBe('canary-key-for-header-test');
  });

  it('gives undefined for an empty body', async () => {
    const server = await fx.server((_req, res) => res.writeHead(204).end());
    expect(await fx.client(server).requestJson({ method: 'DELETE', path: '/issues/1.json' })).toBeUndefined();
  });
});

describe('HttpClient: URL pinning', () => {
  const client = new HttpClient({ service: 'Redmine', baseUrl: 'http://127.0.0.1:9/redmine' });

  it('builds URLs below the base path', () => {
    expect(client.urlFor('/issues/5.json').href).toBe('http://127.0.0.1:9/redmine/issues/5.json');
  });

  it.each([
    ['a protocol-relative path', '//evil.example/x'],
    ['a dot-dot segment', '/../x'],
    ['a dot-dot segment further down', '/issues/../../x'],
    ['a dot segment', '/./x'],
    ['an absolute URL', 'http://other/'],
    ['a path without a leading slash', 'issues.json'],
    ['an encoded dot-dot segment', '/%2e%2e/x'],
  ])('refuses %s', (_what, path) => {
    expect(() => client.urlFor(path)).toThrow(expect.objectContaining({ kind: 'redirect', message: expect.stringContaining('Redmine') }));
  });

  it.each([
    ['an encoded dot-dot segment', '/%2e%2e/redmine-other/x'],
    ['backslashes', '/a\\..\\..\\redmine-other\\x'],
  ])('refuses a path that reaches a sibling of the base path through %s', (_what, path) => {
    expect(() => client.urlFor(path)).toThrow(expect.objectContaining({ kind: 'redirect' }));
  });

  it('pathSegment encodes separators and refuses segments that walk the path', () => {
    expect(pathSegment('a/b?c#d')).toBe('a%2Fb%3Fc%23d');
    expect(pathSegment(42)).toBe('42');
    for (const bad of ['', '.', '..']) expect(() => pathSegment(bad)).toThrow(/Invalid path segment/);
  });

  it.each([
    ['not a URL', 'redmine.example'],
    ['another scheme', 'ftp://redmine.example/'],
    ['a query', 'https://redmine.example/?key=1'],
  ])('refuses a base URL with %s', (_what, baseUrl) => {
    expect(() => new HttpClient({ service: 'Redmine', baseUrl })).toThrow(ConfigError);
  });

  it('refuses a base URL with a user and password without repeating the password', () => {
    let message = '';
    try {
      new HttpClient({ service: 'Redmine', baseUrl: 'https://jdoe:canary-url-password@redmine.example/' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/user name or password/);
    expect(message).not.toContain('canary-url-password');
  });
});

describe('HttpClient: error answers', () => {
  it('puts upstream details of a 422 into the message', async () => {
    const server = await fx.server((_req, res) => sendJson(res, 422, { errors: ['Subject cannot be blank', 'Tracker is invalid'] }));
    const client = fx.client(server, {
      errorDetails: (_status, body) => ((body as { errors?: string[] }).errors ?? []),
    });
    const error = await upstreamFailure(client.request({ method: 'POST', path: '/issues.json', json: { issue: {} } }));
    expect(error.kind).toBe('http');
    expect(error.status).toBe(422);
    expect(error.details).toEqual(['Subject cannot be blank', 'Tracker is invalid']);
    expect(error.message).toContain('Redmine answered 422 to POST /redmine/issues.json');
    expect(error.message).toContain('Subject cannot be blank');
    expect(server.requests).toHaveLength(1);
  });

  it('explains common statuses, with connector hints taking precedence', async () => {
    const server = await fx.server((_req, res, index) => sendJson(res, index === 0 ? 404 : 403, {}));
    const error404 = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues/9.json' }));
    expect(error404.message).toBe('Redmine answered 404 to GET /redmine/issues/9.json: not found (or not visible to this credential).');
    const hinted = fx.client(server, { statusHints: { 403: 'the API key lacks the "View issues" permission' } });
    const error403 = await upstreamFailure(hinted.request({ method: 'GET', path: '/issues/9.json' }));
    expect(error403.message).toContain('the API key lacks the "View issues" permission');
  });

  it('reports an HTML page where JSON was expected, pointing at the base path', async () => {
    const server = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body>Login</body></html>');
    });
    const error = await upstreamFailure(fx.client(server).requestJson({ method: 'GET', path: '/issues.json' }));
    expect(error.kind).toBe('bad_response');
    expect(error.message).toContain('HTML');
    expect(error.message).toContain('GET /issues.json');
    expect(error.message).toMatch(/configured URL \(base path\)/);
  });

  it('reports a body that is not JSON', async () => {
    const server = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"issues": [');
    });
    const error = await upstreamFailure(fx.client(server).requestJson({ method: 'GET', path: '/issues.json' }));
    expect(error.kind).toBe('bad_response');
    expect(error.message).toMatch(/not valid JSON/);
  });
});

describe('HttpClient: redirects', () => {
  it('refuses a redirect to another host, names it, and does not follow it', async () => {
    const other = await fx.server((_req, res) => sendJson(res, 200, ok));
    const server = await fx.server((_req, res) => res.writeHead(302, { location: `${other.url}/steal` }).end());
    const error = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues.json' }));
    expect(error.kind).toBe('redirect');
    expect(error.status).toBe(302);
    expect(error.message).toContain(`another host (${other.host})`);
    expect(other.requests).toHaveLength(0);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a redirect on the same host too, naming the path', async () => {
    const server = await fx.server((_req, res) => res.writeHead(301, { location: '/login' }).end());
    const error = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues.json' }));
    expect(error.message).toContain('/login on the same host');
    expect(server.requests).toHaveLength(1);
  });
});

describe('HttpClient: size cap', () => {
  it('refuses a response whose declared length is over the cap', async () => {
    const server = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 5000 });
      res.end('x'.repeat(5000));
    });
    const error = await upstreamFailure(fx.client(server, { maxResponseBytes: 1000 }).request({ method: 'GET', path: '/big.json' }));
    expect(error.kind).toBe('too_large');
    expect(error.message).toContain('1000-byte cap');
  });

  it('refuses an over-cap response without leaving an uncaught error that would stop the process', async () => {
    const server = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 5000 });
      res.end('x'.repeat(5000));
    });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const error = await upstreamFailure(fx.client(server, { maxResponseBytes: 1000 }).request({ method: 'GET', path: '/big.json' }));
      expect(error.kind).toBe('too_large');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it('refuses a chunked response that grows over the cap', async () => {
    const server = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 10; i += 1) res.write('y'.repeat(500));
      res.end();
    });
    const error = await upstreamFailure(fx.client(server, { maxResponseBytes: 1000 }).request({ method: 'GET', path: '/big.json' }));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('too_large');
  });

  it('accepts a response at the cap', async () => {
    const server = await fx.server((_req, res) => res.writeHead(200, { 'content-length': 1000 }).end('z'.repeat(1000)));
    const response = await fx.client(server, { maxResponseBytes: 1000 }).request({ method: 'GET', path: '/exact.json' });
    expect(response.body.length).toBe(1000);
  });

  it('does not refuse a HEAD answer for the size of a body it does not carry', async () => {
    const server = await fx.server((_req, res) => res.writeHead(200, { 'content-length': 50_000 }).end());
    const response = await fx.client(server, { maxResponseBytes: 1000 }).request({ method: 'HEAD', path: '/attachments/download/1' });
    expect(response.status).toBe(200);
  });
});

describe('HttpClient: timeouts and cancellation', () => {
  it('gives a timeout error when the server never answers', async () => {
    const server = await fx.server(() => undefined);
    const error = await upstreamFailure(fx.client(server, { timeoutMs: 200 }).request({ method: 'GET', path: '/slow.json' }));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('within 200 ms');
  });

  it('gives a cancelled error for an already-aborted signal and sends nothing', async () => {
    const server = await fx.server((_req, res) => sendJson(res, 200, ok));
    const error = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues.json', signal: AbortSignal.abort() }));
    expect(error.kind).toBe('cancelled');
    expect(server.requests).toHaveLength(0);
  });

  it('gives a cancelled error when the signal is aborted while waiting for the answer', async () => {
    const controller = new AbortController();
    const server = await fx.server(() => controller.abort());
    const error = await upstreamFailure(fx.client(server).request({ method: 'POST', path: '/issues.json', json: {}, signal: controller.signal }));
    expect(error.kind).toBe('cancelled');
    expect(error.message).toMatch(/cancelled/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('HttpClient: credentials stay out of messages and logs', () => {
  it('never shows the auth header value in errors or log lines', async () => {
    const key = new Secret('canary-api-key-0123456789abcdef', 'env', 'REDMINE_API_KEY');
    const echo = (headers: Record<string, unknown>) => String(headers['x-redmine-api-key']);
    const server = await fx.server((req, res, index) => {
      const seen = echo(req.headers);
      if (index === 0) sendJson(res, 503, { error: `overloaded for ${seen}` });
      else if (index === 1) sendJson(res, 422, { errors: [`Key ${seen} is not allowed here`] });
      else if (index === 2) res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error with key=${seen}`);
      else req.socket.destroy();
    });
    const log = captureLogger('trace');
    const client = fx.client(server, {
      logger: log.logger,
      maxRetries: 1,
      authHeaders: () => ({ 'X-Redmine-API-Key': key.reveal() }),
      errorDetails: (_status, body) => (typeof body === 'string' ? [body] : ((body as { errors?: string[] }).errors ?? [])),
    });
    const messages: string[] = [];
    for (let call = 0; call < 3; call += 1) {
      const error = await upstreamFailure(client.request({ method: 'POST', path: '/issues.json', json: {}, idempotent: call === 0 }));
      messages.push(error.message);
    }
    expect(server.requests.length).toBeGreaterThanOrEqual(4);
    expect(server.requests.every((r) => r.headers['x-redmine-api-key'] === key.reveal())).toBe(true);
    expect(messages.join('\n')).toContain('[REDACTED]');
    for (const message of messages) expect(message).not.toContain(key.reveal());
    expect(log.lines().length).toBeGreaterThan(0);
    expect(log.text()).not.toContain(key.reveal());
  });
});

describe('HttpClient: describeTransport', () => {
  it('accepts plain http on loopback and warns about it elsewhere', () => {
    expect(new HttpClient({ service: 'Redmine', baseUrl: 'http://127.0.0.1:3000/' }).describeTransport().status).toBe('ok');
    const remote = new HttpClient({ service: 'Redmine', baseUrl: 'http://redmine.example/' }).describeTransport();
    expect(remote.status).toBe('warn');
    expect(remote.detail).toContain('redmine.example');
  });
});
