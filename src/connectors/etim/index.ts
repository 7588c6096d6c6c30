// The ETIM connector: OAuth2 client credentials, a shared token and response cache, tools and resources.
import { z } from 'zod';
import { NamespacedCache } from '../../core/cache.js';
import { booleanSetting, parseSettings } from '../../core/config.js';
import type { ConnectorContext, ConnectorModule, ConnectorRuntime, DoctorCheck, VariableDoc } from '../../core/connector.js';
import { requireCredential, type CredentialSpec } from '../../core/credentials.js';
import { credentialFileChecks, describeSource, fail, requestFailure } from '../../core/doctor.js';
import { extraHeadersFromSettings } from '../../core/extra-headers.js';
import { HttpClient } from '../../core/http.js';
import { CredentialIdentity, CredentialRefusedError } from '../../core/identity.js';
import { ClientCredentialsProvider, oauthErrorDetails } from '../../core/oauth2.js';
import { Scope } from '../../core/policy.js';
import { EtimClient } from './client.js';
import { etimPrompts } from './prompts.js';
import { etimResources } from './resources.js';
import { etimTools } from './tools/index.js';

export const ETIM_VARIABLES: VariableDoc[] = [
  { name: 'ETIM_EXTRA_HEADERS', description: 'Extra request headers for a gateway in front of the ETIM API and its token service: "Name: value" lines or a JSON object; values are secrets, never logged; Authorization and Host cannot be set here. Or ETIM_EXTRA_HEADERS_FILE', secret: true },
  { name: 'ETIM_CLIENT_ID', description: 'OAuth2 client id of your ETIM API account', required: true },
  { name: 'ETIM_CLIENT_SECRET', description: 'OAuth2 client secret; or ETIM_CLIENT_SECRET_FILE, or the keyring', required: true, secret: true },
  { name: 'ETIM_KEYRING_USERNAME', description: 'Keyring account user: the secret is looked up as bastion/etim:<this>', default: 'default' },
  { name: 'ETIM_AUTH_URL', description: 'Token service', default: 'https://etimauth.etim-international.com' },
  { name: 'ETIM_API_URL', description: 'ETIM API', default: 'https://etimapi.etim-international.com' },
  { name: 'ETIM_SCOPE', description: 'OAuth2 scope', default: 'EtimApi' },
  { name: 'ETIM_AUTH_METHOD', description: 'How the secret is sent to the token service: body or basic', default: 'body' },
  { name: 'ETIM_DEFAULT_LANGUAGE', description: 'Language tools use unless a call names one (e.g. EN, de-DE, nl-NL)', default: 'EN' },
  { name: 'ETIM_CACHE', description: 'Cache read answers (on/off); tokens are always cached', default: 'on' },
  { name: 'ETIM_CACHE_SEARCH_TTL', description: 'Seconds search answers are kept', default: '3600' },
  { name: 'ETIM_CACHE_DETAILS_TTL', description: 'Seconds details (classes, features, values...) are kept', default: '86400' },
  { name: 'ETIM_CACHE_REFERENCE_TTL', description: 'Seconds languages and releases are kept', default: '604800' },
  { name: 'ETIM_VERIFY_SSL', description: 'Verify the servers\' certificates; false is insecure and warned about', default: 'true' },
  { name: 'ETIM_CA_CERT', description: 'PEM file of a CA to trust for both ETIM hosts' },
  { name: 'ETIM_TIMEOUT', description: 'Seconds to wait for ETIM per request', default: '30' },
];

export const ETIM_CREDENTIAL: CredentialSpec = {
  connector: 'etim',
  variable: 'ETIM_CLIENT_SECRET',
  keyringUsernameVariable: 'ETIM_KEYRING_USERNAME',
};

const ttl = (fallback: number) => z.coerce.number().int().min(0).max(31_536_000).default(fallback);

const SettingsSchema = z.object({
  ETIM_CLIENT_ID: z.string().min(1).max(200),
  ETIM_AUTH_URL: z.string().url().default('https://etimauth.etim-international.com'),
  ETIM_API_URL: z.string().url().default('https://etimapi.etim-international.com'),
  ETIM_SCOPE: z.string().min(1).max(200).default('EtimApi'),
  ETIM_AUTH_METHOD: z.enum(['body', 'basic']).default('body'),
  ETIM_DEFAULT_LANGUAGE: z.string().regex(/^[A-Za-z]{2}(-[A-Za-z]{2})?$/, 'must be a language code like EN or de-DE').default('EN'),
  ETIM_CACHE: booleanSetting.default(true),
  ETIM_CACHE_SEARCH_TTL: ttl(3600),
  ETIM_CACHE_DETAILS_TTL: ttl(86_400),
  ETIM_CACHE_REFERENCE_TTL: ttl(604_800),
  ETIM_VERIFY_SSL: booleanSetting.default(true),
  ETIM_CA_CERT: z.string().optional(),
  ETIM_TIMEOUT: z.coerce.number().int().min(1).max(600).default(30),
});

async function create(context: ConnectorContext): Promise<ConnectorRuntime> {
  const settings = parseSettings(SettingsSchema, context.settings.values);
  const { secret, events } = await requireCredential(ETIM_CREDENTIAL, context, 'ETIM_CLIENT_ID is set but no secret: set ETIM_CLIENT_SECRET or ETIM_CLIENT_SECRET_FILE, or store it with "bastion secret set etim".');
  const tls = { verify: settings.ETIM_VERIFY_SSL, caFile: settings.ETIM_CA_CERT };
  const extraHeaders = extraHeadersFromSettings(context.settings, 'ETIM_EXTRA_HEADERS', [], { allowInsecureSecretFiles: context.allowInsecureSecretFiles });
  const timeoutMs = settings.ETIM_TIMEOUT * 1000;
  // Keys are namespaced per connector and per credential, so two ETIM accounts never share tokens or answers.
  const store = new NamespacedCache(context.cache, `etim:${secret.fingerprint}`);
  const refused = 'the token service refused the client: check ETIM_CLIENT_ID, ETIM_CLIENT_SECRET and ETIM_SCOPE';
  const tokenHttp = new HttpClient({
    service: 'ETIM token service',
    baseUrl: settings.ETIM_AUTH_URL,
    extraHeaders,
    tls,
    timeoutMs,
    logger: context.logger,
    errorDetails: oauthErrorDetails,
    statusHints: { 400: refused, 401: refused },
  });
  const tokens = new ClientCredentialsProvider({
    http: tokenHttp,
    tokenPath: '/connect/token',
    clientId: settings.ETIM_CLIENT_ID,
    clientSecret: secret,
    scope: settings.ETIM_SCOPE,
    authMethod: settings.ETIM_AUTH_METHOD,
    store,
    logger: context.logger,
    onRefused: (detail) => events.authenticationFailed(detail),
  });
  // The token service authenticates the client: an access token for it is who the credential is. It has no
  // anonymous fallback (a wrong secret fails every call with invalid_client), so this is doctor's check only and
  // the token is still fetched on first use, not at start.
  const identity = new CredentialIdentity<string>({
    service: 'The ETIM token service',
    variable: 'ETIM_CLIENT_ID and ETIM_CLIENT_SECRET',
    fix: 'set ETIM_CLIENT_ID and ETIM_CLIENT_SECRET to the client credentials of your ETIM API account (and ETIM_SCOPE to a scope it may use)',
    whoami: async () => {
      await tokens.accessToken();
      return settings.ETIM_CLIENT_ID;
    },
    describe: (clientId) => `client ${clientId}`,
    // OAuth2 token endpoints answer invalid_client with 400 or 401.
    refusedStatuses: [400, 401],
  });
  const client = new EtimClient(
    {
      apiUrl: settings.ETIM_API_URL,
      extraHeaders,
      tls,
      timeoutMs,
      logger: context.logger,
      onAuthFailure: (request) => events.authenticationFailed(`ETIM refused a fresh access token for ${request}`),
    },
    tokens,
    settings.ETIM_CACHE ? store : undefined,
    { search: settings.ETIM_CACHE_SEARCH_TTL, details: settings.ETIM_CACHE_DETAILS_TTL, reference: settings.ETIM_CACHE_REFERENCE_TTL },
    settings.ETIM_DEFAULT_LANGUAGE,
  );

  const doctor = async (signal: AbortSignal): Promise<DoctorCheck[]> => {
    const cache = context.cache.status();
    const tlsNames = { verify: 'ETIM_VERIFY_SSL', ca: 'ETIM_CA_CERT' };
    const checks: DoctorCheck[] = [
      { name: 'urls', status: 'ok', detail: `token service ${tokenHttp.baseUrl.origin}, API ${client.http.baseUrl.toString()}` },
      { name: 'credential', status: 'ok', detail: `client ${settings.ETIM_CLIENT_ID}, ETIM_CLIENT_SECRET from ${describeSource(secret)}, fingerprint ${secret.fingerprint}` },
      ...credentialFileChecks('ETIM_CLIENT_SECRET', secret),
      { name: 'tls', ...client.http.describeTransport({ url: 'ETIM_API_URL', ...tlsNames }) },
      { name: 'token service tls', ...tokenHttp.describeTransport({ url: 'ETIM_AUTH_URL', ...tlsNames }) },
      // The shared store's health is one of Bastion's own checks; this line says what ETIM keeps in it.
      { name: 'cache', status: 'ok', detail: `${settings.ETIM_CACHE ? 'answers and tokens' : 'tokens only (ETIM_CACHE=off)'} in the ${cache.kind === 'redis' ? 'shared Redis' : 'in-memory'} store` },
    ];
    try {
      await identity.verify(signal);
      checks.push({ name: 'token service', status: 'ok', detail: `issued an access token to client ${settings.ETIM_CLIENT_ID} (scope ${settings.ETIM_SCOPE})` });
    } catch (error) {
      if (error instanceof CredentialRefusedError) checks.push(fail('identity', error.problem, error.fix ?? ''));
      else checks.push(requestFailure('token service', error, { service: 'The ETIM token service', url: 'ETIM_AUTH_URL', credential: 'ETIM_CLIENT_ID, ETIM_CLIENT_SECRET and ETIM_SCOPE' }));
      return checks;
    }
    try {
      const languages = await client.get<Array<{ code: string }>>('/Misc/LanguagesAllowed', 'reference', signal);
      const codes = languages.map((l) => l.code);
      checks.push({ name: 'reachability', status: 'ok', detail: `ETIM API answered; languages allowed for this account: ${codes.join(', ')}` });
      checks.push(
        codes.some((code) => code.toLowerCase() === settings.ETIM_DEFAULT_LANGUAGE.toLowerCase())
          ? { name: 'default language', status: 'ok', detail: settings.ETIM_DEFAULT_LANGUAGE }
          : fail('default language', `${settings.ETIM_DEFAULT_LANGUAGE} is not allowed for this account`, `set ETIM_DEFAULT_LANGUAGE to one of ${codes.join(', ')}`),
      );
    } catch (error) {
      checks.push(requestFailure('reachability', error, { service: 'The ETIM API', url: 'ETIM_API_URL', credential: 'ETIM_CLIENT_ID' }));
    }
    return checks;
  };

  // The live API, past the response cache: the access token (cached while valid) and one small reference list.
  const ready = async (signal: AbortSignal): Promise<void> => {
    await client.http.requestJson({ method: 'GET', path: '/api/v2/Misc/LanguagesAllowed', signal });
  };

  return {
    name: 'etim',
    client,
    // ETIM data is public classification data: nothing to scope by project.
    scope: new Scope('class', 'ETIM', undefined),
    credential: secret,
    account: `client ${settings.ETIM_CLIENT_ID}`,
    doctor,
    ready,
    close: async () => {
      await Promise.all([client.close(), tokenHttp.close()]);
    },
  };
}

export const etimConnector: ConnectorModule = {
  name: 'etim',
  title: 'ETIM',
  variables: ETIM_VARIABLES,
  credential: ETIM_CREDENTIAL,
  tools: etimTools,
  resources: etimResources,
  prompts: etimPrompts,
  create,
};
