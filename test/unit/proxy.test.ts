// Upstream HTTP through a proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY) and per-connector extra headers, against a
// loopback CONNECT proxy and a loopback upstream.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { configureEgress, type Resolver } from '../../src/core/egress.js';
import { parseExtraHeaders } from '../../src/core/extra-headers.js';
import { HttpClient } from '../../src/core/http.js';
import { clearProxy, configureProxy } from '../../src/core/proxy.js';
import { clearRegisteredSecrets, redact } from '../../src/core/redact.js';
import { startConnectProxy, type TestProxy } from '../helpers/connect-proxy.js';
import { configErrorOf } from './helpers/errors.js';
import { blockNonLoopback, type EgressBlock } from './helpers/no-egress.js';

let upstream: Server;
let upstreamUrl: string;
let received: IncomingHttpHeaders[] = [];
let proxy: TestProxy;
let block: EgressBlock | undefined;

beforeAll(async () => {
  upstream = createServer((request, response) => {
    received.push(request.headers);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

afterEach(async () => {
  clearProxy();
  configureEgress({ allowLinkLocal: false });
  clearRegisteredSecrets();
  block?.restore();
  block = undefined;
  received = [];
  await proxy?.close();
});

async function get(client: HttpClient): Promise<unknown> {
  try {
    return await client.requestJson({ method: 'GET', path: '/users/current.json' });
  } finally {
    await client.close();
  }
}

describe('proxy variables', () => {
  it('sends upstream requests through HTTP_PROXY as a CONNECT tunnel', async () => {
    proxy = await startConnectProxy();
    configureProxy({ HTTP_PROXY: proxy.url });
    await expect(get(new HttpClient({ service: 'Redmine', baseUrl: upstreamUrl, maxRetries: 0 }))).resolves.toEqual({ ok: true });
    expect(proxy.tunnels).toEqual([new URL(upstreamUrl).host]);
    expect(received).toHaveLength(1);
  });

  it('prefers the lower-case spelling, sends the proxy credentials as Proxy-Authorization only, and never shows the password', async () => {
    proxy = await startConnectProxy();
    const password = 'canary-proxy-password-7Yq';
    configureProxy({ HTTP_PROXY: 'http://127.0.0.1:9', http_proxy: proxy.url.replace('http://', `http://ops:${password}@`) });
    await get(new HttpClient({ service: 'Redmine', baseUrl: upstreamUrl, maxRetries: 0 }));
    expect(proxy.authorizations).toEqual([`Basic ${Buffer.from(`ops:${password}`).toString('base64')}`]);
    expect(JSON.stringify(received)).not.toContain(password);
    expect(redact(`proxy said ${password}`)).not.toContain(password);
  });

  it('goes direct for a host in NO_PROXY (name, suffix, host:port or *)', async () => {
    proxy = await startConnectProxy();
    const port = new URL(upstreamUrl).port;
    for (const noProxy of ['127.0.0.1', `example.com, 127.0.0.1:${port}`, '*', '.0.0.1']) {
      configureProxy({ HTTP_PROXY: proxy.url, NO_PROXY: noProxy });
      await expect(get(new HttpClient({ service: 'Redmine', baseUrl: upstreamUrl, maxRetries: 0 })), noProxy).resolves.toEqual({ ok: true });
    }
    configureProxy({ HTTP_PROXY: proxy.url, no_proxy: '127.0.0.1:1' });
    await get(new HttpClient({ service: 'Redmine', baseUrl: upstreamUrl, maxRetries: 0 }));
    expect(proxy.tunnels).toHaveLength(1);
  });

  it('refuses a proxy on a link-local or metadata address, naming the variable', () => {
    expect(configErrorOf(() => configureProxy({ HTTPS_PROXY: 'http://169.254.169.254:3128' })).message).toContain('HTTPS_PROXY points at 169.254.169.254, the cloud metadata address');
    expect(configErrorOf(() => configureProxy({ https_proxy: 'socks5://127.0.0.1:1080' })).message).toContain('https_proxy uses socks5://; Bastion speaks to HTTP proxies only');
  });

  it('still refuses a target whose name resolves to the metadata address, before asking the proxy', async () => {
    proxy = await startConnectProxy();
    block = blockNonLoopback();
    configureProxy({ HTTP_PROXY: proxy.url });
    const resolve: Resolver = (hostname, _options, callback) =>
      hostname === 'redmine.internal' ? callback(null, [{ address: '169.254.169.254', family: 4 }]) : callback(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), []);
    const client = new HttpClient({ service: 'Redmine', baseUrl: 'http://redmine.internal', maxRetries: 0, resolve });
    const error = await get(client).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('Refused to connect to Redmine at http://redmine.internal: redmine.internal resolves to 169.254.169.254, the cloud metadata address');
    expect(proxy.tunnels).toEqual([]);
    expect(block.attempts).toEqual([]);
  });
});

describe('extra headers', () => {
  it('sends them with every request, JSON or "Name: value" lines (also with a literal \\n)', async () => {
    for (const raw of ['{"X-Gateway-Key": "canary-gateway-1", "X-Tenant": "ops"}', 'X-Gateway-Key: canary-gateway-1\\nX-Tenant: ops', 'X-Gateway-Key: canary-gateway-1\nX-Tenant: ops\n']) {
      const extraHeaders = parseExtraHeaders('REDMINE_EXTRA_HEADERS', raw, ['X-Redmine-API-Key']);
      await get(new HttpClient({ service: 'Redmine', baseUrl: upstreamUrl, extraHeaders, authHeaders: () => ({ 'X-Redmine-API-Key': 'k' }) }));
      expect(received.at(-1), raw).toMatchObject({ 'x-gateway-key': 'canary-gateway-1', 'x-tenant': 'ops', 'x-redmine-api-key': 'k' });
      expect(extraHeaders.names).toEqual(['X-Gateway-Key', 'X-Tenant']);
      // A value is a secret from the moment it is read.
      expect(redact('header canary-gateway-1')).toBe('header [REDACTED]');
    }
  });

  it.each([
    ['Authorization: Bearer x', 'Authorization cannot be set here'],
    ['x-redmine-api-key: other', 'x-redmine-api-key cannot be set here'],
    ['Host: evil.example', 'Host cannot be set here'],
    ['X-A: 1\nx-a: 2', 'x-a is given twice'],
    ['just-a-value', 'has no "Name: value" form'],
    ['{"X-A": 1}', 'the value of X-A must be a string'],
    ['Bad Name: 1', '"Bad Name" is not a valid header name'],
  ])('refuses %j, naming the variable, the cause and the fix', (raw, cause) => {
    const error = configErrorOf(() => parseExtraHeaders('REDMINE_EXTRA_HEADERS', raw, ['X-Redmine-API-Key']));
    expect(error.message).toContain(`REDMINE_EXTRA_HEADERS: `);
    expect(error.message).toContain(cause);
    expect(error.fix).toContain('write REDMINE_EXTRA_HEADERS as "Name: value" lines or a JSON object');
  });
});
