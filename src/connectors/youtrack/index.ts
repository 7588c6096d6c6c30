// The YouTrack connector: settings, token validation, client, tools and doctor checks.
import { z } from 'zod';
import { booleanSetting, listSetting, parseSettings } from '../../core/config.js';
import type { ConnectorContext, ConnectorModule, ConnectorRuntime, DoctorCheck, VariableDoc } from '../../core/connector.js';
import { requireCredential, type CredentialSpec } from '../../core/credentials.js';
import { credentialFileChecks, describeSource, fail, requestFailure, warn } from '../../core/doctor.js';
import type { PerUserSupport } from '../../core/upstream-identity.js';
import { ConfigError } from '../../core/errors.js';
import { extraHeadersFromSettings } from '../../core/extra-headers.js';
import { CredentialIdentity, CredentialRefusedError } from '../../core/identity.js';
import { Scope } from '../../core/policy.js';
import type { Secret } from '../../core/secrets.js';
import { YouTrackClient } from './client.js';
import { youtrackResources } from './resources.js';
import { youtrackTokenProblem } from './token.js';
import { youtrackTools } from './tools/index.js';

export const YOUTRACK_VARIABLES: VariableDoc[] = [
  { name: 'YOUTRACK_EXTRA_HEADERS', description: 'Extra request headers for a gateway in front of YouTrack: "Name: value" lines or a JSON object; values are secrets, never logged; Authorization and Host cannot be set here. Or YOUTRACK_EXTRA_HEADERS_FILE', secret: true },
  { name: 'YOUTRACK_URL', description: 'YouTrack URL: https://<name>.youtrack.cloud, or a self-hosted URL with its path (with or without /api)', required: true },
  { name: 'YOUTRACK_API_TOKEN', description: 'Permanent token (perm:...); or YOUTRACK_API_TOKEN_FILE', required: true, secret: true },
  { name: 'YOUTRACK_TOKEN_FILE', description: 'File holding the token (mode 600), checked before the environment' },
  { name: 'YOUTRACK_KEYRING_USERNAME', description: 'Keyring account user: the token is looked up as bastion/youtrack:<this>', default: 'default' },
  { name: 'YOUTRACK_VERIFY_SSL', description: 'Verify the server certificate; false is insecure and warned about', default: 'true' },
  { name: 'YOUTRACK_CA_CERT', description: 'PEM file of the CA that issued the server certificate' },
  { name: 'YOUTRACK_CLIENT_CERT', description: 'PEM client certificate for mutual TLS' },
  { name: 'YOUTRACK_CLIENT_KEY', description: 'PEM private key of the client certificate' },
  { name: 'YOUTRACK_PROJECTS', description: 'Comma-separated project short names every YouTrack tool is limited to' },
  { name: 'YOUTRACK_SECURITY_AUDIT_LOG', description: 'Alias of BASTION_AUDIT_LOG (the name the YouTrack server used)' },
  { name: 'YOUTRACK_TIMEOUT', description: 'Seconds to wait for YouTrack per request', default: '30' },
];

export const YOUTRACK_CREDENTIAL: CredentialSpec = {
  connector: 'youtrack',
  variable: 'YOUTRACK_API_TOKEN',
  tokenFileVariable: 'YOUTRACK_TOKEN_FILE',
  keyringUsernameVariable: 'YOUTRACK_KEYRING_USERNAME',
  validate: youtrackTokenProblem,
};

/** Hub's key for Low-level Admin Write, held globally by the System Admin role only (by default). */
const LOW_LEVEL_ADMIN_WRITE = 'jetbrains.jetpass.low-level';
/** Most clients of personal tokens kept at once; beyond it the oldest is closed and rebuilt on its next use. */
const MAX_PERSONAL_CLIENTS = 1_000;

interface PermissionCacheEntry {
  global?: boolean;
  permission?: { key?: string };
}

const SettingsSchema = z.object({
  YOUTRACK_URL: z.string().url('must be a URL like https://example.youtrack.cloud'),
  YOUTRACK_VERIFY_SSL: booleanSetting.default(true),
  YOUTRACK_CA_CERT: z.string().optional(),
  YOUTRACK_CLIENT_CERT: z.string().optional(),
  YOUTRACK_CLIENT_KEY: z.string().optional(),
  YOUTRACK_PROJECTS: listSetting.optional(),
  YOUTRACK_TIMEOUT: z.coerce.number().int().min(1).max(600).default(30),
});

interface YouTrackUser {
  login: string;
  fullName?: string;
  guest?: boolean;
  banned?: boolean;
}

// Without a valid token YouTrack answers 401, or (guest access on) serves the guest user: both are nobody.
function youtrackIdentity(client: YouTrackClient, variable: string, fix: string): CredentialIdentity<YouTrackUser> {
  return new CredentialIdentity<YouTrackUser>({
    service: 'YouTrack',
    variable,
    fix,
    whoami: async (signal) => {
      const me = await client.get<YouTrackUser>('/users/me', 'login,fullName,guest,banned', undefined, signal);
      return me?.login && !me.guest ? me : undefined;
    },
    describe: (me) => `${me.login}${me.fullName ? ` (${me.fullName})` : ''}`,
  });
}

async function create(context: ConnectorContext): Promise<ConnectorRuntime> {
  const settings = parseSettings(SettingsSchema, context.settings.values);
  const { secret: token, events } = await requireCredential(YOUTRACK_CREDENTIAL, context, 'YOUTRACK_URL is set but no token: set YOUTRACK_API_TOKEN, YOUTRACK_API_TOKEN_FILE or YOUTRACK_TOKEN_FILE, or store it with "bastion secret set youtrack".');
  if ((settings.YOUTRACK_CLIENT_CERT === undefined) !== (settings.YOUTRACK_CLIENT_KEY === undefined)) {
    throw new ConfigError('YOUTRACK_CLIENT_CERT and YOUTRACK_CLIENT_KEY go together: set both or neither.');
  }
  const extraHeaders = extraHeadersFromSettings(context.settings, 'YOUTRACK_EXTRA_HEADERS', [], { allowInsecureSecretFiles: context.allowInsecureSecretFiles });
  const tls = { verify: settings.YOUTRACK_VERIFY_SSL, caFile: settings.YOUTRACK_CA_CERT, certFile: settings.YOUTRACK_CLIENT_CERT, keyFile: settings.YOUTRACK_CLIENT_KEY };
  const clientFor = (key: Secret, onAuthFailure?: (request: string) => void) =>
    new YouTrackClient({ url: settings.YOUTRACK_URL, token: key, extraHeaders, tls, timeoutMs: settings.YOUTRACK_TIMEOUT * 1000, logger: context.logger, onAuthFailure });
  const client = clientFor(token, (request) => {
    events.authenticationFailed(`YouTrack answered 401 to ${request}`);
    identity.invalidate();
  });
  const identity = youtrackIdentity(client, 'YOUTRACK_API_TOKEN', 'set YOUTRACK_API_TOKEN to a permanent token of your user (Profile > Account Security > Tokens, with the YouTrack scope)');

  const checkPersonalCredential = async (key: Secret, signal: AbortSignal): Promise<string> => {
    const own = clientFor(key);
    try {
      return (await youtrackIdentity(own, 'the token you entered', 'create a permanent token in YouTrack under Profile > Account Security > Tokens, with the YouTrack scope').verify(signal)).login;
    } finally {
      await own.close();
    }
  };
  // Short names are matched regardless of case, as YouTrack itself does.
  const scope = new Scope('project', 'YOUTRACK_PROJECTS', settings.YOUTRACK_PROJECTS, true);

  const doctor = async (signal: AbortSignal): Promise<DoctorCheck[]> => {
    const checks: DoctorCheck[] = [
      { name: 'url', status: 'ok', detail: client.http.baseUrl.toString() },
      { name: 'credential', status: 'ok', detail: `YOUTRACK_API_TOKEN ${token.masked} from ${describeSource(token)}, fingerprint ${token.fingerprint}` },
      ...credentialFileChecks('YOUTRACK_API_TOKEN', token),
      { name: 'tls', ...client.http.describeTransport({ url: 'YOUTRACK_URL', verify: 'YOUTRACK_VERIFY_SSL', ca: 'YOUTRACK_CA_CERT' }) },
      { name: 'scope', status: 'ok', detail: scope.active ? `limited to projects ${scope.values.join(', ')}` : 'all projects the token can see' },
    ];
    try {
      const me = await identity.verify(signal);
      checks.push({ name: 'reachability', status: 'ok', detail: 'YouTrack answered' });
      const who = `the token belongs to ${identity.describe(me)}${me.banned ? ', banned' : ''}`;
      checks.push(me.banned ? warn('identity', who, 'use a permanent token of an active user') : { name: 'identity', status: 'ok', detail: who });
      checks.push(await privilegesCheck(me.login, signal));
      for (const shortName of scope.values) {
        try {
          await client.project(shortName, signal);
          checks.push({ name: `project ${shortName}`, status: 'ok', detail: 'visible' });
        } catch (error) {
          checks.push(
            fail(`project ${shortName}`, error instanceof Error ? error.message : String(error), `give ${me.login} access to ${shortName}, or remove it from YOUTRACK_PROJECTS`),
          );
        }
      }
    } catch (error) {
      if (error instanceof CredentialRefusedError) checks.push(fail('identity', error.problem, error.fix ?? ''));
      else checks.push(requestFailure('reachability', error, { service: 'YouTrack', url: 'YOUTRACK_URL', credential: 'YOUTRACK_API_TOKEN' }));
    }
    return checks;
  };

  /** Whether the token's user holds YouTrack's global Low-level Admin Write permission (System Admin role). */
  const privilegesCheck = async (login: string, signal: AbortSignal): Promise<DoctorCheck> => {
    const fix = `create a dedicated user without the System Admin role, grant it a project role (e.g. Developer) in the projects Bastion needs only, and use its permanent token`;
    try {
      // The current user's permissions as YouTrack's own apps read them; $top=-1 for all (the default is 42).
      const cache = await client.get<PermissionCacheEntry[]>('/permissions/cache', 'global,permission(key)', { $top: -1 }, signal);
      const admin = cache.some((entry) => entry.global && entry.permission?.key === LOW_LEVEL_ADMIN_WRITE);
      return admin
        ? warn('privileges', `${login} is a YouTrack administrator (global Low-level Admin Write): a leaked token could change every setting, user and project`, fix)
        : { name: 'privileges', status: 'ok', detail: 'not an administrator' };
    } catch (error) {
      return warn('privileges', `cannot tell whether ${login} is an administrator: ${error instanceof Error ? error.message : String(error)}`, `check in Administration > Users that ${login} has no System Admin role; ${fix}`);
    }
  };

  // Who the token belongs to: one GET of one field.
  const ready = async (signal: AbortSignal): Promise<void> => {
    await client.get('/users/me', 'login', undefined, signal);
  };

  // Per-user mode: YouTrack acts per person (no impersonation exists), so without a person's own token a call is
  // refused by the resolver, never run with the shared token.
  const personal = new Map<string, YouTrackClient>();
  const perUser: PerUserSupport = {
    service: 'YouTrack',
    clientFor: (upstream) => {
      if (upstream.kind !== 'linked') return client;
      // One client per linked token (its own remembered answers), found again by the token's fingerprint.
      let own = personal.get(upstream.secret.fingerprint);
      if (!own) {
        if (personal.size >= MAX_PERSONAL_CLIENTS) {
          const [oldest, dropped] = personal.entries().next().value!;
          personal.delete(oldest);
          void dropped.close();
        }
        own = clientFor(upstream.secret);
        personal.set(upstream.secret.fingerprint, own);
      }
      return own;
    },
  };
  return {
    name: 'youtrack',
    client,
    scope,
    credential: token,
    identity,
    checkPersonalCredential,
    perUser,
    doctor,
    ready,
    close: async () => {
      await Promise.all([client.close(), ...[...personal.values()].map((own) => own.close())]);
    },
  };
}

export const youtrackConnector: ConnectorModule = {
  name: 'youtrack',
  title: 'YouTrack',
  variables: YOUTRACK_VARIABLES,
  credential: YOUTRACK_CREDENTIAL,
  tools: youtrackTools,
  resources: youtrackResources,
  create,
};
