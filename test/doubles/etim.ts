// A loopback ETIM International API v2 and its OAuth2 token service for integration tests: two node:http
// servers, seeded with deterministic synthetic data (see ./etim/seed.ts), strict where the real services are
// strict (form-encoded token requests, client authentication, scope, bearer tokens that expire, exact body
// keys, paging limits, account languages), and recording every request for assertions.
//
//   const etim = await startEtimDouble();
//   configure Bastion with ETIM auth URL = etim.authUrl, API URL = etim.apiUrl,
//   client id/secret = ETIM_TEST_CLIENT_ID / ETIM_TEST_CLIENT_SECRET
//   expect(etim.tokenRequests).toHaveLength(1);
//   etim.rejectNextApiCall();                    // the next API call answers 401: Bastion must refresh and retry once
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EtimState } from './etim/model.js';
import { bareStatus, defaultFaultBody, HttpError, oauthError, unauthorized, unsupportedMediaType, validationFailed, type Answer } from './etim/problems.js';
import { matchRoute } from './etim/routes.js';
import { seed } from './etim/seed.js';

export type * from './etim/model.js';
export { ALLOWED_LANGUAGES, ETIM_CODES, LANGUAGES, RELEASES } from './etim/seed.js';
export { CHANGE } from './etim/views.js';
export { MAX_FROM, MAX_SIZE, MAX_WINDOW } from './etim/input.js';

export const ETIM_TEST_CLIENT_ID = 'bastion-test-client';
/** Contains "canary" so that leak checks can look for it in logs and tool output. */
export const ETIM_TEST_CLIENT_SECRET = 'canary-etim-secret-7Qp2Lx9';
export const ETIM_SCOPE = 'EtimApi';
export const ETIM_TOKEN_PATH = '/connect/token';
export const ETIM_API_PREFIX = '/api/v2';

export interface TokenRequestRecord {
  grantType?: string;
  clientId?: string;
  scope?: string;
  /** 'basic' when the request carried an `Authorization: Basic` header, else 'body'. */
  auth: 'body' | 'basic';
  status: number;
}

export interface ApiRequestRecord {
  method: string;
  /** Without the query string. */
  path: string;
  /** The parsed JSON body (or the raw text when it is not JSON); absent when the request had none. */
  body?: unknown;
  status: number;
  /** The bearer token presented, valid or not. */
  token?: string;
  /** True when a test-injected fault (failNext) answered instead of the API. */
  injected?: true;
}

export interface EtimFaultRule {
  /** HTTP method, or "*" for any. */
  method: string;
  /** Matched against the request path on both servers, e.g. "/api/v2/Class" or "/connect/token". */
  pathPrefix: string;
  count: number;
  status: number;
  /** An object is sent as JSON, a string as text; default: a ProblemDetails (API) or an OAuth2 error (token service). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface EtimDouble {
  /** Token service base (POST /connect/token). */
  authUrl: string;
  /** API base (POST /api/v2/...). */
  apiUrl: string;
  /** Every request to /connect/token, in arrival order. */
  tokenRequests: TokenRequestRecord[];
  /** Every request to the API server, in arrival order. */
  apiRequests: ApiRequestRecord[];
  /** The seeded data; tests may read or change it. */
  state: EtimState;
  /** expires_in of tokens issued from now on (default 3600). */
  setTokenLifetime(seconds: number): void;
  /** Tokens issued so far answer 401 from now on. */
  expireAllTokens(): void;
  /** The next `count` (default 1) API calls answer 401 even with a valid token. */
  rejectNextApiCall(count?: number): void;
  /** The next `count` (default 1) token requests answer `status` with `body` (default: an OAuth2 error). */
  failTokenEndpoint(status: number, body?: unknown, count?: number): void;
  /** Delays every token response by `ms`. */
  setTokenDelay(ms: number): void;
  failNext(rule: EtimFaultRule): void;
  close(): Promise<void>;
}

export interface EtimDoubleOptions {
  clientId?: string;
  clientSecret?: string;
  /** Accepted client authentication: form body (client_secret_post), HTTP Basic (client_secret_basic) or either (default). */
  secretIn?: 'body' | 'basic' | 'either';
  /** Languages the account may use (default EN, de-DE, nl-NL). */
  allowedLanguages?: string[];
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };
const NO_STORE = { 'Cache-Control': 'no-store, no-cache, max-age=0', Pragma: 'no-cache' };

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 section 2.3.1 and IdentityServer expect. */
function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeComponent(decoded.slice(0, colon)), secret: decodeComponent(decoded.slice(colon + 1)) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function write(res: ServerResponse, answer: Answer, defaults: Record<string, string>): void {
  const headers = { ...answer.headers };
  if (answer.body === undefined) {
    res.writeHead(answer.status, { 'Content-Length': '0', ...headers }).end();
    return;
  }
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  const type = typeof answer.body === 'string' ? { 'Content-Type': 'text/plain; charset=utf-8' } : defaults;
  res.writeHead(answer.status, { ...type, 'Content-Length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function shut(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

export async function startEtimDouble(options: EtimDoubleOptions = {}): Promise<EtimDouble> {
  const clientId = options.clientId ?? ETIM_TEST_CLIENT_ID;
  const clientSecret = options.clientSecret ?? ETIM_TEST_CLIENT_SECRET;
  const secretIn = options.secretIn ?? 'either';
  const state = seed(options.allowedLanguages);
  const tokenRequests: TokenRequestRecord[] = [];
  const apiRequests: ApiRequestRecord[] = [];
  const rules: Array<EtimFaultRule & { remaining: number }> = [];
  /** access token → epoch ms at which it stops working. */
  const tokens = new Map<string, number>();
  let lifetime = 3600;
  let tokenDelay = 0;
  let rejectCount = 0;
  const tokenFaults: Array<{ status: number; body: unknown; remaining: number }> = [];

  function takeFault(method: string, path: string): EtimFaultRule | undefined {
    const rule = rules.find(
      (candidate) => candidate.remaining > 0 && (candidate.method === '*' || candidate.method.toUpperCase() === method) && path.startsWith(candidate.pathPrefix),
    );
    if (rule) rule.remaining -= 1;
    return rule;
  }

  function faultAnswer(rule: { status: number; body?: unknown; headers?: Record<string, string> }, tokenService: boolean): Answer {
    const body = rule.body ?? defaultFaultBody(rule.status, tokenService);
    const headers = { ...(rule.status === 401 && !tokenService ? { 'WWW-Authenticate': 'Bearer' } : {}), ...rule.headers };
    return { status: rule.status, body, headers };
  }

  // ---- token service -------------------------------------------------------------------------------------

  function issueToken(form: URLSearchParams, basic: { id: string; secret: string } | undefined, hasBasicHeader: boolean): Answer {
    // Client authentication comes first, as in IdentityServer: a bad client never learns about grant or scope.
    let presented: { id: string; secret: string } | undefined;
    if (hasBasicHeader) presented = secretIn === 'body' ? undefined : basic;
    else if (form.has('client_id')) presented = secretIn === 'basic' ? undefined : { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
    if (!presented || presented.id !== clientId || presented.secret !== clientSecret) throw oauthError('invalid_client');

    if (form.get('grant_type') !== 'client_credentials') throw oauthError('unsupported_grant_type');

    // Without `scope` (or with an empty one) IdentityServer grants every scope the client may have; a named scope must be allowed.
    const requested = (form.get('scope') || ETIM_SCOPE).split(' ').filter(Boolean);
    if (requested.length === 0 || requested.some((scope) => scope !== ETIM_SCOPE)) throw oauthError('invalid_scope');

    const token = randomBytes(32).toString('base64url');
    tokens.set(token, Date.now() + lifetime * 1000);
    return {
      status: 200,
      body: { access_token: token, expires_in: lifetime, token_type: 'Bearer', scope: ETIM_SCOPE },
      headers: NO_STORE,
    };
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://etimauth.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '');
    if (path.toLowerCase() !== ETIM_TOKEN_PATH) {
      write(res, { status: 404 }, JSON_TYPE);
      return;
    }
    const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(req.headers['content-type'] ?? '');
    const form = isForm ? new URLSearchParams(raw) : new URLSearchParams();
    const hasBasicHeader = /^Basic\s/i.test(req.headers.authorization ?? '');
    const basic = parseBasic(req.headers.authorization);
    const entry: TokenRequestRecord = { auth: hasBasicHeader ? 'basic' : 'body', status: 0 };
    if (form.has('grant_type')) entry.grantType = form.get('grant_type')!;
    const presentedId = hasBasicHeader ? basic?.id : form.get('client_id') ?? undefined;
    if (presentedId !== undefined) entry.clientId = presentedId;
    if (form.has('scope')) entry.scope = form.get('scope')!;

    let answer: Answer;
    const rule = takeFault(method, url.pathname);
    const injected = tokenFaults.find((fault) => fault.remaining > 0);
    if (rule) answer = faultAnswer(rule, true);
    else if (injected) {
      injected.remaining -= 1;
      answer = faultAnswer(injected, true);
    } else if (method !== 'POST') answer = { status: 405, headers: { Allow: 'POST' } };
    else if (!isForm) answer = oauthError('invalid_request').answer;
    else {
      try {
        answer = issueToken(form, basic, hasBasicHeader);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        answer = error.answer;
      }
    }
    if (tokenDelay > 0) await sleep(tokenDelay);
    entry.status = answer.status;
    tokenRequests.push(entry);
    write(res, answer, JSON_TYPE);
  }

  // ---- API -----------------------------------------------------------------------------------------------

  function authenticate(token: string | undefined, header: string | undefined): void {
    if (rejectCount > 0) {
      rejectCount -= 1;
      throw unauthorized('The token is no longer valid');
    }
    if (!header) throw unauthorized();
    if (token === undefined) throw unauthorized();
    const expiresAt = tokens.get(token);
    if (expiresAt === undefined) throw unauthorized('The signature is invalid');
    if (Date.now() >= expiresAt) throw unauthorized(`The token expired at '${new Date(expiresAt).toISOString()}'`);
  }

  function dispatch(req: IncomingMessage, method: string, path: string, raw: string, token: string | undefined): Answer {
    const lower = path.toLowerCase();
    if (!lower.startsWith(`${ETIM_API_PREFIX.toLowerCase()}/`)) throw bareStatus(404);
    const { route, methodNotAllowed } = matchRoute(method, path.slice(ETIM_API_PREFIX.length));
    if (!route) throw methodNotAllowed ? bareStatus(405, { Allow: method === 'GET' ? 'POST' : 'GET' }) : bareStatus(404);
    authenticate(token, req.headers.authorization);
    let body: unknown;
    if (route.method === 'POST') {
      const type = req.headers['content-type'] ?? '';
      if (!/^(application\/(json|[\w.+-]+\+json)|text\/json)\s*(;|$)/i.test(type)) throw unsupportedMediaType();
      if (!raw.trim()) throw validationFailed({ '': ['A non-empty request body is required.'] });
      const parsed = parseJson(raw);
      if (!parsed.ok) throw validationFailed({ $: [`${parsed.message} Path: $.`], input: ['The input field is required.'] });
      body = parsed.value;
    }
    return route.handler({ state, body, path });
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://etimapi.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: ApiRequestRecord = { method, path: url.pathname, status: 0 };
    if (raw) {
      const parsed = parseJson(raw);
      entry.body = parsed.ok ? parsed.value : raw;
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (bearer) entry.token = bearer[1]!;

    let answer: Answer;
    const rule = takeFault(method, url.pathname);
    if (rule) {
      answer = faultAnswer(rule, false);
      entry.injected = true;
    } else {
      try {
        answer = dispatch(req, method, url.pathname, raw, entry.token);
      } catch (error) {
        if (error instanceof HttpError) answer = error.answer;
        else answer = { status: 500, body: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: error instanceof Error ? error.message : String(error) } };
      }
    }
    entry.status = answer.status;
    apiRequests.push(entry);
    write(res, answer, JSON_TYPE);
  }

  const authServer = createServer((req, res) => {
    handleToken(req, res).catch(() => res.destroy());
  });
  const apiServer = createServer((req, res) => {
    handleApi(req, res).catch(() => res.destroy());
  });
  const [authUrl, apiUrl] = await Promise.all([listen(authServer), listen(apiServer)]);

  return {
    authUrl,
    apiUrl,
    tokenRequests,
    apiRequests,
    state,
    setTokenLifetime: (seconds) => {
      lifetime = seconds;
    },
    expireAllTokens: () => {
      const past = Date.now() - 1;
      for (const token of tokens.keys()) tokens.set(token, Math.min(tokens.get(token)!, past));
    },
    rejectNextApiCall: (count = 1) => {
      rejectCount += count;
    },
    failTokenEndpoint: (status, body, count = 1) => {
      tokenFaults.push({ status, body, remaining: count });
    },
    setTokenDelay: (ms) => {
      tokenDelay = ms;
    },
    failNext: (rule) => {
      rules.push({ ...rule, remaining: rule.count });
    },
    close: async () => {
      await Promise.all([shut(authServer), shut(apiServer)]);
    },
  };
}
