// What differs between Coreflux broker generations and services, through the real MCP client against the Coreflux
// emulator and the LoT verifier double: verifier answers whose lists hold plain strings, the two forms of
// -lotDiagnostic, action descriptions taken from the LoT source (current brokers publish no Description topic),
// entity snapshots that arrive without the retain flag, and the reserved rule priorities and built-in rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES, type CorefluxBroker } from '../doubles/coreflux.js';
import { startVerifierDouble, type VerifierDouble } from '../doubles/copilot.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { runId, startBastionOnCoreflux, startCoreflux, waitConnected } from '../helpers/coreflux.js';

const RUN = runId();

let broker: CorefluxBroker;
let verifier: VerifierDouble;
let bastion: Bastion;

beforeAll(async () => {
  [broker, verifier] = await Promise.all([startCoreflux(), startVerifierDouble()]);
  bastion = await startBastionOnCoreflux(broker, {
    MQTT_CLIENT_ID: `bastion-generations-${RUN}`,
    MQTT_TOPICS: 'plant/#,$SYS/Coreflux/Actions/#',
    LOT_VERIFIER_API_URL: verifier.url,
  });
  await waitConnected(bastion);
});
afterAll(async () => {
  await bastion?.close();
  await Promise.all([broker?.close(), verifier?.close()]);
});

const since = (count: number) => broker.commands.slice(count);
const action = (name: string, description?: string) =>
  [`DEFINE ACTION ${name}`, ...(description ? [`DESCRIPTION "${description}"`] : []), 'DO', `    PUBLISH TOPIC "plant/${RUN}/${name}" WITH "on"`].join('\n');

describe('coreflux_verify_lot with a verifier that writes its lists as plain strings', () => {
  afterAll(() => verifier.setEntryStyle('objects'));

  it('shows string errors, warnings and suggestions readably', async () => {
    verifier.setEntryStyle('strings');
    const invalid = await call(bastion, 'coreflux_verify_lot', { code: ['DEFINE ACTION Broken', 'DO', '    PUBLISH TOPIC "plant/x WITH "on"'].join('\n') });
    expect(invalid.isError, invalid.text).toBeFalsy();
    expect(invalid.structured).toEqual({ valid: false, errors: [{ message: 'Line 3: Unterminated string literal' }], warnings: [], suggestions: [] });
    expect(invalid.text).toBe('Invalid LoT.\nError: Line 3: Unterminated string literal');

    const valid = await call(bastion, 'coreflux_verify_lot', { code: action('Lamp') });
    expect(valid.isError, valid.text).toBeFalsy();
    expect(valid.structured.suggestions).toEqual([
      '[documentation] Add a DESCRIPTION "..." line so that the action can be discovered',
      '[style] Keep one statement per line and indent the body of the definition',
      'Use PascalCase names for models, actions, routes and rules',
      'Deploy models before the actions and rules that use them',
    ]);
    expect(valid.text).toContain('Suggestion: [style] Keep one statement per line and indent the body of the definition');
  });
});

describe('coreflux_lot_diagnostic on both forms of -lotDiagnostic', () => {
  afterAll(() => broker.setDiagnosticForm('entity'));

  it("current brokers: diagnoses the entity named", async () => {
    expect((await call(bastion, 'coreflux_add_action', { definition: action('Probe') })).isError).toBeFalsy();
    const result = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'action', name: 'Probe' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ success: true, entity: 'Action Probe', data: { kind: 'Action', name: 'Probe', source: action('Probe') } });
  });

  it('older brokers (one value): says the entity cannot be diagnosed there and where to look instead', async () => {
    broker.setDiagnosticForm('value');
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'action', name: 'Probe' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(
      'This broker has the older -lotDiagnostic, which takes one value (a setting of its LoT diagnostics) and cannot diagnose the action Probe; ' +
        'it answered: "Usage: -lotDiagnostic <value>". Read the action\'s LoT source on $SYS/Coreflux/Actions/Probe instead (mqtt_read_retained, ' +
        'with that topic in MQTT_TOPICS), or check it with coreflux_verify_lot.',
    );
    expect(since(before).map((command) => command.verb)).toEqual(['lotDiagnostic']);
  });
});

describe('action descriptions and entity snapshots on a current broker', () => {
  it('publishes no Description topic, yet coreflux_list_actions shows the DESCRIPTION of the LoT source', async () => {
    expect((await call(bastion, 'coreflux_add_action', { definition: action('Described', 'Opens the \\"north\\" valve') })).isError).toBeFalsy();
    expect((await call(bastion, 'coreflux_add_action', { definition: action('Bare') })).isError).toBeFalsy();
    await broker.flush();
    const described = await call(bastion, 'mqtt_read_retained', { topic: '$SYS/Coreflux/Actions/Described/Description' });
    expect(described.text).toBe('Nothing retained on $SYS/Coreflux/Actions/Described/Description.');
    const listed = await call(bastion, 'coreflux_list_actions', { wait_ms: 500 });
    expect(listed.isError, listed.text).toBeFalsy();
    expect(listed.structured.actions).toEqual([{ name: 'Bare' }, { name: 'Described', description: 'Opens the "north" valve' }, { name: 'Probe' }]);
  });

  it("an older broker's Description topic still wins over the source", async () => {
    broker.publishActionDescription('Bare', 'Described by an older broker', 'json');
    await broker.flush();
    const listed = await call(bastion, 'coreflux_list_actions', { wait_ms: 500 });
    expect(listed.structured.actions).toContainEqual({ name: 'Bare', description: 'Described by an older broker' });
  });

  it('mqtt_read_retained returns the snapshots the broker sends without the retain flag', async () => {
    const result = await call(bastion, 'mqtt_read_retained', { topic: '$SYS/Coreflux/Actions/+' });
    expect(result.isError, result.text).toBeFalsy();
    const topics = (result.structured.messages as Array<{ topic: string; payload: string; retained: boolean }>).map((m) => [m.topic, m.payload, m.retained]);
    expect(topics).toEqual(
      expect.arrayContaining([
        ['$SYS/Coreflux/Actions/Described', action('Described', 'Opens the \\"north\\" valve'), true],
        ['$SYS/Coreflux/Actions/Probe', action('Probe'), true],
      ]),
    );
  });
});

describe('rule priorities 0-99 and built-in rules', () => {
  const rule = (name: string, priority: number) => [`DEFINE RULE ${name} WITH PRIORITY ${priority} FOR Publish TO TOPIC "plant/${RUN}/+/lamp"`, '    IF USER IS "root" THEN ALLOW ELSE DENY'].join('\n');

  it('refuses a reserved priority before sending, naming the rule, the priority and the fix', async () => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_add_rule', { definition: rule('LampsRootOnly', 5) });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(
      'definition: the rule LampsRootOnly has PRIORITY 5, but Coreflux reserves priorities 0-99 for its own rules. Give it a priority of 100 or more (e.g. WITH PRIORITY 105).',
    );
    const viaCommand = await call(bastion, 'coreflux_broker_command', { verb: 'addRule', args: rule('LampsRootOnly', 99) });
    expect(viaCommand.isError).toBe(true);
    expect(viaCommand.text).toContain('args: the rule LampsRootOnly has PRIORITY 99');
    expect(since(before)).toEqual([]);
    expect(broker.state.rules.has('LampsRootOnly')).toBe(false);
    // Priority 100 is the first one a user's rule may have.
    const allowed = await call(bastion, 'coreflux_add_rule', { definition: rule('LampsRootOnly', 100) });
    expect(allowed.isError, allowed.text).toBeFalsy();
  });

  it('refuses to remove a built-in rule before sending', async () => {
    const before = broker.commands.length;
    for (const name of BUILT_IN_RULES) {
      const result = await call(bastion, 'coreflux_remove_rule', { name });
      expect(result.isError).toBe(true);
      expect(result.text).toBe(
        `name: ${name} is one of Coreflux's built-in rules (AllowPublishTopic, AllowSubscribeTopic, AllowConnect), which cannot be removed. To change what it allows, add a rule of your own with a priority of 100 or more.`,
      );
    }
    const viaCommand = await call(bastion, 'coreflux_broker_command', { verb: '--remove-rule', args: 'allowconnect' });
    expect(viaCommand.isError).toBe(true);
    expect(viaCommand.text).toContain("args: AllowConnect is one of Coreflux's built-in rules");
    expect(since(before)).toEqual([]);
  });
});
