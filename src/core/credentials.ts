// The credential chain shared by every connector. Sources, first found wins:
// OS keyring, the connector's token file, the process environment (NAME or NAME_FILE), .env, the config file.
// Only the source is recorded (doctor, audit), never the value.
import { statSync } from 'node:fs';
import type { AuditSink, CredentialEvent } from './audit.js';
import type { Settings, SettingSource } from './config.js';
import { ConfigError } from './errors.js';
import { keyringAccount, KeyringUnavailableError, type KeyringStore } from './keyring.js';
import type { Logger } from './logger.js';
import { registerSecret } from './redact.js';
import { readSecretFile, Secret, type SecretSource } from './secrets.js';

export interface CredentialSpec {
  connector: string;
  /** The variable holding the value; NAME_FILE (a path) is accepted too. */
  variable: string;
  /** A setting naming a token file, checked before the environment (e.g. YOUTRACK_TOKEN_FILE). */
  tokenFileVariable?: string;
  /** The setting naming the keyring user (account "<connector>:<username>"); "default" when unset. */
  keyringUsernameVariable?: string;
  /** Checks the value's format; returns why it is invalid, or undefined. Never put the value in the reason. */
  validate?: (value: string) => string | undefined;
}

export interface CredentialContext {
  settings: Settings;
  audit: AuditSink;
  logger: Logger;
  /** Undefined when the keyring is turned off (BASTION_KEYRING=false). */
  keyring: KeyringStore | undefined;
  allowInsecureSecretFiles: boolean;
}

/** Credential events for one connector's credential, for the audit log. */
export function credentialEvents(audit: AuditSink, connector: string, secret: Secret) {
  const record = (event: CredentialEvent['event'], outcome: CredentialEvent['outcome'], detail?: string): void =>
    audit.record({ type: 'credential', event, connector, source: secret.source, credential: secret.fingerprint, outcome, ...(detail ? { detail } : {}) });
  return {
    accessed: () => record('token_access', 'ok'),
    validated: (outcome: 'ok' | 'error', detail?: string) => record('token_validation', outcome, detail),
    initialized: () => record('client_initialization', 'ok'),
    authenticationFailed: (detail?: string) => record('authentication_failure', 'error', detail),
  };
}

const LAYERS: Array<[SettingSource, SecretSource, SecretSource]> = [
  // [settings layer, source of NAME, source of NAME_FILE]
  ['flag', 'env', 'env-file'],
  ['env', 'env', 'env-file'],
  ['dotenv', 'dotenv', 'dotenv'],
  ['config', 'config', 'config'],
];

function fromFile(path: string, origin: string, source: SecretSource, ctx: CredentialContext): Secret {
  let read: ReturnType<typeof readSecretFile>;
  try {
    read = readSecretFile(path, { allowInsecureMode: ctx.allowInsecureSecretFiles, variable: origin });
  } catch (error) {
    // A value that names no readable file may be the secret itself: scrubbed from every output from now on.
    if (!isReadableFile(path)) registerSecret(path.trim());
    throw error;
  }
  const { value, insecureMode } = read;
  if (insecureMode) ctx.logger.warn(`Secret file ${path} (${origin}) is readable by group or others; chmod 600 ${path} is advised.`);
  return new Secret(value, source, `${origin}=${path}`, path);
}

function isReadableFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function fromKeyring(spec: CredentialSpec, ctx: CredentialContext): Promise<Secret | undefined> {
  if (!ctx.keyring) return undefined;
  const username = spec.keyringUsernameVariable ? ctx.settings.values[spec.keyringUsernameVariable] : undefined;
  const account = keyringAccount(spec.connector, username);
  try {
    const value = (await ctx.keyring.get(account))?.trim();
    return value ? new Secret(value, 'keyring', `keyring bastion/${account}`) : undefined;
  } catch (error) {
    if (!(error instanceof KeyringUnavailableError)) throw error;
    // Never fatal: the other sources still apply, and doctor explains.
    ctx.logger.debug({ account }, `keyring not used: ${error.message}`);
    return undefined;
  }
}

function fromSettings(spec: CredentialSpec, ctx: CredentialContext): Secret | undefined {
  // Stryker disable next-line ConditionalExpression: without a token-file setting the lookup reads values["undefined"], which no setting is called, and finds nothing.
  if (spec.tokenFileVariable) {
    const path = ctx.settings.values[spec.tokenFileVariable];
    if (path) return fromFile(path, spec.tokenFileVariable, 'file', ctx);
  }
  const fileVariable = `${spec.variable}_FILE`;
  for (const [layer, valueSource, fileSource] of LAYERS) {
    const direct = ctx.settings.valueIn(layer, spec.variable);
    const path = ctx.settings.valueIn(layer, fileVariable);
    if (direct !== undefined && path !== undefined) throw new ConfigError(`Both ${spec.variable} and ${fileVariable} are set; keep only one.`);
    if (path !== undefined) return fromFile(path, fileVariable, fileSource, ctx);
    if (direct !== undefined) {
      const value = direct.trim();
      if (!value) throw new ConfigError(`${spec.variable} is set but blank.`);
      // A value written in .env or the config file is only as private as that file.
      // Stryker disable next-line OptionalChaining: loadSettings always sets `files`; only settings made by hand lack it.
      const file = layer === 'dotenv' ? ctx.settings.files?.dotenv : layer === 'config' ? ctx.settings.files?.config : undefined;
      return new Secret(value, valueSource, spec.variable, file);
    }
  }
  return undefined;
}

/**
 * A connector's required credential with its audit events; a clear ConfigError (saying what to set) when no
 * source has it. Records client_initialization, since the connector's client is built next.
 */
export async function requireCredential(spec: CredentialSpec, ctx: CredentialContext, whatToSet: string) {
  const secret = await resolveCredential(spec, ctx);
  if (!secret) throw new ConfigError(whatToSet);
  const events = credentialEvents(ctx.audit, spec.connector, secret);
  events.initialized();
  return { secret, events };
}

/**
 * Finds a connector's credential, records where it came from, and validates its format.
 * Returns undefined when no source has one.
 */
export async function resolveCredential(spec: CredentialSpec, ctx: CredentialContext): Promise<Secret | undefined> {
  const secret = (await fromKeyring(spec, ctx)) ?? fromSettings(spec, ctx);
  if (!secret) return undefined;
  const events = credentialEvents(ctx.audit, spec.connector, secret);
  events.accessed();
  if (spec.validate) {
    const problem = spec.validate(secret.reveal());
    events.validated(problem ? 'error' : 'ok', problem);
    if (problem) throw new ConfigError(`${spec.variable} from ${secret.origin} (${secret.masked}) is invalid: ${problem}`);
  }
  return secret;
}
