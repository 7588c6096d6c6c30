// `bastion identities list|revoke`: the operator's view of the personal upstream credentials people linked through
// the connect page. It shows who linked which upstream login and when, never a key, and removes a link from the
// vault every instance reads (the file, or Redis when REDIS_URL is set), so a revocation holds on all of them.
import { AuditLog, noAudit, type AuditSink } from '../core/audit.js';
import { GlobalSettingsSchema, loadSettings, parseSettings } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { osKeyring } from '../core/keyring.js';
import { createLogger } from '../core/logger.js';
import { recordIdentityEvent, type Vault } from '../core/vault.js';
import { redisPassword, vaultFromSettings, type FlagSettings } from './runtime.js';

/** The connectors whose calls can run with a person's own credential. */
export const PERSONAL_CREDENTIAL_CONNECTORS = ['redmine', 'youtrack'] as const;

async function openFromSettings(flags: FlagSettings): Promise<{ vault: Vault; audit: AuditSink }> {
  const settings = loadSettings({ flags });
  const global = parseSettings(GlobalSettingsSchema, settings.values);
  if (!global.BASTION_VAULT_KEY_FILE) {
    throw new ConfigError(
      'BASTION_VAULT_KEY_FILE is not set, so there is no vault of linked identities to read.',
      'run this with the settings of the server (the same BASTION_VAULT_KEY_FILE, and REDIS_URL or BASTION_VAULT_FILE)',
    );
  }
  const logger = createLogger(global.BASTION_LOG_LEVEL);
  const auditPath = global.BASTION_AUDIT_LOG ?? settings.values.YOUTRACK_SECURITY_AUDIT_LOG;
  const audit = auditPath ? new AuditLog(auditPath, { setting: global.BASTION_AUDIT_LOG ? 'BASTION_AUDIT_LOG' : 'YOUTRACK_SECURITY_AUDIT_LOG', logger }) : noAudit;
  const keyring = global.BASTION_KEYRING ? osKeyring : undefined;
  const redis = global.REDIS_URL ? { url: global.REDIS_URL, password: await redisPassword(settings, global, { logger, audit, keyring }) } : undefined;
  const vault = (await vaultFromSettings(global, redis, logger))!;
  return { vault, audit };
}

export async function listIdentities(flags: FlagSettings, options: { json?: boolean } = {}): Promise<string> {
  const { vault } = await openFromSettings(flags);
  try {
    const { linked, unreadable } = await vault.inventory();
    if (options.json) return JSON.stringify({ store: vault.backend.kind, identities: linked, unreadable }, null, 2);
    const note =
      unreadable > 0
        ? [`${unreadable} record${unreadable === 1 ? '' : 's'} cannot be opened with this BASTION_VAULT_KEY_FILE (altered, or sealed with another key): not used; the people concerned link again.`]
        : [];
    if (!linked.length) return [`No linked identities in the vault (${vault.backend.location}).`, ...note].join('\n');
    const rows = [['CONNECTOR', 'CALLER', 'UPSTREAM LOGIN', 'LINKED AT'], ...linked.map((entry) => [entry.connector, entry.caller, entry.login, entry.linkedAt])];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
    return [`Linked identities in the vault (${vault.backend.location}); keys are never shown:`, ...table, ...note].join('\n');
  } finally {
    await vault.close();
  }
}

export async function revokeIdentity(flags: FlagSettings, connector: string, caller: string): Promise<string> {
  if (!(PERSONAL_CREDENTIAL_CONNECTORS as readonly string[]).includes(connector)) {
    throw new ConfigError(
      `Unknown connector "${connector}" for identities revoke: personal credentials exist for ${PERSONAL_CREDENTIAL_CONNECTORS.join(' and ')} only.`,
      `bastion identities revoke <${PERSONAL_CREDENTIAL_CONNECTORS.join('|')}> <caller>; bastion identities list shows them`,
    );
  }
  const { vault, audit } = await openFromSettings(flags);
  try {
    // Read first for the audit record (login and fingerprint); a record that does not open is revoked all the same.
    const before = await vault.get(connector, caller).catch(() => undefined);
    const removed = await vault.unlink(connector, caller);
    if (!removed) return `${caller} has no linked ${connector} identity: nothing revoked (bastion identities list shows the linked ones).`;
    recordIdentityEvent(audit, { event: 'identity_revoked', connector, caller, source: 'cli', outcome: 'ok', login: before?.login, credential: before?.secret });
    return `Revoked the ${connector} identity of ${caller}. Every Bastion instance reading this vault (${vault.backend.location}) stops using it at once; ${caller} must link again to call ${connector} tools.`;
  } finally {
    await vault.close();
  }
}
