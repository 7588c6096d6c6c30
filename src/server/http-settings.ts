// `bastion serve --transport http`: settings to listener, and the process's life until SIGTERM.
import type { GlobalSettings } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { parseRateLimit, RateLimiter } from '../core/ratelimit.js';
import { JwtAuthenticator, StaticTokens, type Authenticator } from './http-auth.js';
import { checkExposure, serveOverHttp, type HttpServeOptions } from './http.js';
import type { Runtime } from './runtime.js';

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The listener's address, TLS and authentication as `serve --transport http` builds them (doctor reads them too). */
export function httpSecurityFromSettings(g: GlobalSettings): Pick<HttpServeOptions, 'host' | 'tls' | 'authenticator'> {
  let authenticator: Authenticator | undefined;
  if (g.BASTION_HTTP_TOKENS_FILE && g.BASTION_OAUTH_ISSUER) throw new ConfigError('Set either BASTION_HTTP_TOKENS_FILE or BASTION_OAUTH_ISSUER, not both.');
  if (g.BASTION_HTTP_TOKENS_FILE) authenticator = new StaticTokens(g.BASTION_HTTP_TOKENS_FILE);
  else if (g.BASTION_OAUTH_ISSUER) {
    const issuer = g.BASTION_OAUTH_ISSUER.replace(/\/+$/, '');
    const audience = g.BASTION_OAUTH_AUDIENCE ?? `${g.BASTION_PUBLIC_URL ?? ''}/mcp`;
    if (!g.BASTION_OAUTH_AUDIENCE && !g.BASTION_PUBLIC_URL) throw new ConfigError('With BASTION_OAUTH_ISSUER, set BASTION_OAUTH_AUDIENCE (or BASTION_PUBLIC_URL, whose /mcp is the audience).');
    authenticator = new JwtAuthenticator(issuer, audience, g.BASTION_OAUTH_JWKS_URL ?? `${issuer}/.well-known/jwks.json`, g.BASTION_IDENTITY_CLAIM);
  } else if (g.BASTION_HTTP_AUTH) {
    throw new ConfigError(
      'HTTP needs callers to authenticate: set BASTION_HTTP_TOKENS_FILE or BASTION_OAUTH_ISSUER (or BASTION_HTTP_AUTH=false on 127.0.0.1 for local testing).',
      'set BASTION_HTTP_TOKENS_FILE (named token hashes) or BASTION_OAUTH_ISSUER (JWTs from your identity provider)',
    );
  }
  if ((g.BASTION_TLS_CERT === undefined) !== (g.BASTION_TLS_KEY === undefined)) throw new ConfigError('--tls-cert and --tls-key go together.', 'set both --tls-cert and --tls-key, or neither');
  const tls = g.BASTION_TLS_CERT && g.BASTION_TLS_KEY ? { certFile: g.BASTION_TLS_CERT, keyFile: g.BASTION_TLS_KEY } : undefined;
  return { host: g.BASTION_HTTP_HOST, tls, authenticator };
}

export async function serveHttpFromSettings(runtime: Runtime): Promise<void> {
  const g = runtime.global;
  const { host, tls, authenticator } = httpSecurityFromSettings(g);
  checkExposure({ host, tls, authenticator }, g.BASTION_HTTP_FORCE, (message) => runtime.logger.warn(message));
  const publicHost = g.BASTION_PUBLIC_URL ? new URL(g.BASTION_PUBLIC_URL).hostname : undefined;
  const defaults = [...LOCAL_NAMES, ...(publicHost ? [publicHost] : []), ...(LOCAL_NAMES.includes(host) || host === '0.0.0.0' || host === '::' ? [] : [host])];
  const server = await serveOverHttp(runtime, {
    host,
    port: g.BASTION_HTTP_PORT,
    tls,
    authenticator,
    allowedHosts: g.BASTION_HTTP_ALLOWED_HOSTS ?? defaults,
    allowedOrigins: g.BASTION_HTTP_ALLOWED_ORIGINS ?? defaults,
    publicUrl: g.BASTION_PUBLIC_URL?.replace(/\/+$/, ''),
    rateLimiter: new RateLimiter(runtime.cache, { ...parseRateLimit(g.BASTION_RATE_LIMIT), prefix: 'bastion:ratelimit' }),
    maxBodyBytes: g.BASTION_HTTP_MAX_BODY,
    metricsPort: g.BASTION_METRICS_PORT,
    sessionIdleSeconds: g.BASTION_HTTP_SESSION_IDLE,
    maxSessions: g.BASTION_HTTP_MAX_SESSIONS,
    requestTimeoutSeconds: g.BASTION_HTTP_REQUEST_TIMEOUT,
    maxConnections: g.BASTION_HTTP_MAX_CONNECTIONS,
    refusalLimit: parseRateLimit(g.BASTION_HTTP_REFUSAL_LIMIT, 'BASTION_HTTP_REFUSAL_LIMIT'),
    trustedProxies: g.BASTION_HTTP_TRUSTED_PROXIES,
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      runtime.logger.info('shutting down: finishing calls in flight');
      void server.close().finally(resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Tests and supervisors read the address from this line (the port may have been chosen by the system).
  process.stderr.write(`bastion: listening on ${server.url}/mcp\n`);
  await stopped;
  // Everything is closed; leave without waiting for idle keep-alive timers of libraries.
  process.exit(0);
}
