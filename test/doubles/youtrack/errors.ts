// Error answers in YouTrack's shape: {"error": "<machine code>", "error_description": "<text>"}.
// Codes and texts follow the JetBrains REST API troubleshooting pages where those exist.

export interface ErrorBody {
  error: string;
  error_description: string;
  error_children?: Array<{ error: string; error_description: string; error_developer_message: string }>;
  error_developer_message?: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error_description);
  }
}

export function badRequest(description: string): HttpError {
  return new HttpError(400, { error: 'bad_request', error_description: description });
}

/** Validation failures on an entity, e.g. a missing required field (as on the conditional-field troubleshooting page). */
export function invalidProperties(description: string, child = 'Issue-is-invalid'): HttpError {
  return new HttpError(400, {
    error: 'invalid_properties',
    error_description: description,
    error_children: [{ error: child, error_description: description, error_developer_message: description }],
  });
}

export function notFound(description = 'HTTP 404 Not Found'): HttpError {
  return new HttpError(404, { error: 'Not Found', error_description: description });
}

export function entityNotFound(id: string): HttpError {
  return notFound(`Entity with id ${id} not found`);
}

export function methodNotAllowed(): HttpError {
  return new HttpError(405, { error: 'Method Not Allowed', error_description: 'HTTP 405 Method Not Allowed' });
}

export function forbidden(description: string): HttpError {
  return new HttpError(403, { error: 'Forbidden', error_description: description });
}

/** The body recorded from a real 2026.1 for an unknown token (test/fixtures/youtrack/error-401-invalid-token.json). */
export function unauthorized(): HttpError {
  return new HttpError(401, { error: 'Unauthorized', error_description: 'Invalid token' });
}

export function unsupportedMediaType(): HttpError {
  return new HttpError(415, { error: 'Unsupported Media Type', error_description: 'HTTP 415 Unsupported Media Type' });
}

export function serverError(description: string): HttpError {
  return new HttpError(500, { error: 'server_error', error_description: description });
}

/** The body used when a test injects a failure without giving one. */
export function defaultErrorBody(status: number): ErrorBody {
  const texts: Record<number, [string, string]> = {
    400: ['bad_request', 'Bad request'],
    401: ['Unauthorized', 'Invalid token'],
    403: ['Forbidden', 'HTTP 403 Forbidden'],
    404: ['Not Found', 'HTTP 404 Not Found'],
    429: ['Too Many Requests', 'HTTP 429 Too Many Requests'],
    500: ['server_error', 'Internal server error'],
    502: ['Bad Gateway', 'HTTP 502 Bad Gateway'],
    503: ['Service Unavailable', 'HTTP 503 Service Unavailable'],
    504: ['Gateway Timeout', 'HTTP 504 Gateway Timeout'],
  };
  const [error, description] = texts[status] ?? ['server_error', `HTTP ${status}`];
  return { error, error_description: description };
}
