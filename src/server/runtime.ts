// Everything `serve` and `doctor` share: read settings, pick and load connectors, set up logging, audit and policy.
import { AuditLog, noAudit, type AuditSink } from '../core/audit.js';
import { MemoryCache, RedisCache, type CacheStore } from '../core/cache.js';
import { resolveCredential } from '../core/credentials.js';
import { configureEgress } from '../core/egress.js';
import { configureProxy } from '../core/proxy.js';
import { GlobalSettingsSchema, loadSettings, parseSettings, type GlobalSettings, type Settings } from '../core/config.js';
import type { ConnectorRuntime } from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import { CredentialRefusedError } from '../core/identity.js';
import { createLogger, type Logger } from '../core/logger.js';
import { osKeyring, type KeyringStore } from '../core/keyring.js';
import { resolveToolsets, ToolPolicy } from '../core/policy.js';
import { weakeningsFromFiles } from '../core/protection.js';
import { registerSecret } from '../core/redact.js';
import { promptPolicyTool } from '../core/prompt.js';
import { resourcePolicyTool } from '../core/resource.js';
import { CORE_TOOLS } from '../core/status.js';
import type { Secret } from '../core/secrets.js';
import { openVault, type Vault } from '../core/vault.js';
import { checkImpersonationSource, identityFromSettings, UpstreamIdentityResolver, type IdentitySettings } from '../core/upstream-identity.js';
import { CONNECTORS, findConnector, type ConnectorEntry } from '../connectors/index.js';
import { TOOLSETS } from '../connectors/toolsets.js';
import type { LoadedConnector } from './build.js';

export interface Runtime {
  settings: Settings;
  global: GlobalSettings;
  logger: Logger;
  audit: AuditSink;
  cache: CacheStore;
  connectors: LoadedConnector[];
  policy: ToolPolicy;
  /** Who tool calls run as upstream (BASTION_IDENTITY), and the settings behind it (for doctor). */
  identities: UpstreamIdentityResolver;
  identitySettings: IdentitySettings;
  /** REDIS_URL and its password, when Redis is configured (for doctor). */
  redis?: { url: string; password?: Secret };
  /** Personal upstream credentials people linked (BASTION_VAULT_KEY_FILE set), for the connect page and per-user calls. */
  vault?: Vault;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logDestination?: NodeJS.WritableStream | number;
  /**
   * Doctor's mode: a connector (or Redis) that cannot be set up is reported here and left out, instead of stopping
   * everything. `part` is the connector's name, "redis" or "audit".
   */
  onSetupError?: (part: string, error: unknown) => void;
  /**
   * Serve's mode: ask each upstream who the connector's credential is before serving. A refused or anonymous
   * credential stops the start like any other connector set-up error; an upstream that cannot be reached yet is
   * logged, and tool calls check again.
   */
  checkIdentity?: boolean;
}

/** Flags of `serve` and `doctor`, named as their BASTION_* variables. */
export type FlagSettings = Record<string, string | undefined>;

export function selectConnectors(settings: Settings, requested: string[] | undefined): ConnectorEntry[] {
  if (requested) {
    return requested.map((name) => {
      const entry = findConnector(name);
      if (!entry) throw new ConfigError(`Unknown connector "${name}" in --connectors. Known: ${CONNECTORS.map((c) => c.name).join(', ')}.`);
      if (!entry.configuredBy.every((variable) => settings.values[variable])) {
        throw new ConfigError(`Connector ${name} is requested but not configured: set ${entry.setupHint}.`);
      }
      return entry;
    });
  }
  const configured = CONNECTORS.filter((entry) => entry.configuredBy.every((variable) => settings.values[variable]));
  if (configured.length === 0) {
    const hints = CONNECTORS.map((entry) => `  ${entry.title}: ${entry.setupHint}`).join('\n');
    throw new ConfigError(`No connector is configured. Set the variables of at least one (in the environment, a file named with --env-file or --config, or ~/.config/bastion/.env):\n${hints}`);
  }
  return configured;
}

/** REDIS_PASSWORD from the credential chain (keyring, file, environment), if any. */
export function redisPassword(settings: Settings, global: GlobalSettings, context: { logger: Logger; audit: AuditSink; keyring: KeyringStore | undefined }): Promise<Secret | undefined> {
  return resolveCredential(
    { connector: 'redis', variable: 'REDIS_PASSWORD', keyringUsernameVariable: 'REDIS_KEYRING_USERNAME' },
    { settings, audit: context.audit, logger: context.logger, keyring: context.keyring, allowInsecureSecretFiles: global.BASTION_ALLOW_INSECURE_SECRET_FILES },
  );
}

/** The vault of personal credentials, when BASTION_VAULT_KEY_FILE is set: in Redis when REDIS_URL is, else a file. */
export function vaultFromSettings(global: GlobalSettings, redis: Runtime['redis'], logger: Logger): Promise<Vault | undefined> {
  if (!global.BASTION_VAULT_KEY_FILE) return Promise.resolve(undefined);
  return openVault({
    keyFile: global.BASTION_VAULT_KEY_FILE,
    file: global.BASTION_VAULT_FILE,
    redis: redis ? { url: redis.url, password: redis.password, caFile: global.REDIS_CA_CERT, logger } : undefined,
    allowInsecureMode: global.BASTION_ALLOW_INSECURE_SECRET_FILES,
  });
}

/** Memory by default; Redis (with its password from the credential chain) when REDIS_URL is set. */
async function createCache(
  settings: Settings,
  global: GlobalSettings,
  context: { logger: Logger; audit: AuditSink; keyring: KeyringStore | undefined },
): Promise<{ cache: CacheStore; redis?: Runtime['redis'] }> {
  if (!global.REDIS_URL) return { cache: new MemoryCache() };
  const password = await redisPassword(settings, global, context);
  const cache = await RedisCache.connect({ url: global.REDIS_URL, password, caFile: global.REDIS_CA_CERT, logger: context.logger, instances: global.BASTION_RATE_LIMIT_INSTANCES });
  return { cache, redis: { url: global.REDIS_URL, password } };
}

/** How long serve waits at start for an upstream to say who a credential is before it serves anyway. */
const IDENTITY_START_TIMEOUT_MS = 5_000;

/** Logs who a connector's credential is (never the credential); throws when it is refused or anonymous. */
async function logIdentity(connector: ConnectorRuntime, logger: Logger): Promise<void> {
  const { identity } = connector;
  if (!identity) return;
  try {
    const who = await identity.verify(AbortSignal.timeout(IDENTITY_START_TIMEOUT_MS));
    logger.info({ connector: connector.name, identity: identity.describe(who) }, `${identity.variable} belongs to ${identity.describe(who)}`);
  } catch (error) {
    if (error instanceof CredentialRefusedError) throw error;
    // Not reachable yet (starting in parallel, say): /readyz reports it, and every tool call checks again first.
    logger.warn({ err: error, connector: connector.name }, `cannot check who ${identity.variable} belongs to yet; tool calls check it first`);
  }
}

export async function createRuntime(flags: FlagSettings, options: RuntimeOptions = {}): Promise<Runtime> {
  const settings = loadSettings({ flags });
  // Known before anything can fail, so that no error (say, about a setting a key was pasted into) can show them.
  for (const name of ['REDIS_PASSWORD', ...CONNECTORS.flatMap((entry) => entry.credentials)]) {
    const value = settings.values[name]?.trim();
    if (value) registerSecret(value);
  }
  const global = parseSettings(GlobalSettingsSchema, settings.values);
  // Before any connector builds a client: their URLs are checked as they are built.
  configureEgress({ allowLinkLocal: global.BASTION_ALLOW_LINK_LOCAL });
  // After the egress rule: the proxy's own address is checked against it.
  configureProxy(settings.values);
  const logger = createLogger(global.BASTION_LOG_LEVEL, options.logDestination);
  const ignored = settings.files?.ignoredDotenv;
  if (ignored) logger.info(`${ignored} was not read: Bastion reads a .env only when named. To use it: --env-file .env (or BASTION_ENV_FILE).`);
  for (const weakening of weakeningsFromFiles(settings)) logger.warn(`${weakening.message}. Fix: ${weakening.fix}.`);
  const auditSetting = global.BASTION_AUDIT_LOG ? 'BASTION_AUDIT_LOG' : 'YOUTRACK_SECURITY_AUDIT_LOG';
  const auditPath = global.BASTION_AUDIT_LOG ?? settings.values.YOUTRACK_SECURITY_AUDIT_LOG;
  let audit: AuditSink = noAudit;
  try {
    if (auditPath) audit = new AuditLog(auditPath, { setting: auditSetting, logger });
  } catch (error) {
    // Doctor reports the very error serve would stop with.
    if (!options.onSetupError) throw error;
    options.onSetupError('audit', error);
  }
  let identity: ReturnType<typeof identityFromSettings>;
  try {
    identity = identityFromSettings(global, audit);
  } catch (error) {
    if (!options.onSetupError) throw error;
    options.onSetupError('identity', error);
    identity = { resolver: new UpstreamIdentityResolver({ mode: 'shared', audit }), settings: { mode: 'shared' } };
  }
  const entries = selectConnectors(settings, global.BASTION_CONNECTORS);
  const keyring = global.BASTION_KEYRING ? osKeyring : undefined;
  let shared: Awaited<ReturnType<typeof createCache>>;
  try {
    shared = await createCache(settings, global, { logger, audit, keyring });
  } catch (error) {
    if (!options.onSetupError) throw error;
    options.onSetupError('redis', error);
    shared = { cache: new MemoryCache() };
  }
  const { cache, redis } = shared;
  let vault: Vault | undefined;
  try {
    vault = await vaultFromSettings(global, redis, logger);
    if (vault) identity.resolver.useStore(vault);
  } catch (error) {
    if (!options.onSetupError) throw error;
    options.onSetupError('vault', error);
  }

  const connectors: LoadedConnector[] = [];
  for (const entry of entries) {
    try {
      const module = await entry.load();
      const runtime = await module.create({
        settings,
        logger,
        audit,
        allowInsecureSecretFiles: global.BASTION_ALLOW_INSECURE_SECRET_FILES,
        keyring,
        cache,
      });
      connectors.push({ module, runtime });
    } catch (error) {
      if (!options.onSetupError) throw error;
      options.onSetupError(entry.name, error);
    }
  }
  try {
    checkImpersonationSource(identity.settings, connectors.map((connector) => connector.runtime));
  } catch (error) {
    if (!options.onSetupError) {
      await Promise.all(connectors.map((connector) => connector.runtime.close().catch(() => undefined)));
      throw error;
    }
    options.onSetupError('identity', error);
  }
  if (options.checkIdentity) {
    // All at once, each bounded: a client waits for the start, and an unreachable upstream only delays it.
    const checks = await Promise.allSettled(connectors.map((connector) => logIdentity(connector.runtime, logger)));
    const refused = checks.find((check): check is PromiseRejectedResult => check.status === 'rejected');
    if (refused) {
      await Promise.all(connectors.map((connector) => connector.runtime.close().catch(() => undefined)));
      throw refused.reason;
    }
  }
  // Named sets stand for the tools of enabled connectors (with their resources and prompts); bastion_status comes with any.
  const toolsets = global.BASTION_TOOLSETS?.length
    ? resolveToolsets(
        global.BASTION_TOOLSETS,
        TOOLSETS,
        connectors.map((connector) => ({
          name: connector.runtime.name,
          tools: connector.module.tools,
          extra: [
            ...(connector.module.resources ?? []).map((resource) => resourcePolicyTool(connector.runtime.name, resource).name),
            ...(connector.module.prompts ?? []).map((prompt) => promptPolicyTool(connector.runtime.name, prompt).name),
          ],
        })),
      ).concat(CORE_TOOLS.map((tool) => tool.name))
    : undefined;
  const policy = new ToolPolicy(
    { readOnly: global.BASTION_READ_ONLY, allow: global.BASTION_TOOLS, deny: global.BASTION_EXCLUDE_TOOLS, toolsets },
    // Resources and prompts are named in these lists like tools (etim_resource_languages, etim_prompt_explain_class).
    CORE_TOOLS.map((tool) => tool.name).concat(connectors.flatMap((connector) => [
      ...connector.module.tools.map((tool) => tool.name),
      ...(connector.module.resources ?? []).map((resource) => resourcePolicyTool(connector.runtime.name, resource).name),
      ...(connector.module.prompts ?? []).map((prompt) => promptPolicyTool(connector.runtime.name, prompt).name),
    ])),
  );
  return {
    settings,
    global,
    logger,
    audit,
    cache,
    connectors,
    policy,
    identities: identity.resolver,
    identitySettings: identity.settings,
    redis,
    vault,
    close: async () => {
      await Promise.all(connectors.map((connector) => connector.runtime.close()));
      await vault?.close();
      await cache.close();
    },
  };
}
