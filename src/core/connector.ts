// What a connector gives the core: its settings, how to build its client, its tools and its doctor checks.
import type { AuditSink } from './audit.js';
import type { CacheStore } from './cache.js';
import type { Settings } from './config.js';
import type { CredentialSpec } from './credentials.js';
import type { CredentialIdentity } from './identity.js';
import type { KeyringStore } from './keyring.js';
import type { Logger } from './logger.js';
import type { Scope } from './policy.js';
import type { Secret } from './secrets.js';
import type { AnyPrompt } from './prompt.js';
import type { AnyResource } from './resource.js';
import type { AnyTool } from './tool.js';
import type { PerUserSupport } from './upstream-identity.js';

export interface VariableDoc {
  name: string;
  description: string;
  required?: boolean;
  secret?: boolean;
  default?: string;
}

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What the operator does about a warning or failure (doctor appends it to the detail as well). */
  fix?: string;
}

export interface ConnectorContext {
  settings: Settings;
  logger: Logger;
  audit: AuditSink;
  allowInsecureSecretFiles: boolean;
  /** The OS keyring, or undefined when turned off (BASTION_KEYRING=false). */
  keyring: KeyringStore | undefined;
  /** Shared state (tokens, cached answers): memory, or Redis when REDIS_URL is set. Namespace keys per connector. */
  cache: CacheStore;
}

/** A connector once its settings are read and its client is built. */
export interface ConnectorRuntime {
  name: string;
  client: unknown;
  scope: Scope;
  /** The credential in use, for audit fingerprints and doctor (never printed). */
  credential?: Secret;
  /**
   * Who the credential is: checked at start (a refused or anonymous credential stops `serve`), by doctor, and before
   * tool calls once the last confirmation is old or upstream refused the credential since.
   */
  identity?: CredentialIdentity<unknown>;
  /**
   * Who a person's own credential (pasted on the connect page) is, asked upstream with the connector's own identity
   * check: the upstream login, or a CredentialRefusedError when it is refused or authenticates as nobody. Only
   * connectors whose calls can run as the person have it.
   */
  checkPersonalCredential?(secret: Secret, signal: AbortSignal): Promise<string>;
  /** Who the connector acts as, when only its settings tell (no identity check): shown by bastion_status. */
  account?: string;
  /**
   * How the connector acts as the calling person in per-user mode (BASTION_IDENTITY=per-user). Absent: it keeps its
   * one shared credential in every mode (ETIM, MQTT).
   */
  perUser?: PerUserSupport;
  /** Checks reachability, identity and privileges without changing anything. */
  doctor(signal: AbortSignal): Promise<DoctorCheck[]>;
  /**
   * Readiness (/readyz): resolves when the upstream system answers, rejects otherwise. It runs on anonymous probes,
   * so it is one light reachability or identity check (never doctor's privilege probes) and writes nothing
   * anywhere: no publish, no subscription, no upstream change.
   */
  ready(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectorModule {
  name: string;
  title: string;
  variables: VariableDoc[];
  /** The connector's credential: where to find it and how to check it (also used by `bastion secret`). */
  credential: CredentialSpec;
  /** The tools' names and read-only flags without building a client (for --help, policy checks and docs). */
  tools: AnyTool[];
  /** Read-only reference data offered as MCP resources. */
  resources?: AnyResource[];
  /** Reusable requests offered as MCP prompts. */
  prompts?: AnyPrompt[];
  create(context: ConnectorContext): Promise<ConnectorRuntime>;
}
