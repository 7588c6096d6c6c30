// ETIM API v2 client: OAuth2 client-credentials tokens (core/oauth2.ts), POST reads with the documented keys,
// ProblemDetails errors, and a response cache with per-kind lifetimes that never keeps empty answers.
import { createHash } from 'node:crypto';
import type { CacheStore } from '../../core/cache.js';
import { InputError, UpstreamError } from '../../core/errors.js';
import { HttpClient, type HttpClientOptions } from '../../core/http.js';
import type { ClientCredentialsProvider } from '../../core/oauth2.js';
import { head } from '../../core/untrusted.js';

/** How long each kind of answer is kept, in seconds (0 = not cached). */
export interface CacheLifetimes {
  search: number;
  details: number;
  reference: number;
}

export type CacheKind = keyof CacheLifetimes;

/** RFC 7807 ProblemDetails ({title, detail, status}) or a plain message, as readable details. */
function etimErrorDetails(_status: number, body: unknown): string[] {
  if (typeof body === 'string') return body.trim() ? [head(body.trim(), 300)] : [];
  if (!body || typeof body !== 'object') return [];
  const problem = body as { title?: string; detail?: string; errors?: Record<string, string[]> };
  const details = [problem.detail ?? problem.title].filter((d): d is string => Boolean(d));
  for (const [field, messages] of Object.entries(problem.errors ?? {})) details.push(`${field}: ${messages.join(' ')}`);
  return details;
}

const STATUS_HINTS: Partial<Record<number, string>> = {
  400: 'ETIM rejected the request',
  401: 'ETIM refused the access token even after a fresh one was fetched: check ETIM_CLIENT_ID and ETIM_CLIENT_SECRET',
  403: 'the ETIM account may not use this (language or data not licensed)',
};

/** What a code read is about, for the "no such code" error: e.g. { what: 'class', search: 'etim_search_classes' }. */
export interface CodeRead {
  code: string;
  what: string;
  search: string;
  /** Appended to the likely causes, e.g. "or it is not part of ETIM-8.0". */
  also?: string;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.total === 'number') return record.total === 0;
    return Object.keys(record).length === 0;
  }
  return false;
}

function noSuchCode(read: CodeRead, answer: string): InputError {
  return new InputError(
    `No such ETIM ${read.what}: ${read.code} (${answer}). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release${read.also ? `, ${read.also}` : ''}. Find the code with ${read.search}.`,
  );
}

export class EtimClient {
  readonly http: HttpClient;

  constructor(
    options: {
      apiUrl: string;
      extraHeaders?: HttpClientOptions['extraHeaders'];
      tls: HttpClientOptions['tls'];
      timeoutMs?: number;
      logger?: HttpClientOptions['logger'];
      onAuthFailure?: HttpClientOptions['onAuthFailure'];
    },
    readonly tokens: ClientCredentialsProvider,
    private readonly cache: CacheStore | undefined,
    private readonly lifetimes: CacheLifetimes,
    readonly defaultLanguage: string,
  ) {
    this.http = new HttpClient({
      service: 'ETIM',
      baseUrl: options.apiUrl,
      extraHeaders: options.extraHeaders,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      onAuthFailure: options.onAuthFailure,
      authHeaders: async () => ({ Authorization: `Bearer ${await tokens.accessToken()}` }),
      // An expired or revoked token: drop it, fetch a new one, and repeat the call once.
      onUnauthorized: async (refused) => {
        await tokens.invalidate(refused?.replace(/^Bearer /, '') ?? '');
        return true;
      },
      errorDetails: etimErrorDetails,
      statusHints: STATUS_HINTS,
    });
  }

  /** A POST read (ETIM's data endpoints), through the response cache. */
  post<T>(path: string, body: Record<string, unknown>, kind: CacheKind, signal: AbortSignal): Promise<T> {
    // These POSTs only read, so repeating them on 502/503/504 is safe.
    return this.cached(kind, `POST ${path} ${JSON.stringify(body)}`, () =>
      this.http.requestJson<T>({ method: 'POST', path: `/api/v2${path}`, json: body, idempotent: true, signal }),
    );
  }

  /**
   * A Details read of one code. ETIM's API v2 documents only 400, 401 and 500: an unknown code comes back as 400, or
   * as 200 with nothing in it. Either becomes a readable "no such code" error instead of an empty success.
   */
  async postCode<T>(path: string, body: Record<string, unknown>, read: CodeRead, signal: AbortSignal): Promise<T> {
    let value: T;
    try {
      value = await this.post<T>(path, body, 'details', signal);
    } catch (error) {
      // A 400 about the request itself (a language the account may not use, a validation failure) keeps ETIM's words.
      const aboutRequest = error instanceof UpstreamError && error.details.some((detail) => /language|validation errors/i.test(detail));
      if (error instanceof UpstreamError && error.kind === 'http' && (error.status === 400 || error.status === 404) && !aboutRequest) {
        throw noSuchCode(read, `ETIM answered ${error.status}${error.details.length ? `: ${head(error.details.join(' '), 200)}` : ''}`);
      }
      throw error;
    }
    if (isEmpty(value)) throw noSuchCode(read, 'ETIM answered with nothing');
    return value;
  }

  get<T>(path: string, kind: CacheKind, signal: AbortSignal): Promise<T> {
    return this.cached(kind, `GET ${path}`, () => this.http.requestJson<T>({ method: 'GET', path: `/api/v2${path}`, signal }));
  }

  private async cached<T>(kind: CacheKind, request: string, fetch: () => Promise<T>): Promise<T> {
    const ttl = this.lifetimes[kind];
    if (!this.cache || ttl <= 0) return fetch();
    const key = `response:${kind}:${createHash('sha256').update(request).digest('hex').slice(0, 32)}`;
    const hit = await this.cache.get(key);
    if (hit !== undefined) return JSON.parse(hit) as T;
    const value = await fetch();
    // Empty answers are not kept: data may appear later, and an empty hit would hide it.
    if (!isEmpty(value)) await this.cache.set(key, JSON.stringify(value), ttl);
    return value;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
