// The Coreflux / MQTT connector: one broker connection, the command channel, and the Copilot and LoT verifier services.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { booleanSetting, listSetting, parseSettings } from '../../core/config.js';
import type { ConnectorContext, ConnectorModule, ConnectorRuntime, DoctorCheck, VariableDoc } from '../../core/connector.js';
import { credentialEvents, resolveCredential, type CredentialSpec } from '../../core/credentials.js';
import { credentialFileChecks, describeSource, fail, warn } from '../../core/doctor.js';
import { isLoopbackHost } from '../../core/egress.js';
import { UpstreamError } from '../../core/errors.js';
import { HttpClient } from '../../core/http.js';
import { Scope } from '../../core/policy.js';
import { CommandChannel, REQUEST_ID_MODES } from './channel.js';
import type { CorefluxClient } from './client.js';
import { MqttConnection } from './mqtt.js';
import { Subscriptions } from './subscriptions.js';
import { RouteHosts } from './lot-check.js';
import { corefluxResources } from './resources.js';
import { TopicScope } from './topics.js';
import { corefluxTools } from './tools/index.js';

export const COREFLUX_VARIABLES: VariableDoc[] = [
  { name: 'MQTT_BROKER', description: 'Broker host name or address', required: true },
  { name: 'MQTT_PORT', description: 'Broker port', default: '1883, or 8883 with TLS' },
  { name: 'MQTT_USER', description: 'User name' },
  { name: 'MQTT_PASSWORD', description: 'Password; or MQTT_PASSWORD_FILE, or the keyring (bastion secret set coreflux)', secret: true },
  { name: 'MQTT_KEYRING_USERNAME', description: 'Keyring account user: the password is looked up as bastion/coreflux:<this>', default: 'default' },
  { name: 'MQTT_CLIENT_ID', description: 'MQTT client id', default: 'bastion-<random>' },
  { name: 'MQTT_USE_TLS', description: 'Connect with TLS (mqtts)', default: 'false' },
  { name: 'MQTT_CA_CERT', description: 'PEM file of the CA that issued the broker certificate' },
  { name: 'MQTT_CLIENT_CERT', description: 'PEM client certificate for brokers that require one' },
  { name: 'MQTT_CLIENT_KEY', description: 'PEM private key of the client certificate' },
  { name: 'MQTT_TOPICS', description: 'Comma-separated topic filters tools may read and write', default: '# (everything but $SYS)' },
  { name: 'COREFLUX_ROUTE_HOSTS', description: 'Comma-separated host or host:port list LoT routes may make the broker connect to (bridges, databases, e-mail, HTTP, devices); routes naming any other host are refused', default: 'none' },
  { name: 'MQTT_COMMAND_TOPIC', description: 'Coreflux command topic (answers on <this>/Output)', default: '$SYS/Coreflux/Command' },
  { name: 'MQTT_COMMAND_TIMEOUT', description: 'Seconds to wait for a command\'s answer', default: '10' },
  {
    name: 'MQTT_COMMAND_REQUEST_ID',
    description: 'auto: ask the broker once per connection whether it echoes -requestId and send none to one that does not; always; never (brokers that predate it)',
    default: 'auto',
  },
  { name: 'MQTT_SUBSCRIPTION_MESSAGES', description: 'Messages kept per subscription (mqtt_subscribe); the oldest are dropped and counted', default: '100' },
  { name: 'MQTT_SUBSCRIPTION_TOTAL', description: 'Messages kept over all subscriptions of one caller', default: '1000' },
  { name: 'MQTT_SUBSCRIPTIONS_MAX', description: 'Subscriptions one caller may hold at once', default: '20' },
  { name: 'COREFLUX_COPILOT_URL', description: 'Base URL of the Coreflux Copilot (chat completions at /api/v1/chat/completions)' },
  { name: 'DO_AGENT_API_KEY', description: 'Copilot API key; or DO_AGENT_API_KEY_FILE', secret: true },
  { name: 'LOT_VERIFIER_API_URL', description: 'LoT verifier endpoint', default: 'http://localhost:8000/validate/code' },
];

export const COREFLUX_CREDENTIAL: CredentialSpec = {
  connector: 'coreflux',
  variable: 'MQTT_PASSWORD',
  keyringUsernameVariable: 'MQTT_KEYRING_USERNAME',
};

const SettingsSchema = z.object({
  MQTT_BROKER: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address'),
  MQTT_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  MQTT_USER: z.string().min(1).max(200).optional(),
  MQTT_CLIENT_ID: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only').optional(),
  MQTT_USE_TLS: booleanSetting.default(false),
  MQTT_CA_CERT: z.string().optional(),
  MQTT_CLIENT_CERT: z.string().optional(),
  MQTT_CLIENT_KEY: z.string().optional(),
  MQTT_TOPICS: listSetting.default(['#']),
  COREFLUX_ROUTE_HOSTS: listSetting.default([]),
  MQTT_COMMAND_TOPIC: z.string().min(1).max(256).default('$SYS/Coreflux/Command'),
  MQTT_COMMAND_TIMEOUT: z.coerce.number().min(1).max(120).default(10),
  MQTT_COMMAND_REQUEST_ID: z.enum(REQUEST_ID_MODES).default('auto'),
  MQTT_SUBSCRIPTION_MESSAGES: z.coerce.number().int().min(1).max(10_000).default(100),
  MQTT_SUBSCRIPTION_TOTAL: z.coerce.number().int().min(1).max(100_000).default(1000),
  MQTT_SUBSCRIPTIONS_MAX: z.coerce.number().int().min(1).max(1000).default(20),
  COREFLUX_COPILOT_URL: z.string().url().optional(),
  LOT_VERIFIER_API_URL: z.string().url().default('http://localhost:8000/validate/code'),
});

async function create(context: ConnectorContext): Promise<ConnectorRuntime> {
  const settings = parseSettings(SettingsSchema, context.settings.values);
  const password = await resolveCredential(COREFLUX_CREDENTIAL, context);
  const copilotKey = await resolveCredential({ connector: 'coreflux-copilot', variable: 'DO_AGENT_API_KEY' }, context);
  const mqtt = new MqttConnection(
    {
      host: settings.MQTT_BROKER,
      port: settings.MQTT_PORT ?? (settings.MQTT_USE_TLS ? 8883 : 1883),
      tls: settings.MQTT_USE_TLS,
      username: settings.MQTT_USER,
      password,
      clientId: settings.MQTT_CLIENT_ID ?? `bastion-${randomBytes(4).toString('hex')}`,
      caFile: settings.MQTT_CA_CERT,
      certFile: settings.MQTT_CLIENT_CERT,
      keyFile: settings.MQTT_CLIENT_KEY,
    },
    context.logger,
  );
  if (settings.MQTT_USER && !password) context.logger.warn('MQTT_USER is set without MQTT_PASSWORD: connecting with a user name only.');
  const verifierUrl = new URL(settings.LOT_VERIFIER_API_URL);
  const client: CorefluxClient = {
    mqtt,
    channel: new CommandChannel(mqtt, settings.MQTT_COMMAND_TOPIC, settings.MQTT_COMMAND_TIMEOUT * 1000, settings.MQTT_COMMAND_REQUEST_ID),
    topics: new TopicScope(settings.MQTT_TOPICS),
    subscriptions: new Subscriptions(mqtt, {
      perSubscription: settings.MQTT_SUBSCRIPTION_MESSAGES,
      perCaller: settings.MQTT_SUBSCRIPTION_TOTAL,
      subscriptions: settings.MQTT_SUBSCRIPTIONS_MAX,
    }),
    routeHosts: new RouteHosts(settings.COREFLUX_ROUTE_HOSTS),
    copilot: settings.COREFLUX_COPILOT_URL
      ? {
          http: new HttpClient({
            service: 'Coreflux Copilot',
            baseUrl: settings.COREFLUX_COPILOT_URL,
            logger: context.logger,
            timeoutMs: 30_000,
            authHeaders: (): Record<string, string> => (copilotKey ? { Authorization: `Bearer ${copilotKey.reveal()}` } : {}),
            statusHints: { 401: 'the Copilot refused the key: check DO_AGENT_API_KEY' },
          }),
          key: copilotKey,
        }
      : undefined,
    verifier: {
      http: new HttpClient({
        service: 'LoT verifier',
        baseUrl: verifierUrl.origin,
        logger: context.logger,
        timeoutMs: 15_000,
        errorDetails: (_status, body) => (body && typeof body === 'object' && 'message' in body ? [String((body as { message: unknown }).message)] : []),
      }),
      path: verifierUrl.pathname,
    },
  };
  if (password) credentialEvents(context.audit, 'coreflux', password).initialized();
  mqtt.start();

  const who = settings.MQTT_USER ?? (settings.MQTT_CLIENT_CERT ? 'the client certificate\'s identity' : 'an anonymous client');
  const doctor = async (): Promise<DoctorCheck[]> => {
    // Give the background connection a moment: doctor runs right after start.
    for (let waited = 0; mqtt.status().state !== 'connected' && waited < 5_000 && !mqtt.status().last_error; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const status = mqtt.status();
    const connected = status.state === 'connected';
    const loopback = isLoopbackHost(settings.MQTT_BROKER);
    return [
      { name: 'broker', status: 'ok', detail: `${status.broker} as ${settings.MQTT_USER ?? '(no user)'}${password ? `, password from ${describeSource(password)}` : ''}` },
      ...credentialFileChecks('MQTT_PASSWORD', password, 'password file'),
      settings.MQTT_USE_TLS
        ? { name: 'tls', status: 'ok', detail: `TLS with ${settings.MQTT_CA_CERT ? `CA ${settings.MQTT_CA_CERT}` : 'the system CAs'}${settings.MQTT_CLIENT_CERT ? ', client certificate set' : ''}` }
        : loopback
          ? { name: 'tls', status: 'ok', detail: 'plain MQTT to a broker on this machine' }
          : warn('tls', `plain MQTT to ${settings.MQTT_BROKER}: the password and every message travel unencrypted`, 'set MQTT_USE_TLS=true (the broker\'s TLS port, usually 8883), with MQTT_CA_CERT if its certificate is from a private CA'),
      connected
        ? { name: 'connection', status: 'ok', detail: `connected (${status.protocol}) as ${who}` }
        : fail('connection', `${status.state}${status.last_error ? `: ${status.last_error}` : ''}`, 'check MQTT_BROKER, MQTT_PORT, MQTT_USE_TLS and the credentials against the broker\'s listener'),
      ...(connected ? [await wildcardCheck()] : []),
      { name: 'topics', status: 'ok', detail: `tools may use ${client.topics.filters.join(', ')}; commands go to ${settings.MQTT_COMMAND_TOPIC}` },
      { name: 'routes', status: 'ok', detail: settings.COREFLUX_ROUTE_HOSTS.length ? `LoT routes may connect the broker to ${settings.COREFLUX_ROUTE_HOSTS.join(', ')}` : 'LoT routes may not connect the broker to any other host (COREFLUX_ROUTE_HOSTS is empty)' },
      ...copilotChecks(),
    ];
  };

  const copilotChecks = (): DoctorCheck[] => {
    if (!client.copilot) return [{ name: 'copilot', status: 'ok', detail: 'not configured (COREFLUX_COPILOT_URL)' }];
    return [
      copilotKey
        ? { name: 'copilot', status: 'ok', detail: `${settings.COREFLUX_COPILOT_URL}, key from ${describeSource(copilotKey)}` }
        : warn('copilot', `${settings.COREFLUX_COPILOT_URL}, no DO_AGENT_API_KEY`, 'set DO_AGENT_API_KEY (or DO_AGENT_API_KEY_FILE) to the Copilot\'s API key'),
      ...credentialFileChecks('DO_AGENT_API_KEY', copilotKey, 'copilot key file'),
      { name: 'copilot tls', ...client.copilot.http.describeTransport({ url: 'COREFLUX_COPILOT_URL' }) },
    ];
  };

  /**
   * Whether the user may read every topic. Mosquitto grants a SUBSCRIBE to "#" to anyone and filters each delivery
   * by the ACL, so the SUBACK alone proves nothing: a non-retained probe is published on a fresh top-level topic
   * that no narrow ACL names, and counts only if it comes back through "#". Messages from topics outside
   * MQTT_TOPICS arriving on "#" (retained ones come at once) prove the same.
   */
  const wildcardCheck = async (): Promise<DoctorCheck> => {
    const fix = `limit the broker's ACL for ${who} to the topics in MQTT_TOPICS${client.topics.filters.includes('#') ? ' (and set MQTT_TOPICS to the topics the tools need)' : ''}`;
    const probe = `bastion-probe-${randomBytes(6).toString('hex')}/doctor`;
    let echoed = false;
    const outside = new Set<string>();
    let release: () => Promise<void>;
    try {
      release = await mqtt.listen('#', 1, (message) => {
        if (message.topic === probe) echoed = true;
        else if (!client.topics.allowsTopic(message.topic)) outside.add(message.topic);
      });
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'http') return { name: 'privileges', status: 'ok', detail: `the broker refuses ${who} a subscription to #` };
      return warn('privileges', `cannot probe the subscription to #: ${(error as Error).message}`, `check that the broker's ACL for ${who} is limited to MQTT_TOPICS`);
    }
    try {
      // A refused publish (a read-only user) is expected: then only retained messages from elsewhere can show up.
      const published = await mqtt.publish(probe, 'bastion doctor: probe of the subscription rights', 1, false).then(
        () => true,
        () => false,
      );
      for (let waited = 0; !echoed && waited < (published ? 2_000 : 500); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await release();
    }
    if (echoed) return warn('privileges', `${who} may subscribe to # and receives messages on any topic (a probe on ${probe} came back)`, fix);
    if (outside.size) return warn('privileges', `${who} receives messages outside MQTT_TOPICS through # (e.g. ${[...outside][0]})`, fix);
    return { name: 'privileges', status: 'ok', detail: `the broker accepts a subscription to # from ${who} but delivered neither the probe nor any message outside MQTT_TOPICS: its ACL filters what # receives` };
  };

  // The connection's own state: no publish, no subscription, nothing on the network at all.
  const ready = async (): Promise<void> => {
    const status = mqtt.status();
    if (status.state !== 'connected') throw new Error(`MQTT broker ${status.broker}: ${status.state}${status.last_error ? ` (${status.last_error})` : ''}`);
  };

  return {
    name: 'coreflux',
    client,
    scope: new Scope('topic', 'MQTT_TOPICS', undefined),
    credential: password,
    account: settings.MQTT_USER ? `MQTT user ${settings.MQTT_USER}` : who,
    doctor,
    ready,
    close: async () => {
      await client.subscriptions.close();
      await Promise.all([mqtt.close(), client.copilot?.http.close(), client.verifier.http.close()]);
    },
  };
}

export const corefluxConnector: ConnectorModule = {
  name: 'coreflux',
  title: 'Coreflux / MQTT',
  variables: COREFLUX_VARIABLES,
  credential: COREFLUX_CREDENTIAL,
  tools: corefluxTools,
  resources: corefluxResources,
  create,
};
