// Error answers of the ETIM double. The API is ASP.NET Core: errors are RFC 7807 ProblemDetails
// (`application/problem+json`), model-validation failures are ValidationProblemDetails with an `errors` map,
// and authentication failures are a bare 401 with a `WWW-Authenticate` challenge, as the JWT bearer handler sends.
// The token service is IdentityServer-style: `{"error": "<OAuth2 error code>"}` with status 400.
import { randomBytes } from 'node:crypto';

export interface Answer {
  status: number;
  /** Serialised as JSON; undefined answers with an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(readonly answer: Answer) {
    super(`HTTP ${answer.status}`);
  }
}

const PROBLEM = { 'Content-Type': 'application/problem+json; charset=utf-8' };

const TYPES: Record<number, [string, string]> = {
  400: ['https://tools.ietf.org/html/rfc7231#section-6.5.1', 'Bad Request'],
  401: ['https://tools.ietf.org/html/rfc7235#section-3.1', 'Unauthorized'],
  403: ['https://tools.ietf.org/html/rfc7231#section-6.5.3', 'Forbidden'],
  404: ['https://tools.ietf.org/html/rfc7231#section-6.5.4', 'Not Found'],
  405: ['https://tools.ietf.org/html/rfc7231#section-6.5.5', 'Method Not Allowed'],
  415: ['https://tools.ietf.org/html/rfc7231#section-6.5.13', 'Unsupported Media Type'],
  429: ['https://tools.ietf.org/html/rfc6585#section-4', 'Too Many Requests'],
  500: ['https://tools.ietf.org/html/rfc7231#section-6.6.1', 'An error occurred while processing your request.'],
  502: ['https://tools.ietf.org/html/rfc7231#section-6.6.3', 'Bad Gateway'],
  503: ['https://tools.ietf.org/html/rfc7231#section-6.6.4', 'Service Unavailable'],
  504: ['https://tools.ietf.org/html/rfc7231#section-6.6.5', 'Gateway Timeout'],
};

/** A W3C trace id, as ASP.NET Core adds to every problem body. */
export function traceId(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

export function problemBody(status: number, detail?: string, instance?: string): Record<string, unknown> {
  const [type, title] = TYPES[status] ?? ['about:blank', `HTTP ${status}`];
  const body: Record<string, unknown> = { type, title, status };
  if (detail !== undefined) body.detail = detail;
  if (instance !== undefined) body.instance = instance;
  body.traceId = traceId();
  return body;
}

export function problem(status: number, detail?: string, instance?: string): HttpError {
  return new HttpError({ status, body: problemBody(status, detail, instance), headers: PROBLEM });
}

export function notFound(detail: string, instance?: string): HttpError {
  return problem(404, detail, instance);
}

export function badRequest(detail: string, instance?: string): HttpError {
  return problem(400, detail, instance);
}

/** ASP.NET Core's automatic 400 for invalid input: field → messages. */
export function validationFailed(errors: Record<string, string[]>): HttpError {
  return new HttpError({
    status: 400,
    body: {
      type: TYPES[400]![0],
      title: 'One or more validation errors occurred.',
      status: 400,
      errors,
      traceId: traceId(),
    },
    headers: PROBLEM,
  });
}

export function unsupportedMediaType(): HttpError {
  return problem(415);
}

/** Routing misses carry no body in ASP.NET Core. */
export function bareStatus(status: number, headers?: Record<string, string>): HttpError {
  return new HttpError({ status, headers });
}

/** The JWT bearer challenge: empty body, reason in `WWW-Authenticate`. */
export function unauthorized(reason?: string): HttpError {
  return bareStatus(401, { 'WWW-Authenticate': reason ? `Bearer error="invalid_token", error_description="${reason}"` : 'Bearer' });
}

/** An OAuth2 error from the token service. */
export function oauthError(error: string, status = 400): HttpError {
  return new HttpError({ status, body: { error }, headers: { 'Cache-Control': 'no-store, no-cache, max-age=0', Pragma: 'no-cache' } });
}

/** Body used when a test injects a failure without giving one. */
export function defaultFaultBody(status: number, tokenService: boolean): unknown {
  if (tokenService) return { error: status >= 500 ? 'server_error' : 'invalid_request' };
  if (status === 401) return undefined;
  return problemBody(status);
}
