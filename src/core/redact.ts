// The one scrubber. Every log line, error message, audit record and tool result passes through here.
// It removes every secret value Bastion knows, in the encodings text is likely to carry it in, plus
// credential-shaped text it does not know.

const REDACTED = '[REDACTED]';
const knownSecrets = new Set<string>();
let textScrubber: Scrubber | undefined;
let bytesScrubber: Scrubber | undefined;

/** Secrets shorter than this are not scrubbed by value (too likely to hit ordinary text); patterns still apply. */
const MIN_SECRET_LENGTH = 4;
/**
 * Secrets at least this long are also found encoded, spaced out, truncated and inside base64 at any alignment;
 * shorter ones only as written, JSON-escaped, URL-encoded and base64-encoded whole (looser forms of a short
 * value would hit ordinary text).
 */
const MIN_ENCODED_LENGTH = 8;

/**
 * How much of a secret (or of one of its base64 forms) is enough to scrub it as the secret: 16 characters or two
 * thirds of it, whichever is longer (never more than all of it). A 40-character API key is found from its first
 * 27 characters; what is left unscrubbed is too short to be worth guessing the rest from.
 */
export function minimumPrefix(length: number): number {
  return Math.min(length, Math.max(16, Math.ceil((length * 2) / 3)));
}

/**
 * Registers a secret value so it is scrubbed from all output. Besides the value as written, every secret of 8
 * characters or more is found: JSON-escaped, URL-encoded, as hex (any case, optionally as \x or % escapes), as
 * HTML character references (&#x61; and &#97;), as \u escapes, character by character split by spaces, dashes
 * or similar separators, any mix of these, truncated to a long prefix (see minimumPrefix), and in base64 and
 * base64url at every byte alignment (so also inside HTTP Basic credentials "user:secret").
 */
export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH || knownSecrets.has(value)) return;
  knownSecrets.add(value);
  textScrubber = undefined;
  bytesScrubber = undefined;
}

/** For tests only: forgets registered secrets. */
export function clearRegisteredSecrets(): void {
  knownSecrets.clear();
  textScrubber = undefined;
  bytesScrubber = undefined;
}

/** For tests only: how many secret values the scrubber holds. */
export function registeredSecretCount(): number {
  return knownSecrets.size;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Hex digits that match in either case. */
const anyCaseHex = (hex: string): string => hex.replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);

// Characters that may separate the characters of a spaced-out secret ("c a f e", "ca-fe", "ca:fe").
const SEPARATORS = ' \t\r\n-_.:,';

/** Named HTML references and JSON escapes of the characters that have them. */
const EXTRA_FORMS: Record<string, string[]> = {
  '&': ['&amp;'],
  '<': ['&lt;', '\\u003c'],
  '>': ['&gt;', '\\u003e'],
  '"': ['&quot;', '\\"'],
  "'": ['&apos;'],
  '\\': ['\\\\'],
  '/': ['\\/'],
  ' ': ['+'],
};

/**
 * A pattern for one character of a secret in any of the forms it may take in text: as written (`literal`: the
 * character, or its UTF-8 bytes when bytes are scrubbed), as \x or % escaped bytes, as HTML character references or
 * as \u escapes. (Bare hex is a form of its own: mixed with plain characters it could be read two ways.)
 */
function characterPattern(char: string, literal: string): string {
  const code = char.codePointAt(0)!;
  const hexCode = anyCaseHex(code.toString(16));
  const bytes = hexBytes(char).map((pair) => `(?:\\\\x|%)${pair}`).join('');
  const forms = [escapeRegExp(literal), bytes, `&#[xX]0*${hexCode};`, `&#0*${code};`];
  if (code <= 0xffff) forms.push(`\\\\u0*${hexCode}`);
  forms.push(`\\\\u\\{0*${hexCode}\\}`);
  for (const extra of EXTRA_FORMS[char] ?? []) forms.push(escapeRegExp(extra));
  return `(?:${forms.join('|')})`;
}

/** The UTF-8 bytes of a character as hex pairs that match in either case. */
const hexBytes = (char: string): string[] => [...Buffer.from(char, 'utf8')].map((byte) => anyCaseHex(byte.toString(16).padStart(2, '0')));

/** `units` in order, the first `required` of them needed and the rest optional, as far as they go, with `gap` between. */
function prefixPattern(units: string[], required: number, gap: string): string {
  let tail = '';
  for (let i = units.length - 1; i >= required; i--) tail = `(?:${gap}${units[i]}${tail})?`;
  return units.slice(0, required).join(gap) + tail;
}

/** The parts of the base64 of `bytes` that stay the same wherever the bytes sit in a longer value (3 alignments). */
function base64Cores(bytes: Buffer): string[] {
  const cores = new Set<string>();
  // With k bytes before it, the first k+1 characters mix in other bits and the last full character ends the secret.
  for (const [before, skip] of [[0, 0], [1, 2], [2, 3]] as const) {
    const encoded = Buffer.concat([Buffer.alloc(before), bytes]).toString('base64');
    const core = encoded.slice(skip, Math.floor(((before + bytes.length) * 8) / 6));
    cores.add(core);
    cores.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...cores];
}

/** How many characters of a form's start the cheap test looks for: enough to rule out chance hits. */
const HINT_LENGTH = 8;

interface Forms {
  /** Matches every form. */
  full: string;
  /**
   * Match the start of every form without escapes: as written (spaced out from the second character on), spaced
   * out from the first, as hex, and in base64.
   */
  plain: string[];
  spaced: string[];
  hex: string[];
  base64: string[];
  /** Escapes only some forms contain; text that has one is always searched with `full`. */
  markers: string[];
}

/** Every form of one secret. `bytes`: for binary data read as latin1 (one character per byte). */
function secretForms(secret: string, bytes: boolean): Forms {
  const chars = [...secret];
  const utf8 = Buffer.from(secret, 'utf8');
  const literal = (text: string): string => (bytes ? Buffer.from(text, 'utf8').toString('latin1') : text);
  if (chars.length < MIN_ENCODED_LENGTH) {
    const forms = [...new Set([literal(secret), JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), utf8.toString('base64'), utf8.toString('base64url')])];
    const full = forms.map(escapeRegExp).join('|');
    // Stryker disable next-line ArrayDeclaration: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
    return { full, plain: [full], spaced: [], hex: [], base64: [], markers: [] };
  }
  const required = minimumPrefix(chars.length);
  // A separator the secret itself contains could be read two ways at every step, so it does not count as one.
  const separators = [...SEPARATORS].filter((sep) => !secret.includes(sep)).map(escapeRegExp).join('');
  const gap = separators ? `[${separators}]{0,2}` : '';
  const hexUnits = chars.map((char) => hexBytes(char).join(gap));
  const full = [prefixPattern(chars.map((char) => characterPattern(char, literal(char))), required, gap), prefixPattern(hexUnits, required, gap)];
  const start = chars.slice(0, HINT_LENGTH);
  // Stryker disable next-line ArrayDeclaration: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
  const base64: string[] = [];
  for (const core of base64Cores(utf8)) {
    const coreRequired = minimumPrefix(core.length);
    full.push(prefixPattern([...core].map(escapeRegExp), coreRequired, ''));
    base64.push(escapeRegExp(core.slice(0, HINT_LENGTH)));
  }
  // Stryker disable next-line StringLiteral: the hints only decide whether the full patterns run; a hint that matches more text (an empty alternative matches all) only runs them more often, and the full patterns alone decide what is removed.
  const markers = ['&#', '\\\\u', '\\\\x', '%'];
  // Stryker disable next-line ArrayDeclaration: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
  for (const char of new Set(chars)) for (const extra of EXTRA_FORMS[char] ?? []) markers.push(escapeRegExp(extra));
  return {
    full: full.join('|'),
    // Two plain characters first let V8 skip through text quickly; the spaced hint covers a gap right after the first.
    // Stryker disable next-line ArrowFunction: the hints only decide whether the full patterns run; a hint that matches more text (an empty alternative matches all) only runs them more often, and the full patterns alone decide what is removed.
    plain: [start.map((char) => escapeRegExp(literal(char))).join(gap).replace(gap, '')],
    // Stryker disable next-line ArrowFunction,ArrayDeclaration: the hints only decide whether the full patterns run; a hint that matches more text (an empty alternative matches all) only runs them more often, and the full patterns alone decide what is removed.
    spaced: gap ? [start.map((char) => escapeRegExp(literal(char))).join(gap).replace(gap, `[${separators}]{1,2}`)] : [],
    hex: [hexUnits.slice(0, HINT_LENGTH).join(gap)],
    base64,
    markers,
  };
}

interface Scrubber {
  /** Cheap tests of whether any form of any secret can be in a text: a form's start, or an escape. */
  hints: RegExp[];
  markers: RegExp | undefined;
  /** Per secret, longest first (so a secret that contains another is removed whole): its own hint and all forms. */
  secrets: Array<{ hint: RegExp; full: RegExp }>;
}

function compile(bytes: boolean): Scrubber | undefined {
  // Stryker disable next-line ConditionalExpression: with no secret the compiled scrubber has no hint and no pattern, and changes nothing either.
  if (knownSecrets.size === 0) return undefined;
  const forms = [...knownSecrets].sort((a, b) => b.length - a.length).map((secret) => secretForms(secret, bytes));
  // Stryker disable next-line ArrayDeclaration: an empty alternation matches every text: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
  const either = (patterns: string[]) => new RegExp([...new Set(patterns)].join('|'));
  // Stryker disable next-line ArrowFunction: the hints only decide whether the full patterns run; a hint that matches more text (an empty alternative matches all) only runs them more often, and the full patterns alone decide what is removed.
  const markers = forms.flatMap((f) => f.markers);
  // One test per alphabet: V8 runs a few small alternations faster than one large one.
  // Stryker disable next-line ArrowFunction,MethodExpression: the hints only decide whether the full patterns run; a hint that matches more text (an empty alternative matches all) only runs them more often, and the full patterns alone decide what is removed.
  const hints = [forms.flatMap((f) => f.plain), forms.flatMap((f) => f.spaced), forms.flatMap((f) => f.hex), forms.flatMap((f) => f.base64)]
    .filter((h) => h.length)
    .map(either);
  return {
    hints,
    markers: markers.length ? either(markers) : undefined,
    // Stryker disable next-line ArrayDeclaration: the hints only decide whether the full patterns run; a hint that matches more text (an empty alternative matches all) only runs them more often, and the full patterns alone decide what is removed.
    secrets: forms.map((f) => ({ hint: either([...f.plain, ...f.spaced, ...f.hex, ...f.base64]), full: new RegExp(f.full, 'g') })),
  };
}

/** The text with every form of every known secret replaced. */
function scrubKnown(text: string, scrubber: Scrubber | undefined): string {
  if (!scrubber) return text;
  // The full patterns are slow (they try every form at every position), so they run only where a form can be:
  // most text fails the shared hints, and otherwise only the secrets whose own hint is there are searched for.
  // Stryker disable next-line BooleanLiteral: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
  const escaped = scrubber.markers?.test(text) ?? false;
  // Stryker disable next-line ConditionalExpression: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
  if (!escaped && !scrubber.hints.some((hint) => hint.test(text))) return text;
  let out = text;
  // Stryker disable next-line ConditionalExpression: the hints only decide whether the full patterns run; a hint that matches more text only runs them more often, and the full patterns alone decide what is removed.
  for (const { hint, full } of scrubber.secrets) if (escaped || hint.test(out)) out = out.replace(full, REDACTED);
  return out;
}

const SECRET_NAMES = 'api[ _-]?key|apikey|x-redmine-api-key|password|passwd|pwd|secret|client[_-]?secret|access[_-]?token|refresh[_-]?token|token|authorization';

// Every repetition is bounded, so no pattern backtracks quadratically on long runs without spaces (base64 bodies).
// A cheap test of whether a pattern can match at all, so most text skips the expensive ones.
const MENTIONS_SECRET_NAME = /api|key|pass|pwd|secret|token|authoriz/i;
const mentions = (needle: string) => (text: string) => text.includes(needle);
// Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: a cheap gate: the pattern it guards needs both "://" and "@", so opening the gate wider changes nothing.
const hasCredentialUrl = (text: string) => text.includes('://') && text.includes('@');
const mentionsAuthScheme = (text: string) => /bearer|basic/i.test(text);
const mentionsSecretName = (text: string) => MENTIONS_SECRET_NAME.test(text);

// One Digest parameter: name=value, the value quoted, quoted with JSON-escaped quotes (inside a JSON string), or bare.
const DIGEST_PARAM = String.raw`[\w-]{1,64}=(?:"[^"\r\n]{0,1024}"|\\"(?:[^"\\\r\n]|\\[^"]){0,1024}\\"|[^\s,]{0,1024})`;

const PATTERNS: Array<[(text: string) => boolean, RegExp, string]> = [
  // Signed JWTs ("eyJ" is the base64 of '{"'), wherever they appear, so inbound tokens need not be registered one by one.
  [mentions('eyJ'), /\beyJ[A-Za-z0-9_-]{2,4096}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,4096}/g, REDACTED],
  // PEM private keys: the whole block, or, when its end line is missing, the key material up to the first other character.
  [mentions('-----BEGIN'), /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|(?:[A-Za-z0-9+/=\s]|\\[nr])*)/g, REDACTED],
  // Digest credentials are a list of parameters (username="…", response="…"): all of them go, not only the first.
  [mentionsSecretName, new RegExp(`\\b(authorization["']?\\s{0,8}[:=]\\s{0,8})Digest\\s+${DIGEST_PARAM}(?:,?\\s{0,8}${DIGEST_PARAM}){0,31}`, 'gi'), `$1${REDACTED}`],
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
  textScrubber ??= compile(false);
  return scrubText(text, textScrubber);
}

/**
 * Binary data with every known secret's bytes (in all the forms `redact` finds) and credential-shaped text
 * replaced by the bytes of [REDACTED], for data that is shown encoded (base64), where the text scrubber could not
 * see them. Returns the same buffer when nothing was found.
 */
export function redactBytes(data: Buffer): Buffer {
  bytesScrubber ??= compile(true);
  // latin1 maps each byte to one character and back, so byte patterns are text patterns.
  const text = data.toString('latin1');
  const out = scrubText(text, bytesScrubber);
  return out === text ? data : Buffer.from(out, 'latin1');
}

function scrubText(text: string, scrubber: Scrubber | undefined): string {
  let out = scrubKnown(text, scrubber);
  // Stryker disable next-line ConditionalExpression: each gate only skips text its pattern cannot match, so running the pattern anyway changes nothing.
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
