// MCP over Streamable HTTP at /mcp, for remote clients and shared team deployments (2025-era clients in sessions:
// see http-sessions.ts).
// In front of the SDK's handler, in order: Host and Origin checks, bearer authentication, per-caller rate limits.
// Also: RFC 9728 metadata, /healthz, /readyz, /metrics, TLS termination and graceful shutdown.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostHeaderValidationResponse, originValidationResponse, type AuthInfo } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { isLoopbackHost } from '../core/egress.js';
import { ConfigError } from '../core/errors.js';
import { HttpClient } from '../core/http.js';
import { Metrics } from '../core/metrics.js';
import { RateLimiter, type RateLimit } from '../core/ratelimit.js';
import { MemoryRelay, RedisRelay } from '../core/relay.js';
import { AuthenticationError, callerRefusal, SCOPES, type Authenticator, type Caller } from './http-auth.js';
import { createServerFactory } from './build.js';
import { createMcpRouting } from './http-sessions.js';
import { batchRefusal, isBatch } from './batch.js';
import { readinessProbe } from './readiness.js';
import { Refusals, type RefusalReason } from './http-refusals.js';
import type { Runtime } from './runtime.js';
import { ConnectLinks, ConnectPage } from './connect-page.js';

export interface HttpServeOptions {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  /** Undefined only when authentication was explicitly turned off (loopback testing). */
  authenticator: Authenticator | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
  /** The URL clients use, for the protected-resource metadata (default from host and port). */
  publicUrl?: string;
  rateLimiter: RateLimiter;
  maxBodyBytes: number;
  /** Serve /metrics on this separate port (loopback) instead of behind authentication on the main one. */
  metricsPort?: number;
  shutdownGraceMs?: number;
  /** A 2025-era session unused this long ends (default 30 min). */
  sessionIdleSeconds?: number;
  /** Most 2025-era sessions one instance holds (default 1000). */
  maxSessions?: number;
  /** Longest time to receive one whole request, headers and body (default 30 s). */
  requestTimeoutSeconds?: number;
  /** Most connections open at once; more are closed on arrival (default 500). */
  maxConnections?: number;
  /** Refused requests one client address may collect before its requests are refused unread (default 30/min). */
  refusalLimit?: RateLimit;
  /** Proxies whose X-Forwarded-For names the client, for that limit. */
  trustedProxies?: string[];
}

/** What a caller without a valid static token reads, whichever way its client reports the refusal. */
const STATIC_TOKEN_REFUSAL =
  // No double quotes: clients show it inside a JSON body, where they would come out escaped.
  "bearer token missing or wrong: send the header 'Authorization: Bearer <token>' with a token from the operator's BASTION_HTTP_TOKENS_FILE (mcp-remote: --header 'Authorization: Bearer <token>')";
/** Where an OAuth client looks for metadata, registers and signs in: absent when only static tokens are configured. */
const OAUTH_ENDPOINTS = new Set([
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/register',
  '/authorize',
  '/token',
]);

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
}

/** What a listener on a non-loopback address lacks of TLS and authentication (nothing on loopback). */
export function exposureGaps(options: Pick<HttpServeOptions, 'host' | 'tls' | 'authenticator'>): string[] {
  if (isLoopbackHost(options.host)) return [];
  return [!options.tls && 'TLS (--tls-cert/--tls-key)', !options.authenticator && 'authentication (BASTION_HTTP_TOKENS_FILE or BASTION_OAUTH_ISSUER)'].filter((gap) => gap !== false);
}

/** Checks the bind address against TLS and authentication: a remote listener needs both, unless forced. */
export function checkExposure(options: Pick<HttpServeOptions, 'host' | 'tls' | 'authenticator'>, force: boolean, warn: (message: string) => void): void {
  if (isLoopbackHost(options.host)) {
    if (!options.authenticator) warn('HTTP authentication is OFF: any local process can call every enabled tool. Use this for local testing only.');
    return;
  }
  const missing = exposureGaps(options);
  if (!missing.length) return;
  const message = `Listening on ${options.host} without ${missing.join(' and ')} exposes every enabled tool to the network.`;
  if (!force) throw new ConfigError(`${message} Add them, bind to 127.0.0.1, or set BASTION_HTTP_FORCE=true to accept the risk.`);
  warn(`${message} Continuing because BASTION_HTTP_FORCE=true.`);
}

export async function serveOverHttp(
  runtime: Runtime,
  options: HttpServeOptions,
): Promise<{ url: string; close: () => Promise<void>; /** Makes connect-page links (undefined without a vault). */ connectLinks?: ConnectLinks }> {
  const { logger } = runtime;
  const metrics = new Metrics();
  HttpClient.observer = (service, method, status, seconds) => metrics.upstream(service, method, status, seconds);
  const scheme = options.tls ? 'https' : 'http';

  // One server factory per distinct set of caller scopes: tools/list shows each caller only what it may call.
  const factories = new Map<string, ReturnType<typeof createServerFactory>>();
  const factoryFor = (caller: Caller | undefined) => {
    const scopes = caller?.scopes ?? [SCOPES.write];
    const key = [...scopes].sort().join(' ');
    let factory = factories.get(key);
    if (!factory) {
      factory = createServerFactory({
        ...runtime,
        caller: 'http',
        toolSchemas: runtime.global.BASTION_TOOL_SCHEMAS,
        confirmDestructive: runtime.global.BASTION_CONFIRM_DESTRUCTIVE,
        attachmentMaxBytes: runtime.global.BASTION_ATTACHMENT_MAX_BYTES,
        // Made below, before the first request can reach a factory.
        connectLinks,
        callerRefusal: (tool, connector) => callerRefusal(scopes, tool, connector),
        onToolCall: (tool, connector, outcome, seconds) => metrics.toolCall(tool, connector, outcome, seconds),
      });
      factories.set(key, factory);
    }
    return factory;
  };
  // Several instances sharing REDIS_URL pass follow-up messages (answers, cancellations) to each other.
  const relay = runtime.redis
    ? await RedisRelay.connect({ url: runtime.redis.url, password: runtime.redis.password, caFile: runtime.global.REDIS_CA_CERT, logger })
    : new MemoryRelay();
  const mcp = createMcpRouting({
    factoryFor,
    cache: runtime.cache,
    relay,
    logger,
    idleSeconds: options.sessionIdleSeconds ?? 1800,
    maxSessions: options.maxSessions ?? 1000,
    maxBodyBytes: options.maxBodyBytes,
  });

  let publicUrl = options.publicUrl;
  const resourceMetadataUrl = () => `${publicUrl}/.well-known/oauth-protected-resource/mcp`;
  // With static tokens there is no OAuth to discover. Bridges such as mcp-remote and the SDK's client start OAuth
  // discovery on any 401 and end in a failed client registration, so nothing points them at OAuth metadata and
  // every answer on their way (the 401 body, /register) says what is wrong: the bearer token.
  const oauth = options.authenticator !== undefined && 'issuer' in options.authenticator;
  const challenge = (status: 401 | 403, code: string | undefined, description: string): Response => {
    const params = [code && `error="${code}", error_description="${description.replace(/"/g, "'")}"`, status === 403 && `scope="${SCOPES.read}"`].filter(Boolean);
    if (oauth) {
      const header = `Bearer ${[...params, `resource_metadata="${resourceMetadataUrl()}"`].join(', ')}`;
      return json(status, { error: code ?? 'invalid_request', error_description: description }, { 'www-authenticate': header });
    }
    const message = status === 401 ? `${STATIC_TOKEN_REFUSAL} (${description})` : description;
    // A JSON-RPC error body: clients that show the answer's text show this.
    return json(status, { jsonrpc: '2.0', id: null, error: { code: -32001, message } }, { 'www-authenticate': `Bearer ${params.length ? params.join(', ') : 'realm="bastion"'}` });
  };

  const readiness = readinessProbe(runtime.connectors.map((connector) => connector.runtime), { logger });
  const ready = async (): Promise<Response> => {
    const report = await readiness();
    // While the audit log cannot be written, changes are refused: the instance is not ready to serve them.
    const auditWritable = runtime.audit.healthy;
    const ok = report.ok && auditWritable;
    return json(ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', connectors: report.connectors, ...(auditWritable ? {} : { audit_log: 'unwritable' }) });
  };

  // The connect page, where people link their own upstream credentials: only when a vault is configured.
  const connectLinks = runtime.vault
    ? new ConnectLinks({ cache: runtime.cache, baseUrl: () => publicUrl!, ttlSeconds: runtime.global.BASTION_CONNECT_LINK_TTL })
    : undefined;
  const connectPage =
    runtime.vault && connectLinks
      ? new ConnectPage({
          links: connectLinks,
          vault: runtime.vault,
          connectors: runtime.connectors.map((connector) => connector.runtime),
          audit: runtime.audit,
          logger,
          origin: () => new URL(publicUrl!).origin,
          secure: new URL(publicUrl ?? `${scheme}://localhost`).protocol === 'https:',
        })
      : undefined;
  /** The page, behind the same Host check and refusal allowance as /mcp; its own checks come before the body is read. */
  const servePage = async (req: IncomingMessage, url: URL, address: string): Promise<{ response: Response; refused: boolean }> => {
    const wait = refusals.exhausted(address);
    if (wait !== undefined) return { response: json(429, { error: 'too_many_refusals' }, { 'retry-after': String(wait) }), refused: true };
    const probe = new Request(`http://localhost${url.pathname}`, { headers: { host: req.headers.host ?? '' } });
    const badHost = hostHeaderValidationResponse(probe, options.allowedHosts);
    if (badHost) {
      refusals.record(address, 'bad_host');
      return { response: badHost, refused: true };
    }
    if (draining) return { response: json(503, { error: 'shutting_down' }, { 'retry-after': '5' }), refused: true };
    const response = await connectPage!.handle(req, url);
    const refused = response.status >= 400;
    // Guessing links or forging forms uses up the address's allowance like a wrong bearer token.
    if (refused && response.status !== 409 && response.status !== 502) {
      refusals.record(address, response.status === 413 ? 'too_large' : 'bad_token');
    }
    return { response, refused };
  };

  let inFlight = 0;
  let draining = false;
  const refusals = new Refusals({ limit: options.refusalLimit ?? { capacity: 30, refillPerSecond: 0.5 }, logger, metrics, trustedProxies: options.trustedProxies });

  /**
   * Everything that can be decided from the request line and headers, before a byte of the body is read: Host,
   * Origin, draining, Content-Length, the token and the caller's rate limit. A refusal is answered at once and the
   * connection closed, so a client that stalls its body holds nothing.
   */
  const gate = async (req: IncomingMessage, url: URL, address: string): Promise<{ refusal: Response; reason: RefusalReason } | { caller: Caller | undefined }> => {
    // An address that keeps being refused is refused at once, before anything else is looked at.
    const wait = refusals.exhausted(address);
    if (wait !== undefined) {
      return { refusal: json(429, { error: 'too_many_refusals', error_description: `too many refused requests from this address; retry after ${wait} s` }, { 'retry-after': String(wait) }), reason: 'too_many_refusals' };
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    // DNS-rebinding protection: only the expected Host names and browser Origins.
    const probe = new Request(`http://localhost${url.pathname}`, { headers });
    const badHost = hostHeaderValidationResponse(probe, options.allowedHosts);
    if (badHost) return { refusal: badHost, reason: 'bad_host' };
    const badOrigin = originValidationResponse(probe, options.allowedOrigins);
    if (badOrigin) return { refusal: badOrigin, reason: 'bad_origin' };
    if (draining) return { refusal: json(503, { error: 'shutting_down' }, { 'retry-after': '5' }), reason: 'shutting_down' };
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > options.maxBodyBytes) {
      return { refusal: json(413, { error: 'too_large', error_description: `the request body must not exceed ${options.maxBodyBytes} bytes (BASTION_HTTP_MAX_BODY)` }), reason: 'too_large' };
    }

    let caller: Caller | undefined;
    if (options.authenticator) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!match) return { refusal: challenge(401, undefined, 'a bearer token is required'), reason: 'no_token' };
      try {
        caller = await options.authenticator.authenticate(match[1]!);
      } catch (error) {
        if (error instanceof AuthenticationError) {
          const scope = error.code === 'insufficient_scope';
          return { refusal: challenge(scope ? 403 : 401, error.code, error.message), reason: scope ? 'insufficient_scope' : 'bad_token' };
        }
        throw error;
      }
    }
    if (url.pathname === '/mcp') {
      const callerName = caller?.name ?? 'anonymous';
      // Per-user mode: people whose JWTs share a client id each get their own bucket.
      const allowance = await options.rateLimiter.take(caller?.person === undefined ? callerName : `${callerName}\u0000${caller.person}`);
      if (!allowance.allowed) {
        metrics.rateLimited(callerName);
        const refusal = json(429, { error: 'rate_limited', error_description: `too many requests; retry after ${allowance.retryAfterSeconds} s` }, { 'retry-after': String(allowance.retryAfterSeconds) });
        return { refusal, reason: 'rate_limited' };
      }
    }
    return { caller };
  };

  // Reached only through the gate, which put the verified caller on the request.
  const fetchHandler = async (request: Request, context?: { authInfo?: AuthInfo }): Promise<Response> => {
    const authInfo = context?.authInfo;
    const url = new URL(request.url);
    if (url.pathname === '/metrics') {
      const rendered = await metrics.render();
      return new Response(rendered.body, { status: 200, headers: { 'content-type': rendered.contentType } });
    }
    // One HTTP request is one call: batches would spend one token on many calls (the body was capped on arrival).
    if (await isBatch(request, options.maxBodyBytes)) return batchRefusal();
    return mcp.fetch(request, authInfo?.extra?.caller as Caller | undefined, authInfo);
  };

  /** Answers without reading the body; a refusal also closes the connection once sent. */
  const answer = async (res: ServerResponse, response: Response, close: boolean): Promise<void> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) headers[name] = value;
    const body = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(body.length);
    if (close) {
      headers.connection = 'close';
      // The unread body stays unread: the socket goes as soon as the answer is out.
      const socket = res.socket;
      res.once('finish', () => socket?.destroySoon());
    }
    res.writeHead(response.status, headers).end(body);
  };

  const nodeHandler = toNodeHandler({ fetch: fetchHandler }, { maxRequestBodySize: options.maxBodyBytes });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return answer(res, json(200, { status: 'ok' }), false);
    if (url.pathname === '/readyz') return answer(res, await ready(), false);
    const address = refusals.clientAddress(req);
    if (!oauth && OAUTH_ENDPOINTS.has(url.pathname)) {
      // An OAuth client's dynamic registration (or sign-in) lands here: its error is the one the bridge shows.
      const status = url.pathname.startsWith('/.well-known/') ? 404 : 400;
      refusals.record(address, 'not_found');
      return answer(res, json(status, { error: 'invalid_client_metadata', error_description: `${STATIC_TOKEN_REFUSAL}; Bastion takes static bearer tokens, no OAuth sign-in` }), true);
    }
    if (url.pathname === '/.well-known/oauth-protected-resource/mcp' || url.pathname === '/.well-known/oauth-protected-resource') {
      const metadata = {
        resource: `${publicUrl}/mcp`,
        ...(options.authenticator && 'issuer' in options.authenticator ? { authorization_servers: [(options.authenticator as { issuer: string }).issuer] } : {}),
        bearer_methods_supported: ['header'],
        scopes_supported: [SCOPES.read, SCOPES.write],
        resource_name: 'Bastion MCP server',
      };
      return answer(res, json(200, metadata), false);
    }
    if (connectPage && ConnectPage.matches(url.pathname)) {
      const { response, refused } = await servePage(req, url, address);
      return answer(res, response, refused);
    }
    if (url.pathname !== '/mcp' && (url.pathname !== '/metrics' || options.metricsPort !== undefined)) {
      refusals.record(address, 'not_found');
      return answer(res, json(404, { error: 'not_found' }), true);
    }
    const decision = await gate(req, url, address);
    if ('refusal' in decision) {
      refusals.record(address, decision.reason);
      return answer(res, decision.refusal, true);
    }
    const caller = decision.caller;
    // The caller's token is used here only; it is never passed to any upstream system.
    (req as IncomingMessage & { auth?: AuthInfo }).auth = caller
      ? { token: '[verified]', clientId: caller.name, scopes: caller.scopes, expiresAt: caller.expiresAt, extra: { caller } }
      : undefined;
    await nodeHandler(req, res);
  };
  const responses = new Set<ServerResponse>();
  /** While draining, a connection ends with its current answer: a balancer then sends the next request elsewhere. */
  const closeAfter = (res: ServerResponse): void => {
    if (!res.headersSent) res.setHeader('connection', 'close');
    const socket = res.socket;
    res.once('finish', () => socket?.destroySoon());
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    // A call is in flight until its response is fully sent (answers may stream), which is what shutdown waits for.
    inFlight += 1;
    responses.add(res);
    res.once('close', () => {
      inFlight -= 1;
      responses.delete(res);
    });
    if (draining) closeAfter(res);
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'HTTP request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"internal_error"}');
    });
  };
  // Node's defaults hold a stalled request for 5 minutes; these cut it (with 408) once its time is up.
  const requestTimeout = (options.requestTimeoutSeconds ?? 30) * 1000;
  const timeouts = {
    requestTimeout,
    headersTimeout: Math.min(10_000, requestTimeout),
    keepAliveTimeout: 5_000,
    // How often Node looks for requests past those limits (its default, 30 s, would outlast a short limit).
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile), minVersion: 'TLSv1.2', ...timeouts }, listener)
    : createHttpServer(timeouts, listener);
  // Beyond this many open connections, new ones are closed as they arrive.
  server.maxConnections = options.maxConnections ?? 500;
  server.on('drop', () => metrics.refused('too_many_connections'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  publicUrl ??= `${scheme}://${hostForUrl}:${address.port}`;

  let metricsServer: Server | undefined;
  if (options.metricsPort !== undefined) {
    metricsServer = createHttpServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      void metrics.render().then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body));
    });
    await new Promise<void>((resolve) => metricsServer!.listen(options.metricsPort, '127.0.0.1', () => resolve()));
  }

  logger.info({ url: `${publicUrl}/mcp`, auth: options.authenticator?.describe() ?? 'off', tls: Boolean(options.tls) }, 'serving MCP over HTTP');

  const close = async (): Promise<void> => {
    draining = true;
    // Stop accepting connections, close idle keep-alive ones and end busy ones after their answer (so no reused
    // connection meets a 503), let in-flight calls finish (bounded), then close everything.
    server.close();
    server.closeIdleConnections();
    for (const res of responses) closeAfter(res);
    const deadline = Date.now() + (options.shutdownGraceMs ?? 10_000);
    while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    server.closeAllConnections();
    refusals.flush();
    metricsServer?.close();
    await mcp.close();
    await relay.close();
    HttpClient.observer = undefined;
    await runtime.close();
  };
  return { url: publicUrl, close, connectLinks };
}
