// OAuth2 client-credentials tokens for any connector: cached until shortly before expiry, refreshed ahead of
// time in the background, fetched once however many calls (or Bastion instances, through a shared lock) need one.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheStore } from './cache.js';
import { UpstreamError } from './errors.js';
import type { HttpClient } from './http.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { registerSecret } from './redact.js';
import type { Secret } from './secrets.js';

export interface ClientCredentialsOptions {
  /** An HTTP client pinned to the token service's origin. */
  http: HttpClient;
  /** Path of the token endpoint below that origin, e.g. "/connect/token". */
  tokenPath: string;
  clientId: string;
  clientSecret: Secret;
  scope?: string;
  /** Where the secret goes: the form body (client_secret_post) or HTTP Basic (client_secret_basic). */
  authMethod: 'body' | 'basic';
  /** Shared or local store, already namespaced per connector and credential. */
  store: CacheStore;
  /** Seconds before expiry at which a token is no longer used (default 300). */
  marginSeconds?: number;
  logger?: Logger;
  /** Called when the token service refuses the client (for the audit log). */
  onRefused?: (detail: string) => void;
}

interface StoredToken {
  access_token: string;
  /** Epoch ms after which the token is not used any more (expiry minus the margin). */
  use_until: number;
  /** Epoch ms from which a background refresh starts. */
  refresh_from: number;
}

const TOKEN_KEY = 'oauth:token';
const LOCK_KEY = 'oauth:refresh';
const LOCK_MS = 15_000;

export class ClientCredentialsProvider {
  private pending: Promise<StoredToken> | undefined;
  private readonly margin: number;
  private readonly logger: Logger;

  constructor(private readonly options: ClientCredentialsOptions) {
    this.margin = options.marginSeconds ?? 300;
    this.logger = options.logger ?? silentLogger;
  }

  /** A valid access token: the cached one, or a new one fetched once for all concurrent callers. */
  async accessToken(): Promise<string> {
    const cached = await this.read();
    const now = Date.now();
    if (cached && now < cached.use_until) {
      if (now >= cached.refresh_from) void this.refresh(cached.access_token).catch((error: Error) => this.logger.warn({ reason: error.message }, 'background token refresh failed'));
      return cached.access_token;
    }
    return (await this.refresh(cached?.access_token)).access_token;
  }

  /** Drops a token the API refused (401), unless a newer one has replaced it already. */
  async invalidate(rejected: string): Promise<void> {
    const cached = await this.read();
    if (cached?.access_token === rejected) await this.options.store.delete(TOKEN_KEY);
  }

  private async read(): Promise<StoredToken | undefined> {
    const raw = await this.options.store.get(TOKEN_KEY);
    if (!raw) return undefined;
    try {
      const token = JSON.parse(raw) as StoredToken;
      registerSecret(token.access_token);
      return token;
    } catch {
      return undefined;
    }
  }

  /** Single-flight in this process; across processes the shared lock lets one fetch while the others wait for its token. */
  private refresh(stale: string | undefined): Promise<StoredToken> {
    this.pending ??= this.refreshOnce(stale).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async refreshOnce(stale: string | undefined): Promise<StoredToken> {
    const isNewer = (token: StoredToken | undefined): token is StoredToken =>
      token !== undefined && token.access_token !== stale && Date.now() < token.refresh_from;
    let release = await this.options.store.lock(LOCK_KEY, LOCK_MS);
    if (!release) {
      // Another instance is fetching: wait for its token rather than asking the token service again.
      for (let waited = 0; waited < LOCK_MS && !release; waited += 100) {
        await sleep(100);
        const token = await this.read();
        if (isNewer(token)) return token;
        release = await this.options.store.lock(LOCK_KEY, LOCK_MS);
      }
    }
    try {
      const current = await this.read();
      if (isNewer(current)) return current;
      const token = await this.fetchToken();
      const ttlSeconds = Math.max(1, (token.use_until - Date.now()) / 1000);
      await this.options.store.set(TOKEN_KEY, JSON.stringify(token), ttlSeconds);
      return token;
    } finally {
      await release?.();
    }
  }

  private async fetchToken(): Promise<StoredToken> {
    const { clientId, clientSecret, scope, authMethod } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    const headers: Record<string, string> = {};
    if (authMethod === 'basic') {
      const encode = (value: string) => encodeURIComponent(value);
      headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret.reveal())}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret.reveal());
    }
    let body: { access_token?: string; expires_in?: number; token_type?: string };
    try {
      // A token request changes nothing upstream, so it may be repeated on 502/503/504.
      const response = await this.options.http.request({
        method: 'POST',
        path: this.options.tokenPath,
        body: form.toString(),
        contentType: 'application/x-www-form-urlencoded',
        headers,
        idempotent: true,
      });
      body = this.options.http.parseJson(response, `POST ${this.options.tokenPath}`);
    } catch (error) {
      if (error instanceof UpstreamError && (error.status === 400 || error.status === 401)) this.options.onRefused?.(error.message);
      throw error;
    }
    if (!body?.access_token || typeof body.access_token !== 'string') {
      throw new UpstreamError('The token service answered without an access_token.', 'bad_response');
    }
    registerSecret(body.access_token);
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
    const now = Date.now();
    // Never use a token within the margin of its expiry; a short-lived token keeps at least a few seconds of use.
    const usable = Math.max(lifetime - this.margin, Math.min(lifetime * 0.5, 30));
    return {
      access_token: body.access_token,
      use_until: now + usable * 1000,
      refresh_from: now + usable * 0.8 * 1000,
    };
  }
}

/** OAuth2 error bodies ({"error": "invalid_client", "error_description": "..."}) as readable details. */
export function oauthErrorDetails(_status: number, body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const error = body as { error?: string; error_description?: string };
  return [error.error_description ? `${error.error}: ${error.error_description}` : error.error].filter((d): d is string => Boolean(d));
}
