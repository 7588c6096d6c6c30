// Error kinds the pipeline knows how to show. Their messages are written for the user and pass through redaction.

/** A setting is missing or invalid; Bastion refuses to start and says which. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    /** The remedy on its own, where one command or setting fixes it (shown by doctor). */
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** The call is refused by policy (read-only, allow/deny lists, scope). Nothing was sent upstream. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** The tool's input is valid by schema but cannot be used (e.g. an unknown custom field name). Nothing changed. */
export class InputError extends Error {
  override name = 'InputError';
}

export type UpstreamErrorKind =
  | 'http'
  | 'network'
  | 'timeout'
  | 'cancelled'
  | 'tls'
  | 'too_large'
  | 'redirect'
  /** The destination is link-local or cloud metadata (BASTION_ALLOW_LINK_LOCAL): nothing was sent. */
  | 'egress'
  | 'bad_response';

/** The upstream system failed or refused; the message says what happened and, where known, what to do. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    readonly kind: UpstreamErrorKind,
    readonly status?: number,
    /** Upstream's own error details (already parsed, e.g. Redmine's 422 `errors`). */
    readonly details: string[] = [],
  ) {
    super(message);
  }

  /** A change failed after it may have reached the server: whether it was applied is unknown. */
  maybeApplied = false;
  /** The system error code of a connection failure (ECONNREFUSED ...), when there is one. */
  code?: string;
}

/** Errors whose message is meant for the user (everything else is reported as an internal error). */
export function isUserFacing(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof PolicyError || error instanceof InputError || error instanceof UpstreamError;
}
