// Building blocks of `bastion doctor` checks shared by the core and the connectors: file modes, credential
// sources and the remedy for a failed request.
import { statSync } from 'node:fs';
import type { DoctorCheck } from './connector.js';
import { UpstreamError } from './errors.js';
import type { Secret } from './secrets.js';

export function warn(name: string, detail: string, fix: string): DoctorCheck {
  return { name, status: 'warn', detail, fix };
}

export function fail(name: string, detail: string, fix: string): DoctorCheck {
  return { name, status: 'fail', detail, fix };
}

/** A file holding a secret: warns when group or others may read it. */
export function fileModeCheck(name: string, path: string, what: string): DoctorCheck {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return fail(name, `${what}: ${path} cannot be read (${code})`, `check the path and that this user owns ${path}`);
  }
  const octal = mode.toString(8).padStart(3, '0');
  if (mode & 0o077) return warn(name, `${what}: ${path} is readable by group or others (mode ${octal})`, `chmod 600 ${path}`);
  return { name, status: 'ok', detail: `${what}: ${path} (mode ${octal})` };
}

/** The mode check of the file a credential was read from; nothing when it came from the keyring or the environment. */
export function credentialFileChecks(variable: string, secret: Secret | undefined, name = 'credential file'): DoctorCheck[] {
  if (!secret?.file) return [];
  return [fileModeCheck(name, secret.file, `${variable} is read from a file`)];
}

/**
 * Where a credential came from, in words: "the environment", "the file ~/key (REDMINE_API_KEY_FILE)",
 * "the .env file /path", "the config file /path", "the OS keyring (bastion/redmine:default)".
 */
export function describeSource(secret: Secret): string {
  const [variable, path] = secret.origin.split(/=(.*)/s);
  if (path !== undefined) return `the file ${path} (${variable})`;
  switch (secret.source) {
    case 'keyring':
      return `the OS keyring (${secret.origin.replace(/^keyring /, '')})`;
    case 'dotenv':
      return secret.file ? `the .env file ${secret.file}` : 'the .env file';
    case 'config':
      return secret.file ? `the config file ${secret.file}` : 'the config file';
    default:
      return 'the environment';
  }
}

/** Doctor's line about a credential: where it came from and its fingerprint, never the value. */
export function credentialCheck(variable: string, secret: Secret, name = 'credential'): DoctorCheck {
  return { name, status: 'ok', detail: `${variable} from ${describeSource(secret)}, fingerprint ${secret.fingerprint}` };
}

/**
 * A failed reachability request as a check. A 401 or 403 means the server answered: the problem is the credential
 * (or its rights), not the network, and the check says so.
 */
export function requestFailure(name: string, error: unknown, hints: { service: string; url: string; credential: string }): DoctorCheck {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof UpstreamError && error.status === 401) {
    return fail(name, `${hints.service} is reachable, but the credential was refused (401): check ${hints.credential}`, requestFix(error, hints));
  }
  if (error instanceof UpstreamError && error.status === 403) {
    return fail(name, `${hints.service} is reachable, but refused the request (403): ${detail}`, requestFix(error, hints));
  }
  return fail(name, detail, requestFix(error, hints));
}

/** What to do about a failed reachability or identity request, by the kind of failure. */
export function requestFix(error: unknown, hints: { url: string; credential: string }): string {
  if (error instanceof UpstreamError) {
    if (error.status === 401) return `replace ${hints.credential} with a valid, unexpired credential`;
    if (error.status === 403) return `give the user of ${hints.credential} the permission named above, or use another user's credential`;
    if (error.kind === 'tls') return `check the server certificate, or point the CA setting at the CA that issued it`;
    if (error.kind === 'network' || error.kind === 'timeout') return `check ${hints.url} and that the server is reachable from this machine`;
  }
  return `check ${hints.url} and ${hints.credential}`;
}
