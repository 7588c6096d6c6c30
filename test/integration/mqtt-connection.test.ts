// The MQTT connection end to end against the local Mosquitto 2: starting without a broker, refused logins, TLS and
// mutual TLS (and the distinct message for each way they fail), configuration errors, and a broker restart in the
// middle of a session. Messages are read from mqtt_broker_status's last_error and from tool errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, runCli, startBastion, type Bastion } from '../helpers/bastion.js';
import {
  brokerStatus,
  closedPort,
  mosquittoEnv,
  mosquittoMtlsEnv,
  mosquittoObserver,
  mosquittoTlsEnv,
  runId,
  waitConnected,
  waitLastError,
  type Observer,
} from '../helpers/coreflux.js';
import { ensureMosquitto, restartMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const RUN = runId();
const BASE = `bastion-test/${RUN}`;
const WRONG_PASSWORD = 'canary-wrong-mqtt-password-3Fp9';

let broker: MosquittoEnv;
let observer: Observer;
const started: Bastion[] = [];

async function open(env: Record<string, string>): Promise<Bastion> {
  const bastion = await startBastion({ env });
  started.push(bastion);
  return bastion;
}

beforeAll(async () => {
  broker = await ensureMosquitto();
  observer = await mosquittoObserver(broker);
  await observer.client.subscribeAsync(`${BASE}/#`, { qos: 1 });
});
afterAll(async () => {
  for (const bastion of started) await bastion.close();
  await observer?.close();
});

/** Publishes through Bastion and checks that the observer (plain listener) receives it. */
async function expectRoundTrip(bastion: Bastion, name: string): Promise<void> {
  const topic = `${BASE}/${name}`;
  const published = await call(bastion, 'mqtt_publish', { topic, payload: name });
  expect(published.isError, published.text).toBeFalsy();
  await expect.poll(() => observer.on(topic).map((m) => m.payload), { timeout: 10_000 }).toEqual([name]);
}

describe('broker unreachable', () => {
  let bastion: Bastion;
  let port: number;

  beforeAll(async () => {
    port = await closedPort();
    bastion = await open(mosquittoEnv(broker, { MQTT_PORT: String(port) }));
  });

  it('starts and serves, and mqtt_broker_status explains that nothing is listening', async () => {
    const tools = (await bastion.client.listTools()).tools.map((tool) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(['mqtt_publish', 'mqtt_read_topic', 'mqtt_read_retained', 'mqtt_broker_status', 'coreflux_run_action']));
    const status = await waitLastError(bastion, /nothing is listening/);
    expect(status.state).not.toBe('connected');
    expect(status.last_error).toBe(`nothing is listening at 127.0.0.1:${port}`);
    expect(status.broker).toBe(`mqtt://127.0.0.1:${port}`);
    expect(status.latency_ms).toBeUndefined();
  });

  it('answers every tool that needs the broker with "not connected" and the reason, and keeps serving', async () => {
    const calls: Array<[string, Record<string, unknown>]> = [
      ['mqtt_publish', { topic: `${BASE}/x`, payload: 'x' }],
      ['mqtt_read_topic', { topic: `${BASE}/x`, timeout_seconds: 1 }],
      ['mqtt_read_retained', { topic: `${BASE}/#` }],
      ['coreflux_run_action', { name: 'Blink' }],
      ['coreflux_add_model', { definition: 'DEFINE MODEL M WITH TOPIC "a/b"' }],
      ['coreflux_lot_diagnostic', { kind: 'model', name: 'M' }],
      ['coreflux_list_actions', {}],
      ['coreflux_broker_command', { verb: 'listProjects' }],
    ];
    for (const [tool, args] of calls) {
      const result = await call(bastion, tool, args);
      expect(result.isError, tool).toBe(true);
      expect(result.text, tool).toMatch(new RegExp(`^Not connected to the MQTT broker mqtt://127\\.0\\.0\\.1:${port} \\((connecting|offline): nothing is listening at 127\\.0\\.0\\.1:${port}\\)\\. Bastion keeps reconnecting`));
    }
    expect(bastion.stderr()).not.toContain('failed unexpectedly');
    expect((await brokerStatus(bastion)).state).not.toBe('connected');
  });

  it('doctor reports the failed connection and exits non-zero', async () => {
    const doctor = await runCli(['doctor'], mosquittoEnv(broker, { MQTT_PORT: String(port) }));
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`\\[FAIL\\] connection: (connecting|offline): nothing is listening at 127\\.0\\.0\\.1:${port}`));
  });
});

describe('refused login', () => {
  let bastion: Bastion;

  beforeAll(async () => {
    bastion = await open(mosquittoEnv(broker, { MQTT_PASSWORD: WRONG_PASSWORD }));
  });

  it('says "not authorized" for a wrong password, naming the user and never the password', async () => {
    const status = await waitLastError(bastion, /refused the login/);
    expect(status.state).not.toBe('connected');
    expect(status.last_error).toBe('the broker refused the login for user bastion: not authorized (wrong password, or no access)');
    const publish = await call(bastion, 'mqtt_publish', { topic: `${BASE}/x`, payload: 'x' });
    expect(publish.isError).toBe(true);
    expect(publish.text).toContain('not authorized (wrong password, or no access)');
    expect(publish.text).not.toContain('nothing is listening');
    for (const text of [JSON.stringify(status), publish.text, bastion.stderr()]) {
      expect(text).not.toContain(WRONG_PASSWORD);
      expect(text).not.toContain(broker.password);
    }
  });

  it('says the same for an unknown user', async () => {
    const unknown = await open(mosquittoEnv(broker, { MQTT_USER: 'nobody', MQTT_PASSWORD: WRONG_PASSWORD }));
    const status = await waitLastError(unknown, /refused the login/);
    expect(status.last_error).toBe('the broker refused the login for user nobody: not authorized (wrong password, or no access)');
  });
});

describe('TLS (server certificate from the test CA)', () => {
  it('connects with MQTT_CA_CERT and publishes over TLS', async () => {
    const bastion = await open(mosquittoTlsEnv(broker));
    const status = await waitConnected(bastion);
    expect(status).toMatchObject({ broker: `mqtts://127.0.0.1:${broker.tlsPort}`, protocol: 'MQTT 5.0' });
    await expectRoundTrip(bastion, 'over-tls');
  });

  it('without the CA, says the certificate is not signed by a trusted CA and to set MQTT_CA_CERT', async () => {
    const bastion = await open(mosquittoTlsEnv(broker, { MQTT_CA_CERT: '' }));
    const status = await waitLastError(bastion, /trusted CA/);
    expect(status.last_error).toBe(`the broker's certificate at 127.0.0.1:${broker.tlsPort} is not signed by a trusted CA: set MQTT_CA_CERT to the CA that issued it`);
    const publish = await call(bastion, 'mqtt_publish', { topic: `${BASE}/x`, payload: 'x' });
    expect(publish.isError).toBe(true);
    expect(publish.text).toContain('not signed by a trusted CA: set MQTT_CA_CERT');
  });

  it("with the other CA as MQTT_CA_CERT, says the same (the broker's certificate is not from it)", async () => {
    const bastion = await open(mosquittoTlsEnv(broker, { MQTT_CA_CERT: broker.otherCa }));
    const status = await waitLastError(bastion, /trusted CA/);
    expect(status.state).not.toBe('connected');
  });
});

describe('mutual TLS (client certificate required)', () => {
  it('connects with the good client certificate and no password', async () => {
    const bastion = await open(mosquittoMtlsEnv(broker));
    const status = await waitConnected(bastion);
    expect(status.broker).toBe(`mqtts://127.0.0.1:${broker.mtlsPort}`);
    await expectRoundTrip(bastion, 'over-mtls');
  });

  it('tells an expired certificate, a certificate from another CA and a missing certificate apart', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['expired', { MQTT_CLIENT_CERT: broker.expiredCert, MQTT_CLIENT_KEY: broker.expiredKey }, 'the broker refused the client certificate because it has expired (MQTT_CLIENT_CERT)'],
      ['other CA', { MQTT_CLIENT_CERT: broker.otherCert, MQTT_CLIENT_KEY: broker.otherKey }, "the broker does not trust the client certificate's CA (MQTT_CLIENT_CERT is signed by a CA the broker does not accept)"],
      ['no certificate', { MQTT_CLIENT_CERT: '', MQTT_CLIENT_KEY: '' }, 'the broker requires a client certificate: set MQTT_CLIENT_CERT and MQTT_CLIENT_KEY'],
    ];
    const seen: string[] = [];
    const bastions = await Promise.all(cases.map(([, extra]) => open(mosquittoMtlsEnv(broker, extra))));
    for (const [index, [label, , expected]] of cases.entries()) {
      const bastion = bastions[index]!;
      const status = await waitLastError(bastion, /client certificate/);
      expect(status.last_error, label).toBe(expected);
      expect(status.state, label).not.toBe('connected');
      const publish = await call(bastion, 'mqtt_publish', { topic: `${BASE}/x`, payload: 'x' });
      expect(publish.isError, label).toBe(true);
      expect(publish.text, label).toContain(expected);
      seen.push(status.last_error!);
    }
    expect(new Set(seen).size).toBe(3);
    // The reasons stay put while Bastion keeps retrying.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    for (const [index, [label, , expected]] of cases.entries()) expect((await brokerStatus(bastions[index]!)).last_error, label).toBe(expected);
  });
});

describe('configuration errors', () => {
  it('refuses to start with a client certificate but no key, an unreadable CA file, or TLS files without TLS', async () => {
    const half = await runCli(['serve'], mosquittoMtlsEnv(broker, { MQTT_CLIENT_KEY: '' }));
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('MQTT_CLIENT_CERT and MQTT_CLIENT_KEY go together: set both or neither.');
    const missing = await runCli(['serve'], mosquittoTlsEnv(broker, { MQTT_CA_CERT: `/nonexistent/${RUN}/ca.crt` }));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`Cannot read the MQTT CA certificate file /nonexistent/${RUN}/ca.crt (ENOENT).`);
    const noTls = await runCli(['serve'], mosquittoEnv(broker, { MQTT_CA_CERT: broker.ca }));
    expect(noTls.status).toBe(2);
    expect(noTls.stderr).toContain('MQTT_CA_CERT and MQTT_CLIENT_CERT need MQTT_USE_TLS=true.');
  });

  it('refuses to start with an invalid MQTT_TOPICS filter as a configuration error (exit code 2)', async () => {
    const badTopics = await runCli(['serve'], mosquittoEnv(broker, { MQTT_TOPICS: 'sensors/#/x' }));
    expect(badTopics.stderr).toContain('MQTT_TOPICS: "#" must be a whole level at the end of "sensors/#/x".');
    expect(badTopics.status).toBe(2);
  });
});

describe('broker restart in the middle of a session', () => {
  it('reconnects, and QoS 1 messages published before and after the restart reach a persistent subscriber', { timeout: 180_000 }, async () => {
    const bastion = await open(mosquittoEnv(broker));
    await waitConnected(bastion);
    const topic = `${BASE}/restart`;
    const retainedTopic = `${BASE}/restart-retained`;
    // A subscriber with a persistent session (MQTT 3.1.1, clean false), offline during the restart.
    const persistent = { clientId: `bastion-test-${RUN}`, clean: false, protocolVersion: 4 as const };
    const subscriber = await mosquittoObserver(broker, persistent);
    await subscriber.client.subscribeAsync(topic, { qos: 1 });
    await subscriber.client.endAsync();

    const before = await call(bastion, 'mqtt_publish', { topic, payload: 'before', qos: 1 });
    expect(before.isError, before.text).toBeFalsy();
    expect(before.structured.acknowledged).toBe(true);
    expect((await call(bastion, 'mqtt_publish', { topic: retainedTopic, payload: 'kept', qos: 1, retain: true })).isError).toBeFalsy();

    // The other clients of this file see the restart too.
    for (const other of started) if (other !== bastion) await other.close();
    started.splice(0, started.length, bastion);
    restartMosquitto();

    // Right after the restart a publish either goes through (and is then delivered) or says why it could not.
    const during = await call(bastion, 'mqtt_publish', { topic, payload: 'during', qos: 1 });
    if (during.isError) expect(during.text).toMatch(/^Not connected to the MQTT broker/);

    const status = await waitConnected(bastion, 60_000);
    expect(status.protocol).toBe('MQTT 5.0');
    const after = await call(bastion, 'mqtt_publish', { topic, payload: 'after', qos: 1 });
    expect(after.isError, after.text).toBeFalsy();
    const retained = await call(bastion, 'mqtt_read_retained', { topic: retainedTopic });
    expect(retained.structured.messages.map((m: { payload: string }) => m.payload)).toEqual(['kept']);

    const back = await mosquittoObserver(broker, persistent);
    try {
      const expected = during.isError ? ['before', 'after'] : ['before', 'during', 'after'];
      await expect.poll(() => back.on(topic).map((m) => m.payload), { timeout: 20_000 }).toEqual(expected);
    } finally {
      await back.client.publishAsync(retainedTopic, '', { qos: 1, retain: true });
      await back.close();
      // Ends the persistent session.
      const cleanup = await mosquittoObserver(broker, { clientId: persistent.clientId, clean: true, protocolVersion: 4 });
      await cleanup.client.endAsync();
    }
    // The observer of this file reconnects by itself and keeps receiving.
    await expect.poll(() => observer.client.connected, { timeout: 30_000 }).toBe(true);
  });
});
