// Canary check for the Coreflux / MQTT connector: the MQTT passwords (bastion, reader, the emulator's root), a wrong
// password and the Copilot key never appear in tool results, stderr at debug level, the audit log or doctor output,
// on the success paths and on the refused-login, ACL, TLS and Copilot error paths.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';
import { COPILOT_TEST_KEY, startCopilotDouble, startVerifierDouble, type CopilotDouble, type VerifierDouble } from '../doubles/copilot.js';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import { call, runCli, startBastion, type Bastion } from '../helpers/bastion.js';
import {
  COREFLUX_TEST_PASSWORD,
  corefluxEnv,
  leaks,
  mosquittoEnv,
  mosquittoMtlsEnv,
  mosquittoTlsEnv,
  runId,
  startCoreflux,
  waitConnected,
  waitLastError,
} from '../helpers/coreflux.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const RUN = runId();
const WRONG_PASSWORD = 'canary-wrong-mqtt-password-8Ws1';
const dir = mkdtempSync(join(tmpdir(), 'bastion-coreflux-'));

let mosquitto: MosquittoEnv;
let broker: CorefluxBroker;
let copilot: CopilotDouble;
let verifier: VerifierDouble;
/** Every tool result, stderr, audit log and doctor output of this file. */
const outputs: string[] = [];
const audits: string[] = [];
/** Doctor's output per scenario, for the sanity checks below. */
const doctor: Record<string, string> = {};

function secrets(): string[] {
  return [mosquitto.password, mosquitto.readerPassword, WRONG_PASSWORD, COREFLUX_TEST_PASSWORD, COPILOT_TEST_KEY];
}

/** Starts Bastion with its own audit log, runs the calls, closes it and keeps everything it wrote. */
async function session(name: string, env: Record<string, string>, run: (bastion: Bastion) => Promise<void>): Promise<void> {
  const audit = join(dir, `${name}.jsonl`);
  audits.push(audit);
  const bastion = await startBastion({ env: { ...env, BASTION_AUDIT_LOG: audit, BASTION_LOG_LEVEL: 'debug' } });
  try {
    await run(bastion);
  } finally {
    await bastion.close();
    outputs.push(bastion.stderr());
  }
  const doctorRun = await runCli(['doctor'], { ...env, BASTION_AUDIT_LOG: audit, BASTION_LOG_LEVEL: 'debug' });
  doctor[name] = doctorRun.stdout;
  outputs.push(doctorRun.stdout, doctorRun.stderr);
  const json = await runCli(['doctor', '--json'], { ...env, BASTION_LOG_LEVEL: 'debug' });
  outputs.push(json.stdout, json.stderr);
}

async function tool(bastion: Bastion, name: string, args: Record<string, unknown> = {}) {
  const result = await call(bastion, name, args);
  outputs.push(JSON.stringify(result));
  return result;
}

beforeAll(async () => {
  mosquitto = await ensureMosquitto();
  [broker, copilot, verifier] = await Promise.all([startCoreflux(), startCopilotDouble(), startVerifierDouble()]);
  const topic = `bastion-test/${RUN}/canary`;

  await session('mosquitto', mosquittoEnv(mosquitto), async (bastion) => {
    await waitConnected(bastion);
    expect((await tool(bastion, 'mqtt_publish', { topic, payload: 'hello', qos: 1 })).isError).toBeFalsy();
    expect((await tool(bastion, 'mqtt_publish', { topic: `secret/${RUN}`, payload: 'x', qos: 1 })).isError).toBe(true);
    expect((await tool(bastion, 'mqtt_publish', { topic: `${topic}/+`, payload: 'x' })).isError).toBe(true);
    await tool(bastion, 'mqtt_read_topic', { topic, timeout_seconds: 0.5 });
    await tool(bastion, 'mqtt_read_retained', { topic: `${topic}/#`, wait_ms: 100 });
    await tool(bastion, 'mqtt_broker_status');
  });

  await session('wrong-password', mosquittoEnv(mosquitto, { MQTT_PASSWORD: WRONG_PASSWORD }), async (bastion) => {
    await tool(bastion, 'mqtt_broker_status');
    await waitLastError(bastion, /not authorized/);
    expect((await tool(bastion, 'mqtt_publish', { topic, payload: 'x' })).text).toContain('not authorized');
    await tool(bastion, 'mqtt_broker_status');
  });

  await session('reader', mosquittoEnv(mosquitto, { MQTT_USER: mosquitto.readerUser, MQTT_PASSWORD: mosquitto.readerPassword }), async (bastion) => {
    await waitConnected(bastion);
    // The reader may only read sensors/#: its publish is refused by the broker.
    const refused = await tool(bastion, 'mqtt_publish', { topic: `sensors/${RUN}/x`, payload: 'x', qos: 1 });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/not authorized/);
    await tool(bastion, 'mqtt_read_retained', { topic: `sensors/${RUN}/#`, wait_ms: 100 });
  });

  await session('tls-without-ca', mosquittoTlsEnv(mosquitto, { MQTT_CA_CERT: '' }), async (bastion) => {
    await waitLastError(bastion, /trusted CA/);
    await tool(bastion, 'mqtt_broker_status');
    await tool(bastion, 'mqtt_publish', { topic, payload: 'x' });
  });

  await session('mtls-expired', mosquittoMtlsEnv(mosquitto, { MQTT_CLIENT_CERT: mosquitto.expiredCert, MQTT_CLIENT_KEY: mosquitto.expiredKey, MQTT_USER: mosquitto.user, MQTT_PASSWORD: mosquitto.password }), async (bastion) => {
    await waitLastError(bastion, /expired/);
    await tool(bastion, 'mqtt_broker_status');
  });

  copilot.setMode('ok');
  await session('coreflux', corefluxEnv(broker, { COREFLUX_COPILOT_URL: copilot.url, DO_AGENT_API_KEY: COPILOT_TEST_KEY, LOT_VERIFIER_API_URL: verifier.url }), async (bastion) => {
    await waitConnected(bastion);
    expect((await tool(bastion, 'coreflux_add_model', { definition: 'DEFINE MODEL Canary WITH TOPIC "plant/canary"' })).isError).toBeFalsy();
    expect((await tool(bastion, 'coreflux_remove_model', { name: 'Ghost' })).isError).toBe(true);
    expect((await tool(bastion, 'coreflux_generate_lot', { query: 'Blink a lamp' })).isError).toBeFalsy();
    copilot.setMode('unauthorized');
    expect((await tool(bastion, 'coreflux_generate_lot', { query: 'Blink a lamp' })).isError).toBe(true);
    copilot.setMode('ok');
    await tool(bastion, 'coreflux_verify_lot', { code: 'DEFINE MODEL Canary WITH TOPIC "plant/canary"' });
    await tool(bastion, 'mqtt_broker_status');
  });

  for (const audit of audits) outputs.push(readFileSync(audit, 'utf8'));
}, 240_000);

afterAll(async () => {
  await Promise.all([broker?.close(), copilot?.close(), verifier?.close()]);
});

describe('canary', () => {
  it('finds no password or key in any result, stderr (debug), audit log or doctor output', () => {
    expect(outputs.length).toBeGreaterThan(30);
    // Debug logging was on (the Copilot and verifier calls log at debug level).
    expect(outputs.some((text) => text.includes('"level":"debug"'))).toBe(true);
    expect(leaks(outputs, secrets())).toEqual([]);
    // The check itself finds a password, also encoded.
    expect(leaks([`x${encodeURIComponent(mosquitto.password)}x`], secrets())).toHaveLength(1);
  });

  it('ran the error paths it claims to have covered', () => {
    expect(doctor['wrong-password']).toMatch(/\[FAIL\] connection: .*not authorized/);
    expect(doctor['tls-without-ca']).toMatch(/\[FAIL\] connection: .*not signed by a trusted CA/);
    expect(doctor['mtls-expired']).toMatch(/\[FAIL\] connection: .*client certificate because it has expired/);
    expect(doctor.mosquitto).toMatch(/\[ok {2}\] connection: connected \(MQTT 5\.0\)/);
    expect(doctor.coreflux).toMatch(/\[ok {2}\] connection: connected \(MQTT 3\.1\.1\)/);
  });

  it('names where the password and key came from, never what they are', () => {
    expect(doctor.mosquitto).toMatch(/\[ok {2}\] broker: mqtt:\/\/127\.0\.0\.1:\d+ as bastion, password from the environment/);
    expect(doctor.coreflux).toMatch(/\[ok {2}\] copilot: http:\/\/127\.0\.0\.1:\d+, key from the environment/);
  });

  it('audits each call with its outcome and the credential fingerprint only', () => {
    const records = audits.flatMap((path) =>
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    );
    const calls = records.filter((record) => record.type === 'tool_call');
    expect(calls.some((record) => record.tool === 'mqtt_publish' && record.outcome === 'ok')).toBe(true);
    expect(calls.some((record) => record.tool === 'mqtt_publish' && record.outcome === 'error' && String(record.error).includes('not authorized'))).toBe(true);
    expect(calls.some((record) => record.tool === 'coreflux_generate_lot' && record.outcome === 'error' && String(record.error).includes('401'))).toBe(true);
    expect(records.some((record) => record.type === 'credential' && record.connector === 'coreflux' && record.event === 'client_initialization')).toBe(true);
  });
});

describe('redaction of broker URLs with credentials', () => {
  it('scrubs user:password from mqtt, mqtts and websocket URLs in a log line, keeping the host', () => {
    const password = mosquitto.password;
    for (const scheme of ['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'ssl']) {
      const line = `connecting to ${scheme}://bastion:${password}@broker.example:1883/mqtt`;
      const scrubbed = redact(line);
      expect(scrubbed, scheme).toBe(`connecting to ${scheme}://[REDACTED]@broker.example:1883/mqtt`);
    }
    expect(redact(`{"url":"mqtt://bastion:${password}@127.0.0.1:18830"}`)).toBe('{"url":"mqtt://[REDACTED]@127.0.0.1:18830"}');
    // A password with URL-special characters, percent-encoded in the URL.
    expect(redact(`mqtt://bastion:${encodeURIComponent('p@ss:w/rd')}@host`)).toBe('mqtt://[REDACTED]@host');
  });
});
