// Extra request headers for one connector's upstream (a gateway's key, a tenant header), from <CONNECTOR>_EXTRA_HEADERS
// or <CONNECTOR>_EXTRA_HEADERS_FILE: a JSON object ({"X-Gateway-Key": "..."}) or "Name: value" lines. Their values
// may be credentials, so they are held as Secrets (registered with the scrubber, never logged or shown), and the
// headers that carry Bastion's own credential or shape the request cannot be replaced through them.
import type { Settings } from './config.js';
import { ConfigError } from './errors.js';
import { registerSecret } from './redact.js';
import { readSecretFile, Secret } from './secrets.js';

/** Headers no connector may take from this setting: credentials, the target host and the message framing. */
const ALWAYS_PROTECTED = ['authorization', 'proxy-authorization', 'host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'keep-alive', 'expect'];

/** An RFC 9110 field name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class ExtraHeaders {
  constructor(
    readonly variable: string,
    private readonly entries: ReadonlyArray<readonly [name: string, value: Secret]>,
  ) {}

  /** The header names (never the values), for doctor. */
  get names(): string[] {
    return this.entries.map(([name]) => name);
  }

  /** The headers to send; only the HTTP client calls this. */
  reveal(): Record<string, string> {
    return Object.fromEntries(this.entries.map(([name, value]) => [name, value.reveal()]));
  }
}

/** Parses the setting's text; `protectedNames` adds the connector's own credential header (e.g. X-Redmine-API-Key). */
export function parseExtraHeaders(variable: string, raw: string, protectedNames: string[] = []): ExtraHeaders {
  registerSecret(raw.trim());
  const refuse = (why: string): never => {
    throw new ConfigError(`${variable}: ${why}.`, `write ${variable} as "Name: value" lines or a JSON object such as {"X-Gateway-Key": "..."}`);
  };
  let pairs: Array<[string, string]>;
  const text = raw.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      refuse('starts with "{" but is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) refuse('must be a JSON object of header names to values');
    pairs = Object.entries(parsed as Record<string, unknown>).map(([name, value]) => {
      if (typeof value !== 'string') refuse(`the value of ${name} must be a string`);
      return [name, value as string];
    });
  } else {
    // A client's JSON `env` often cannot hold real line breaks: a literal \n separates lines too.
    pairs = text.split(/\r?\n|\\n/).filter((line) => line.trim()).map((line) => {
      const colon = line.indexOf(':');
      if (colon <= 0) refuse(`the line starting "${line.trim().split(/\s/)[0]!.slice(0, 40)}" has no "Name: value" form`);
      return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    });
  }
  const forbidden = new Set([...ALWAYS_PROTECTED, ...protectedNames.map((name) => name.toLowerCase())]);
  const seen = new Set<string>();
  const entries = pairs.map(([name, value]) => {
    if (!TOKEN.test(name)) refuse(`"${name.slice(0, 40)}" is not a valid header name`);
    const lower = name.toLowerCase();
    if (forbidden.has(lower)) refuse(`${name} cannot be set here: Bastion sets it itself (the credential has its own setting)`);
    if (seen.has(lower)) refuse(`${name} is given twice`);
    seen.add(lower);
    if (!value || /[\r\n\0]/.test(value)) refuse(`the value of ${name} is empty or has a line break`);
    return [name, new Secret(value, 'env', variable)] as const;
  });
  return new ExtraHeaders(variable, entries);
}

/** The connector's extra headers from NAME or NAME_FILE (a mode-600 file), or undefined when neither is set. */
export function extraHeadersFromSettings(
  settings: Settings,
  variable: string,
  protectedNames: string[],
  options: { allowInsecureSecretFiles: boolean },
): ExtraHeaders | undefined {
  const direct = settings.values[variable];
  const file = settings.values[`${variable}_FILE`];
  if (direct && file) throw new ConfigError(`Both ${variable} and ${variable}_FILE are set; keep only one.`);
  if (file) return parseExtraHeaders(variable, readSecretFile(file, { allowInsecureMode: options.allowInsecureSecretFiles, variable: `${variable}_FILE` }).value, protectedNames);
  return direct ? parseExtraHeaders(variable, direct, protectedNames) : undefined;
}
