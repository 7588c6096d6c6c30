// Credentials are read once, held as opaque Secret values, and registered with the scrubber.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { registerSecret } from './redact.js';
import { ConfigError } from './errors.js';

export type SecretSource = 'env' | 'env-file' | 'file' | 'keyring' | 'dotenv' | 'config' | 'vault';

/** An opaque credential: prints as [REDACTED] everywhere; only `reveal()` gives the value, for request headers. */
export class Secret {
  readonly #value: string;
  /** Where the value came from (never the value itself). */
  readonly source: SecretSource;
  /** The variable or path it was read from, for `doctor` and error messages. */
  readonly origin: string;

  /** Short, stable identifier of the credential for audit records: first 8 hex of its SHA-256. */
  readonly fingerprint: string;
  /** The file the value was read from (a NAME_FILE, token file, .env or config file), for doctor's mode check. */
  readonly file?: string;

  constructor(value: string, source: SecretSource, origin: string, file?: string) {
    this.#value = value;
    this.source = source;
    this.origin = origin;
    this.file = file;
    this.fingerprint = fingerprint(value);
    registerSecret(value);
  }

  reveal(): string {
    return this.#value;
  }

  /** `***` plus the last 4 characters (nothing but `***` for 8 characters or fewer). */
  get masked(): string {
    return mask(this.#value);
  }

  toString(): string {
    return '[REDACTED]';
  }

  toJSON(): string {
    return '[REDACTED]';
  }

  [inspect.custom](): string {
    return 'Secret([REDACTED])';
  }
}

export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

export function mask(value: string): string {
  return value.length <= 8 ? '***' : `***${value.slice(-4)}`;
}

export interface SecretFileOptions {
  /** Accept a file readable by group or others (a warning is logged by the caller). */
  allowInsecureMode?: boolean;
  /** The setting that named the file (REDMINE_API_KEY_FILE, YOUTRACK_TOKEN_FILE ...), for error messages. */
  variable?: string;
}

/**
 * Reads a secret file: refuses group/world-readable files; never echoes the contents in an error. A value that does
 * not name a readable file is never echoed either: a *_FILE variable sometimes holds the secret itself, pasted there
 * by mistake, and it may look like a path ("/abc123...").
 */
export function readSecretFile(path: string, options: SecretFileOptions = {}): { value: string; insecureMode: boolean } {
  const variable = options.variable ?? 'The secret file setting';
  const unreadable = (error: unknown): ConfigError => {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return new ConfigError(
      `${variable} does not name a readable file (${code}); it must hold the path of a file containing the secret, not the secret itself.`,
      `set ${variable} to the path of a file that holds the secret (mode 600, owned by this user)`,
    );
  };
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: stat.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    mode = stat.mode;
  } catch (error) {
    throw unreadable(error);
  }
  const insecureMode = (mode & 0o077) !== 0;
  if (insecureMode && !options.allowInsecureMode) {
    throw new ConfigError(
      `Secret file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}). ` +
        `Fix it with: chmod 600 ${path}  (or set BASTION_ALLOW_INSECURE_SECRET_FILES=true to accept it).`,
      `chmod 600 ${path}`,
    );
  }
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(error);
  }
  const value = content.trim();
  if (!value) throw new ConfigError(`Secret file ${path} is empty.`);
  return { value, insecureMode };
}
