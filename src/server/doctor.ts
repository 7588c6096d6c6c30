// `bastion doctor`: checks everything a user would otherwise find out from a failing tool call, and says how to
// fix each problem: credential sources and file modes, TLS, reachability, identity, privileges, Redis, the HTTP
// listener's exposure and the keyring.
import { AuditLog } from '../core/audit.js';
import type { DoctorCheck } from '../core/connector.js';
import { credentialCheck, credentialFileChecks, fail, fileModeCheck, warn } from '../core/doctor.js';
import { isLoopbackHost } from '../core/egress.js';
import { ConfigError } from '../core/errors.js';
import { osKeyring } from '../core/keyring.js';
import { weakeningsFromFiles } from '../core/protection.js';
import { redact } from '../core/redact.js';
import { FileVaultBackend } from '../core/vault.js';
import { PERSONAL_CREDENTIAL_CONNECTORS } from './identities-command.js';
import { createRuntime, type FlagSettings, type Runtime } from './runtime.js';
import { enabledTools } from './build.js';
import { CORE_TOOLS } from '../core/status.js';
import { exposureGaps } from './http.js';
import { httpSecurityFromSettings } from './http-settings.js';

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A part that could not be set up: the error, and its remedy where the error names one. */
function setupFailure(name: string, error: unknown): DoctorCheck {
  const fix = error instanceof ConfigError && error.fix ? error.fix : 'change the setting the message names, then run bastion doctor again';
  return fail(name, message(error), fix);
}

/**
 * The OS keyring. A machine without one (a server, a container) is fine as long as nothing is expected from it:
 * its absence is a warning only when a *_KEYRING_USERNAME names an account there. (A connector that finds no
 * credential at all fails with its own message naming what to set.)
 */
async function keyringCheck(runtime: Runtime): Promise<DoctorCheck> {
  if (!runtime.global.BASTION_KEYRING) return { name: 'keyring', status: 'ok', detail: 'not used (BASTION_KEYRING=false)' };
  const keyring = await osKeyring.describe();
  if (keyring.available) return { name: 'keyring', status: 'ok', detail: keyring.detail };
  const named = Object.keys(runtime.settings.values).filter((name) => name.endsWith('_KEYRING_USERNAME') && runtime.settings.values[name]);
  if (!named.length) {
    return { name: 'keyring', status: 'ok', detail: 'no OS keyring on this machine; not needed, no credential is expected from it' };
  }
  const why = `${named.join(', ')} ${named.length === 1 ? 'names an account' : 'name accounts'} in it`;
  return warn(
    'keyring',
    `${keyring.detail.replace(/;.*$/s, '')}, but ${why}`,
    'run Bastion in a D-Bus session with a Secret Service (e.g. gnome-keyring), or give the credential as a variable or a mode-600 *_FILE and set BASTION_KEYRING=false',
  );
}

/** Which settings files were read, and every protection one of them gives up. */
function settingsFileChecks(runtime: Runtime): DoctorCheck[] {
  const { dotenv, config, ignoredDotenv } = runtime.settings.files ?? {};
  const read = [dotenv && `.env ${dotenv}`, config && `config ${config}`].filter(Boolean).join(', ') || 'none (environment and flags only)';
  const ignored = ignoredDotenv ? `; ${ignoredDotenv} not read (not named: --env-file .env uses it)` : '';
  return [
    { name: 'settings files', status: 'ok', detail: `${read}${ignored}` },
    ...weakeningsFromFiles(runtime.settings).map((weakening) => warn('settings files', weakening.message, weakening.fix)),
  ];
}

/** Redis: reachable, password, TLS; or why it could not be set up. */
async function cacheChecks(runtime: Runtime, setupError: unknown): Promise<DoctorCheck[]> {
  if (setupError !== undefined) return [setupFailure('shared cache', setupError)];
  await runtime.cache.ready(3_000);
  const cache = runtime.cache.status();
  const checks: DoctorCheck[] = [
    cache.healthy
      ? { name: 'shared cache', status: 'ok', detail: cache.detail }
      : warn('shared cache', cache.detail, 'start Redis or correct REDIS_URL, REDIS_PASSWORD and REDIS_CA_CERT; Bastion serves from memory meanwhile'),
  ];
  if (!runtime.redis) return checks;
  const url = new URL(runtime.redis.url);
  const { password } = runtime.redis;
  checks.push(
    password
      ? credentialCheck('REDIS_PASSWORD', password, 'redis credential')
      : warn(
          'redis credential',
          `Redis has no password set, so every client that reaches ${url.host} can read and change the shared tokens and cached answers`,
          'require a password on Redis (requirepass or an ACL user) and set REDIS_PASSWORD or REDIS_PASSWORD_FILE',
        ),
    ...credentialFileChecks('REDIS_PASSWORD', password, 'redis password file'),
  );
  if (url.protocol === 'rediss:') {
    checks.push({ name: 'redis tls', status: 'ok', detail: `TLS with ${runtime.global.REDIS_CA_CERT ? `CA ${runtime.global.REDIS_CA_CERT}` : 'the system CAs'}` });
  } else if (isLoopbackHost(url.hostname)) {
    checks.push({ name: 'redis tls', status: 'ok', detail: 'plain connection to a Redis on this machine' });
  } else {
    checks.push(
      warn('redis tls', `plain redis:// to ${url.hostname}: the password and the shared tokens travel unencrypted`, 'use a rediss:// URL (Redis with TLS), with REDIS_CA_CERT if its certificate is from a private CA'),
    );
  }
  return checks;
}

/** The vault of personal credentials: its key file's mode, where records are kept, how many are linked per connector. */
async function vaultChecks(runtime: Runtime, setupError: unknown): Promise<DoctorCheck[]> {
  const keyFile = runtime.global.BASTION_VAULT_KEY_FILE;
  if (!keyFile) return [{ name: 'personal credentials', status: 'ok', detail: 'not configured (BASTION_VAULT_KEY_FILE unset): no connect page, connectors use their own credentials' }];
  if (setupError !== undefined) return [setupFailure('vault', setupError)];
  const vault = runtime.vault!;
  const checks: DoctorCheck[] = [fileModeCheck('vault key file', keyFile, 'BASTION_VAULT_KEY_FILE')];
  const { backend } = vault;
  const mode = backend instanceof FileVaultBackend ? backend.mode() : undefined;
  const where = backend.kind === 'redis' ? `${backend.location}, shared by every instance using it` : `file ${backend.location}${mode === undefined ? ' (created at the first link)' : ` (mode ${mode.toString(8).padStart(3, '0')})`}`;
  checks.push(
    mode !== undefined && mode & 0o077
      ? warn('vault store', `${where} is readable by group or others`, `chmod 600 ${backend.location}`)
      : { name: 'vault store', status: 'ok', detail: where },
  );
  try {
    const { linked, unreadable } = await vault.inventory();
    const perConnector = PERSONAL_CREDENTIAL_CONNECTORS.map((connector) => `${connector} ${linked.filter((entry) => entry.connector === connector).length}`).join(', ');
    const shared = 'ETIM and Coreflux/MQTT always use their shared credentials';
    checks.push(
      unreadable
        ? warn('linked identities', `${perConnector}; ${unreadable} record(s) cannot be opened with this key (altered, or sealed with another key) and are not used`, 'the people concerned link again; bastion identities list shows who is linked')
        : { name: 'linked identities', status: 'ok', detail: `${perConnector} (${shared})` },
    );
  } catch (error) {
    checks.push(setupFailure('linked identities', error));
  }
  return checks;
}

/** The HTTP listener as `serve --transport http` would open it with these settings. */
function httpChecks(runtime: Runtime): DoctorCheck[] {
  const g = runtime.global;
  if (g.BASTION_TRANSPORT !== 'http') {
    return [{ name: 'http', status: 'ok', detail: 'not served (stdio transport); doctor --transport http checks the HTTP listener settings' }];
  }
  let security: ReturnType<typeof httpSecurityFromSettings>;
  try {
    security = httpSecurityFromSettings(g);
  } catch (error) {
    return [setupFailure('http', error)];
  }
  const { host, tls, authenticator } = security;
  const where = `${tls ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${g.BASTION_HTTP_PORT}`;
  const files: DoctorCheck[] = [
    ...(g.BASTION_HTTP_TOKENS_FILE ? [fileModeCheck('http tokens file', g.BASTION_HTTP_TOKENS_FILE, 'BASTION_HTTP_TOKENS_FILE')] : []),
    ...(tls ? [fileModeCheck('http tls key', tls.keyFile, 'the TLS private key (--tls-key)')] : []),
  ];
  const auth = authenticator ? authenticator.describe() : 'authentication OFF';
  const addAuth = 'set BASTION_HTTP_TOKENS_FILE or BASTION_OAUTH_ISSUER';
  if (isLoopbackHost(host)) {
    const check = authenticator
      ? { name: 'http', status: 'ok' as const, detail: `${where}, ${auth}` }
      : warn('http', `${where} with authentication OFF: any local process can call every enabled tool`, `${addAuth} (BASTION_HTTP_AUTH=false is for local testing only)`);
    return [check, ...files];
  }
  const gaps = exposureGaps(security);
  if (!gaps.length) return [{ name: 'http', status: 'ok', detail: `${where}, ${auth}` }, ...files];
  const fix = `add ${gaps.join(' and ')}, or bind to 127.0.0.1 (--host) behind a reverse proxy that terminates TLS and authenticates`;
  const exposed = `${where} without ${gaps.join(' and ')} exposes every enabled tool to the network`;
  const check = g.BASTION_HTTP_FORCE
    ? warn('http', `${exposed}; serve accepts this only because BASTION_HTTP_FORCE=true`, `${fix}, then remove BASTION_HTTP_FORCE`)
    : fail('http', `${exposed}; serve refuses to start`, `${fix} (BASTION_HTTP_FORCE=true accepts the risk)`);
  return [check, ...files];
}

/** The audit log as serve opens it (the same code, so the same folder creation and the same refusals). */
function auditCheck(runtime: Runtime, setupError: unknown): DoctorCheck {
  if (setupError !== undefined) return setupFailure('audit log', setupError);
  if (runtime.audit instanceof AuditLog) return { name: 'audit log', status: 'ok', detail: `${runtime.audit.path} (writable)` };
  return warn('audit log', 'no audit log configured (--audit-log / BASTION_AUDIT_LOG)', 'set --audit-log or BASTION_AUDIT_LOG to a file, e.g. ~/.local/state/bastion/audit.jsonl');
}

/** How destructive tools are confirmed (BASTION_CONFIRM_DESTRUCTIVE). */
function confirmationCheck(runtime: Runtime): DoctorCheck {
  switch (runtime.global.BASTION_CONFIRM_DESTRUCTIVE) {
    case 'require':
      return { name: 'confirmation', status: 'ok', detail: 'destructive tools run only when the person at the client confirms them; clients that cannot ask (no MCP form elicitation) are refused them' };
    case 'ask':
      return { name: 'confirmation', status: 'ok', detail: 'destructive tools ask the person at the client first where the client supports MCP form elicitation, and run unasked in clients that do not (BASTION_CONFIRM_DESTRUCTIVE=require refuses them there)' };
    case 'off':
      return warn(
        'confirmation',
        'BASTION_CONFIRM_DESTRUCTIVE=false: destructive tools (deleting, overwriting, publishing) run as soon as a model calls them, without asking anyone',
        'set BASTION_CONFIRM_DESTRUCTIVE=true (ask where the client can) or require (refuse destructive tools in clients that cannot ask)',
      );
  }
}

/** Who tool calls run as upstream (BASTION_IDENTITY): the mode, where logins come from, which connectors stay shared. */
function identityChecks(runtime: Runtime, setupError: unknown): DoctorCheck[] {
  if (setupError !== undefined) return [setupFailure('identity', setupError)];
  const settings = runtime.identitySettings;
  if (settings.mode === 'shared') {
    return [{ name: 'identity', status: 'ok', detail: 'shared: every call uses the connector\'s own credential (BASTION_IDENTITY=per-user over HTTP runs Redmine and YouTrack calls as each caller)' }];
  }
  const personal = runtime.connectors.filter((c) => c.runtime.perUser).map((c) => c.module.title);
  const shared = runtime.connectors.filter((c) => !c.runtime.perUser).map((c) => c.module.title);
  const source = settings.claim
    ? `logins from the JWT claim ${settings.claim}`
    : settings.mapFile
      ? `logins from ${settings.mapFile.path} (${settings.mapFile.entries} ${settings.mapFile.entries === 1 ? 'entry' : 'entries'})`
      : 'no login source for impersonation (BASTION_IDENTITY_CLAIM or BASTION_IDENTITY_MAP_FILE): only linked personal credentials';
  const detail =
    `per-user: ${personal.length ? `${personal.join(', ')} run as each caller, never as a shared account` : 'no enabled connector acts per person'}; ${source}` +
    (shared.length ? `; ${shared.join(', ')} stay on the shared credential` : '');
  return [
    { name: 'identity', status: 'ok', detail },
    ...(settings.mapFile ? [fileModeCheck('identity mapping file', settings.mapFile.path, 'BASTION_IDENTITY_MAP_FILE')] : []),
  ];
}

/** A non-ok check's detail ends with its fix, so that the text output and `detail` in JSON both say what to do. */
function withFix(check: DoctorCheck): DoctorCheck {
  // A message that already gives its remedy (e.g. "Fix it with: chmod 600 ...") is not told it twice.
  if (check.status === 'ok' || !check.fix || check.detail.includes(check.fix)) return check;
  return { ...check, detail: `${check.detail.replace(/[.\s]+$/, '')}. Fix: ${check.fix}` };
}

/** "1 warning", "2 warnings". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** How many tools serve would offer; a failure when none, since a client would get an empty list. */
function policyCheck(runtime: Runtime, failedConnectors: string[]): DoctorCheck {
  const enabled = enabledTools(runtime);
  const tools = enabled.length;
  const readOnly = runtime.global.BASTION_READ_ONLY ? ', read-only' : '';
  const missing = failedConnectors.length ? `; ${failedConnectors.join(', ')} could not be set up (see below)` : '';
  // bastion_status alone reports on connectors that are not there: a client would still have nothing to work with.
  if (enabled.some(({ tool }) => !CORE_TOOLS.some((core) => core.name === tool.name))) return { name: 'policy', status: 'ok', detail: `${count(tools, 'tool')} enabled${readOnly}${missing}` };
  return fail(
    'policy',
    `no tool of a connector enabled${readOnly}${missing}`,
    failedConnectors.length ? 'correct what the failed checks below name' : 'widen BASTION_TOOLS / BASTION_EXCLUDE_TOOLS or --read-only so that some tools remain',
  );
}

/** Runs every check and prints them; returns the exit code (0 only when nothing failed or warned). */
export async function runDoctor(flags: FlagSettings, options: { json: boolean }): Promise<number> {
  const setupErrors = new Map<string, unknown>();
  // Doctor's own output goes to stdout, and every warning a log line would give is one of its checks: no log lines
  // unless --log-level asks for them.
  const runtime = await createRuntime({ BASTION_LOG_LEVEL: 'silent', ...flags }, { onSetupError: (part, error) => setupErrors.set(part, error) });
  const GENERAL_PARTS = ['redis', 'audit', 'vault', 'identity'];
  const failedConnectors = [...setupErrors.keys()].filter((part) => !GENERAL_PARTS.includes(part));
  const sections: Array<{ connector: string; checks: DoctorCheck[] }> = [];
  const general: DoctorCheck[] = [
    policyCheck(runtime, failedConnectors),
    confirmationCheck(runtime),
    auditCheck(runtime, setupErrors.get('audit')),
    ...settingsFileChecks(runtime),
    await keyringCheck(runtime),
    ...(await cacheChecks(runtime, setupErrors.get('redis'))),
    ...(await vaultChecks(runtime, setupErrors.get('vault'))),
    ...httpChecks(runtime),
    ...identityChecks(runtime, setupErrors.get('identity')),
  ];
  sections.push({ connector: 'bastion', checks: general });
  for (const { runtime: connector } of runtime.connectors) {
    const signal = AbortSignal.timeout(20_000);
    let checks: DoctorCheck[];
    try {
      checks = await connector.doctor(signal);
    } catch (error) {
      checks = [fail('checks', message(error), 'run bastion doctor --log-level debug and correct what the log names')];
    }
    sections.push({ connector: connector.name, checks });
  }
  for (const [part, error] of setupErrors) if (!GENERAL_PARTS.includes(part)) sections.push({ connector: part, checks: [setupFailure('configuration', error)] });
  await runtime.close();

  const shown = sections.map((section) => ({ connector: section.connector, checks: section.checks.map(withFix) }));
  const all = shown.flatMap((section) => section.checks);
  const failed = all.filter((c) => c.status === 'fail').length;
  const warned = all.filter((c) => c.status === 'warn').length;
  if (options.json) {
    process.stdout.write(`${redact(JSON.stringify({ sections: shown, summary: { failed, warnings: warned } }, null, 2))}\n`);
  } else {
    for (const section of shown) {
      process.stdout.write(`${section.connector}\n`);
      for (const check of section.checks) process.stdout.write(redact(`  [${MARK[check.status]}] ${check.name}: ${check.detail}\n`));
    }
    process.stdout.write(failed || warned ? `\n${failed} failed, ${count(warned, 'warning')}.\n` : '\nAll checks passed.\n');
  }
  return failed || warned ? 1 : 0;
}
