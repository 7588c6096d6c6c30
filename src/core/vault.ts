// The vault: personal upstream credentials that people linked for themselves (per-user mode over HTTP).
// Every record is sealed with AES-256-GCM under a key from a file the operator provides. The associated data names
// the connector and the caller, so a record copied to another person's slot does not open. Nothing readable is
// stored: the slot name is an HMAC of connector and caller, and the caller name, login and key are inside the
// sealed record (`list` opens every record to show who linked what). Backends: a local file (one process or several
// sharing it, under a file lock) or Redis (several instances), with no fallback to memory: a link that only one
// instance could see would make the others ask the person to link again.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { AuditSink } from './audit.js';
import { createRedisClient, type RedisSettings } from './cache.js';
import { ConfigError } from './errors.js';
import { FileLock } from './file-lock.js';
import { readSecretFile, Secret } from './secrets.js';
import { IdentityRequiredError, type LinkedCredential, type LinkedCredentialStore } from './upstream-identity.js';

const RECORD_VERSION = 'v1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The Redis hash holding every record (one field per connector and caller). */
export const VAULT_REDIS_KEY = 'bastion:vault';

/** A record that does not open: altered, moved to another person's slot, or sealed under another key. */
export class VaultIntegrityError extends Error {
  override name = 'VaultIntegrityError';
}

/** The vault key: two keys derived from the operator's 32 bytes, one to seal records, one to name their slots. */
export interface VaultKey {
  /** Where it was read from (for doctor and messages). */
  file: string;
  /** Whether the file is readable by group or others (accepted only with BASTION_ALLOW_INSECURE_SECRET_FILES). */
  insecureMode: boolean;
  seal: Buffer;
  index: Buffer;
}

/** Reads BASTION_VAULT_KEY_FILE: 32 random bytes as 64 hex digits or base64, in a file of mode 600. */
export function readVaultKey(file: string, options: { allowInsecureMode?: boolean } = {}): VaultKey {
  const create = `openssl rand -hex 32 > ${file} && chmod 600 ${file}`;
  const { value, insecureMode } = readSecretFile(file, { allowInsecureMode: options.allowInsecureMode, variable: 'BASTION_VAULT_KEY_FILE' });
  // Registered with the scrubber: the key text never reaches a log or an error.
  new Secret(value, 'file', `BASTION_VAULT_KEY_FILE=${file}`, file);
  let raw: Buffer | undefined;
  if (/^[0-9a-f]+$/i.test(value)) raw = value.length === KEY_BYTES * 2 ? Buffer.from(value, 'hex') : undefined;
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) raw = Buffer.from(value, 'base64');
  if (!raw || raw.length !== KEY_BYTES) {
    throw new ConfigError(
      `BASTION_VAULT_KEY_FILE (${file}) must hold ${KEY_BYTES} random bytes written as 64 hex digits or as base64; it holds ${raw ? `${raw.length} bytes` : 'something else'}.`,
      `create a new key with: ${create} (links made with the old key must then be made again)`,
    );
  }
  const derive = (purpose: string): Buffer => Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), `bastion-vault ${purpose}`, KEY_BYTES));
  return { file, insecureMode, seal: derive('seal'), index: derive('index') };
}

interface SealedPayload {
  connector: string;
  caller: string;
  key: string;
  login: string;
  linkedAt: string;
}

/** The associated data: a record opens only for the connector and caller it was sealed for. */
function associatedData(connector: string, caller: string): Buffer {
  return Buffer.from(`bastion-vault ${RECORD_VERSION}\0${connector}\0${caller}`, 'utf8');
}

export function sealRecord(key: VaultKey, payload: SealedPayload): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.seal, nonce);
  cipher.setAAD(associatedData(payload.connector, payload.caller));
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${RECORD_VERSION}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens a record for this connector and caller; a VaultIntegrityError when it does not open for them. */
export function openRecord(key: VaultKey, record: string, connector: string, caller: string): SealedPayload {
  const refused = new VaultIntegrityError(
    `The vault record of ${caller} for ${connector} cannot be opened: it was altered, copied from another person's slot, or sealed with another BASTION_VAULT_KEY_FILE. ` +
      `It is not used; ${caller} must link the account again.`,
  );
  const [version, nonceText, bodyText] = record.split('.');
  if (version !== RECORD_VERSION || !nonceText || !bodyText) throw refused;
  const nonce = Buffer.from(nonceText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length <= TAG_BYTES) throw refused;
  let payload: SealedPayload;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.seal, nonce);
    decipher.setAAD(associatedData(connector, caller));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    payload = JSON.parse(plain.toString('utf8')) as SealedPayload;
  } catch {
    throw refused;
  }
  if (payload.connector !== connector || payload.caller !== caller || typeof payload.key !== 'string') throw refused;
  return payload;
}

/** Where records are kept: slot name to sealed record. Slot names and records are all a backend ever sees. */
export interface VaultBackend {
  readonly kind: 'file' | 'redis';
  /** For doctor: the file, or the Redis address. */
  readonly location: string;
  get(slot: string): Promise<string | undefined>;
  set(slot: string, record: string): Promise<void>;
  delete(slot: string): Promise<boolean>;
  all(): Promise<Array<[slot: string, record: string]>>;
  close(): Promise<void>;
}

/** The default vault file: $XDG_STATE_HOME/bastion/vault.json, i.e. ~/.local/state/bastion/vault.json. */
export function defaultVaultFile(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const stateHome = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(stateHome, 'bastion', 'vault.json');
}

/** Records in one JSON file, rewritten whole (temporary file, then rename) under a lock shared by every process. */
export class FileVaultBackend implements VaultBackend {
  readonly kind = 'file' as const;
  private readonly lock: FileLock;

  constructor(readonly location: string) {
    mkdirSync(dirname(location), { recursive: true, mode: 0o700 });
    this.lock = new FileLock(location);
  }

  private read(): Record<string, string> {
    let text: string;
    try {
      text = readFileSync(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ConfigError(`Cannot read the vault file ${this.location} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'check BASTION_VAULT_FILE and the file\'s owner');
    }
    try {
      const parsed = JSON.parse(text) as { records?: unknown };
      if (parsed.records && typeof parsed.records === 'object') return parsed.records as Record<string, string>;
    } catch {
      // Reported below.
    }
    throw new ConfigError(`The vault file ${this.location} is not a Bastion vault (not JSON with "records").`, 'restore it from a backup, or move it away so that people link their accounts again');
  }

  private write(records: Record<string, string>): void {
    const temporary = `${this.location}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ version: 1, records }, null, 1)}\n`, { mode: 0o600 });
    // A file created under a looser umask elsewhere: the mode is set, not just requested.
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.location);
  }

  async get(slot: string): Promise<string | undefined> {
    return this.read()[slot];
  }

  async set(slot: string, record: string): Promise<void> {
    this.lock.hold(() => this.write({ ...this.read(), [slot]: record }));
  }

  async delete(slot: string): Promise<boolean> {
    return this.lock.hold(() => {
      const records = this.read();
      if (!(slot in records)) return false;
      delete records[slot];
      this.write(records);
      return true;
    });
  }

  async all(): Promise<Array<[string, string]>> {
    return Object.entries(this.read());
  }

  /** The file's permission bits (undefined before the first link). */
  mode(): number | undefined {
    try {
      return statSync(this.location).mode & 0o777;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.lock.dispose();
  }
}

/** The Redis commands the vault uses. */
interface RedisHashClient {
  hGet(key: string, field: string): Promise<string | null>;
  hSet(key: string, field: string, value: string): Promise<number>;
  hDel(key: string, field: string): Promise<number>;
  hGetAll(key: string): Promise<Record<string, string>>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** Records in one Redis hash, shared by every instance; an unreachable Redis is an error, never a silent fallback. */
export class RedisVaultBackend implements VaultBackend {
  readonly kind = 'redis' as const;
  private connecting?: Promise<unknown>;

  private constructor(
    private readonly client: RedisHashClient,
    readonly location: string,
  ) {
    // Errors surface on the command that meets them; this only keeps node-redis from throwing them at the process.
    client.on('error', () => undefined);
  }

  static async create(settings: RedisSettings): Promise<RedisVaultBackend> {
    const client = (await createRedisClient(settings)) as RedisHashClient;
    const url = new URL(settings.url);
    return new RedisVaultBackend(client, `Redis at ${url.protocol}//${url.host}`);
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      this.connecting ??= this.client.connect();
      await this.connecting;
      return await command();
    } catch (error) {
      this.connecting = undefined;
      throw new ConfigError(`The vault in ${this.location} cannot be reached (${(error as Error).message}); personal credentials are unavailable until it is back.`, 'check REDIS_URL and that Redis is running');
    }
  }

  async get(slot: string): Promise<string | undefined> {
    return (await this.run(() => this.client.hGet(VAULT_REDIS_KEY, slot))) ?? undefined;
  }

  async set(slot: string, record: string): Promise<void> {
    await this.run(() => this.client.hSet(VAULT_REDIS_KEY, slot, record));
  }

  async delete(slot: string): Promise<boolean> {
    return (await this.run(() => this.client.hDel(VAULT_REDIS_KEY, slot))) > 0;
  }

  async all(): Promise<Array<[string, string]>> {
    return Object.entries(await this.run(() => this.client.hGetAll(VAULT_REDIS_KEY)));
  }

  async close(): Promise<void> {
    if (!this.connecting) return this.client.destroy();
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}

/** The LinkedCredentialStore: seals, names slots and opens records; the backend only stores them. */
export class Vault implements LinkedCredentialStore {
  constructor(
    private readonly key: VaultKey,
    readonly backend: VaultBackend,
  ) {}

  /** The slot of a connector and caller: an HMAC, so neither name is readable where records are kept. */
  private slot(connector: string, caller: string): string {
    return `${connector}:${createHmac('sha256', this.key.index).update(`${connector}\0${caller}`).digest('base64url')}`;
  }

  async get(connector: string, caller: string): Promise<LinkedCredential | undefined> {
    const record = await this.backend.get(this.slot(connector, caller));
    if (record === undefined) return undefined;
    const payload = openRecord(this.key, record, connector, caller);
    return { secret: new Secret(payload.key, 'vault', `vault ${connector}:${caller}`), login: payload.login, linkedAt: payload.linkedAt };
  }

  async link(connector: string, caller: string, credential: LinkedCredential): Promise<void> {
    const record = sealRecord(this.key, { connector, caller, key: credential.secret.reveal(), login: credential.login, linkedAt: credential.linkedAt });
    await this.backend.set(this.slot(connector, caller), record);
  }

  async unlink(connector: string, caller: string): Promise<boolean> {
    return this.backend.delete(this.slot(connector, caller));
  }

  async list(): Promise<Array<{ connector: string; caller: string; login: string; linkedAt: string }>> {
    return (await this.inventory()).linked;
  }

  /** Every record that opens (connector, caller, login, time: never the key), and how many do not. */
  async inventory(): Promise<{ linked: Array<{ connector: string; caller: string; login: string; linkedAt: string }>; unreadable: number }> {
    const linked: Array<{ connector: string; caller: string; login: string; linkedAt: string }> = [];
    let unreadable = 0;
    for (const [slot, record] of await this.backend.all()) {
      const opened = this.peek(slot, record);
      if (opened) linked.push(opened);
      else unreadable += 1;
    }
    linked.sort((a, b) => a.connector.localeCompare(b.connector) || a.caller.localeCompare(b.caller));
    return { linked, unreadable };
  }

  /** Opens a record found by listing: the caller comes from inside it and must name the very slot it sits in. */
  private peek(slot: string, record: string): { connector: string; caller: string; login: string; linkedAt: string } | undefined {
    const [version, nonceText, bodyText] = record.split('.');
    if (version !== RECORD_VERSION || !nonceText || !bodyText) return undefined;
    const connector = slot.slice(0, slot.indexOf(':'));
    // The associated data needs the caller, which only the record knows: try it, then check the slot matches.
    try {
      const nonce = Buffer.from(nonceText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key.seal, nonce);
      // GCM decrypts before it authenticates: read the caller, then open the record properly with it.
      const plain = decipher.update(body.subarray(0, body.length - TAG_BYTES)).toString('utf8');
      const caller = (JSON.parse(plain) as Partial<SealedPayload>).caller;
      if (typeof caller !== 'string' || this.slot(connector, caller) !== slot) return undefined;
      const payload = openRecord(this.key, record, connector, caller);
      return { connector, caller, login: payload.login, linkedAt: payload.linkedAt };
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

export interface VaultSettings {
  keyFile: string;
  /** BASTION_VAULT_FILE; default defaultVaultFile(). Ignored when Redis is used. */
  file?: string;
  /** Redis, when REDIS_URL is set: shared by every instance. */
  redis?: RedisSettings;
  allowInsecureMode?: boolean;
}

export async function openVault(settings: VaultSettings): Promise<Vault> {
  const key = readVaultKey(settings.keyFile, { allowInsecureMode: settings.allowInsecureMode });
  const backend = settings.redis ? await RedisVaultBackend.create(settings.redis) : new FileVaultBackend(settings.file ?? defaultVaultFile());
  return new Vault(key, backend);
}

export type IdentityEventName = 'identity_linked' | 'identity_unlinked' | 'identity_revoked' | 'identity_validation_failed' | 'identity_key_refused';

/** A credential event about a person's linked identity: who, which upstream login, the key's fingerprint (never the key). */
export function recordIdentityEvent(
  audit: AuditSink,
  event: { event: IdentityEventName; connector: string; caller: string; source: 'connect-page' | 'cli' | 'tool-call'; outcome: 'ok' | 'error' | 'denied'; login?: string; credential?: Secret; detail?: string },
): void {
  audit.record({
    type: 'credential',
    event: event.event,
    connector: event.connector,
    source: event.source,
    credential: event.credential?.fingerprint ?? '-',
    outcome: event.outcome,
    caller: event.caller,
    ...(event.login ? { upstream_login: event.login } : {}),
    ...(event.detail ? { detail: event.detail } : {}),
  });
}

const SERVICES: Record<string, { service: string; credential: string }> = {
  redmine: { service: 'Redmine', credential: 'API key' },
  youtrack: { service: 'YouTrack', credential: 'permanent token' },
};

/** The connector as people name it, and what they paste for it ("Redmine", "API key"). */
export function personalCredentialWords(connector: string): { service: string; credential: string } {
  return SERVICES[connector] ?? { service: connector, credential: 'credential' };
}

/** The person has linked no account for this connector: what they are told (a link to connect follows). */
export function identityRequired(connector: string, caller: string): IdentityRequiredError {
  const { service, credential } = personalCredentialWords(connector);
  return new IdentityRequiredError(
    connector,
    caller,
    `This server runs ${service} tools as each person, and caller "${caller}" has not connected a ${service} account yet, so nothing was sent to ${service}. ` +
      `Connect it once with your own ${service} ${credential}.`,
  );
}

/**
 * The upstream refused a person's linked credential (401: revoked, expired, the user locked): the link is removed,
 * so that no further call tries it, and the person is asked to connect again. Only the credential that was refused
 * is removed: one the person linked again meanwhile stays. Returns the error the pipeline reports (with a new link).
 */
export async function retireRefusedCredential(
  vault: LinkedCredentialStore,
  audit: AuditSink,
  refused: { connector: string; caller: string; login: string; secret: Secret },
): Promise<IdentityRequiredError> {
  const { connector, caller, login, secret } = refused;
  const current = await vault.get(connector, caller).catch(() => undefined);
  if (!current || current.secret.fingerprint === secret.fingerprint) await vault.unlink(connector, caller);
  recordIdentityEvent(audit, {
    event: 'identity_key_refused',
    connector,
    caller,
    source: 'tool-call',
    outcome: 'denied',
    login,
    credential: secret,
    detail: 'refused upstream (401); the link was removed',
  });
  const { service, credential } = personalCredentialWords(connector);
  return new IdentityRequiredError(
    connector,
    caller,
    `${service} no longer accepts the ${credential} that caller "${caller}" connected (${service} user ${login}): it was revoked or expired, or the user was locked. ` +
      `Bastion removed it and did not run the call as anyone else. Connect your ${service} account again with a current ${credential}.`,
  );
}
