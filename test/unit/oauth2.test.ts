// Client-credentials tokens against a real local token endpoint: caching, single-flight, refresh-ahead, errors.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCache, NamespacedCache } from '../../src/core/cache.js';
import { UpstreamError } from '../../src/core/errors.js';
import { HttpClient } from '../../src/core/http.js';
import { ClientCredentialsProvider, oauthErrorDetails } from '../../src/core/oauth2.js';
import { redact } from '../../src/core/redact.js';
import { Secret } from '../../src/core/secrets.js';
import { startServer, type ScriptedServer } from './helpers/http-server.js';

const SECRET = 'canary-oauth-client-secret-42';
let servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A token endpoint that issues numbered tokens after an optional delay, or answers with a fixed error. */
async function tokenServer(options: { delayMs?: number; expiresIn?: number; error?: { status: number; body: unknown } } = {}): Promise<ScriptedServer> {
  let issued = 0;
  const server = await startServer((_req, res) => {
    setTimeout(() => {
      if (options.error) {
        res.writeHead(options.error.status, { 'content-type': 'application/json' }).end(JSON.stringify(options.error.body));
        return;
      }
      issued += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `token-${issued}-canary`, expires_in: options.expiresIn ?? 3600, token_type: 'Bearer' }));
    }, options.delayMs ?? 0);
  });
  servers.push(server);
  return server;
}

function provider(server: ScriptedServer, store = new MemoryCache(), extra: Partial<ConstructorParameters<typeof ClientCredentialsProvider>[0]> = {}) {
  const http = new HttpClient({ service: 'Token service', baseUrl: server.url, errorDetails: oauthErrorDetails, retryBaseMs: 1 });
  return new ClientCredentialsProvider({
    http,
    tokenPath: '/connect/token',
    clientId: 'bastion-client',
    clientSecret: new Secret(SECRET, 'env', 'TEST_SECRET'),
    scope: 'EtimApi',
    authMethod: 'body',
    store: new NamespacedCache(store, 'etim:abcd1234'),
    ...extra,
  });
}

describe('ClientCredentialsProvider', () => {
  it('sends a form-encoded client_credentials request with scope and the secret in the body', async () => {
    const server = await tokenServer();
    expect(await provider(server).accessToken()).toBe('token-1-canary');
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'EtimApi',
      client_id: 'bastion-client',
      client_secret: SECRET,
    });
  });

  it('can send the secret with HTTP Basic instead', async () => {
    const server = await tokenServer();
    await provider(server, new MemoryCache(), { authMethod: 'basic' }).accessToken();
    const [request] = server.requests;
    expect(request!.body).not.toContain(SECRET);
    expect(Buffer.from(String(request!.headers.authorization).replace('Basic ', ''), 'base64').toString()).toBe(`bastion-client:${SECRET}`);
  });

  it('makes exactly one token request for 100 concurrent callers on a cold cache', async () => {
    const server = await tokenServer({ delayMs: 50 });
    const p = provider(server);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => p.accessToken()));
    expect(server.requests).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set(['token-1-canary']));
  });

  it('shares one token between providers on the same store (as instances on one Redis do)', async () => {
    const server = await tokenServer({ delayMs: 50 });
    const store = new MemoryCache();
    const a = provider(server, store);
    const b = provider(server, store);
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).accessToken()));
    expect(server.requests).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set(['token-1-canary']));
  });

  it('reuses the cached token until the margin before expiry, then fetches a new one', async () => {
    const server = await tokenServer({ expiresIn: 3600 });
    const store = new MemoryCache();
    const namespaced = new NamespacedCache(store, 'etim:abcd1234');
    const p = provider(server, store);
    await p.accessToken();
    await p.accessToken();
    expect(server.requests).toHaveLength(1);
    const stored = JSON.parse((await namespaced.get('oauth:token'))!);
    // Used until expires_in minus the 300 s margin, not a second longer.
    expect(stored.use_until - Date.now()).toBeLessThanOrEqual(3300 * 1000);
    expect(stored.use_until - Date.now()).toBeGreaterThan(3290 * 1000);

    await namespaced.set('oauth:token', JSON.stringify({ ...stored, use_until: Date.now() - 1 }), 60);
    expect(await p.accessToken()).toBe('token-2-canary');
    expect(server.requests).toHaveLength(2);
  });

  it('refreshes in the background when the cached token nears its refresh point, still answering at once', async () => {
    const server = await tokenServer();
    const store = new MemoryCache();
    const namespaced = new NamespacedCache(store, 'etim:abcd1234');
    const now = Date.now();
    await namespaced.set('oauth:token', JSON.stringify({ access_token: 'old-canary-token', use_until: now + 60_000, refresh_from: now - 1 }), 60);
    const p = provider(server, store);
    expect(await p.accessToken()).toBe('old-canary-token');
    await expect.poll(async () => JSON.parse((await namespaced.get('oauth:token'))!).access_token).toBe('token-1-canary');
    expect(server.requests).toHaveLength(1);
  });

  it('fetches a new token after the API refused the cached one, once for all callers', async () => {
    const server = await tokenServer();
    const p = provider(server);
    const first = await p.accessToken();
    await Promise.all([p.invalidate(first), p.invalidate(first)]);
    const again = await Promise.all([p.accessToken(), p.accessToken()]);
    expect(again).toEqual(['token-2-canary', 'token-2-canary']);
    await p.invalidate(first); // stale: the new token stays
    expect(await p.accessToken()).toBe('token-2-canary');
    expect(server.requests).toHaveLength(2);
  });

  it('reports a refused client clearly, without the secret', async () => {
    const server = await tokenServer({ error: { status: 400, body: { error: 'invalid_client' } } });
    const refusals: string[] = [];
    const error = await provider(server, new MemoryCache(), { onRefused: (detail) => refusals.push(detail) })
      .accessToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(String(error)).toContain('invalid_client');
    expect(String(error)).not.toContain(SECRET);
    expect(refusals).toHaveLength(1);
  });

  it('retries the token request on 503, as it changes nothing upstream', async () => {
    let calls = 0;
    const server = await startServer((_req, res) => {
      calls += 1;
      if (calls === 1) res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'after-retry-canary', expires_in: 3600 }));
    });
    servers.push(server);
    expect(await provider(server).accessToken()).toBe('after-retry-canary');
    expect(server.requests).toHaveLength(2);
  });

  it('registers issued tokens with the scrubber', async () => {
    const server = await tokenServer();
    const token = await provider(server).accessToken();
    expect(redact(`Authorization: x ${token}`)).not.toContain(token);
  });
});
