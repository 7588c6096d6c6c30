// Bastion with only the Coreflux / MQTT connector configured: against the local Mosquitto (plain, TLS, mTLS) or
// the Coreflux emulator, plus an independent MQTT client (MQTT.js) to publish and observe on the broker directly.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { COREFLUX_TEST_PASSWORD, COREFLUX_TEST_USER, startCorefluxBroker, type CorefluxBroker, type CorefluxBrokerOptions } from '../doubles/coreflux.js';
import { call, startBastion, type Bastion, type StartOptions, type ToolResult } from './bastion.js';
import { secretForms } from './canary.js';
import type { MosquittoEnv } from './mosquitto.js';

export { COREFLUX_TEST_PASSWORD, COREFLUX_TEST_USER };

/** The variables every Bastion of these tests gets: no inherited secrets, no OS keyring, debug logs. */
function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    BASTION_KEYRING: 'false',
    BASTION_LOG_LEVEL: 'debug',
  };
}

/** Drops variables whose value is '' so that a test can unset a default (e.g. MQTT_PASSWORD: ''). */
function withoutBlanks(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
}

/** Bastion on Mosquitto's plain listener as user `bastion` (canary password). */
export function mosquittoEnv(broker: MosquittoEnv, extra: Record<string, string> = {}): Record<string, string> {
  return withoutBlanks({
    ...baseEnv(),
    MQTT_BROKER: broker.host,
    MQTT_PORT: String(broker.port),
    MQTT_USER: broker.user,
    MQTT_PASSWORD: broker.password,
    ...extra,
  });
}

/** Bastion on Mosquitto's TLS listener (username/password), trusting the test CA. */
export function mosquittoTlsEnv(broker: MosquittoEnv, extra: Record<string, string> = {}): Record<string, string> {
  return mosquittoEnv(broker, { MQTT_PORT: String(broker.tlsPort), MQTT_USE_TLS: 'true', MQTT_CA_CERT: broker.ca, ...extra });
}

/** Bastion on Mosquitto's mutual-TLS listener with the good client certificate and no password. */
export function mosquittoMtlsEnv(broker: MosquittoEnv, extra: Record<string, string> = {}): Record<string, string> {
  return mosquittoEnv(broker, {
    MQTT_PORT: String(broker.mtlsPort),
    MQTT_USE_TLS: 'true',
    MQTT_CA_CERT: broker.ca,
    MQTT_CLIENT_CERT: broker.clientCert,
    MQTT_CLIENT_KEY: broker.clientKey,
    MQTT_USER: '',
    MQTT_PASSWORD: '',
    ...extra,
  });
}

/** Bastion on the Coreflux emulator as its system user `root` (canary password). */
export function corefluxEnv(broker: CorefluxBroker, extra: Record<string, string> = {}): Record<string, string> {
  return withoutBlanks({
    ...baseEnv(),
    MQTT_BROKER: '127.0.0.1',
    MQTT_PORT: String(broker.port),
    MQTT_USER: COREFLUX_TEST_USER,
    MQTT_PASSWORD: COREFLUX_TEST_PASSWORD,
    ...extra,
  });
}

export async function startCoreflux(options: CorefluxBrokerOptions = {}): Promise<CorefluxBroker> {
  return startCorefluxBroker(options);
}

export async function startBastionOnMosquitto(broker: MosquittoEnv, extra: Record<string, string> = {}, options: Omit<StartOptions, 'env'> = {}): Promise<Bastion> {
  return startBastion({ ...options, env: mosquittoEnv(broker, extra) });
}

export async function startBastionOnCoreflux(broker: CorefluxBroker, extra: Record<string, string> = {}, options: Omit<StartOptions, 'env'> = {}): Promise<Bastion> {
  return startBastion({ ...options, env: corefluxEnv(broker, extra) });
}

/** mqtt_broker_status's structured result. */
export interface BrokerStatus {
  state: string;
  since: string;
  broker: string;
  protocol: string;
  last_error?: string;
  version?: string;
  latency_ms?: number;
}

export async function brokerStatus(bastion: Bastion): Promise<BrokerStatus> {
  const result = await call(bastion, 'mqtt_broker_status');
  if (result.isError) throw new Error(`mqtt_broker_status failed: ${result.text}`);
  return result.structured as BrokerStatus;
}

/**
 * Polls until `accept` holds for what `probe` returns, and returns that value; throws with the last value after
 * `timeout` ms. Usable in hooks as well as in tests (unlike expect.poll).
 */
export async function pollUntil<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, what: string, timeout = 30_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still not there after ${timeout} ms; last seen ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until Bastion's background connection is up (it connects after start, and again after a broker restart). */
export async function waitConnected(bastion: Bastion, timeout = 30_000): Promise<BrokerStatus> {
  return pollUntil(() => brokerStatus(bastion), (status) => status.state === 'connected', 'connected to the broker', timeout);
}

/** Waits until the connection has failed in the described way and returns the status then. */
export async function waitLastError(bastion: Bastion, pattern: RegExp, timeout = 30_000): Promise<BrokerStatus> {
  return pollUntil(() => brokerStatus(bastion), (status) => pattern.test(status.last_error ?? ''), `last_error matching ${pattern}`, timeout);
}

/** A loopback port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A topic prefix of its own per test run, so that retained messages of earlier runs never interfere. */
export function runId(): string {
  return randomBytes(4).toString('hex');
}

export interface ReceivedMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** An independent MQTT client (not Bastion) and everything it received, in order. */
export interface Observer {
  client: MqttClient;
  inbox: ReceivedMessage[];
  /** Connection errors after the first connect (while reconnecting). */
  errors: Error[];
  /** Messages received on one topic. */
  on(topic: string): ReceivedMessage[];
  close(): Promise<void>;
}

export async function connectObserver(url: string, options: IClientOptions): Promise<Observer> {
  const client = mqtt.connect(url, { reconnectPeriod: 500, connectTimeout: 5_000, ...options });
  const inbox: ReceivedMessage[] = [];
  // Listening before the CONNACK: a persistent session's queued messages follow it in the same read.
  client.on('message', (topic, payload, packet) => inbox.push({ topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain }));
  const errors: Error[] = [];
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      client.end(true);
      reject(error);
    };
    client.once('connect', () => {
      client.off('error', fail);
      // Reconnection errors (a broker restart) must not become unhandled 'error' events.
      client.on('error', (error) => errors.push(error));
      resolve();
    });
    client.once('error', fail);
  });
  return {
    client,
    inbox,
    errors,
    on: (topic) => inbox.filter((message) => message.topic === topic),
    close: async () => {
      await client.endAsync(true).catch(() => undefined);
    },
  };
}

/** An observer on Mosquitto's plain listener as user `bastion`, MQTT 5. */
export function mosquittoObserver(broker: MosquittoEnv, options: IClientOptions = {}): Promise<Observer> {
  return connectObserver(`mqtt://${broker.host}:${broker.port}`, { username: broker.user, password: broker.password, protocolVersion: 5, ...options });
}

/** An observer on the emulator as its system user (MQTT 3.1.1, the only version aedes speaks). */
export function corefluxObserver(broker: CorefluxBroker, options: IClientOptions = {}): Promise<Observer> {
  return connectObserver(broker.url, { username: COREFLUX_TEST_USER, password: COREFLUX_TEST_PASSWORD, protocolVersion: 4, ...options });
}

/** Calls a tool with a progress token and records every progress notification it gets while the call runs. */
export async function callWithProgress(
  bastion: Bastion,
  name: string,
  args: Record<string, unknown>,
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void,
): Promise<ToolResult & { progress: Array<{ progress: number; total?: number; message?: string }> }> {
  const progress: Array<{ progress: number; total?: number; message?: string }> = [];
  const result = (await bastion.client.callTool(
    { name, arguments: args },
    {
      onprogress: (notification: { progress: number; total?: number; message?: string }) => {
        progress.push(notification);
        onProgress?.(notification);
      },
    },
  )) as { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: unknown };
  const text = result.content.map((block) => block.text ?? '').join('\n');
  return { isError: result.isError, text, structured: result.structuredContent, progress };
}

/** Which secrets (in any of their secretForms) appear in which of the texts (by index). */
export function leaks(texts: readonly string[], secrets: readonly string[]): Array<{ secret: string; where: number }> {
  const found: Array<{ secret: string; where: number }> = [];
  texts.forEach((text, where) => {
    for (const secret of secrets) {
      for (const form of secretForms(secret)) if (text.includes(form)) found.push({ secret, where });
    }
  });
  return found;
}
