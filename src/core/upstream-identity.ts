// Who a tool call runs as upstream. In `shared` mode (stdio, and HTTP by default) a connector uses its one
// credential. In `per-user` mode (HTTP) every call of a connector that acts per person (Redmine, YouTrack) runs as
// the calling person: by impersonation (Redmine's admin key + X-Redmine-Switch-User) or with a personal credential
// the person linked. There is no fallback: without an identity for the caller the call is refused.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { AuditSink } from './audit.js';
import { ConfigError } from './errors.js';
import type { Secret } from './secrets.js';

/** A personal credential a person linked for one connector (stored encrypted by the vault). */
export interface LinkedCredential {
  secret: Secret;
  /** upstream login it belongs to, checked when linked */
  login: string;
  linkedAt: string;
}

export interface LinkedCredentialStore {
  get(connector: string, caller: string): Promise<LinkedCredential | undefined>;
  link(connector: string, caller: string, credential: LinkedCredential): Promise<void>;
  unlink(connector: string, caller: string): Promise<boolean>;
  list(): Promise<Array<{ connector: string; caller: string; login: string; linkedAt: string }>>;
}

/** How one tool call reaches upstream. */
export type UpstreamIdentity =
  | { kind: 'shared' } // stdio, or BASTION_IDENTITY=shared
  | { kind: 'impersonated'; login: string } // Redmine: service key + X-Redmine-Switch-User
  | { kind: 'linked'; login: string; secret: Secret }; // the person's own key/token

/** Thrown when per-user mode has no identity for this caller on this connector: never fall back to the shared credential. */
export class IdentityRequiredError extends Error {
  override name = 'IdentityRequiredError';
  constructor(
    readonly connector: string,
    readonly caller: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The upstream refused to act as the caller's login (unknown or locked user, or a service key that cannot switch
 * users). The call did not run, and does not run as the service account either.
 */
export class IdentityRefusedError extends Error {
  override name = 'IdentityRefusedError';
  constructor(
    readonly connector: string,
    readonly caller: string,
    readonly login: string,
    message: string,
  ) {
    super(message);
  }
}

export const IDENTITY_MODES = ['shared', 'per-user'] as const;
export type IdentityMode = (typeof IDENTITY_MODES)[number];

/** What a connector that acts per person offers the resolver (connectors without it stay shared: ETIM, MQTT). */
export interface PerUserSupport {
  /** The system as users name it ("Redmine"), for messages. */
  service: string;
  /**
   * Present when the operator turned impersonation on: confirms upstream that the service credential acts as this
   * login (once per login, then cached), returning the login as upstream spells it. Throws an IdentityRefusedError
   * (built with `refuse(reason)`, which names the caller and the login) when upstream will not act as it.
   */
  impersonate?: (login: string, refuse: (reason: string) => IdentityRefusedError, signal: AbortSignal) => Promise<string>;
  /** The client to hand a tool for one identity; views share connection pools (auth is a per-request header) but no cached answers. */
  clientFor(identity: UpstreamIdentity): unknown;
  /** Whether an error of a call made as `identity` means upstream no longer accepts that identity (Redmine: 412). */
  identityRefused?(identity: UpstreamIdentity, error: unknown): boolean;
}

/** The verified caller as the pipeline knows it. */
export interface CallerIdentity {
  /** The caller's name (the static token's name, or the JWT's client). */
  name: string;
  /** The value of BASTION_IDENTITY_CLAIM in the caller's JWT, when the operator chose one. */
  person?: string;
}

/** A login header value must be one printable line: anything else cannot be a login and must never reach a header. */
const LOGIN = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

const MapFileSchema = z.record(
  z.string().min(1, 'token names cannot be empty').max(100),
  z.string().regex(LOGIN, 'must be an upstream login: one line of printable ASCII, at most 255 characters, no spaces around it'),
);

/** BASTION_IDENTITY_MAP_FILE: a JSON object of token names to upstream logins, in a file only its owner can read. */
export function readIdentityMap(path: string, options: { allowInsecureMode?: boolean } = {}): { logins: ReadonlyMap<string, string>; mode: number } {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    throw new ConfigError(`The identity mapping file ${path} (BASTION_IDENTITY_MAP_FILE) does not exist or cannot be read.`, 'set BASTION_IDENTITY_MAP_FILE to the path of the mapping file');
  }
  if ((mode & 0o077) !== 0 && !options.allowInsecureMode) {
    throw new ConfigError(`The identity mapping file ${path} (BASTION_IDENTITY_MAP_FILE) is readable by group or others (mode ${mode.toString(8)}). Fix it with: chmod 600 ${path}`, `chmod 600 ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(`The identity mapping file ${path} (BASTION_IDENTITY_MAP_FILE) is not valid JSON: write an object of token names to logins, e.g. {"alice-laptop": "alice"}.`);
  }
  const result = MapFileSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.length ? `"${issue.path.join('.')}"` : 'the file'}: ${issue.message}`).join('; ');
    throw new ConfigError(`The identity mapping file ${path} (BASTION_IDENTITY_MAP_FILE): ${problems}. It holds an object of token names to logins, e.g. {"alice-laptop": "alice"}.`);
  }
  return { logins: new Map(Object.entries(result.data)), mode };
}

export interface ResolverOptions {
  mode: IdentityMode;
  /** Where the login comes from, for doctor and audit: "claim preferred_username" or "map /etc/bastion/logins.json". */
  loginSource?: string;
  /** Why a caller has no login, for the refusal ("the token has no preferred_username claim"). */
  missingLogin?: (caller: CallerIdentity) => string;
  /** The caller's upstream login (from the claim or the mapping), or undefined when there is none. */
  loginOf?: (caller: CallerIdentity) => string | undefined;
  /** Personal credentials (the vault); absent until one is configured. */
  store?: LinkedCredentialStore;
  audit: AuditSink;
  /** How long a confirmed impersonation is trusted before it is checked upstream again. */
  ttlMs?: number;
}

/** How long a login confirmed upstream is used without asking again (a lock in Redmine shows at once as a 412 anyway). */
export const IMPERSONATION_TTL_MS = 10 * 60_000;
const MAX_CACHED = 10_000;

/** Resolves the verified caller to the upstream identity of one call, and remembers confirmed impersonations. */
export class UpstreamIdentityResolver {
  /** Confirmed logins per connector ("redmine\0alice" → login as upstream spells it, confirmed at). */
  private readonly confirmed = new Map<string, { login: string; at: number }>();
  private readonly checking = new Map<string, Promise<string>>();

  constructor(private readonly options: ResolverOptions) {}

  get mode(): IdentityMode {
    return this.options.mode;
  }

  /** Personal credentials, once the vault is open (it may live in Redis, which is connected after the settings are read). */
  useStore(store: LinkedCredentialStore): void {
    this.options.store = store;
  }

  get loginSource(): string | undefined {
    return this.options.loginSource;
  }

  /** The identity a call of `connector` by `caller` runs as; throws instead of falling back to the shared credential. */
  async resolve(target: { name: string; perUser?: PerUserSupport; credential?: Secret }, caller: CallerIdentity, signal: AbortSignal): Promise<UpstreamIdentity> {
    const { name: connector, perUser: support } = target;
    // ETIM and MQTT have no per-person identity: they stay shared in every mode.
    if (this.options.mode === 'shared' || !support) return { kind: 'shared' };
    if (support.impersonate) {
      const login = this.options.loginOf?.(caller);
      if (login === undefined) {
        const why = this.options.missingLogin?.(caller) ?? 'no login is configured for it';
        throw this.refusal(target, caller, `caller ${caller.name} has no ${support.service} login (${why}), so the call did not run: Bastion never falls back to its shared account in per-user mode. Ask the operator to add your login.`);
      }
      return { kind: 'impersonated', login: await this.confirm(target, support, caller, login, signal) };
    }
    const linked = await this.options.store?.get(connector, caller.name);
    if (linked) return { kind: 'linked', login: linked.login, secret: linked.secret };
    throw new IdentityRequiredError(
      connector,
      caller.name,
      `Caller ${caller.name} has no linked ${support.service} account, and Bastion runs in per-user mode (BASTION_IDENTITY=per-user), ` +
        `where ${support.service} tools run only as the calling person, never as a shared account. Nothing was sent to ${support.service}. ` +
        `Ask the operator to link your ${support.service} account${connector === 'redmine' ? ' (or to turn on impersonation with REDMINE_IMPERSONATE)' : ''}.`,
    );
  }

  /** Forgets a confirmed login (upstream just refused it): the next call checks again. */
  forget(connector: string, login: string): void {
    // Keyed by the login as the caller's settings give it; upstream may spell it otherwise (Redmine: any case).
    for (const [key, value] of this.confirmed) {
      if (key.startsWith(`${connector}\0`) && (value.login === login || key === `${connector}\0${login}`)) this.confirmed.delete(key);
    }
  }

  /** A refusal recorded as a credential event: who asked and why, never a credential. */
  refusal(target: { name: string; credential?: Secret }, caller: CallerIdentity, reason: string, login = ''): IdentityRefusedError {
    const connector = target.name;
    this.options.audit.record({
      type: 'credential',
      event: 'impersonation_refused',
      connector,
      source: this.options.loginSource ?? 'per-user',
      credential: target.credential?.fingerprint ?? '',
      outcome: 'denied',
      caller: caller.name,
      ...(login ? { upstream: login } : {}),
      detail: reason,
    });
    return new IdentityRefusedError(connector, caller.name, login, reason.charAt(0).toUpperCase() + reason.slice(1));
  }

  private async confirm(target: { name: string; credential?: Secret }, support: PerUserSupport, caller: CallerIdentity, login: string, signal: AbortSignal): Promise<string> {
    const key = `${target.name}\0${login}`;
    const known = this.confirmed.get(key);
    if (known && Date.now() - known.at < (this.options.ttlMs ?? IMPERSONATION_TTL_MS)) return known.login;
    // Concurrent first calls of one person share one check.
    let running = this.checking.get(key);
    if (!running) {
      running = support
        .impersonate!(login, (reason) => this.refusal(target, caller, `caller ${caller.name} cannot act in ${support.service} as "${login}": ${reason}.`, login), signal)
        .then((upstreamLogin) => {
          if (this.confirmed.size >= MAX_CACHED) this.confirmed.clear();
          this.confirmed.set(key, { login: upstreamLogin, at: Date.now() });
          return upstreamLogin;
        })
        .finally(() => this.checking.delete(key));
      this.checking.set(key, running);
    }
    return running;
  }
}

/** The caller's login from the JWT claim or the mapping file, if any; an unusable value counts as none. */
export function loginFinder(settings: { claim?: string; map?: ReadonlyMap<string, string> }): (caller: CallerIdentity) => string | undefined {
  return (caller) => {
    const login = settings.claim ? caller.person : settings.map?.get(caller.name);
    return login !== undefined && LOGIN.test(login) ? login : undefined;
  };
}

/** The identity as audit records and messages name it. */
export function describeUpstream(identity: UpstreamIdentity): { upstream: string; upstream_kind: UpstreamIdentity['kind'] } {
  return { upstream: identity.kind === 'shared' ? 'shared' : identity.login, upstream_kind: identity.kind };
}

/** The identity settings as read at start, for the resolver and doctor. */
export interface IdentitySettings {
  mode: IdentityMode;
  claim?: string;
  mapFile?: { path: string; mode: number; entries: number };
}

/**
 * Reads BASTION_IDENTITY and its companions and builds the resolver; a clear ConfigError names the setting for every
 * combination that could not work (per-user over stdio, a claim without JWTs, both a claim and a mapping).
 */
export function identityFromSettings(
  g: {
    BASTION_IDENTITY: IdentityMode;
    BASTION_IDENTITY_CLAIM?: string;
    BASTION_IDENTITY_MAP_FILE?: string;
    BASTION_TRANSPORT: 'stdio' | 'http';
    BASTION_OAUTH_ISSUER?: string;
    BASTION_ALLOW_INSECURE_SECRET_FILES: boolean;
  },
  audit: AuditSink,
): { resolver: UpstreamIdentityResolver; settings: IdentitySettings } {
  const mode = g.BASTION_IDENTITY;
  if (mode === 'shared') return { resolver: new UpstreamIdentityResolver({ mode, audit }), settings: { mode } };
  if (g.BASTION_TRANSPORT !== 'http') {
    throw new ConfigError(
      'BASTION_IDENTITY=per-user needs the HTTP transport: over stdio Bastion serves one person, with the connectors\' own credentials. ' +
        'Serve with --transport http (BASTION_TRANSPORT=http), or remove BASTION_IDENTITY.',
      'set BASTION_TRANSPORT=http, or remove BASTION_IDENTITY',
    );
  }
  const claim = g.BASTION_IDENTITY_CLAIM;
  if (claim && g.BASTION_IDENTITY_MAP_FILE) {
    throw new ConfigError('Set either BASTION_IDENTITY_CLAIM (the login from a JWT claim) or BASTION_IDENTITY_MAP_FILE (token names to logins), not both.');
  }
  if (claim && !g.BASTION_OAUTH_ISSUER) {
    throw new ConfigError(
      `BASTION_IDENTITY_CLAIM=${claim} reads the login from the caller's JWT, but callers do not authenticate with JWTs here (BASTION_OAUTH_ISSUER is not set). ` +
        'Set BASTION_OAUTH_ISSUER, or map static token names to logins with BASTION_IDENTITY_MAP_FILE instead.',
    );
  }
  if (claim) {
    return {
      resolver: new UpstreamIdentityResolver({
        mode,
        audit,
        loginSource: `claim ${claim}`,
        loginOf: loginFinder({ claim }),
        missingLogin: () => `its token has no usable ${claim} claim`,
      }),
      settings: { mode, claim },
    };
  }
  if (g.BASTION_IDENTITY_MAP_FILE) {
    const path = g.BASTION_IDENTITY_MAP_FILE;
    const { logins, mode: fileMode } = readIdentityMap(path, { allowInsecureMode: g.BASTION_ALLOW_INSECURE_SECRET_FILES });
    return {
      resolver: new UpstreamIdentityResolver({
        mode,
        audit,
        loginSource: `map ${path}`,
        loginOf: loginFinder({ map: logins }),
        missingLogin: (caller) => `the token name ${caller.name} is not in BASTION_IDENTITY_MAP_FILE`,
      }),
      settings: { mode, mapFile: { path, mode: fileMode, entries: logins.size } },
    };
  }
  return { resolver: new UpstreamIdentityResolver({ mode, audit }), settings: { mode } };
}

/** After the connectors are built: impersonation needs a source of logins. */
export function checkImpersonationSource(settings: IdentitySettings, connectors: Array<{ name: string; perUser?: PerUserSupport }>): void {
  if (settings.mode !== 'per-user' || settings.claim || settings.mapFile) return;
  const impersonating = connectors.find((connector) => connector.perUser?.impersonate);
  if (impersonating) {
    throw new ConfigError(
      `${impersonating.perUser!.service} impersonation is on, but nothing says which login each caller has: set BASTION_IDENTITY_CLAIM (a JWT claim such as preferred_username) or BASTION_IDENTITY_MAP_FILE (token names to logins).`,
    );
  }
}
