// The Coreflux LoT tools through the real MCP client, over MQTT 5 on the real Mosquitto, answered by the Coreflux
// command-channel emulator running as another client of that broker: add and remove for each entity kind,
// run_action, lot_diagnostic, list_actions and broker_command, checked against the emulator's state and its log of
// received commands; and -requestId matching. The MQTT 3.1.1 fallback is in coreflux-fallback.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorefluxOnBroker, type RemoteCoreflux } from '../doubles/coreflux-remote.js';
import { call, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { mosquittoObserver, runId, startBastionOnMosquitto, waitConnected, type Observer } from '../helpers/coreflux.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const RUN = runId();
const CLIENT_ID = `bastion-lot-${RUN}`;
const REQUEST_ID = /^bastion-[0-9a-f]{8}$/;

type Kind = 'model' | 'action' | 'route' | 'rule';
const LABEL: Record<Kind, string> = { model: 'Model', action: 'Action', route: 'Route', rule: 'Rule' };
const STORE: Record<Kind, 'models' | 'actions' | 'routes' | 'rules'> = { model: 'models', action: 'actions', route: 'routes', rule: 'rules' };

/** A definition of each kind whose topics all lie in MQTT_TOPICS=plant/#. */
const DEFINITION: Record<Kind, (name: string) => string> = {
  model: (name) =>
    [`DEFINE MODEL ${name} WITH TOPIC "plant/${RUN}/${name}/state"`, `    ADD "temperature" WITH TOPIC "plant/${RUN}/${name}/temp" AS TRIGGER`, '    ADD "unit" WITH "C"'].join('\n'),
  action: (name) => [`DEFINE ACTION ${name}`, `DESCRIPTION "Switches the ${name} lamp on"`, 'DO', `    PUBLISH TOPIC "plant/${RUN}/${name}/lamp" WITH "on"`].join('\n'),
  route: (name) => [`DEFINE ROUTE ${name} WITH TYPE MQTT_BRIDGE`, '    ADD SOURCE_CONFIG', '        WITH BROKER SELF'].join('\n'),
  rule: (name) => [`DEFINE RULE ${name} WITH PRIORITY 100 FOR Publish TO TOPIC "plant/${RUN}/+/lamp"`, '    IF USER IS "root" THEN ALLOW ELSE DENY'].join('\n'),
};

let mosquitto: MosquittoEnv;
/** The emulator: its command log and state (named like the aedes emulator's, which these tests used before). */
let broker: RemoteCoreflux;
let bastion: Bastion;
let observer: Observer;

beforeAll(async () => {
  mosquitto = await ensureMosquitto();
  broker = await startCorefluxOnBroker({ url: `mqtt://${mosquitto.host}:${mosquitto.port}`, username: mosquitto.user, password: mosquitto.password, prefix: `coreflux-${RUN}` });
  bastion = await startBastionOnMosquitto(mosquitto, { MQTT_CLIENT_ID: CLIENT_ID, MQTT_TOPICS: 'plant/#', MQTT_COMMAND_TOPIC: broker.commandTopic });
  await waitConnected(bastion);
  observer = await mosquittoObserver(mosquitto);
  await observer.client.subscribeAsync([`plant/${RUN}/#`, `${broker.actionsPrefix}+/Trace`], { qos: 0 });
});
afterAll(async () => {
  await observer?.close();
  await bastion?.close();
  await broker?.close();
});

describe('the production path: MQTT 5 on a real broker', () => {
  it('is connected with MQTT 5 and routes a command answer to its caller', async () => {
    const status = await call(bastion, 'mqtt_broker_status');
    expect(status.structured).toMatchObject({ state: 'connected', protocol: 'MQTT 5.0', broker: `mqtt://${mosquitto.host}:${mosquitto.port}` });
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'frobnicate' });
    expect(result.text).toBe('Coreflux refused -frobnicate: Unknown command: -frobnicate Details: Unknown command: -frobnicate');
  });
});

/** The commands the emulator received from Bastion since a point in its log. */
const since = (count: number) => broker.commands.slice(count);

/** The one command a successful call sent: its request id is the one the result reports. */
function sentFor(result: ToolResult, count: number) {
  const sent = since(count);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.requestId).toBe(result.structured.request_id);
  return sent[0]!;
}

describe.each(['model', 'action', 'route', 'rule'] as const)('coreflux_add_%s / coreflux_remove_%s', (kind) => {
  const name = `${LABEL[kind]}One`;
  const store = () => broker.state[STORE[kind]];

  it('adds the definition as sent, with -requestId, and removes it again', async () => {
    const definition = DEFINITION[kind](name);
    const before = broker.commands.length;
    const added = await call(bastion, `coreflux_add_${kind}`, { definition: `\n${definition}\n\n` });
    expect(added.isError, added.text).toBeFalsy();
    expect(added.structured).toMatchObject({ success: true, message: `${LABEL[kind]} '${name}' added successfully!`, entity: `${LABEL[kind]} ${name}` });
    expect(added.structured.request_id).toMatch(REQUEST_ID);
    expect(added.text).toBe(`OK: ${LABEL[kind]} '${name}' added successfully! (${LABEL[kind]} ${name})\n{}`);
    const sent = sentFor(added, before);
    expect(sent.verb).toBe(`add${LABEL[kind]}`);
    expect(sent.payload).toBe(`-add${LABEL[kind]} ${definition} -requestId ${added.structured.request_id}`);
    expect(store().get(name)).toBe(definition);

    const removing = broker.commands.length;
    const removed = await call(bastion, `coreflux_remove_${kind}`, { name });
    expect(removed.isError, removed.text).toBeFalsy();
    expect(removed.structured).toMatchObject({ success: true, message: `${LABEL[kind]} '${name}' removed successfully!` });
    expect(sentFor(removed, removing).payload).toBe(`-remove${LABEL[kind]} ${name} -requestId ${removed.structured.request_id}`);
    expect(store().has(name)).toBe(false);
  });

  it('refuses a definition of another kind, one without a DEFINE header, and a bad name, sending nothing', async () => {
    const other = kind === 'model' ? 'action' : 'model';
    const before = broker.commands.length;
    const size = store().size;
    const wrong = await call(bastion, `coreflux_add_${kind}`, { definition: DEFINITION[other]('Elsewhere') });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toBe(`definition: this tool adds a ${kind}, but the definition declares a ${other} (use coreflux_add_${other}).`);
    const headerless = await call(bastion, `coreflux_add_${kind}`, { definition: `    ADD "temperature" WITH TOPIC "plant/${RUN}/t"` });
    expect(headerless.isError).toBe(true);
    expect(headerless.text).toBe(`definition: it must start with "DEFINE ${kind.toUpperCase()} <Name>".`);
    const badName = await call(bastion, `coreflux_add_${kind}`, { definition: `DEFINE ${kind.toUpperCase()} 9Lives WITH X` });
    expect(badName.isError).toBe(true);
    expect(badName.text).toContain('definition');
    const tooShort = await call(bastion, `coreflux_add_${kind}`, { definition: 'DEFINE' });
    expect(tooShort.isError).toBe(true);
    expect(tooShort.text).toContain('definition');
    for (const bad of ['9Lives', 'two words', 'dash-name', '']) {
      const removed = await call(bastion, `coreflux_remove_${kind}`, { name: bad });
      expect(removed.isError, bad).toBe(true);
      expect(removed.text).toContain('name');
    }
    expect(since(before)).toEqual([]);
    expect(store().size).toBe(size);
  });

  it("reports the broker's failure envelope for removing an unknown name", async () => {
    const before = broker.commands.length;
    const result = await call(bastion, `coreflux_remove_${kind}`, { name: 'Ghost' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(`Coreflux refused -remove${LABEL[kind]}: ${LABEL[kind]} 'Ghost' not found Details: ${LABEL[kind]} 'Ghost' not found`);
    expect(since(before)).toHaveLength(1);
    expect(since(before)[0]!.requestId).toMatch(REQUEST_ID);
  });
});

describe('topics of a definition and MQTT_TOPICS', () => {
  it('refuses a definition naming a topic outside MQTT_TOPICS before sending it', async () => {
    const before = broker.commands.length;
    const cases: Array<[Kind, string, string]> = [
      ['model', `DEFINE MODEL Leaky WITH TOPIC "plant/${RUN}/ok"\n    ADD "x" WITH TOPIC "office/${RUN}/x" AS TRIGGER`, `The model Leaky uses topic "office/${RUN}/x"`],
      ['action', `DEFINE ACTION Takeover\nDO\n    PUBLISH TOPIC "$SYS/Coreflux/Command" WITH "-removeAllModels"`, 'The action Takeover uses topic "$SYS/Coreflux/Command"'],
      ['rule', 'DEFINE RULE Everything WITH PRIORITY 1 FOR Publish TO TOPIC "#"\n    IF USER IS "root" THEN ALLOW ELSE DENY', 'The rule Everything uses topic "#"'],
    ];
    for (const [kind, definition, start] of cases) {
      const result = await call(bastion, `coreflux_add_${kind}`, { definition });
      expect(result.isError, kind).toBe(true);
      expect(result.text).toMatch(new RegExp(`^${start.replace(/[$()#+]/g, '\\$&')} is outside the allowed topics \\(MQTT_TOPICS=plant/#\\)\\.$`));
    }
    expect(since(before)).toEqual([]);
    expect(broker.state.models.has('Leaky')).toBe(false);
    expect(broker.state.actions.has('Takeover')).toBe(false);
  });

  it('accepts wildcard topics inside MQTT_TOPICS', async () => {
    const result = await call(bastion, 'coreflux_add_rule', { definition: DEFINITION.rule('Lamps') });
    expect(result.isError, result.text).toBeFalsy();
    expect(broker.state.rules.has('Lamps')).toBe(true);
  });
});

describe('coreflux_run_action', () => {
  beforeAll(async () => {
    const added = await call(bastion, 'coreflux_add_action', { definition: DEFINITION.action('Blink') });
    expect(added.isError, added.text).toBeFalsy();
  });

  it('runs with JSON input and returns the trace id and what the action published (seen by a second client)', async () => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_run_action', { name: 'Blink', input: { times: 3, color: 'red' } });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ success: true, message: "Action 'Blink' executed successfully", entity: 'Action Blink' });
    const data = result.structured.data;
    expect(data.traceId).toMatch(/^trace-\d{4}$/);
    expect(data).toMatchObject({ status: 'completed', published: [{ topic: `plant/${RUN}/Blink/lamp`, payload: 'on' }] });
    expect(result.text).toContain(data.traceId);
    expect(sentFor(result, before).payload).toBe(`-runAction Blink {"times":3,"color":"red"} -requestId ${result.structured.request_id}`);
    await expect.poll(() => observer.on(`plant/${RUN}/Blink/lamp`).map((m) => m.payload), { timeout: 10_000 }).toEqual(['on']);
    await expect.poll(() => observer.on(`${broker.actionsPrefix}Blink/Trace`).length, { timeout: 10_000 }).toBe(1);
    expect(JSON.parse(observer.on(`${broker.actionsPrefix}Blink/Trace`)[0]!.payload)).toMatchObject({ traceId: data.traceId, input: { times: 3, color: 'red' } });
  });

  it('runs without input', async () => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_run_action', { name: 'Blink' });
    expect(result.isError, result.text).toBeFalsy();
    expect(sentFor(result, before).payload).toBe(`-runAction Blink -requestId ${result.structured.request_id}`);
  });

  it('refuses a bad name and input that is not a JSON object or too long, sending nothing; reports an unknown action', async () => {
    const before = broker.commands.length;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: '1Blink' }, /name/],
      [{ name: 'Blink; -removeAllModels' }, /name/],
      [{ name: 'Blink', input: [1, 2] }, /input/],
      [{ name: 'Blink', input: 'on' }, /input/],
      [{ name: 'Blink', input: { text: 'x'.repeat(10_001) } }, /^input: at most 10000 characters of JSON\.$/],
      [{ name: 'Blink', inputs: {} }, /inputs/],
    ];
    for (const [args, message] of cases) {
      const result = await call(bastion, 'coreflux_run_action', args);
      expect(result.isError, JSON.stringify(args).slice(0, 60)).toBe(true);
      expect(result.text).toMatch(message);
    }
    expect(since(before)).toEqual([]);
    const unknown = await call(bastion, 'coreflux_run_action', { name: 'Nope' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/^Coreflux refused -runAction: Action 'Nope' not found/);
  });
});

describe('coreflux_lot_diagnostic', () => {
  it("returns the broker's diagnostic with the entity's source", async () => {
    const definition = DEFINITION.model('Boiler');
    expect((await call(bastion, 'coreflux_add_model', { definition })).isError).toBeFalsy();
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'model', name: 'Boiler' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ success: true, message: "Diagnostic for model 'Boiler': no problems found", entity: 'Model Boiler' });
    expect(result.structured.data).toEqual({ kind: 'Model', name: 'Boiler', source: definition, diagnostics: [] });
    expect(sentFor(result, before).payload).toBe(`-lotDiagnostic model Boiler -requestId ${result.structured.request_id}`);
  });

  it('refuses an unknown kind and a bad name without sending; reports an unknown entity', async () => {
    const before = broker.commands.length;
    const kind = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'panel', name: 'Boiler' });
    expect(kind.isError).toBe(true);
    expect(kind.text).toContain('kind');
    const name = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'model', name: 'Boiler Room' });
    expect(name.isError).toBe(true);
    expect(name.text).toContain('name');
    expect(since(before)).toEqual([]);
    const missing = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'rule', name: 'Boiler' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/^Coreflux refused -lotDiagnostic: Rule 'Boiler' not found/);
  });
});

describe('coreflux_list_actions', () => {
  it('lists the actions with their descriptions, from DESCRIPTION lines and from text and JSON description topics', async () => {
    for (const definition of [DEFINITION.action('Alarm'), `DEFINE ACTION Silent\nDO\n    PUBLISH TOPIC "plant/${RUN}/silent" WITH "x"`]) {
      expect((await call(bastion, 'coreflux_add_action', { definition })).isError).toBeFalsy();
    }
    broker.publishActionDescription('Legacy', 'Described in plain text', 'text');
    broker.publishActionDescription('Modern', 'Described in JSON', 'json');
    await broker.flush();
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_list_actions', {});
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.actions).toEqual([
      { name: 'Alarm', description: 'Switches the Alarm lamp on' },
      { name: 'Blink', description: 'Switches the Blink lamp on' },
      { name: 'Legacy', description: 'Described in plain text' },
      { name: 'Modern', description: 'Described in JSON' },
      { name: 'Silent' },
    ]);
    expect(result.text.split('\n')).toEqual(['Alarm: Switches the Alarm lamp on', 'Blink: Switches the Blink lamp on', 'Legacy: Described in plain text', 'Modern: Described in JSON', 'Silent']);
    // Listing reads retained topics only: no command is sent.
    expect(since(before)).toEqual([]);
  });

  it('no longer lists a removed action', async () => {
    expect((await call(bastion, 'coreflux_remove_action', { name: 'Alarm' })).isError).toBeFalsy();
    await broker.flush();
    const result = await call(bastion, 'coreflux_list_actions', { wait_ms: 500 });
    expect(result.structured.actions.map((a: { name: string }) => a.name)).toEqual(['Blink', 'Legacy', 'Modern', 'Silent']);
  });

  it('refuses an out-of-range wait and unknown arguments', async () => {
    const before = broker.commands.length;
    for (const args of [{ wait_ms: 50 }, { wait_ms: 5_001 }, { wait_ms: 1.5 }, { wait_ms: 500, kind: 'action' }]) {
      const result = await call(bastion, 'coreflux_list_actions', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.text).toContain('kind' in args ? 'kind' : 'wait_ms');
    }
    expect(since(before)).toEqual([]);
  });
});

describe('coreflux_broker_command', () => {
  it('sends any verb with its arguments, with or without the leading dash', async () => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_broker_command', { verb: '-lotDiagnostic', args: ' action Blink ' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.entity).toBe('Action Blink');
    expect(sentFor(result, before).payload).toBe(`-lotDiagnostic action Blink -requestId ${result.structured.request_id}`);
    const bare = await call(bastion, 'coreflux_broker_command', { verb: 'removeAction', args: 'Blink' });
    expect(bare.isError, bare.text).toBeFalsy();
    expect(broker.state.actions.has('Blink')).toBe(false);
  });

  it('reports an unknown verb with the broker\'s "Unknown command" message', async () => {
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'frobnicate' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^Coreflux refused -frobnicate: Unknown command: -frobnicate/);
  });

  it("passes the broker's line, column and suggestion through for a refused definition", async () => {
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'addModel', args: 'DEFINE ACTION NotAModel' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(
      'Coreflux refused -addModel: Failed to add model: Expected DEFINE MODEL, found DEFINE ACTION ' +
        'Details: line 1, column 8: Expected DEFINE MODEL, found DEFINE ACTION (try: Start with DEFINE MODEL <Name>)',
    );
  });

  it('applies MQTT_TOPICS to a definition sent through a generic add verb, as the add tools do', async () => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'addModel', args: `DEFINE MODEL Sneaky WITH TOPIC "office/${RUN}/sneaky"` });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`"office/${RUN}/sneaky" is outside the allowed topics (MQTT_TOPICS=plant/#)`);
    expect(since(before)).toEqual([]);
    expect(broker.state.models.has('Sneaky')).toBe(false);
  });

  it('refuses a malformed verb and a -requestId in the arguments, sending nothing', async () => {
    const before = broker.commands.length;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ verb: 'rm -rf' }, /verb/],
      [{ verb: '---x' }, /verb/],
      [{ verb: '' }, /verb/],
      [{ verb: 'listProjects', args: 'x -requestId mine' }, /^args: -requestId is added by Bastion to match the answer; leave it out\.$/],
      [{ verb: 'listProjects', args: 'x'.repeat(50_001) }, /args/],
    ];
    for (const [args, message] of cases) {
      const result = await call(bastion, 'coreflux_broker_command', args);
      expect(result.isError, JSON.stringify(args).slice(0, 60)).toBe(true);
      expect(result.text).toMatch(message);
    }
    expect(since(before)).toEqual([]);
  });
});

describe('-requestId matching', () => {
  it('gives each of several concurrent commands its own answer', async () => {
    const names = ['Pump', 'Valve', 'Fan', 'Heater', 'Chiller', 'Mixer'];
    for (const name of names) expect((await call(bastion, 'coreflux_add_model', { definition: DEFINITION.model(name) })).isError).toBeFalsy();
    const before = broker.commands.length;
    const results = await Promise.all(names.map((name) => call(bastion, 'coreflux_lot_diagnostic', { kind: 'model', name })));
    const sent = since(before);
    expect(sent).toHaveLength(names.length);
    results.forEach((result, index) => {
      const name = names[index]!;
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured.entity).toBe(`Model ${name}`);
      expect(result.structured.data.name).toBe(name);
      const command = sent.find((record) => record.requestId === result.structured.request_id);
      expect(command?.payload).toBe(`-lotDiagnostic model ${name} -requestId ${result.structured.request_id}`);
    });
    expect(new Set(results.map((result) => result.structured.request_id)).size).toBe(names.length);
  });

  it('put a fresh -requestId at the end of every command Bastion sent in this file', () => {
    const mine = broker.commands;
    expect(mine.length).toBeGreaterThan(20);
    for (const record of mine) {
      expect(record.requestId).toMatch(REQUEST_ID);
      expect(record.payload.endsWith(` -requestId ${record.requestId}`)).toBe(true);
    }
    expect(new Set(mine.map((record) => record.requestId)).size).toBe(mine.length);
  });
});

describe('a broker that answers in plain text', () => {
  beforeAll(() => broker.setMode('plain'));
  afterAll(() => broker.setMode('json'));

  it('takes a plain-text answer as success, marked plain_text', async () => {
    const result = await call(bastion, 'coreflux_add_model', { definition: DEFINITION.model('PlainOne') });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ success: true, message: "Model 'PlainOne' added successfully!", plain_text: true });
    expect(result.structured.request_id).toMatch(REQUEST_ID);
    expect(broker.state.models.has('PlainOne')).toBe(true);
  });

  it('recognises plain-text refusals as errors', async () => {
    const missing = await call(bastion, 'coreflux_remove_model', { name: 'Ghost' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toBe("Coreflux refused -removeModel: Model 'Ghost' not found");
    const unknown = await call(bastion, 'coreflux_broker_command', { verb: 'frobnicate' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toBe('Coreflux refused -frobnicate: Unknown command: -frobnicate');
  });
});
