// The LoT checker: every topic-bearing keyword against MQTT_TOPICS, route types and parameters Bastion understands,
// and the hosts a route makes the broker connect to against COREFLUX_ROUTE_HOSTS.
import { describe, expect, it } from 'vitest';
import { checkLot, RouteHosts } from '../../src/connectors/coreflux/lot-check.js';
import { TopicScope } from '../../src/connectors/coreflux/topics.js';
import { ConfigError, PolicyError } from '../../src/core/errors.js';

const plant = (hosts: string[] = []) => ({ topics: new TopicScope(['plant/#']), routeHosts: new RouteHosts(hosts) });
const everything = (hosts: string[] = []) => ({ topics: new TopicScope(['#']), routeHosts: new RouteHosts(hosts) });

/** The message of the PolicyError the check throws (fails the test when it passes). */
function refusal(source: string, policy = plant()): string {
  try {
    checkLot(source, policy, 'The route');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as Error).message;
  }
  throw new Error('the definition was accepted');
}

const bridge = (topics: { source: string; destination: string }, destination = 'WITH BROKER_ADDRESS "127.0.0.1"\n        WITH BROKER_PORT \'18999\'') =>
  [
    'DEFINE ROUTE Mirror WITH TYPE MQTT_BRIDGE',
    '    ADD SOURCE_CONFIG',
    '        WITH BROKER SELF',
    '    ADD DESTINATION_CONFIG',
    `        ${destination}`,
    '        WITH CLIENT_ID "mirror"',
    '        WITH USERNAME GET ENV "BRIDGE_USER"',
    '        WITH PASSWORD GET SECRET "BRIDGE_PASSWORD"',
    '        WITH USE_TLS true',
    '    ADD MAPPING forward',
    `        WITH SOURCE_TOPIC ${topics.source}`,
    `        WITH DESTINATION_TOPIC ${topics.destination}`,
    '        WITH DIRECTION "out"',
  ].join('\n');

const LOCAL = ['127.0.0.1:18999'];

describe('topics of routes against MQTT_TOPICS', () => {
  it('accepts a bridge whose topics are in scope and whose host is allowed', () => {
    expect(() => checkLot(bridge({ source: '"plant/line1/#"', destination: '"plant/copy/#"' }), plant(LOCAL), 'The route Mirror')).not.toThrow();
  });

  it.each([
    ['forwarding everything', '"#"', '"plant/copy/#"', 'SOURCE_TOPIC "#"'],
    ['forwarding $SYS', '"$SYS/#"', '"plant/copy/#"', 'SOURCE_TOPIC "$SYS/#"'],
    ['forwarding $SYS written with an escape', '"\\$SYS/#"', '"plant/copy/#"', 'SOURCE_TOPIC "\\$SYS/#"'],
    ['writing outside the scope', '"plant/line1/#"', '"office/#"', 'DESTINATION_TOPIC "office/#"'],
    ['a placeholder that can be any topic', '"plant/a"', '"{topic}"', 'DESTINATION_TOPIC "#"'],
  ])('refuses a bridge %s, naming the keyword', (_what, source, destination, named) => {
    expect(refusal(bridge({ source, destination }), plant(LOCAL))).toBe(`The route uses ${named} is outside the allowed topics (MQTT_TOPICS=plant/#).`);
  });

  it('refuses $SYS under the default scope (#), which leaves $ topics out', () => {
    expect(refusal(bridge({ source: '"$SYS/Coreflux/#"', destination: '"plant/x"' }), everything(LOCAL))).toContain('SOURCE_TOPIC "$SYS/Coreflux/#" is outside the allowed topics (MQTT_TOPICS=#)');
    // The escaped spelling is checked as the broker reads it, too.
    expect(refusal(bridge({ source: '"\\$SYS/#"', destination: '"plant/x"' }), everything(LOCAL))).toContain('SOURCE_TOPIC "$SYS/#" is outside the allowed topics (MQTT_TOPICS=#)');
  });

  it('counts a placeholder level as everything below the fixed part, which must end with "/"', () => {
    expect(() => checkLot(bridge({ source: '"plant/+/raw"', destination: '"plant/out/{topic.2}"' }), plant(LOCAL), 'The route')).not.toThrow();
    expect(refusal(bridge({ source: '"plant/+/raw"', destination: '"plant{topic.2}"' }), plant(LOCAL))).toBe(
      'The DESTINATION_TOPIC "plant{topic.2}" could become any topic starting with "plant": end the fixed part with "/" so that MQTT_TOPICS can be checked.',
    );
  });

  it('refuses a topic read at run time or built from a variable', () => {
    expect(refusal(bridge({ source: 'GET ENV "TOPIC"', destination: '"plant/x"' }), plant(LOCAL))).toMatch(/^Every SOURCE_TOPIC in a definition must be a quoted topic/);
    expect(refusal(bridge({ source: '{topic}', destination: '"plant/x"' }), plant(LOCAL))).toMatch(/^Every SOURCE_TOPIC in a definition must be a quoted topic/);
    expect(refusal(bridge({ source: '"plant" + {x}', destination: '"plant/x"' }), plant(LOCAL))).toMatch(/^The SOURCE_TOPIC "plant" could become any topic/);
  });

  it('checks every topic of a list keyword (…_TOPICS)', () => {
    expect(refusal('DEFINE ACTION A\nON EVERY 5 SECONDS DO\n    KEEP WATCH_TOPICS "plant/a, $SYS/#"')).toContain('WATCH_TOPICS "$SYS/#" is outside');
  });

  it('checks the whole subtree an industrial mapping publishes its tags to', () => {
    const modbus = (source: string) =>
      ['DEFINE ROUTE Plc WITH TYPE MODBUS_TCP', '    ADD MODBUS_CONFIG', '        WITH IP "127.0.0.1"', '        WITH PORT 502', '    ADD MAPPING "Registers"', `        WITH SOURCE_TOPIC "${source}"`, '        WITH EVERY 1 SECONDS', '        ADD TAG "Temperature"', '            WITH ADDRESS "40001"', '            WITH DATA_TYPE "INT16"'].join('\n');
    const exact = { topics: new TopicScope(['plc/read']), routeHosts: new RouteHosts(['127.0.0.1:502']) };
    expect(refusal(modbus('plc/read'), exact)).toBe('The route Plc publishes its tags below SOURCE_TOPIC "plc/read", that is "plc/read/#" is outside the allowed topics (MQTT_TOPICS=plc/read).');
    expect(() => checkLot(modbus('plant/plc'), plant(['127.0.0.1:502']), 'The route')).not.toThrow();
  });
});

describe('route types and parameters', () => {
  it.each([
    ['MQTT_CLUSTER', 'DEFINE ROUTE C WITH TYPE MQTT_CLUSTER\n    ADD CLUSTER_CONFIG\n        WITH NODES "10.0.0.2"'],
    ['AGENT', 'DEFINE ROUTE A WITH TYPE AGENT\n    ADD AGENT_CONFIG\n        WITH BROKER_TOOLS true'],
    ['MCP', 'DEFINE ROUTE M WITH TYPE MCP\n    ADD MCP_CONFIG\n        WITH COMMAND "sh"'],
  ])('refuses the route type %s, naming it', (type, source) => {
    expect(refusal(source, everything())).toMatch(new RegExp(`^The route \\w+ has TYPE ${type}, which Bastion cannot check, so it is refused\\. Route types Bastion checks: MQTT_BRIDGE, EMAIL`));
  });

  it('refuses a route without WITH TYPE right after its name', () => {
    expect(refusal('DEFINE ROUTE Bare\n    ADD SOURCE_CONFIG\n        WITH BROKER SELF', everything())).toBe('The route Bare must name its type right after its name (DEFINE ROUTE Bare WITH TYPE <type>) for Bastion to check it.');
  });

  it('refuses an unknown parameter, block or keyword, naming it', () => {
    const base = 'DEFINE ROUTE R WITH TYPE MQTT_BRIDGE\n    ADD SOURCE_CONFIG\n        WITH BROKER SELF\n';
    expect(refusal(`${base}        WITH REMOTE_LINK "x"`, everything())).toMatch(/^The route R uses the parameter REMOTE_LINK, which Bastion cannot check/);
    expect(refusal(`${base}    ADD CLUSTER_CONFIG`, everything())).toMatch(/^The route R uses the block CLUSTER_CONFIG, which Bastion cannot check/);
    expect(refusal(`${base}        REMOTE_LINK "x"`, everything())).toMatch(/^The route R uses the parameter REMOTE_LINK/);
    // A REST route's server mode opens a listener on the broker: not a parameter Bastion accepts.
    expect(refusal('DEFINE ROUTE Api WITH TYPE REST_API\n    ADD REST_API_CONFIG\n        WITH SERVER_PORT 8080', everything())).toMatch(/uses the parameter SERVER_PORT/);
  });

  it('accepts the documented parameters of each supported type with keyword-like names of the user\'s own', () => {
    const definitions = [
      'DEFINE ROUTE CLOUD_BRIDGE WITH TYPE MQTT_BRIDGE\n    ADD ROUTE_CONFIG\n        WITH OVERLOAD_POLICY "lossless"\n    ADD SOURCE_CONFIG\n        WITH BROKER SELF\n    ADD MAPPING SENSOR_SYNC\n        WITH SOURCE_TOPIC "plant/a"\n        WITH DESTINATION_TOPIC "plant/b"',
      'DEFINE ROUTE Mail WITH TYPE EMAIL\n    ADD SMTP_CONFIG\n        WITH HOST "127.0.0.1"\n        WITH PORT \'587\'\n        WITH FROM "a@b.c"\n    ADD EVENT alert\n        WITH SOURCE_TOPIC "plant/alerts/+"\n        WITH RECIPIENT "ops@b.c"\n        WITH SUBJECT "Alert {value.json.type}"',
      'DEFINE ROUTE Db WITH TYPE POSTGRESQL\n    ADD SQL_CONFIG\n        WITH SERVER "127.0.0.1"\n        WITH PORT 5432\n        WITH DATABASE "factory"\n        WITH PASSWORD GET SECRET "PG"\n    ADD EVENT Store\n        WITH SOURCE_TOPIC "plant/+/store"\n        WITH QUERY "INSERT INTO r VALUES (\'{topic.2}\', {payload})"',
      'DEFINE ROUTE Opc WITH TYPE OPCUA\n    ADD OPCUA_CONFIG\n        WITH ENDPOINT_URL "opc.tcp://127.0.0.1:4840"\n        WITH SECURITY_MODE "None"\n    ADD MAPPING "Nodes"\n        WITH SOURCE_TOPIC "plant/opc"\n        WITH EVERY 1 SECONDS\n        ADD TAG "T"\n            WITH ADDRESS "ns=2;s=T"\n            WITH DATA_TYPE "DOUBLE"',
    ];
    const policy = plant(['127.0.0.1:587', '127.0.0.1:5432', '127.0.0.1:4840']);
    for (const definition of definitions) expect(() => checkLot(definition, policy, 'The route'), definition).not.toThrow();
  });

  it('refuses a quote that opens no complete string, also inside a comment', () => {
    expect(refusal('DEFINE ROUTE R WITH TYPE MQTT_BRIDGE\n    // the "main bridge\n    ADD MAPPING m\n        WITH SOURCE_TOPIC "#"', everything())).toMatch(/^The definition has a " that opens no complete string/);
    expect(refusal("DEFINE ACTION A\n// don't\nDO\n    PUBLISH TOPIC \"plant/x\" WITH \"1\"")).toMatch(/^The definition has a ' that opens no complete string/);
  });
});

describe('hosts a route connects to (COREFLUX_ROUTE_HOSTS)', () => {
  const remote = (destination: string) => bridge({ source: '"plant/a"', destination: '"plant/b"' }, destination);

  it('refuses every outside host while the setting is empty, whatever MQTT_TOPICS says', () => {
    expect(refusal(remote('WITH BROKER_ADDRESS "broker.example.com"\n        WITH BROKER_PORT \'8883\''), everything())).toBe(
      'The route Mirror (BROKER_ADDRESS) makes the broker connect to broker.example.com:8883, which COREFLUX_ROUTE_HOSTS does not allow (it is empty, so no route may make the broker connect elsewhere). Add "broker.example.com:8883" to COREFLUX_ROUTE_HOSTS if the broker should reach it.',
    );
  });

  it('allows a listed host, with any port or the listed one only', () => {
    const definition = remote('WITH BROKER_ADDRESS "Broker.Example.com"\n        WITH BROKER_PORT \'8883\'');
    expect(() => checkLot(definition, plant(['broker.example.com']), 'The route')).not.toThrow();
    expect(() => checkLot(definition, plant(['broker.example.com:8883']), 'The route')).not.toThrow();
    expect(refusal(definition, plant(['broker.example.com:1883']))).toContain('(it allows only broker.example.com:1883)');
  });

  it('refuses a host read at run time or completed by a placeholder', () => {
    expect(refusal(remote('WITH BROKER_ADDRESS GET ENV "CLOUD"'), plant(['cloud']))).toBe(
      'The route Mirror: BROKER_ADDRESS must be a quoted literal: a value read at run time (GET ENV, GET SECRET) cannot be checked against COREFLUX_ROUTE_HOSTS. Write the host as a quoted literal listed in COREFLUX_ROUTE_HOSTS.',
    );
    expect(refusal(remote('WITH BROKER_ADDRESS "{payload}.example.com"'), plant(['x.example.com']))).toContain('BROKER_ADDRESS is completed at run time');
  });

  it('reads hosts from URLs and connection strings, never echoing their credentials', () => {
    const mongo = (uri: string) => `DEFINE ROUTE Logs WITH TYPE MONGODB\n    ADD MONGODB_CONFIG\n        WITH CONNECTION_STRING "${uri}"\n        WITH DATABASE "logs"`;
    expect(() => checkLot(mongo('mongodb://u:canary-pw@127.0.0.1:27017,127.0.0.2:27017/logs'), plant(['127.0.0.1', '127.0.0.2']), 'The route')).not.toThrow();
    const leaked = refusal(mongo('mongodb://u:canary-pw@127.0.0.1:27017,db.example.com:27017/logs'), plant(['127.0.0.1']));
    expect(leaked).toContain('connect to db.example.com:27017');
    expect(leaked).not.toContain('canary-pw');
    expect(refusal(mongo('mongodb+srv://cluster.example.com/logs'), plant(['cluster.example.com']))).toContain('mongodb+srv://');
    const rest = (endpoint: string) => `DEFINE ROUTE Api WITH TYPE REST_API\n    ADD REST_API_CONFIG\n        WITH BASE_ADDRESS "https://api.example.com"\n    ADD EVENT Get\n        WITH SOURCE_TOPIC "plant/q"\n        WITH METHOD "GET"\n        WITH ENDPOINT "${endpoint}"`;
    expect(() => checkLot(rest('/v1/forecast?city={payload}'), plant(['api.example.com:443']), 'The route')).not.toThrow();
    expect(refusal(rest('http://collector.example.net/x'), plant(['api.example.com']))).toContain('(ENDPOINT) makes the broker connect to collector.example.net:80');
    // Without a leading "/" the endpoint is glued to BASE_ADDRESS and could move its host ("@other.example/").
    expect(refusal(rest('{payload}'), plant(['api.example.com']))).toContain('ENDPOINT must be a path starting with "/" (below BASE_ADDRESS) or a full URL');
    const llm = 'DEFINE ROUTE Ai WITH TYPE LLM\n    ADD LLM_CONFIG\n        WITH BASE_URL "https://llm.example.com"\n        WITH MODEL "m"';
    expect(refusal(llm, plant())).toContain('(BASE_URL) makes the broker connect to llm.example.com:443');
  });

  it('checks every bridge end that is not the broker itself', () => {
    const bothRemote = bridge({ source: '"plant/a"', destination: '"plant/b"' }).replace('WITH BROKER SELF', 'WITH BROKER_ADDRESS "10.0.0.9"');
    expect(refusal(bothRemote, plant(LOCAL))).toContain('connect to 10.0.0.9');
  });

  it('stops start-up on an entry that is no host', () => {
    expect(() => new RouteHosts(['http://x/'])).toThrow(ConfigError);
    expect(() => new RouteHosts(['host:port'])).toThrow(/^COREFLUX_ROUTE_HOSTS: "host:port" is not a host or host:port/);
    expect(() => new RouteHosts(['[::1]:1883', 'broker.local', '10.0.0.1:8883'])).not.toThrow();
  });
});
