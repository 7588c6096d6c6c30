// The local test Mosquitto (scripts/mosquitto.sh): start it if needed and read its connection settings.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseEnv, serviceEnv } from './services.js';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/mosquitto.sh');

export interface MosquittoEnv {
  host: string;
  /** Plain MQTT, username/password. */
  port: number;
  /** TLS with a server certificate from `ca`, username/password. */
  tlsPort: number;
  /** Mutual TLS: a client certificate from `ca` is required and its CN is the username. */
  mtlsPort: number;
  /** May read and write everything except secret/#. */
  user: string;
  password: string;
  /** May only read sensors/#. */
  readerUser: string;
  readerPassword: string;
  /** CN of `clientCert`, which the broker uses as the username on the mTLS port. */
  clientCn: string;
  ca: string;
  clientCert: string;
  clientKey: string;
  /** Signed by `ca` with the same CN as `clientCert`, but expired. */
  expiredCert: string;
  expiredKey: string;
  /** An unrelated CA, and a client certificate (same CN as `clientCert`) signed by it. */
  otherCa: string;
  otherCert: string;
  otherKey: string;
}

function run(command: string): string {
  const result = spawnSync('bash', [SCRIPT, command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  if (result.status !== 0) {
    const reason = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    throw new Error(`scripts/mosquitto.sh ${command} failed (${reason}):\n${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Starts the broker unless it is already running (needs root the first time) and returns its settings. */
export async function ensureMosquitto(): Promise<MosquittoEnv> {
  // The global set-up started it; if it could not, this names the broker and why.
  serviceEnv('mosquitto');
  run('up');
  const env = parseEnv(run('env'));
  const get = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`scripts/mosquitto.sh env did not print ${name}`);
    return value;
  };
  return {
    host: get('MQTT_TEST_HOST'),
    port: Number(get('MQTT_TEST_PORT')),
    tlsPort: Number(get('MQTT_TEST_TLS_PORT')),
    mtlsPort: Number(get('MQTT_TEST_MTLS_PORT')),
    user: get('MQTT_TEST_USER'),
    password: get('MQTT_TEST_PASSWORD'),
    readerUser: get('MQTT_TEST_READER_USER'),
    readerPassword: get('MQTT_TEST_READER_PASSWORD'),
    clientCn: get('MQTT_TEST_CLIENT_CN'),
    ca: get('MQTT_TEST_CA'),
    clientCert: get('MQTT_TEST_CLIENT_CERT'),
    clientKey: get('MQTT_TEST_CLIENT_KEY'),
    expiredCert: get('MQTT_TEST_EXPIRED_CERT'),
    expiredKey: get('MQTT_TEST_EXPIRED_KEY'),
    otherCa: get('MQTT_TEST_OTHER_CA'),
    otherCert: get('MQTT_TEST_OTHER_CERT'),
    otherKey: get('MQTT_TEST_OTHER_KEY'),
  };
}

/** Stops and starts the broker; retained messages and persistent sessions survive. */
export function restartMosquitto(): void {
  run('restart');
}
