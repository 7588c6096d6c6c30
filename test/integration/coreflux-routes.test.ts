// LoT routes through the real MCP client against the Coreflux emulator: a route that forwards topics outside
// MQTT_TOPICS, connects the broker to a host outside COREFLUX_ROUTE_HOSTS, or is of a type Bastion cannot check is
// refused before anything reaches the broker, through coreflux_add_route and coreflux_broker_command alike; an
// allowed one goes through. (The emulator only stores routes: no route here ever connects anywhere.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { runId, startBastionOnCoreflux, startCoreflux, waitConnected } from '../helpers/coreflux.js';

const RUN = runId();
const ALLOWED_HOST = '127.0.0.1:18999';

let broker: CorefluxBroker;
let bastion: Bastion;

beforeAll(async () => {
  broker = await startCoreflux();
  bastion = await startBastionOnCoreflux(broker, { MQTT_TOPICS: 'plant/#', COREFLUX_ROUTE_HOSTS: ALLOWED_HOST });
  await waitConnected(bastion);
  // The first command of a connection is preceded by Bastion's -requestId probe: have it behind us.
  await call(bastion, 'coreflux_broker_command', { verb: 'frobnicate' });
});
afterAll(async () => {
  await bastion?.close();
  await broker?.close();
});

function bridge(name: string, { source, destination, host }: { source: string; destination: string; host: string }): string {
  const [address, port] = host.split(':');
  return [
    `DEFINE ROUTE ${name} WITH TYPE MQTT_BRIDGE`,
    '    ADD SOURCE_CONFIG',
    '        WITH BROKER SELF',
    '    ADD DESTINATION_CONFIG',
    `        WITH BROKER_ADDRESS "${address}"`,
    `        WITH BROKER_PORT '${port}'`,
    `        WITH CLIENT_ID "bridge-${RUN}"`,
    '    ADD MAPPING forward',
    `        WITH SOURCE_TOPIC "${source}"`,
    `        WITH DESTINATION_TOPIC "${destination}"`,
    '        WITH DIRECTION "out"',
  ].join('\n');
}

const REFUSED: Array<[string, string, string]> = [
  ['forwards every topic to an outside broker', bridge('Everything', { source: '#', destination: 'stolen/#', host: 'broker.example.com:1883' }), 'The route Everything uses SOURCE_TOPIC "#" is outside the allowed topics (MQTT_TOPICS=plant/#).'],
  ['forwards $SYS', bridge('Sys', { source: '$SYS/#', destination: `plant/${RUN}/sys/#`, host: ALLOWED_HOST }), 'The route Sys uses SOURCE_TOPIC "$SYS/#" is outside the allowed topics (MQTT_TOPICS=plant/#).'],
  [
    'connects the broker to a host outside COREFLUX_ROUTE_HOSTS',
    bridge('Exfil', { source: `plant/${RUN}/#`, destination: `plant/${RUN}/copy/#`, host: 'broker.example.com:8883' }),
    `The route Exfil (BROKER_ADDRESS) makes the broker connect to broker.example.com:8883, which COREFLUX_ROUTE_HOSTS does not allow (it allows only ${ALLOWED_HOST}). Add "broker.example.com:8883" to COREFLUX_ROUTE_HOSTS if the broker should reach it.`,
  ],
  ['is of a type Bastion cannot check', 'DEFINE ROUTE Helper WITH TYPE AGENT\n    ADD AGENT_CONFIG\n        WITH BROKER_TOOLS true', 'The route Helper has TYPE AGENT, which Bastion cannot check, so it is refused.'],
];

describe('coreflux_add_route', () => {
  it.each(REFUSED)('refuses a route that %s, sending nothing to the broker', async (_what, definition, message) => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_add_route', { definition });
    expect(result.isError).toBe(true);
    expect(result.text.startsWith(message), result.text).toBe(true);
    expect(broker.commands.slice(before)).toEqual([]);
    expect(broker.state.routes.size).toBe(0);
  });

  it('adds a bridge whose topics are in scope and whose host is allowed', async () => {
    const before = broker.commands.length;
    const definition = bridge('Mirror', { source: `plant/${RUN}/#`, destination: `plant/${RUN}/copy/#`, host: ALLOWED_HOST });
    const result = await call(bastion, 'coreflux_add_route', { definition });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ success: true, entity: 'Route Mirror' });
    const sent = broker.commands.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.verb).toBe('addRoute');
    expect(broker.state.routes.get('Mirror')).toBe(definition);
    expect((await call(bastion, 'coreflux_remove_route', { name: 'Mirror' })).isError).toBeFalsy();
  });
});

describe('coreflux_broker_command', () => {
  it.each(REFUSED)('refuses a route that %s sent through -addRoute, sending nothing', async (_what, definition, message) => {
    const before = broker.commands.length;
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'addRoute', args: definition });
    expect(result.isError).toBe(true);
    // Topics are named for the definition as a whole here; route checks name the route.
    expect(result.text.startsWith(message.replace(/^The route \w+ uses /, 'The definition uses ')), result.text).toBe(true);
    expect(broker.commands.slice(before)).toEqual([]);
  });

  it('refuses a route wrapped in one quoted string, which the broker unquotes, and a kebab-case verb', async () => {
    const before = broker.commands.length;
    const definition = bridge('Wrapped', { source: '#', destination: 'stolen/#', host: 'broker.example.com:1883' });
    const quoted = `"${definition.replace(/["\\]/g, '\\$&')}"`;
    for (const verb of ['addRoute', '--add-route']) {
      const result = await call(bastion, 'coreflux_broker_command', { verb, args: quoted });
      expect(result.isError, verb).toBe(true);
      expect(result.text).toContain('SOURCE_TOPIC "#" is outside the allowed topics');
    }
    expect(broker.commands.slice(before)).toEqual([]);
    expect(broker.state.routes.size).toBe(0);
  });

  it('sends an allowed route', async () => {
    const before = broker.commands.length;
    const definition = bridge('Relay', { source: `plant/${RUN}/a`, destination: `plant/${RUN}/b`, host: ALLOWED_HOST });
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'addRoute', args: definition });
    expect(result.isError, result.text).toBeFalsy();
    expect(broker.commands.slice(before)).toHaveLength(1);
    expect(broker.state.routes.has('Relay')).toBe(true);
  });
});
