// The one upstream HTTP client. Every connector's REST calls go through it, so every one gets
// base-URL pinning, TLS settings, timeouts, cancellation, size caps, safe retries and readable errors.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, ProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { assertEgressUrl, assertProxiedTarget, EgressRefusedError, guardedLookup, isLoopbackHost, registerUpstreamOrigin, type Resolver } from './egress.js';
import type { ExtraHeaders } from './extra-headers.js';
import { proxyFor, type ProxyChoice } from './proxy.js';
import { ConfigError, UpstreamError } from './errors.js';
import { redact } from './redact.js';
import { head } from './untrusted.js';

export interface TlsSettings {
  /** Verify the server's certificate (default true). Turning it off is logged loudly. */
  verify: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface HttpClientOptions {
  /** Name of the upstream system, used in messages ("Redmine answered 404 ..."). */
  service: string;
  baseUrl: string;
  tls?: TlsSettings;
  timeoutMs?: number;
  maxResponseBytes?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxDelayMs?: number;
  /** Longest Retry-After Bastion waits for before giving up with a clear message. */
  maxRetryAfterMs?: number;
  /** Credential headers, computed per request (never logged). */
  authHeaders?: () => Record<string, string> | Promise<Record<string, string>>;
  headers?: Record<string, string>;
  /** The connector's <NAME>_EXTRA_HEADERS (a gateway key, say): sent with every request, values never logged. */
  extraHeaders?: ExtraHeaders;
  /** Extracts upstream's own error messages from an error body (e.g. Redmine's `errors` array). */
  errorDetails?: (status: number, body: unknown) => string[];
  /** Called when upstream refuses the credential (401), e.g. to audit it. */
  onAuthFailure?: (label: string) => void;
  /**
   * Called on a 401 with the Authorization header that was refused; answering true (a fresh credential is ready,
   * e.g. a new OAuth token) repeats the request once. A 401 means nothing was done, so this is safe for any method.
   */
  onUnauthorized?: (refusedAuthorization: string | undefined) => Promise<boolean>;
  /** Connector-specific advice per status, replacing the generic one. */
  statusHints?: Partial<Record<number, string>>;
  logger?: Logger;
  /** DNS resolver behind the link-local/metadata check (default: the system's); tests pass their own. */
  resolve?: Resolver;
}

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;

export interface RequestOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with '/'. Encode user-supplied segments with `pathSegment`. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  body?: Buffer | string;
  contentType?: string;
  signal?: AbortSignal;
  /**
   * Whether sending this request twice has the same effect as sending it once, so that a failure after it may have
   * reached the server can be retried. Default: GET, HEAD, PUT and DELETE yes; POST and PATCH no. A PUT that adds
   * something (a note, attachments) says false; a POST that only reads says true.
   */
  idempotent?: boolean;
  /** For a change that is not repeated: how to check whether it was applied ("look at the history"). */
  howToCheck?: string;
  headers?: Record<string, string>;
  /** The size cap of this response in place of the client's (an attachment's, which the operator sets), enforced while reading: nothing above it is buffered. */
  maxBytes?: number;
  /** The message when the response exceeds `maxBytes`, given the size known so far (declared, or read until the cap). */
  tooLargeMessage?: (atLeast: number) => string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const READ_METHODS = new Set(['GET', 'HEAD']);
/** Failures to connect at all: nothing was sent, so any request may be tried again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);

const GENERIC_HINTS: Record<number, string> = {
  400: 'the request was malformed',
  401: 'authentication failed: check the credential',
  403: 'forbidden: the credential is valid but lacks permission for this',
  404: 'not found (or not visible to this credential)',
  409: 'conflict: the object changed since it was read',
  413: 'the request is too large for the server',
  422: 'the server rejected the values',
  429: 'rate limited by the server',
  500: 'the server failed while handling the request',
  502: 'bad gateway in front of the server',
  503: 'the server is unavailable',
  504: 'gateway timeout in front of the server',
};

/** Encodes one user-supplied path segment; refuses the segments that would walk the path ('.' and '..'). */
export function pathSegment(value: string | number): string {
  const text = String(value);
  if (text === '' || text === '.' || text === '..') throw new UpstreamError(`Invalid path segment "${text}".`, 'bad_response');
  return encodeURIComponent(text);
}

export class HttpClient {
  /**
   * Told about every upstream attempt (retries included), e.g. for metrics. Gets the service name, method and
   * status only, never the URL or headers. Process-wide, since it serves all connectors alike.
   */
  static observer?: (service: string, method: string, status: number | 'error', seconds: number) => void;

  readonly baseUrl: URL;
  private readonly basePath: string;
  private readonly agent: Dispatcher;
  /**
   * For changes that are never repeated: every request closes its connection, so none is ever reused. A server may
   * close an idle keep-alive connection just as a request is sent on it (WEBrick does after 2 s); a read is simply
   * sent again, but a POST would fail with "may or may not have been applied" although it never arrived.
   */
  private readonly freshAgent: Dispatcher;
  /** The proxy requests go through (HTTPS_PROXY and friends), when one applies to this upstream. */
  readonly proxy?: ProxyChoice;
  private readonly options: Required<Pick<HttpClientOptions, 'timeoutMs' | 'maxResponseBytes' | 'maxRetries' | 'retryBaseMs' | 'retryMaxDelayMs' | 'maxRetryAfterMs'>> & HttpClientOptions;
  private readonly logger: Logger;

  constructor(options: HttpClientOptions) {
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as HttpClientOptions;
    this.options = {
      timeoutMs: 30_000,
      maxResponseBytes: 10 * 1024 * 1024,
      maxRetries: 3,
      retryBaseMs: 200,
      retryMaxDelayMs: 5_000,
      maxRetryAfterMs: 30_000,
      ...given,
    };
    this.logger = options.logger ?? silentLogger;
    this.baseUrl = parseBaseUrl(options.service, options.baseUrl);
    this.basePath = this.baseUrl.pathname.replace(/\/+$/, '');
    registerUpstreamOrigin(this.baseUrl);
    const tls = options.tls ?? { verify: true };
    if (!tls.verify && this.baseUrl.protocol === 'https:') {
      this.logger.warn({ service: options.service }, `TLS certificate verification is OFF for ${options.service}: connections can be intercepted. Use a CA file instead.`);
    }
    const upstreamTls = {
      rejectUnauthorized: tls.verify,
      minVersion: tls.minVersion ?? 'TLSv1.2',
      ca: tls.caFile ? readTlsFile(tls.caFile, 'CA certificate') : undefined,
      cert: tls.certFile ? readTlsFile(tls.certFile, 'client certificate') : undefined,
      key: tls.keyFile ? readTlsFile(tls.keyFile, 'client key') : undefined,
    } as const;
    // Every connection's addresses are checked after DNS, not just the configured name at start.
    const lookup = guardedLookup(options.resolve);
    const timeouts = { keepAliveTimeout: 4_000, headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs };
    this.proxy = proxyFor(this.baseUrl);
    const proxy = this.proxy;
    const makeAgent = (): Dispatcher =>
      proxy
        ? // A CONNECT tunnel through the proxy: the upstream's TLS settings apply inside it, end to end; the connection
          // to the proxy itself goes through the lookup guard.
          new ProxyAgent({ uri: proxy.url.href, requestTls: upstreamTls, proxyTls: { minVersion: 'TLSv1.2', lookup }, ...timeouts })
        : new Agent({ connect: { ...upstreamTls, lookup }, ...timeouts });
    this.agent = makeAgent();
    this.freshAgent = makeAgent();
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.freshAgent.close()]);
  }

  /**
   * The same client with these headers on every request (an impersonation header, say). It shares the connection
   * pool: a keep-alive socket carries no identity, since credentials and identity travel in each request's headers.
   * Closing the client closes the pool of every view. Never a credential: the client's own credential headers are
   * sent after these and win, so a view cannot change whose key is used (a personal key needs its own client).
   */
  withHeaders(headers: Record<string, string>): HttpClient {
    const view = Object.create(this) as HttpClient;
    Object.defineProperty(view, 'options', { value: { ...this.options, headers: { ...this.options.headers, ...headers } } });
    return view;
  }

  /**
   * A `doctor` line about transport security: verification state, the CA in use, client certificate, or plain http.
   * `settings` names the connector's variables, for the fix of a warning.
   */
  describeTransport(settings: { url: string; verify?: string; ca?: string } = { url: 'the URL' }): {
    status: 'ok' | 'warn';
    detail: string;
    fix?: string;
  } {
    const { hostname, protocol } = this.baseUrl;
    const tls = this.options.tls ?? { verify: true };
    if (protocol === 'http:') {
      if (this.proxy) {
        return { status: 'warn', detail: `plain http through the proxy ${this.proxyShown()}: the proxy sees the credentials`, fix: `set ${settings.url} to an https:// URL, or list the host in NO_PROXY` };
      }
      return isLoopbackHost(hostname)
        ? { status: 'ok', detail: 'plain http on loopback' }
        : { status: 'warn', detail: `plain http to ${hostname}: credentials travel unencrypted; use https`, fix: `set ${settings.url} to an https:// URL` };
    }
    if (!tls.verify) {
      return {
        status: 'warn',
        detail: 'certificate verification is OFF: use a CA certificate setting instead',
        fix: `set ${settings.verify ?? 'certificate verification'}=true, and ${settings.ca ?? 'the CA setting'} to the CA file if the certificate is self-signed or from a private CA`,
      };
    }
    const extras = [tls.caFile ? `CA ${tls.caFile}` : 'system CAs', tls.certFile && 'client certificate', `minimum ${tls.minVersion ?? 'TLSv1.2'}`].filter(Boolean);
    return { status: 'ok', detail: `certificate verification on (${extras.join(', ')})${this.viaProxy()}` };
  }

  /** The proxy's URL without user name and password. */
  private proxyShown(): string {
    if (!this.proxy) return '';
    const url = new URL(this.proxy.url.href);
    url.username = '';
    url.password = '';
    return url.origin;
  }

  private viaProxy(): string {
    return this.proxy ? `, through the proxy ${this.proxyShown()} (${this.proxy.variable}; a CONNECT tunnel, so TLS stays end to end)` : '';
  }

  /** Builds the full URL for a path, refusing anything that leaves the configured origin and base path. */
  urlFor(path: string, query?: Record<string, QueryValue>): URL {
    if (!path.startsWith('/') || path.startsWith('//') || /(^|\/)\.\.?(\/|$)/.test(path)) {
      throw new UpstreamError(`Refused request path "${path}": paths must stay below the configured ${this.options.service} URL.`, 'redirect');
    }
    const url = new URL(this.basePath + path, this.baseUrl.origin);
    const insideBase = this.basePath === '' || url.pathname === this.basePath || url.pathname.startsWith(`${this.basePath}/`);
    if (url.origin !== this.baseUrl.origin || !insideBase) {
      throw new UpstreamError(`Refused request outside the configured ${this.options.service} URL.`, 'redirect');
    }
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
      else url.searchParams.set(key, String(value));
    }
    return url;
  }

  /**
   * Sends a request and returns the response (2xx only; everything else becomes an UpstreamError). A failure after a
   * change may have reached the server is retried only when the request is idempotent; otherwise the error is marked
   * `maybeApplied` and says so.
   */
  async request(options: RequestOptions): Promise<HttpResponse> {
    const url = this.urlFor(options.path, options.query);
    const idempotent = options.idempotent ?? SAFE_METHODS.has(options.method);
    const changes = !READ_METHODS.has(options.method);
    const label = `${options.method} ${redact(url.pathname)}`;
    let renewedCredential = false;
    for (let attempt = 0; ; attempt += 1) {
      let response: HttpResponse & { sentAuthorization?: string };
      const started = performance.now();
      try {
        response = await this.send(url, options, idempotent);
      } catch (error) {
        observe(this.options.service, options.method, 'error', started);
        const mapped = this.mapTransportError(error, options.signal, label);
        const notSent = mapped.kind === 'egress' || (mapped.kind === 'network' && NOT_SENT_CODES.has(mapped.code ?? ''));
        if ((idempotent || notSent) && mapped.kind === 'network' && attempt < this.options.maxRetries) {
          await this.backoff(attempt, undefined, options.signal, label, mapped.message);
          continue;
        }
        // A timeout, a cancellation or a dropped connection may come after the server received the change.
        if (changes && !notSent && mapped.kind !== 'too_large') this.markUnsure(mapped, options, idempotent);
        throw mapped;
      }
      observe(this.options.service, options.method, response.status, started);
      // The credential that was sent stays inside this function.
      const { sentAuthorization, ...answer } = response;
      if (answer.status >= 200 && answer.status < 300) return answer;
      if (response.status === 401 && !renewedCredential && this.options.onUnauthorized) {
        renewedCredential = true;
        if (await this.options.onUnauthorized(sentAuthorization)) {
          attempt -= 1;
          continue;
        }
      }
      if (response.status >= 300 && response.status < 400) throw this.redirectError(response, label);
      // A gateway's 502/503/504 may come after the server behind it applied the change: repeated only when harmless.
      if (idempotent && RETRYABLE_STATUS.has(response.status) && attempt < this.options.maxRetries) {
        const retryAfter = parseRetryAfter(response.headers['retry-after']);
        if (retryAfter === undefined || retryAfter <= this.options.maxRetryAfterMs) {
          await this.backoff(attempt, retryAfter, options.signal, label, `status ${response.status}`);
          continue;
        }
      }
      if (response.status === 401) this.options.onAuthFailure?.(label);
      const error = this.statusError(response, label);
      if (changes && response.status >= 500) this.markUnsure(error, options, idempotent);
      throw error;
    }
  }

  /** Marks a failed change that may have reached the server, and tells the user what that means for them. */
  private markUnsure(error: UpstreamError, options: RequestOptions, idempotent: boolean): void {
    error.maybeApplied = true;
    const check = options.howToCheck ? ` (${options.howToCheck})` : '';
    error.message += idempotent
      ? ` The ${options.method} may or may not have been applied; sending it again is safe.`
      : ` The ${options.method} was not repeated automatically; it may or may not have been applied, so check${check} before trying again.`;
  }

  /** Sends a request and parses its JSON body (an empty body gives undefined). */
  async requestJson<T = unknown>(options: RequestOptions): Promise<T> {
    const response = await this.request(options);
    return this.parseJson<T>(response, `${options.method} ${options.path}`);
  }

  parseJson<T>(response: HttpResponse, label: string): T {
    if (response.body.length === 0) return undefined as T;
    const type = String(response.headers['content-type'] ?? '');
    if (type.includes('text/html')) {
      throw new UpstreamError(
        `${this.options.service} answered ${label} with an HTML page instead of JSON: check the configured URL (base path) and that the API is enabled.`,
        'bad_response',
        response.status,
      );
    }
    try {
      return JSON.parse(response.body.toString('utf8')) as T;
    } catch {
      throw new UpstreamError(`${this.options.service} answered ${label} with a body that is not valid JSON.`, 'bad_response', response.status);
    }
  }

  private async send(url: URL, options: RequestOptions, repeatable: boolean): Promise<HttpResponse & { sentAuthorization?: string }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'bastion-mcp',
      ...this.options.extraHeaders?.reveal(),
      ...this.options.headers,
      ...options.headers,
      ...(await this.options.authHeaders?.()),
    };
    let body: Buffer | string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.contentType) {
      headers['content-type'] = options.contentType;
    }
    const started = performance.now();
    // The proxy resolves the target's name, out of the lookup guard's sight: check it here.
    if (this.proxy) await assertProxiedTarget(url.hostname, this.options.resolve);
    const response = await undiciRequest(
      url,
      repeatable ? { method: options.method, headers, body, signal, dispatcher: this.agent } : { method: options.method, headers, body, signal, dispatcher: this.freshAgent, reset: true },
    );
    // A destroyed body may still emit an error; without a listener it would stop the process.
    response.body.on('error', () => {});
    const cap = options.maxBytes ?? this.options.maxResponseBytes;
    const tooLarge = (size: number): UpstreamError => (options.tooLargeMessage ? new UpstreamError(options.tooLargeMessage(size), 'too_large') : this.tooLarge(size));
    const declared = options.method === 'HEAD' ? 0 : Number(response.headers['content-length'] ?? 0);
    if (declared > cap) {
      response.body.destroy();
      throw tooLarge(declared);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > cap) {
        response.body.destroy();
        throw tooLarge(size);
      }
      chunks.push(chunk as Buffer);
    }
    this.logger.debug({ service: this.options.service, method: options.method, path: url.pathname, status: response.statusCode, ms: Math.round(performance.now() - started) }, 'upstream call');
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), sentAuthorization: headers.Authorization ?? headers.authorization };
  }

  private tooLarge(size: number): UpstreamError {
    return new UpstreamError(
      `${this.options.service}'s response is larger than the ${this.options.maxResponseBytes}-byte cap (at least ${size} bytes); ask for less (smaller limit, fewer includes).`,
      'too_large',
    );
  }

  private async backoff(attempt: number, retryAfterMs: number | undefined, signal: AbortSignal | undefined, label: string, why: string): Promise<void> {
    const ceiling = Math.min(this.options.retryMaxDelayMs, this.options.retryBaseMs * 2 ** attempt);
    // Full jitter: a random wait up to the exponential ceiling, or what the server asked for.
    const delay = retryAfterMs ?? Math.random() * ceiling;
    this.logger.info({ service: this.options.service, request: label, attempt: attempt + 1, delay_ms: Math.round(delay), reason: why }, 'retrying upstream call');
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      throw new UpstreamError(`The call to ${this.options.service} was cancelled.`, 'cancelled');
    }
  }

  private redirectError(response: HttpResponse, label: string): UpstreamError {
    const location = String(response.headers.location ?? '');
    let target = 'another location';
    try {
      const url = new URL(location, this.baseUrl);
      target = url.origin === this.baseUrl.origin ? `${url.pathname} on the same host` : `another host (${url.host})`;
    } catch {
      // An unparsable Location is reported generically.
    }
    return new UpstreamError(
      `${this.options.service} redirected ${label} to ${target}; Bastion does not follow redirects. Check the configured URL (scheme, host and base path).`,
      'redirect',
      response.status,
    );
  }

  private statusError(response: HttpResponse, label: string): UpstreamError {
    const status = response.status;
    let details: string[] = [];
    const type = String(response.headers['content-type'] ?? '');
    if (response.body.length > 0 && !type.includes('text/html')) {
      let parsed: unknown = response.body.toString('utf8');
      try {
        parsed = JSON.parse(parsed as string);
      } catch {
        // Plain text bodies are passed to errorDetails as they are.
      }
      details = (this.options.errorDetails?.(status, parsed) ?? []).map((detail) => head(detail, 500));
    }
    const hint = this.options.statusHints?.[status] ?? GENERIC_HINTS[status] ?? (status >= 500 ? 'the server failed' : 'the request was refused');
    let message = `${this.options.service} answered ${status} to ${label}: ${hint}.`;
    if (details.length) message += ` Details: ${details.join('; ')}`;
    if (status === 429 || status === 503) {
      const retryAfter = parseRetryAfter(response.headers['retry-after']);
      if (retryAfter !== undefined) message += ` Retry after ${Math.ceil(retryAfter / 1000)} s.`;
    }
    return new UpstreamError(message, 'http', status, details);
  }

  private mapTransportError(error: unknown, signal: AbortSignal | undefined, label: string): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const service = this.options.service;
    if (signal?.aborted) return new UpstreamError(`The call to ${service} (${label}) was cancelled.`, 'cancelled');
    const refused = [error, (error as { cause?: unknown }).cause].find((candidate) => candidate instanceof EgressRefusedError);
    if (refused) return new UpstreamError(`Refused to connect to ${service} at ${this.baseUrl.origin}: ${(refused as Error).message}`, 'egress');
    const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = err.code ?? err.cause?.code ?? '';
    const name = err.name ?? '';
    if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new UpstreamError(`${service} did not answer ${label} within ${this.options.timeoutMs} ms.`, 'timeout');
    }
    // https:// to a port that answers plain HTTP: OpenSSL reads the HTTP answer as a TLS record of an unknown
    // version. Not a certificate problem, and no CA setting would help.
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(err.cause?.message ?? '')) {
      return new UpstreamError(
        `TLS with ${service} at ${this.baseUrl.origin} failed (ERR_SSL_WRONG_VERSION_NUMBER): the port speaks plain HTTP, not HTTPS. ` +
          `Use http:// in the connector's URL for this port, or the port where ${service} offers HTTPS.`,
        'tls',
      );
    }
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
      return new UpstreamError(
        `TLS with ${service} failed (${code}): the server's certificate is not trusted or does not match the host. Set the connector's CA certificate setting to the issuing CA rather than turning verification off.`,
        'tls',
      );
    }
    if (NETWORK_CODES.has(code)) {
      const via = this.proxy ? ` through the proxy ${this.proxyShown()} (${this.proxy.variable})` : '';
      const unreachable = new UpstreamError(`Cannot reach ${service} at ${this.baseUrl.origin}${via} (${code}).`, 'network');
      unreachable.code = code;
      return unreachable;
    }
    return new UpstreamError(`The call to ${service} (${label}) failed: ${redact(err.message ?? String(error))}`, 'network');
  }
}

/** Reports one attempt to HttpClient.observer; an observer that throws must not change the call's outcome. */
function observe(service: string, method: string, status: number | 'error', started: number): void {
  try {
    HttpClient.observer?.(service, method, status, (performance.now() - started) / 1000);
  } catch {
    // Ignored: observation is best effort.
  }
}

function parseBaseUrl(service: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${service} URL "${redact(raw)}" is not a valid URL (expected e.g. https://host/path).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${service} URL must start with https:// or http://.`);
  if (url.username || url.password) throw new ConfigError(`${service} URL must not contain a user name or password; use the credential settings.`);
  if (url.search || url.hash) throw new ConfigError(`${service} URL must not contain a query or fragment.`);
  assertEgressUrl(`The ${service} URL`, url);
  return url;
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`Cannot read the ${what} file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
