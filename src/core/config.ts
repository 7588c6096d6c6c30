// Settings come from four sources, highest first: CLI flags, the process environment, a .env file,
// and a JSON config file. All of them are variables with the same names (REDMINE_URL, BASTION_READ_ONLY, ...),
// so one schema validates them whichever source they came from.
// Files are read only when the operator named them (--env-file, --config) or put them in Bastion's own
// configuration directory: MCP hosts start servers in the user's workspace, often a cloned repository, whose
// ./.env must not change what Bastion does.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { DEFAULT_ATTACHMENT_MAX_BYTES } from './attachment.js';
import { ConfigError } from './errors.js';
import { LOG_LEVELS } from './logger.js';

export type SettingSource = 'flag' | 'env' | 'dotenv' | 'config';

export interface Settings {
  /** The merged variables. */
  values: Readonly<Record<string, string | undefined>>;
  sourceOf(name: string): SettingSource | undefined;
  /** The value of a variable in one source only (credentials are looked up source by source). */
  valueIn(source: SettingSource, name: string): string | undefined;
  /** The .env and config files that were read, if any (doctor checks their modes when they hold a credential). */
  files?: {
    dotenv?: string;
    config?: string;
    /** A ./.env in the working directory that nobody named, so it was not read. */
    ignoredDotenv?: string;
  };
}

export interface LoadOptions {
  /** Flags already translated to their BASTION_* variable names. */
  flags?: Record<string, string | undefined>;
  processEnv?: Record<string, string | undefined>;
  cwd?: string;
}

/** Parses a boolean setting strictly: a typo is an error, not `false`. */
export const booleanSetting = z
  .union([z.boolean(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const text = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off', ''].includes(text)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
    return z.NEVER;
  });

/**
 * BASTION_CONFIRM_DESTRUCTIVE: `ask` (true) asks the person at the client where the client can ask and runs unasked
 * where it cannot; `require` refuses destructive tools for clients that cannot ask; `off` (false) never asks.
 * The boolean spellings of earlier versions keep their meaning.
 */
export const CONFIRM_MODES = ['ask', 'require', 'off'] as const;
export type ConfirmMode = (typeof CONFIRM_MODES)[number];
export const confirmSetting = z
  .union([z.boolean(), z.string()])
  .transform((value, ctx): ConfirmMode => {
    const text = String(value).trim().toLowerCase();
    if (['true', '1', 'yes', 'on', 'ask'].includes(text)) return 'ask';
    if (['false', '0', 'no', 'off', ''].includes(text)) return 'off';
    if (text === 'require' || text === 'required') return 'require';
    ctx.addIssue({
      code: 'custom',
      message: `expected true (ask where the client can), require (refuse destructive tools for clients that cannot ask) or false (never ask), got "${String(value)}"`,
    });
    return z.NEVER;
  });

/** A comma-separated list; blanks removed. */
export const listSetting = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

export const GlobalSettingsSchema = z.object({
  BASTION_CONNECTORS: listSetting.optional(),
  BASTION_READ_ONLY: booleanSetting.default(false),
  BASTION_TOOLS: listSetting.default([]),
  BASTION_EXCLUDE_TOOLS: listSetting.default([]),
  BASTION_TOOLSETS: listSetting.optional(),
  BASTION_TOOL_SCHEMAS: z.enum(['compact', 'full']).default('compact'),
  BASTION_CONFIRM_DESTRUCTIVE: confirmSetting.default('ask'),
  BASTION_ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(DEFAULT_ATTACHMENT_MAX_BYTES),
  BASTION_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  BASTION_AUDIT_LOG: z.string().min(1).optional(),
  BASTION_ALLOW_INSECURE_SECRET_FILES: booleanSetting.default(false),
  BASTION_ALLOW_LINK_LOCAL: booleanSetting.default(false),
  BASTION_KEYRING: booleanSetting.default(true),
  BASTION_TRANSPORT: z.enum(['stdio', 'http']).default('stdio'),
  BASTION_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  BASTION_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  BASTION_TLS_CERT: z.string().min(1).optional(),
  BASTION_TLS_KEY: z.string().min(1).optional(),
  BASTION_HTTP_AUTH: booleanSetting.default(true),
  BASTION_HTTP_TOKENS_FILE: z.string().min(1).optional(),
  BASTION_OAUTH_ISSUER: z.string().url().optional(),
  BASTION_OAUTH_JWKS_URL: z.string().url().optional(),
  BASTION_OAUTH_AUDIENCE: z.string().min(1).optional(),
  BASTION_HTTP_ALLOWED_HOSTS: listSetting.optional(),
  BASTION_HTTP_ALLOWED_ORIGINS: listSetting.optional(),
  BASTION_PUBLIC_URL: z.string().url().optional(),
  BASTION_RATE_LIMIT: z.string().default('120/min'),
  BASTION_RATE_LIMIT_INSTANCES: z.coerce.number().int().min(1).max(1000).default(1),
  BASTION_HTTP_MAX_BODY: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
  BASTION_HTTP_SESSION_IDLE: z.coerce.number().int().min(1).max(86_400).default(1800),
  BASTION_HTTP_MAX_SESSIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  BASTION_HTTP_REQUEST_TIMEOUT: z.coerce.number().int().min(1).max(3600).default(30),
  BASTION_HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  BASTION_HTTP_REFUSAL_LIMIT: z.string().default('30/min'),
  BASTION_HTTP_TRUSTED_PROXIES: listSetting.default([]),
  BASTION_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  BASTION_HTTP_FORCE: booleanSetting.default(false),
  // Who tool calls run as upstream (src/core/upstream-identity.ts): one shared account, or each HTTP caller's own.
  BASTION_IDENTITY: z.enum(['shared', 'per-user']).default('shared'),
  BASTION_IDENTITY_CLAIM: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be the name of a JWT claim, e.g. preferred_username or email').optional(),
  BASTION_IDENTITY_MAP_FILE: z.string().min(1).optional(),
  // Upstream HTTP through a proxy (src/core/proxy.ts reads them, lower-case spellings first).
  HTTPS_PROXY: z.string().optional(),
  HTTP_PROXY: z.string().optional(),
  NO_PROXY: z.string().optional(),
  // Personal upstream credentials (per-user mode over HTTP): the vault's key, its file, the connect links' lifetime.
  BASTION_VAULT_KEY_FILE: z.string().min(1).optional(),
  BASTION_VAULT_FILE: z.string().min(1).optional(),
  BASTION_CONNECT_LINK_TTL: z.coerce.number().int().min(1).max(3600).default(600),
  REDIS_URL: z.string().min(1).optional(),
  REDIS_CA_CERT: z.string().min(1).optional(),
});
export type GlobalSettings = z.output<typeof GlobalSettingsSchema>;

/** Reads a JSON config file: an object of variable names to strings, numbers, booleans or string lists. */
function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code ? `Cannot read config file ${path} (${code}).` : `Config file ${path} is not valid JSON.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must hold a JSON object of settings, e.g. {"REDMINE_URL": "https://..."}.`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out[key] = value.map(String).join(',');
    else if (['string', 'number', 'boolean'].includes(typeof value)) out[key] = String(value);
    else throw new ConfigError(`Config file ${path}: "${key}" must be a string, number, boolean or list of strings.`);
  }
  return out;
}

/**
 * Settings that hold a file path. Their values may start with `~` or `~/` (as README and doctor's fixes write them):
 * a shell expands that, but a .env, a --config file or an MCP client's `env` block does not, so Bastion does.
 */
export function isPathSetting(name: string): boolean {
  return /(_FILE|_CERT|_CLIENT_KEY|_TLS_KEY|_AUDIT_LOG)$/.test(name) || name === 'BASTION_CONFIG';
}

/** `~` and `~/...` at the start of a path become the home directory; `~user` and a `~` elsewhere stay as written. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

function expandPaths(layer: Record<string, string | undefined>, home: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(layer)) out[name] = value !== undefined && isPathSetting(name) ? expandHome(value, home) : value;
  return out;
}

/** The .env read when none is named: $XDG_CONFIG_HOME/bastion/.env, by default ~/.config/bastion/.env. */
export function defaultEnvFile(processEnv: Record<string, string | undefined> = process.env): string {
  // A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
  const xdg = processEnv.XDG_CONFIG_HOME;
  const configHome = xdg && isAbsolute(xdg) ? xdg : join(processEnv.HOME || homedir(), '.config');
  return join(configHome, 'bastion', '.env');
}

export function loadSettings(options: LoadOptions = {}): Settings {
  const rawEnv = options.processEnv ?? process.env;
  const home = rawEnv.HOME || homedir();
  const processEnv = expandPaths(rawEnv, home);
  const flags = expandPaths(Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, value]) => value !== undefined)), home);
  const cwd = options.cwd ?? process.cwd();
  const pick = (name: string): string | undefined => flags[name] ?? processEnv[name];

  const configPath = pick('BASTION_CONFIG');
  const configFile = configPath ? resolve(cwd, configPath) : undefined;
  const config = configFile ? expandPaths(readConfigFile(configFile), home) : {};

  const envFile = pick('BASTION_ENV_FILE');
  let dotenv: Record<string, string | undefined> = {};
  let dotenvFile: string | undefined;
  if (envFile) {
    dotenvFile = resolve(cwd, envFile);
    if (!existsSync(dotenvFile)) throw new ConfigError(`The env file ${dotenvFile} (--env-file / BASTION_ENV_FILE) does not exist.`);
  } else if (existsSync(defaultEnvFile(processEnv))) {
    dotenvFile = defaultEnvFile(processEnv);
  }
  if (dotenvFile) dotenv = expandPaths(parseEnv(readFileSync(dotenvFile, 'utf8')), home) as Record<string, string>;
  const localDotenv = resolve(cwd, '.env');
  const ignoredDotenv = localDotenv !== dotenvFile && existsSync(localDotenv) ? localDotenv : undefined;

  const layers: Array<[SettingSource, Record<string, string | undefined>]> = [
    ['flag', flags],
    ['env', processEnv],
    ['dotenv', dotenv],
    ['config', config],
  ];
  const values: Record<string, string | undefined> = {};
  const sources = new Map<string, SettingSource>();
  for (const [source, layer] of [...layers].reverse()) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined || value === '') continue;
      values[key] = value;
      sources.set(key, source);
    }
  }
  const bySource = new Map(layers);
  return {
    values,
    sourceOf: (name) => sources.get(name),
    valueIn: (source, name) => {
      const value = bySource.get(source)?.[name];
      return value === '' ? undefined : value;
    },
    files: { dotenv: dotenvFile, config: configFile, ignoredDotenv },
  };
}

/** Parses settings with a schema, turning every issue into one readable line naming the variable. */
export function parseSettings<S extends z.ZodType>(schema: S, values: Readonly<Record<string, string | undefined>>): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'settings'}: ${issue.message}`);
  throw new ConfigError(`Invalid settings:\n${lines.join('\n')}`);
}
