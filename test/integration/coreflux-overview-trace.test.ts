// coreflux_broker_overview and coreflux_trace_action through the real MCP client against the Coreflux emulator,
// which publishes the $SYS/Coreflux state topics as Coreflux's topic reference describes them (Version,
// License/Status, entity sources, Routes/<name>/status, Actions/<name>/Error and /Trace).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { runId, startBastionOnCoreflux, startCoreflux, waitConnected } from '../helpers/coreflux.js';

const RUN = runId();
const LICENSE = '{"tier":"Community","expiry":"2027-06-30","connections":5}';
const TOPICS = 'plant/#,$SYS/Coreflux/#';

let broker: CorefluxBroker;
let bastion: Bastion;
beforeAll(async () => {
  broker = await startCoreflux({ version: '1.7.2', license: LICENSE });
  bastion = await startBastionOnCoreflux(broker, { MQTT_TOPICS: TOPICS });
  await waitConnected(bastion);
  for (const [tool, definition] of [
    ['coreflux_add_model', `DEFINE MODEL Tank WITH TOPIC "plant/${RUN}/tank/state"\n    ADD DOUBLE "level" WITH TOPIC "plant/${RUN}/tank/level" AS TRIGGER`],
    ['coreflux_add_action', `DEFINE ACTION Blink\nDO\n    PUBLISH TOPIC "plant/${RUN}/lamp" WITH "on"`],
    ['coreflux_add_action', `DEFINE ACTION Heartbeat\nON EVERY 10 SECONDS DO\n    PUBLISH TOPIC "plant/${RUN}/heartbeat" WITH "alive"`],
    ['coreflux_add_route', 'DEFINE ROUTE Bridge WITH TYPE MQTT_BRIDGE\n    ADD SOURCE_CONFIG\n        WITH BROKER SELF'],
    ['coreflux_add_rule', `DEFINE RULE LampRule WITH PRIORITY 100 FOR Publish TO TOPIC "plant/${RUN}/lamp"\n    IF USER IS "root" THEN ALLOW ELSE DENY`],
  ] as const) {
    const result = await call(bastion, tool, { definition });
    if (result.isError) throw new Error(`${tool}: ${result.text}`);
  }
  // A runtime error of Heartbeat, as the broker retains it on Actions/<name>/Error.
  broker.publishSys('Actions/Heartbeat/Error', 'Cannot cast "abc" to DOUBLE');
  await broker.flush();
});
afterAll(async () => {
  await bastion?.close();
  await broker?.close();
});

/** What the emulator received from any Bastion from now on (commands and subscriptions). */
function mark() {
  const commands = broker.commands.length;
  const subscriptions = broker.subscriptions.length;
  return { commands: () => broker.commands.slice(commands), subscriptions: () => broker.subscriptions.slice(subscriptions).map((s) => s.topic) };
}

describe('coreflux_broker_overview', () => {
  it('reports version, licence, routes with their state, models, actions with their last error and rules, sending no command', async () => {
    const since = mark();
    const result = await call(bastion, 'coreflux_broker_overview', {});
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toEqual({
      version: '1.7.2',
      license: LICENSE,
      routes: [{ name: 'Bridge', type: 'MQTT_BRIDGE', connection: 'Connecting', health: 'Yellow', consecutive_errors: 0 }],
      models: ['Tank'],
      actions: [{ name: 'Blink' }, { name: 'Heartbeat', error: 'Cannot cast "abc" to DOUBLE' }],
      rules: ['LampRule'],
      not_allowed: [],
      refused: [],
    });
    expect(result.text).toContain('Coreflux 1.7.2');
    expect(result.text).toContain('Routes (1): Bridge MQTT_BRIDGE Connecting/Yellow');
    expect(result.text).toContain('Heartbeat (error: Cannot cast "abc" to DOUBLE)');
    expect(since.commands()).toEqual([]);
  });

  it('follows a route state change and a removed entity', async () => {
    broker.publishSys('Routes/Bridge/status', JSON.stringify({ name: 'Bridge', type: 'MQTT_BRIDGE', connection: 'Connected', health: 'Red', errors: { total: 7, consecutive: 3, rate: 0.4 }, lastError: 'remote refused the login' }));
    expect((await call(bastion, 'coreflux_remove_model', { name: 'Tank' })).isError).toBeFalsy();
    await broker.flush();
    const result = await call(bastion, 'coreflux_broker_overview', {});
    expect(result.structured.routes).toEqual([{ name: 'Bridge', type: 'MQTT_BRIDGE', connection: 'Connected', health: 'Red', consecutive_errors: 3, last_error: 'remote refused the login' }]);
    expect(result.structured.models).toEqual([]);
    expect(result.text).toContain('Bridge MQTT_BRIDGE Connected/Red, 3 errors in a row (last error: remote refused the login)');
  });

  it('reads only the sections MQTT_TOPICS allows, and subscribes to nothing else', async () => {
    const narrow = await startBastionOnCoreflux(broker, { MQTT_TOPICS: 'plant/#,$SYS/Coreflux/Version,$SYS/Coreflux/Rules/+' });
    try {
      await waitConnected(narrow);
      const since = mark();
      const result = await call(narrow, 'coreflux_broker_overview', { wait_ms: 500 });
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured).toEqual({ version: '1.7.2', rules: ['LampRule'], not_allowed: ['license', 'routes', 'route states', 'models', 'actions', 'action errors'], refused: [] });
      expect(result.text).toContain('Not read (outside MQTT_TOPICS): license, routes');
      expect(since.subscriptions().filter((topic) => topic.startsWith('$SYS/Coreflux/') && topic !== '$SYS/Coreflux/Command/Output').sort()).toEqual(['$SYS/Coreflux/Rules/+', '$SYS/Coreflux/Version']);
    } finally {
      await narrow.close();
    }
  });

  it('refuses, before subscribing to anything, when MQTT_TOPICS allows none of it, and refuses a bad wait_ms', async () => {
    const plain = await startBastionOnCoreflux(broker, { MQTT_TOPICS: 'plant/#' });
    try {
      await waitConnected(plain);
      const since = mark();
      const result = await call(plain, 'coreflux_broker_overview', {});
      expect(result.isError).toBe(true);
      expect(result.text).toContain('none of its topics is within MQTT_TOPICS (plant/#)');
      expect(result.text).toContain('add "$SYS/Coreflux/#" to MQTT_TOPICS');
      expect(since.subscriptions().filter((topic) => topic !== '$SYS/Coreflux/Command/Output')).toEqual([]);
      const bad = await call(plain, 'coreflux_broker_overview', { wait_ms: 50 });
      expect(bad.isError).toBe(true);
      expect(bad.text).toMatch(/wait_ms/);
    } finally {
      await plain.close();
    }
  });
});

describe('coreflux_trace_action', () => {
  it('arms the trace, runs the action once, and reports what it published, its trace and its last error', async () => {
    broker.publishSys('Actions/Blink/Error', 'Lamp driver timeout');
    await broker.flush();
    const since = mark();
    const result = await call(bastion, 'coreflux_trace_action', { name: 'Blink', input: { times: 2 } });
    expect(result.isError, result.text).toBeFalsy();
    const out = result.structured;
    expect(out).toMatchObject({ action: 'Blink', status: 'completed', armed: true, published: [{ topic: `plant/${RUN}/lamp`, payload: 'on' }], published_elsewhere: 0, error: 'Lamp driver timeout', trace_topics: 'read' });
    expect(out.trace_id).toMatch(/^trace-\d{4}$/);
    expect(out.traces).toHaveLength(1);
    expect(JSON.parse(out.traces[0])).toMatchObject({ traceId: out.trace_id, action: 'Blink', input: { times: 2 } });
    expect(result.text).toContain(`Ran Blink (trace ${out.trace_id}): completed.`);
    expect(since.commands().map((command) => command.verb)).toEqual(['actionTrace', 'runAction']);
    expect(since.commands()[1]!.payload).toMatch(/^-runAction Blink \{"times":2\}/);
  });

  it('hides messages on topics outside MQTT_TOPICS, and without the trace topics in scope reports the answer alone', async () => {
    broker.state.actions.set('Elsewhere', 'DEFINE ACTION Elsewhere\nDO\n    PUBLISH TOPIC "secret/valve" WITH "open"\n    PUBLISH TOPIC "plant/x" WITH "1"');
    const plain = await startBastionOnCoreflux(broker, { MQTT_TOPICS: 'plant/#' });
    try {
      await waitConnected(plain);
      const result = await call(plain, 'coreflux_trace_action', { name: 'Elsewhere', wait_seconds: 1 });
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured).toMatchObject({ published: [{ topic: 'plant/x', payload: '1' }], published_elsewhere: 1, traces: [], trace_topics: 'outside MQTT_TOPICS' });
      expect(result.text).not.toContain('secret/valve');
      expect(result.text).toContain('+1 outside MQTT_TOPICS, not shown');
    } finally {
      await plain.close();
    }
  });

  it('refuses a bad name before sending anything, and runs an unknown action exactly once', async () => {
    const since = mark();
    const bad = await call(bastion, 'coreflux_trace_action', { name: '1-bad' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/name/);
    expect(since.commands()).toEqual([]);
    const unknown = await call(bastion, 'coreflux_trace_action', { name: 'Nope' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain("Coreflux refused -runAction: Action 'Nope' not found");
    expect(since.commands().filter((command) => command.verb === 'runAction')).toHaveLength(1);
  });
});
