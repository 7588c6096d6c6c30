// One MQTT connection per Bastion process: started in the background (Bastion serves even while the broker
// is down), reconnected with backoff, MQTT 5 with a fallback to 3.1.1, and failures described one by one
// (wrong CA, expired or mismatched client certificate, refused credentials) without secrets.
import { readFileSync } from 'node:fs';
import { connect as netConnect, isIP, type LookupFunction } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient, type IClientOptions } from 'mqtt';
import { assertEgressHost, guardedLookup, type Resolver } from '../../core/egress.js';
import { ConfigError, UpstreamError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Secret } from '../../core/secrets.js';
import { topicMatches } from './topics.js';

export interface MqttSettings {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: Secret;
  clientId: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** DNS resolver behind the link-local/metadata check (default: the system's); tests pass their own. */
  resolve?: Resolver;
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
}

type State = 'connecting' | 'connected' | 'offline' | 'closed';

const MAX_BACKOFF_MS = 30_000;

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`Cannot read the MQTT ${what} file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

/** One clear sentence per way a connection fails; never includes the password. */
export function describeConnectionError(error: Error & { code?: string | number }, settings: MqttSettings): string {
  const message = error.message ?? String(error);
  const code = String(error.code ?? '');
  const where = `${settings.host}:${settings.port}`;
  if (code === 'CERT_HAS_EXPIRED') return `the broker's certificate at ${where} has expired`;
  if (/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `the broker's certificate at ${where} is not signed by a trusted CA: set MQTT_CA_CERT to the CA that issued it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the broker's certificate does not name ${settings.host}`;
  if (/certificate expired/i.test(message)) return 'the broker refused the client certificate because it has expired (MQTT_CLIENT_CERT)';
  if (/unknown ca/i.test(message)) return "the broker does not trust the client certificate's CA (MQTT_CLIENT_CERT is signed by a CA the broker does not accept)";
  if (/certificate required|peer did not return a certificate|handshake failure/i.test(message)) {
    return 'the broker requires a client certificate: set MQTT_CLIENT_CERT and MQTT_CLIENT_KEY';
  }
  if (/bad certificate/i.test(message)) return 'the broker rejected the client certificate (MQTT_CLIENT_CERT)';
  if (/wrong version number|packet length too long|EPROTO/i.test(message)) return `TLS handshake with ${where} failed: is MQTT_USE_TLS right for this port?`;
  if (/Bad username or password|bad user name or password/i.test(message) || code === '4' || code === '134') {
    return `the broker refused the credentials for user ${settings.username ?? '(none)'} (bad username or password)`;
  }
  if (/Not authori[sz]ed/i.test(message) || code === '5' || code === '135') {
    // Mosquitto answers "not authorized" for a wrong password as well as for a user without access.
    return `the broker refused the login for user ${settings.username ?? '(none)'}: not authorized (wrong password, or no access)`;
  }
  if (code === 'ECONNREFUSED') return `nothing is listening at ${where}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the broker host ${settings.host} cannot be resolved`;
  if (code === 'ETIMEDOUT' || /timeout/i.test(message)) return `the broker at ${where} did not answer in time`;
  return message;
}

export class MqttConnection {
  private client: MqttClient | undefined;
  private state: State = 'connecting';
  private stateSince = Date.now();
  private lastError: string | undefined;
  private protocolVersion: 5 | 4 = 5;
  private backoffMs = 1_000;
  private readonly listeners = new Set<{ filter: string; handler: (message: MqttMessage) => void }>();
  /** One broker subscription per filter, shared by its listeners; `id` is its MQTT 5 subscription identifier. */
  private readonly subscriptions = new Map<string, { id: number; count: number; subscribed: Promise<void> }>();
  private nextSubscriptionId = 1;
  /** Counts successful connections: what was learnt about the broker holds for one connection only. */
  private connectCount = 0;
  private readonly tlsMaterial: Pick<IClientOptions, 'ca' | 'cert' | 'key'>;
  private readonly lookup: LookupFunction;

  constructor(
    readonly settings: MqttSettings,
    private readonly logger: Logger,
  ) {
    if ((settings.certFile === undefined) !== (settings.keyFile === undefined)) {
      throw new ConfigError('MQTT_CLIENT_CERT and MQTT_CLIENT_KEY go together: set both or neither.');
    }
    if ((settings.certFile || settings.caFile) && !settings.tls) throw new ConfigError('MQTT_CA_CERT and MQTT_CLIENT_CERT need MQTT_USE_TLS=true.');
    assertEgressHost('MQTT_BROKER', settings.host);
    this.lookup = guardedLookup(settings.resolve);
    this.tlsMaterial = {
      ca: settings.caFile ? readPem(settings.caFile, 'CA certificate') : undefined,
      cert: settings.certFile ? readPem(settings.certFile, 'client certificate') : undefined,
      key: settings.keyFile ? readPem(settings.keyFile, 'client key') : undefined,
    };
  }

  /** Starts connecting in the background; tools report the state until the broker is reached. */
  start(): void {
    this.connect();
  }

  private connect(): void {
    const { settings } = this;
    // Sockets are opened here rather than by MQTT.js so that every (re)connection's DNS answer passes the
    // link-local/metadata check.
    const client = new MqttClient((mqttClient) => this.openSocket(mqttClient), {
      host: settings.host,
      port: settings.port,
      protocol: settings.tls ? 'mqtts' : 'mqtt',
      protocolVersion: this.protocolVersion,
      clientId: settings.clientId,
      username: settings.username,
      password: settings.password?.reveal(),
      clean: true,
      keepalive: 60,
      connectTimeout: 10_000,
      reconnectPeriod: this.backoffMs,
    } as IClientOptions);
    this.client = client;
    client.on('connect', () => {
      this.connectCount += 1;
      this.setState('connected');
      this.lastError = undefined;
      this.backoffMs = 1_000;
      client.options.reconnectPeriod = this.backoffMs;
      this.logger.info({ broker: `${settings.host}:${settings.port}`, mqtt: this.protocolVersion === 5 ? '5.0' : '3.1.1' }, 'connected to the MQTT broker');
    });
    client.on('reconnect', () => {
      // Exponential backoff between attempts, reset once connected.
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      client.options.reconnectPeriod = this.backoffMs;
      this.setState('connecting');
    });
    client.on('offline', () => this.setState('offline'));
    client.on('error', (error: Error & { code?: string | number }) => {
      const unsupported = /unsupported protocol version|Connection refused: Unacceptable protocol version/i.test(error.message) || (this.protocolVersion === 5 && error.code === 132);
      if (unsupported && this.protocolVersion === 5) {
        this.logger.info('the broker does not speak MQTT 5: falling back to 3.1.1');
        this.protocolVersion = 4;
        client.end(true);
        this.connect();
        return;
      }
      const described = describeConnectionError(error, settings);
      if (described !== this.lastError) this.logger.warn({ broker: `${settings.host}:${settings.port}` }, `MQTT connection problem: ${described}`);
      this.lastError = described;
    });
    client.on('message', (topic, payload, packet) => {
      const message = { topic, payload, retain: packet.retain, qos: packet.qos };
      // With MQTT 5 the broker says which subscriptions a copy is for, so overlapping filters get one copy each;
      // MQTT 3.1.1 cannot tell copies apart, and every matching listener sees every copy.
      const ids = packet.properties?.subscriptionIdentifier;
      const forIds = ids === undefined ? undefined : new Set([ids].flat());
      for (const listener of this.listeners) {
        const delivered = forIds ? forIds.has(this.subscriptions.get(listener.filter)?.id ?? -1) : topicMatches(listener.filter, topic);
        if (delivered) listener.handler(message);
      }
    });
  }

  private openSocket(client: MqttClient): ReturnType<typeof netConnect> {
    const { settings } = this;
    const host = settings.host.replace(/^\[|\]$/g, '');
    if (!settings.tls) return netConnect({ host, port: settings.port, lookup: this.lookup });
    const socket = tlsConnect({
      host,
      port: settings.port,
      lookup: this.lookup,
      rejectUnauthorized: true,
      // SNI takes host names only; an IP address would only earn a deprecation warning.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      minVersion: 'TLSv1.2',
      ...this.tlsMaterial,
    });
    // As MQTT.js does: a failed handshake reaches the client's error handler (where it is described) and ends the socket.
    const handshakeFailed = (error: Error): void => {
      client.emit('error', error);
      socket.end();
    };
    socket.on('error', handshakeFailed);
    socket.once('secureConnect', () => socket.off('error', handshakeFailed));
    return socket;
  }

  private setState(state: State): void {
    if (state !== this.state) {
      this.state = state;
      this.stateSince = Date.now();
    }
  }

  /** Which connection this is (1 for the first); changes on every reconnection. */
  get connectionNumber(): number {
    return this.connectCount;
  }

  status() {
    return {
      state: this.state,
      since: new Date(this.stateSince).toISOString(),
      broker: `${this.settings.tls ? 'mqtts' : 'mqtt'}://${this.settings.host}:${this.settings.port}`,
      protocol: this.protocolVersion === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1',
      last_error: this.lastError,
    };
  }

  /** The connected client, or a clear error saying why there is none (Bastion keeps trying in the background). */
  requireConnected(): MqttClient {
    if (this.client && this.state === 'connected' && this.client.connected) return this.client;
    const why = this.lastError ? `: ${this.lastError}` : '';
    throw new UpstreamError(
      `Not connected to the MQTT broker ${this.status().broker} (${this.state}${why}). Bastion keeps reconnecting; mqtt_broker_status shows the state.`,
      'network',
    );
  }

  /** Publishes; with QoS 1 or 2 it resolves only once the broker has acknowledged. */
  async publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    const client = this.requireConnected();
    let reasonCode: number | undefined;
    try {
      const ack = (await client.publishAsync(topic, payload, { qos, retain })) as { reasonCode?: number } | undefined;
      reasonCode = ack?.reasonCode;
    } catch (error) {
      // MQTT.js rejects a negative PUBACK/PUBREC with an error carrying the MQTT 5 reason code.
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'number') throw new UpstreamError(`Publishing to "${topic}" failed: ${(error as Error).message}`, 'network');
      reasonCode = code;
    }
    if (reasonCode !== undefined && reasonCode >= 0x80) {
      throw new UpstreamError(
        `The broker refused the publish to "${topic}" (reason code 0x${reasonCode.toString(16)}${reasonCode === 0x87 ? ': not authorized by its access rules' : ''}).`,
        'http',
        reasonCode,
      );
    }
  }

  private async subscribe(client: MqttClient, filter: string, qos: 0 | 1 | 2, id: number): Promise<void> {
    try {
      const properties = this.protocolVersion === 5 ? { properties: { subscriptionIdentifier: id } } : {};
      // MQTT.js skips a filter it already holds unless told to resubscribe; a fresh SUBSCRIBE is what makes
      // the broker send the retained values again.
      const topics = { [filter]: { qos }, resubscribe: true } as unknown as Parameters<MqttClient['subscribeAsync']>[0];
      const grants = await client.subscribeAsync(topics, properties);
      const refused = grants.find((grant) => grant.qos >= 0x80);
      if (refused) throw new UpstreamError(`The broker refused the subscription to "${filter}" (not authorized or invalid).`, 'http', refused.qos);
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      // MQTT.js rejects a failed SUBACK with the packet; its granted list holds 0x80 (3.1.1) or a reason code >= 0x80 (5).
      const granted = (error as { packet?: { granted?: number[] } }).packet?.granted ?? [];
      if (granted.some((code) => code >= 0x80)) throw new UpstreamError(`The broker refused the subscription to "${filter}" (not authorized or invalid).`, 'http', 0x80);
      throw new UpstreamError(`Subscribing to "${filter}" failed: ${(error as Error).message}`, 'network');
    }
  }

  /**
   * Routes messages matching a filter to the handler until the returned function is called. Listeners of one
   * filter share the broker subscription; `fresh` subscribes again anyway, which makes the broker re-send the
   * retained values (reads want them even when another read already holds the filter).
   */
  async listen(filter: string, qos: 0 | 1 | 2, handler: (message: MqttMessage) => void, options: { fresh?: boolean } = {}): Promise<() => Promise<void>> {
    const client = this.requireConnected();
    let entry = this.subscriptions.get(filter);
    const first = !entry;
    entry ??= { id: this.nextSubscriptionId++, count: 0, subscribed: Promise.resolve() };
    this.subscriptions.set(filter, entry);
    entry.count += 1;
    const listener = { filter, handler };
    this.listeners.add(listener);
    const release = async (): Promise<void> => {
      this.listeners.delete(listener);
      entry.count -= 1;
      if (entry.count === 0 && this.subscriptions.get(filter) === entry) {
        this.subscriptions.delete(filter);
        if (this.client?.connected) await this.client.unsubscribeAsync(filter).catch(() => undefined);
      }
    };
    if (first || options.fresh) entry.subscribed = this.subscribe(client, filter, qos, entry.id);
    try {
      await entry.subscribed;
    } catch (error) {
      await release();
      throw error;
    }
    return release;
  }

  /**
   * Drops the connection and connects again with the configured settings, at once rather than after the backoff
   * (e.g. once the broker is back, or its ACL or certificate changed). MQTT.js makes the held subscriptions again on
   * the new connection. Resolves with the state once connected, refused, or after `waitMs`.
   */
  async reconnect(waitMs: number, signal?: AbortSignal): Promise<ReturnType<MqttConnection['status']> & { reconnected: boolean }> {
    const client = this.client;
    if (!client || this.state === 'closed') throw new UpstreamError('The MQTT connection is closed (Bastion is shutting down).', 'network');
    const before = this.connectCount;
    this.lastError = undefined;
    this.backoffMs = 1_000;
    client.options.reconnectPeriod = this.backoffMs;
    await client.endAsync(true).catch(() => undefined);
    this.setState('connecting');
    // The client may have been replaced meanwhile (the fallback to MQTT 3.1.1 builds a new one).
    (this.client ?? client).reconnect();
    const deadline = Date.now() + waitMs;
    while (this.connectCount === before && !this.lastError && Date.now() < deadline && !signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { ...this.status(), reconnected: this.connectCount > before };
  }

  async close(): Promise<void> {
    this.setState('closed');
    await this.client?.endAsync(true).catch(() => undefined);
  }
}
