// Credentials are read once, held as opaque Secret values, and registered with the scrubber.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { registerSecret } from './redact.js';
import { ConfigError } from './errors.js';

export type SecretSource = 'env' | 'env-file' | 'file' | 'keyring' | 'dotenv' | 'config';

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
}

/** Reads a secret file: refuses group/world-readable files; never echoes the contents in an error. */
export function readSecretFile(path: string, options: SecretFileOptions = {}): { value: string; insecureMode: boolean } {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A *_FILE variable sometimes holds the secret itself: a value not shaped like a path is masked, not echoed.
    const pathLike = /^(?:\/|\.{1,2}\/|~\/)|\.[A-Za-z0-9]{1,8}$/.test(path);
    const shown = pathLike ? path : mask(path);
    const hint = pathLike ? '' : ' A *_FILE variable names a file that holds the secret, not the secret itself.';
    throw new ConfigError(
      code === 'ENOENT'
        ? `Secret file ${shown} does not exist. Create it (with mode 600) or fix the path.${hint}`
        : `Secret file ${shown} cannot be read (${code ?? 'error'}). Check its path and permissions.${hint}`,
    );
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
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`Secret file ${path} cannot be read (${code ?? 'error'}). Fix with: chmod 600 ${path} and check its owner.`);
  }
  const value = content.trim();
  if (!value) throw new ConfigError(`Secret file ${path} is empty.`);
  return { value, insecureMode };
}
