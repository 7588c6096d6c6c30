// The one scrubber. Every log line, error message, audit record and tool result passes through here.
// It removes every secret value Bastion knows, plus credential-shaped text it does not know.

const REDACTED = '[REDACTED]';
const knownSecrets = new Set<string>();
let knownSecretsPattern: RegExp | undefined;

/** Secrets shorter than this are not scrubbed by value (too likely to hit ordinary text); patterns still apply. */
const MIN_SECRET_LENGTH = 4;

/** Registers a secret value so it is scrubbed from all output, in its plain, JSON-escaped, URL- and base64-encoded forms. */
export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  const forms = [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
  ];
  for (const form of forms) knownSecrets.add(form);
  knownSecretsPattern = undefined;
}

/** For tests only: forgets registered secrets. */
export function clearRegisteredSecrets(): void {
  knownSecrets.clear();
  knownSecretsPattern = undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function secretsPattern(): RegExp | undefined {
  if (knownSecrets.size === 0) return undefined;
  // Longest first, so a secret that contains another is removed whole.
  knownSecretsPattern ??= new RegExp(
    [...knownSecrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
    'g',
  );
  return knownSecretsPattern;
}

const SECRET_NAMES = 'api[ _-]?key|apikey|x-redmine-api-key|password|passwd|pwd|secret|client[_-]?secret|access[_-]?token|refresh[_-]?token|token|authorization';

// Every repetition is bounded, so no pattern backtracks quadratically on long runs without spaces (base64 bodies).
// A cheap test of whether a pattern can match at all, so most text skips the expensive ones.
const MENTIONS_SECRET_NAME = /api|key|pass|pwd|secret|token|authoriz/i;
const mentions = (needle: string) => (text: string) => text.includes(needle);
const hasCredentialUrl = (text: string) => text.includes('://') && text.includes('@');
const mentionsAuthScheme = (text: string) => /bearer|basic/i.test(text);
const mentionsSecretName = (text: string) => MENTIONS_SECRET_NAME.test(text);

const PATTERNS: Array<[(text: string) => boolean, RegExp, string]> = [
  // PEM private keys: the whole block, or, when its end line is missing, the key material up to the first other character.
  [mentions('-----BEGIN'), /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|(?:[A-Za-z0-9+/=\s]|\\[nr])*)/g, REDACTED],
  // An Authorization header's whole value, whatever its scheme.
  [mentionsSecretName, /\b(authorization["']?\s{0,8}[:=]\s{0,8})(?:(?:Bearer|Basic|Token|Digest)\s+)?[^\s"',;}]{1,4096}/gi, `$1${REDACTED}`],
  // Bearer and Basic credentials: as written in headers ("Bearer xyz"), or, in any case, token-like values
  // (12+ characters with a digit or symbol), so that prose such as "the basic workflow" stays readable.
  [mentionsAuthScheme, /\b(Bearer|Basic) +[A-Za-z0-9._~+/=-]{8,4096}/g, `$1 ${REDACTED}`],
  [mentionsAuthScheme, /\b(Bearer|Basic)\s+(?=[A-Za-z]{0,4096}[0-9._~+/=-])[A-Za-z0-9._~+/=-]{12,4096}/gi, `$1 ${REDACTED}`],
  // URLs with credentials: scheme://user:pass@host (user and password cannot span quotes or commas of JSON).
  [hasCredentialUrl, /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/@:"',<>]{1,256}:[^\s/@"',<>]{1,256}@/gi, `$1${REDACTED}@`],
  // "key": "quoted value" for credential-like names: the whole quoted value, spaces and commas included.
  [mentionsSecretName, new RegExp(`((?<![\\w/.-])(?:${SECRET_NAMES})["']?\\s{0,8}[:=]\\s{0,8})"(?:[^"\\\\\\n]|\\\\.){0,4096}"`, 'gi'), `$1"${REDACTED}"`],
  [mentionsSecretName, new RegExp(`((?<![\\w/.-])(?:${SECRET_NAMES})["']?\\s{0,8}[:=]\\s{0,8})'(?:[^'\\\\\\n]|\\\\.){0,4096}'`, 'gi'), `$1'${REDACTED}'`],
  // key: value, key=value (unquoted) for credential-like names.
  [mentionsSecretName, new RegExp(`((?<![\\w/.-])(?:${SECRET_NAMES})["']?\\s{0,8}[:=]\\s{0,8})(?!"\\[REDACTED\\]|'\\[REDACTED\\]|\\[REDACTED\\]|(?:Bearer|Basic)\\s)[^\\s"',&;}]{1,4096}`, 'gi'), `$1${REDACTED}`],
  // "api key <value>" with a space: only when the value looks like a key (long, with a digit).
  [mentionsSecretName, /\b(api[ _-]?key\s{1,8})(?=[A-Za-z._~+/=-]{0,4096}\d)[A-Za-z0-9._~+/=-]{16,4096}/gi, `$1${REDACTED}`],
];

/** Returns the text with every known secret and credential-shaped fragment replaced by [REDACTED]. */
export function redact(text: string): string {
  let out = text;
  const known = secretsPattern();
  if (known) out = out.replace(known, REDACTED);
  for (const [applies, pattern, replacement] of PATTERNS) if (applies(out)) out = out.replace(pattern, replacement);
  return out;
}

const SECRET_KEY = /^(api[_-]?key|apikey|password|passwd|secret|client[_-]?secret|token|access[_-]?token|refresh[_-]?token|authorization|private[_-]?key)$/i;

/** Deep copy of a JSON-like value with secrets removed: credential-named fields dropped to [REDACTED], strings scrubbed. */
export function redactDeep<T>(value: T): T {
  return scrub(value, 0) as T;
}

function scrub(value: unknown, depth: number): unknown {
  if (depth > 64) return REDACTED;
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && item !== '' ? REDACTED : scrub(item, depth + 1);
    }
    return out;
  }
  return value;
}
