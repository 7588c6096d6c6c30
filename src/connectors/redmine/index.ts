// The Redmine connector: settings, client, tools and doctor checks.
import { z } from 'zod';
import { booleanSetting, listSetting, parseSettings } from '../../core/config.js';
import type { ConnectorContext, ConnectorModule, ConnectorRuntime, DoctorCheck, VariableDoc } from '../../core/connector.js';
import { ConfigError, UpstreamError } from '../../core/errors.js';
import type { PerUserSupport, UpstreamIdentity } from '../../core/upstream-identity.js';
import { CredentialIdentity, CredentialRefusedError } from '../../core/identity.js';
import { Scope } from '../../core/policy.js';
import type { Secret } from '../../core/secrets.js';
import { requireCredential, type CredentialSpec } from '../../core/credentials.js';
import { extraHeadersFromSettings } from '../../core/extra-headers.js';
import { credentialCheck, credentialFileChecks, fail, requestFailure, warn } from '../../core/doctor.js';
import { RedmineClient } from './client.js';
import { redmineTools } from './tools/index.js';

export const REDMINE_VARIABLES: VariableDoc[] = [
  { name: 'REDMINE_URL', description: 'Base URL of Redmine, with its sub-path if any (https://host/redmine)', required: true },
  { name: 'REDMINE_API_KEY', description: 'API key (My account > API access key); or REDMINE_API_KEY_FILE', required: true, secret: true },
  { name: 'REDMINE_KEYRING_USERNAME', description: 'Keyring account user: the key is looked up as bastion/redmine:<this> (see bastion secret set)', default: 'default' },
  { name: 'REDMINE_VERIFY_SSL', description: 'Verify the server certificate; false is insecure and warned about', default: 'true' },
  { name: 'REDMINE_CA_CERT', description: 'PEM file of the CA that issued the server certificate (self-signed setups)' },
  { name: 'REDMINE_CLIENT_CERT', description: 'PEM client certificate for mutual TLS' },
  { name: 'REDMINE_CLIENT_KEY', description: 'PEM private key of the client certificate' },
  { name: 'REDMINE_PROJECTS', description: 'Comma-separated project identifiers (or ids) every Redmine tool and result is limited to (subprojects only if listed)' },
  { name: 'REDMINE_TIMEOUT', description: 'Seconds to wait for Redmine per request', default: '30' },
  { name: 'REDMINE_EXTRA_HEADERS', description: 'Extra request headers for a gateway in front of Redmine: "Name: value" lines or a JSON object; values are secrets, never logged; Authorization, Host, X-Redmine-API-Key and X-Redmine-Switch-User cannot be set here. Or REDMINE_EXTRA_HEADERS_FILE', secret: true },
  { name: 'REDMINE_IMPERSONATE', description: 'With BASTION_IDENTITY=per-user: act as each caller\'s own Redmine user (X-Redmine-Switch-User); REDMINE_API_KEY must then be an administrator\'s key', default: 'false' },
];

export const REDMINE_CREDENTIAL: CredentialSpec = {
  connector: 'redmine',
  variable: 'REDMINE_API_KEY',
  keyringUsernameVariable: 'REDMINE_KEYRING_USERNAME',
};

const SettingsSchema = z.object({
  REDMINE_URL: z.string().url('must be a URL like https://redmine.example.com'),
  REDMINE_VERIFY_SSL: booleanSetting.default(true),
  REDMINE_CA_CERT: z.string().optional(),
  REDMINE_CLIENT_CERT: z.string().optional(),
  REDMINE_CLIENT_KEY: z.string().optional(),
  REDMINE_PROJECTS: listSetting.optional(),
  REDMINE_TIMEOUT: z.coerce.number().int().min(1).max(600).default(30),
  REDMINE_IMPERSONATE: booleanSetting.default(false),
});

interface RedmineUser {
  id: number;
  login: string;
  admin?: boolean;
}

// Redmine serves an unknown key as its anonymous user (public projects only); /users/current.json answers 401 then.
function redmineIdentity(client: RedmineClient, variable: string, fix: string): CredentialIdentity<RedmineUser> {
  return new CredentialIdentity<RedmineUser>({
    service: 'Redmine',
    variable,
    fix,
    whoami: async (signal) => {
      const { user } = await client.get<{ user?: RedmineUser }>('/users/current.json', undefined, signal);
      return user?.login ? user : undefined;
    },
    describe: (user) => `${user.login} (id ${user.id})`,
  });
}

async function create(context: ConnectorContext): Promise<ConnectorRuntime> {
  const settings = parseSettings(SettingsSchema, context.settings.values);
  const { secret: apiKey, events } = await requireCredential(REDMINE_CREDENTIAL, context, 'REDMINE_URL is set but no API key: set REDMINE_API_KEY or REDMINE_API_KEY_FILE, or store it with "bastion secret set redmine".');
  if ((settings.REDMINE_CLIENT_CERT === undefined) !== (settings.REDMINE_CLIENT_KEY === undefined)) {
    throw new ConfigError('REDMINE_CLIENT_CERT and REDMINE_CLIENT_KEY go together: set both or neither.');
  }
  const tls = {
    verify: settings.REDMINE_VERIFY_SSL,
    caFile: settings.REDMINE_CA_CERT,
    certFile: settings.REDMINE_CLIENT_CERT,
    keyFile: settings.REDMINE_CLIENT_KEY,
  };
  const extraHeaders = extraHeadersFromSettings(context.settings, 'REDMINE_EXTRA_HEADERS', ['X-Redmine-API-Key', 'X-Redmine-Switch-User'], { allowInsecureSecretFiles: context.allowInsecureSecretFiles });
  const clientFor = (key: Secret, onAuthFailure?: (request: string) => void) =>
    new RedmineClient({ url: settings.REDMINE_URL, apiKey: key, extraHeaders, tls, timeoutMs: settings.REDMINE_TIMEOUT * 1000, logger: context.logger, onAuthFailure });
  const client = clientFor(apiKey, (request) => {
    events.authenticationFailed(`Redmine answered 401 to ${request}`);
    identity.invalidate();
  });
  const identity = redmineIdentity(client, 'REDMINE_API_KEY', 'set REDMINE_API_KEY to the key shown in Redmine under My account > API access key');

  const checkPersonalCredential = async (key: Secret, signal: AbortSignal): Promise<string> => {
    const own = clientFor(key);
    try {
      return (await redmineIdentity(own, 'the API key you entered', 'copy your key from Redmine under My account > API access key').verify(signal)).login;
    } finally {
      await own.close();
    }
  };
  const scope = new Scope('project', 'REDMINE_PROJECTS', settings.REDMINE_PROJECTS);
  const perUser = redminePerUser(client, settings.REDMINE_IMPERSONATE, (key) => clientFor(key));

  const doctor = async (signal: AbortSignal): Promise<DoctorCheck[]> => {
    const checks: DoctorCheck[] = [
      { name: 'url', status: 'ok', detail: client.http.baseUrl.toString() },
      credentialCheck('REDMINE_API_KEY', apiKey),
      ...credentialFileChecks('REDMINE_API_KEY', apiKey),
      { name: 'tls', ...client.http.describeTransport({ url: 'REDMINE_URL', verify: 'REDMINE_VERIFY_SSL', ca: 'REDMINE_CA_CERT' }) },
      { name: 'scope', status: 'ok', detail: scope.active ? `limited to projects ${scope.values.join(', ')}` : 'all projects the key can see' },
    ];
    try {
      const user = await identity.verify(signal);
      checks.push({ name: 'reachability', status: 'ok', detail: 'Redmine answered with the REST API enabled' });
      checks.push({ name: 'identity', status: 'ok', detail: `the key belongs to ${user.login} (id ${user.id})` });
      const impersonating = settings.REDMINE_IMPERSONATE && context.settings.values.BASTION_IDENTITY === 'per-user';
      if (impersonating) checks.push(await impersonationCheck(client, user, signal));
      else if (settings.REDMINE_IMPERSONATE) checks.push(warn('impersonation', 'REDMINE_IMPERSONATE=true has no effect in shared mode: every call runs as the key\'s user', 'set BASTION_IDENTITY=per-user (HTTP) to run calls as each caller, or remove REDMINE_IMPERSONATE'));
      checks.push(
        impersonating && user.admin
          ? { name: 'privileges', status: 'ok', detail: `${user.login} is an administrator, as impersonation needs; guard this key like an administrator's password` }
          : user.admin
          ? warn(
              'privileges',
              `${user.login} is a Redmine administrator: a key of a user with only the needed project roles limits the damage of a leak`,
              'create a dedicated user without the administrator flag, add it as a member of the projects Bastion needs (with a role granting only the needed permissions), and use its API key',
            )
          : { name: 'privileges', status: 'ok', detail: 'not an administrator' },
      );
      if (scope.active) {
        for (const project of scope.values) {
          try {
            await client.get(`/projects/${encodeURIComponent(project)}.json`, undefined, signal);
            checks.push({ name: `project ${project}`, status: 'ok', detail: 'visible' });
          } catch (error) {
            checks.push(
              fail(`project ${project}`, error instanceof Error ? error.message : String(error), `add ${user.login} as a member of ${project}, or remove it from REDMINE_PROJECTS`),
            );
          }
        }
      }
    } catch (error) {
      if (error instanceof CredentialRefusedError) checks.push(fail('identity', error.problem, error.fix ?? ''));
      else checks.push(requestFailure('reachability', error, { service: 'Redmine', url: 'REDMINE_URL (and that the REST API is enabled: Administration > Settings > API)', credential: 'REDMINE_API_KEY' }));
    }
    return checks;
  };

  // Who the key belongs to (one GET that needs the REST API and a valid key, and finds a wrong base path), and
  // that the projects of REDMINE_PROJECTS exist by those identifiers.
  const ready = async (signal: AbortSignal): Promise<void> => {
    await client.checkSettings(scope, signal);
  };

  return { name: 'redmine', client, scope, credential: apiKey, identity, checkPersonalCredential, perUser, doctor, ready, close: async () => {
      await Promise.all([client.close(), perUser.close()]);
    } };
}

/** Whether the key can switch users: it is an administrator's, and a switch to its own login answers as that login. */
async function impersonationCheck(client: RedmineClient, user: RedmineUser, signal: AbortSignal): Promise<DoctorCheck> {
  const fix = 'set REDMINE_API_KEY to the key of a Redmine administrator (Administration > Users > the user > Administrator), or turn REDMINE_IMPERSONATE off';
  if (!user.admin) return fail('impersonation', `${user.login} is not an administrator, so Redmine ignores X-Redmine-Switch-User and calls would be refused`, fix);
  try {
    const { user: switched } = await client.asUser(user.login).get<{ user?: RedmineUser }>('/users/current.json', undefined, signal);
    if (switched?.login !== user.login) return fail('impersonation', `a switch to ${user.login} answered as ${switched?.login ?? 'nobody'}`, fix);
  } catch (error) {
    return fail('impersonation', `a switch to ${user.login} failed: ${error instanceof Error ? error.message : String(error)}`, fix);
  }
  return { name: 'impersonation', status: 'ok', detail: `the key can switch users (X-Redmine-Switch-User to ${user.login} works); each call runs as the caller's login` };
}

/** Most client views kept at once (one per impersonated login); beyond it the oldest are rebuilt on their next use. */
const MAX_VIEWS = 1_000;

/**
 * Per-user mode for Redmine: with REDMINE_IMPERSONATE, the service key acts as each caller's login; without it,
 * only a personal key the person linked. Each identity gets its own client view (own remembered answers).
 */
function redminePerUser(client: RedmineClient, impersonate: boolean, clientForKey: (key: Secret) => RedmineClient): PerUserSupport & { close(): Promise<void> } {
  const views = new Map<string, RedmineClient>();
  // Views of impersonated logins share the service client's pool; clients of personal keys have their own.
  const ownPool = (key: string): boolean => key.startsWith('key\0');
  const view = (kind: string, id: string, build: () => RedmineClient): RedmineClient => {
    const key = `${kind}\0${id}`;
    let found = views.get(key);
    if (!found) {
      if (views.size >= MAX_VIEWS) {
        const [oldest, dropped] = views.entries().next().value!;
        views.delete(oldest);
        if (ownPool(oldest)) void dropped.close();
      }
      found = build();
      views.set(key, found);
    }
    return found;
  };
  const clientFor = (identity: UpstreamIdentity): RedmineClient => {
    if (identity.kind === 'impersonated') return view('as', identity.login, () => client.asUser(identity.login));
    if (identity.kind === 'linked') {
      // A client of the personal key alone (the service key never goes with it); keyed by the key's fingerprint so
      // a re-linked key gets a fresh one.
      return view('key', identity.secret.fingerprint, () => clientForKey(identity.secret));
    }
    return client;
  };
  return {
    service: 'Redmine',
    clientFor,
    close: async () => {
      await Promise.all([...views].filter(([key]) => ownPool(key)).map(([, own]) => own.close()));
    },
    // Redmine answers 412 to a switch to a login that does not exist or is locked (application_controller.rb).
    identityRefused: (identity, error) => identity.kind === 'impersonated' && error instanceof UpstreamError && error.status === 412,
    ...(impersonate
      ? {
          impersonate: async (login, refuse, signal) => {
            let user: RedmineUser | undefined;
            try {
              ({ user } = await clientFor({ kind: 'impersonated', login }).get<{ user?: RedmineUser }>('/users/current.json', undefined, signal));
            } catch (error) {
              if (error instanceof UpstreamError && error.status === 412) throw refuse('Redmine has no active user with that login (unknown or locked) and refused the switch (412). Nothing ran, not even as the shared account. Ask the operator to check the login in Redmine (Administration > Users) or the caller\'s login mapping');
              throw error;
            }
            // Redmine ignores the header when the key is not an administrator's and answers as the key's own user:
            // that must never pass for the caller.
            if (!user?.login || user.login.toLowerCase() !== login.toLowerCase()) {
              throw refuse(
                `Redmine answered as "${user?.login ?? 'anonymous'}" instead of "${login}": REDMINE_API_KEY is not an administrator's key, so Redmine ignores X-Redmine-Switch-User. ` +
                  'Nothing ran. The operator sets REDMINE_API_KEY to an administrator\'s key (or turns REDMINE_IMPERSONATE off)',
              );
            }
            return user.login;
          },
        }
      : {}),
  };
}

export const redmineConnector: ConnectorModule = {
  name: 'redmine',
  title: 'Redmine',
  variables: REDMINE_VARIABLES,
  credential: REDMINE_CREDENTIAL,
  tools: redmineTools,
  create,
};
