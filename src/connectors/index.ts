// The connectors Bastion knows. Each is loaded only when enabled, so an unused one costs no start-up time.
import type { ConnectorModule } from '../core/connector.js';

export interface ConnectorEntry {
  name: string;
  title: string;
  /** Variables whose presence means "this connector is configured". */
  configuredBy: string[];
  /** Variables that hold a credential: scrubbed from all output from the moment settings are read. */
  credentials: string[];
  /** What to set to enable it, for the "no connector configured" message. */
  setupHint: string;
  load(): Promise<ConnectorModule>;
}

export const CONNECTORS: readonly ConnectorEntry[] = [
  {
    name: 'redmine',
    title: 'Redmine',
    configuredBy: ['REDMINE_URL'],
    credentials: ['REDMINE_API_KEY', 'REDMINE_EXTRA_HEADERS'],
    setupHint: 'REDMINE_URL and REDMINE_API_KEY (or REDMINE_API_KEY_FILE)',
    load: async () => (await import('./redmine/index.js')).redmineConnector,
  },
  {
    name: 'youtrack',
    title: 'YouTrack',
    configuredBy: ['YOUTRACK_URL'],
    credentials: ['YOUTRACK_API_TOKEN', 'YOUTRACK_EXTRA_HEADERS'],
    setupHint: 'YOUTRACK_URL and YOUTRACK_API_TOKEN (or YOUTRACK_API_TOKEN_FILE, YOUTRACK_TOKEN_FILE, or bastion secret set youtrack)',
    load: async () => (await import('./youtrack/index.js')).youtrackConnector,
  },
  {
    name: 'etim',
    title: 'ETIM',
    configuredBy: ['ETIM_CLIENT_ID'],
    credentials: ['ETIM_CLIENT_SECRET', 'ETIM_EXTRA_HEADERS'],
    setupHint: 'ETIM_CLIENT_ID and ETIM_CLIENT_SECRET (or ETIM_CLIENT_SECRET_FILE, or bastion secret set etim)',
    load: async () => (await import('./etim/index.js')).etimConnector,
  },
  {
    name: 'coreflux',
    title: 'Coreflux / MQTT',
    configuredBy: ['MQTT_BROKER'],
    credentials: ['MQTT_PASSWORD', 'DO_AGENT_API_KEY'],
    setupHint: 'MQTT_BROKER (and MQTT_USER with MQTT_PASSWORD, MQTT_USE_TLS, MQTT_CA_CERT as the broker needs)',
    load: async () => (await import('./coreflux/index.js')).corefluxConnector,
  },
];

export function findConnector(name: string): ConnectorEntry | undefined {
  return CONNECTORS.find((entry) => entry.name === name);
}
