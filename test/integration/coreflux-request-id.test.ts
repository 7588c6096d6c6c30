// -requestId on brokers that predate it (MQTT_COMMAND_REQUEST_ID): such a broker keeps the suffix as part of the
// command (a LoT body, an entity name) and answers with "requestId": null, without the field, or in plain text.
// Bastion asks the broker once per connection (`auto`) and sends no id to one that does not echo it, so a command
// never changes meaning; answers without an id go to the pending command of the same name, else to the only one.
// Over MQTT 5 on the real Mosquitto, answered by the command-channel emulator as another client.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCorefluxOnBroker, type RemoteCoreflux } from '../doubles/coreflux-remote.js';
import type { RequestIdSupport } from '../doubles/coreflux.js';
import { call, runCli, type Bastion } from '../helpers/bastion.js';
import { mosquittoEnv, runId, startBastionOnMosquitto, waitConnected } from '../helpers/coreflux.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const RUN = runId();
const PROBE = 'bastionRequestIdProbe';
const model = (name: string) => `DEFINE MODEL ${name} WITH TOPIC "plant/${RUN}/${name}/state"\n    ADD "unit" WITH "C"`;

let mosquitto: MosquittoEnv;
let emulator: RemoteCoreflux;
const started: Bastion[] = [];

beforeAll(async () => {
  mosquitto = await ensureMosquitto();
  emulator = await startCorefluxOnBroker({ url: `mqtt://${mosquitto.host}:${mosquitto.port}`, username: mosquitto.user, password: mosquitto.password, prefix: `coreflux-rid-${RUN}` });
});
afterEach(async () => {
  expect(emulator.errors.map(String)).toEqual([]);
  emulator.setMode('json');
  emulator.setRequestIdSupport('echo');
  await Promise.all(started.splice(0).map((bastion) => bastion.close()));
});
afterAll(async () => {
  await emulator?.close();
});

/** A Bastion of its own (a fresh connection, so it asks the broker again), on the emulator's command topic. */
async function bastionFor(extra: Record<string, string> = {}): Promise<Bastion> {
  const bastion = await startBastionOnMosquitto(mosquitto, { MQTT_TOPICS: 'plant/#', MQTT_COMMAND_TOPIC: emulator.commandTopic, MQTT_COMMAND_TIMEOUT: '5', ...extra });
  started.push(bastion);
  await waitConnected(bastion);
  return bastion;
}

const since = (count: number) => emulator.commands.slice(count);

describe.each(['null', 'absent'] as RequestIdSupport[])('a broker that does not know -requestId (envelope requestId %s)', (support) => {
  it('is asked once, then gets commands without the suffix: the model body and the entity name stay as written', async () => {
    emulator.setRequestIdSupport(support);
    const bastion = await bastionFor();
    const name = `Old${support}${RUN}`;
    const before = emulator.commands.length;
    const added = await call(bastion, 'coreflux_add_model', { definition: model(name) });
    expect(added.isError, added.text).toBeFalsy();
    expect(added.structured).toMatchObject({ success: true, message: `Model '${name}' added successfully!`, entity: `Model ${name}` });
    expect(added.structured.request_id).toBeUndefined();
    expect(emulator.state.models.get(name)).toBe(model(name));
    const removed = await call(bastion, 'coreflux_remove_model', { name });
    expect(removed.isError, removed.text).toBeFalsy();
    expect(emulator.state.models.has(name)).toBe(false);
    // The probe (an unknown verb, which changes nothing) went first and only once.
    expect(since(before).map((record) => record.payload)).toEqual([
      expect.stringMatching(new RegExp(`^-${PROBE} -requestId bastion-[0-9a-f]{8}$`)),
      `-addModel ${model(name)}`,
      `-removeModel ${name}`,
    ]);
  });

  it('gives concurrent commands their own answers (one at a time, matched by command name)', async () => {
    emulator.setRequestIdSupport(support);
    const bastion = await bastionFor();
    const names = ['Alpha', 'Beta', 'Gamma'].map((name) => `${name}${support}${RUN}`);
    for (const name of names) expect((await call(bastion, 'coreflux_add_model', { definition: model(name) })).isError).toBeFalsy();
    const results = await Promise.all(names.map((name) => call(bastion, 'coreflux_lot_diagnostic', { kind: 'model', name })));
    results.forEach((result, index) => {
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured.data.name).toBe(names[index]);
    });
    const failed = await call(bastion, 'coreflux_remove_model', { name: `Ghost${RUN}` });
    expect(failed.text).toBe(`Coreflux refused -removeModel: Model 'Ghost${RUN}' not found Details: Model 'Ghost${RUN}' not found`);
  });
});

describe('a broker that does not know -requestId and answers in plain text', () => {
  it('matches the plain answer to the only pending command and reads refusals', async () => {
    emulator.setRequestIdSupport('null');
    emulator.setMode('plain');
    const bastion = await bastionFor();
    const name = `Plain${RUN}`;
    const added = await call(bastion, 'coreflux_add_model', { definition: model(name) });
    expect(added.isError, added.text).toBeFalsy();
    expect(added.structured).toMatchObject({ success: true, message: `Model '${name}' added successfully!`, plain_text: true });
    expect(emulator.state.models.get(name)).toBe(model(name));
    const missing = await call(bastion, 'coreflux_remove_model', { name: `Ghost${RUN}` });
    expect(missing.text).toBe(`Coreflux refused -removeModel: Model 'Ghost${RUN}' not found`);
  });
});

describe('MQTT_COMMAND_REQUEST_ID', () => {
  it('auto: a broker that echoes the id gets it on every command after the one probe', async () => {
    const bastion = await bastionFor();
    const before = emulator.commands.length;
    for (const name of [`Echo1${RUN}`, `Echo2${RUN}`]) {
      const added = await call(bastion, 'coreflux_add_model', { definition: model(name) });
      expect(added.structured.request_id).toMatch(/^bastion-[0-9a-f]{8}$/);
    }
    expect(since(before).map((record) => record.verb)).toEqual([PROBE, 'addModel', 'addModel']);
    expect(since(before).every((record) => record.requestId !== undefined)).toBe(true);
  });

  it('never: no probe and no suffix, even on a broker that would echo it', async () => {
    const bastion = await bastionFor({ MQTT_COMMAND_REQUEST_ID: 'never' });
    const before = emulator.commands.length;
    const name = `Never${RUN}`;
    expect((await call(bastion, 'coreflux_add_model', { definition: model(name) })).isError).toBeFalsy();
    expect(since(before).map((record) => record.payload)).toEqual([`-addModel ${model(name)}`]);
  });

  it('always: no probe; the id is sent and an answer with "requestId": null is still taken', async () => {
    emulator.setRequestIdSupport('null');
    const bastion = await bastionFor({ MQTT_COMMAND_REQUEST_ID: 'always' });
    const before = emulator.commands.length;
    const result = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'model', name: `Ghost${RUN}` });
    expect(result.text).toMatch(/^Coreflux refused -lotDiagnostic: Model 'Ghost\w+' not found/);
    expect(since(before)).toHaveLength(1);
    expect(since(before)[0]!.payload).toMatch(new RegExp(`^-lotDiagnostic model Ghost${RUN} -requestId bastion-[0-9a-f]{8}$`));
  });

  it('refuses an unknown value at start, naming the setting and the choices (exit code 2)', async () => {
    const refused = await runCli(['serve'], mosquittoEnv(mosquitto, { MQTT_COMMAND_REQUEST_ID: 'sometimes' }));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/MQTT_COMMAND_REQUEST_ID.*"auto"\|"always"\|"never"|MQTT_COMMAND_REQUEST_ID.*auto.*always.*never/);
  });
});
