// The Redmine connector: settings, client, tools and doctor checks.
import { z } from 'zod';
import { booleanSetting, listSetting, parseSettings } from '../../core/config.js';
import type { ConnectorContext, ConnectorModule, ConnectorRuntime, DoctorCheck, VariableDoc } from '../../core/connector.js';
import { ConfigError } from '../../core/errors.js';
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
  { name: 'REDMINE_EXTRA_HEADERS', description: 'Extra request headers for a gateway in front of Redmine: "Name: value" lines or a JSON object; values are secrets, never logged; Authorization, Host and X-Redmine-API-Key cannot be set here. Or REDMINE_EXTRA_HEADERS_FILE', secret: true },
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
  const extraHeaders = extraHeadersFromSettings(context.settings, 'REDMINE_EXTRA_HEADERS', ['X-Redmine-API-Key'], { allowInsecureSecretFiles: context.allowInsecureSecretFiles });
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
      checks.push(
        user.admin
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

  return { name: 'redmine', client, scope, credential: apiKey, identity, checkPersonalCredential, doctor, ready, close: () => client.close() };
}

export const redmineConnector: ConnectorModule = {
  name: 'redmine',
  title: 'Redmine',
  variables: REDMINE_VARIABLES,
  credential: REDMINE_CREDENTIAL,
  tools: redmineTools,
  create,
};
