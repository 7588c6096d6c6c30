// lot://documentation/{models,actions,routes,rules}: LoT in brief, written for a model, from Coreflux's public LoT
// documentation (docs.coreflux.org, and the LoT reference of Coreflux's editor plugin,
// CorefluxCommunity/coreflux-cursor-plugin skills/lot-authoring), plus what Bastion checks before it deploys LoT.
// Every example is a complete definition that Bastion's own LoT check accepts (test/unit/coreflux-lot-docs.test.ts).
import { defineResource } from '../../core/resource.js';
import type { CorefluxClient } from './client.js';

const COMMON = `Syntax that holds everywhere: keywords in UPPER CASE; 4 spaces of indentation per level, never tabs; strings in
double quotes; variables in braces ({temp}); entity names bare (DEFINE MODEL Sensor, not "Sensor"); topic levels
counted from 1; comments start with --. Bastion refuses a definition whose topics (TOPIC, SOURCE_TOPIC,
DESTINATION_TOPIC, any ..._TOPIC) fall outside MQTT_TOPICS; a topic built at run time ("plant/" + {id}) must start
with a fixed part ending in "/". Bastion reads any word ending in TOPIC or TOPICS (in any case) as such a keyword, so do
not end names with it (SensorTopics). Check code with coreflux_verify_lot before deploying it.`;

export const LOT_MODELS = `# LoT models

A model turns values from several topics into one structured output. When a field marked AS TRIGGER receives a
message, the broker evaluates every field and publishes the result. Deploy with coreflux_add_model; remove with
coreflux_remove_model.

${COMMON}

## Shape

~~~
DEFINE MODEL <Name> [COLLAPSED] [FROM <Parent>] WITH TOPIC "<output/topic>"
    ADD <TYPE> "<field>" WITH TOPIC "<input/topic>" [AS TRIGGER]
    ADD <TYPE> "<field>" WITH <constant or expression>
~~~

- Field types: STRING, INT, DOUBLE, BOOL, OBJECT (raw JSON), ARRAY, TIMESTAMP, COLLECTION (of another model).
- Every field needs its type (ADD DOUBLE "temp" ..., not ADD "temp" ...).
- Values after WITH: a literal ("ok", 0, 0.0, FALSE), RANDOM UUID, TIMESTAMP "ISO" | "UNIX" | "UTC". Never WITH VALUE.
- At least one field must be AS TRIGGER, or the model never publishes. Mark data fields, not timestamps.
- Without COLLAPSED each field is published on <output/topic>/<field>; with COLLAPSED one JSON object goes to
  <output/topic>.
- Header options: KEEP (retain the output), QOS0 | QOS1 | QOS2. FROM <Parent> inherits the parent's fields; deploy
  the parent first.

## Examples

One JSON document per new reading:

~~~lot
DEFINE MODEL BoilerStatus COLLAPSED WITH TOPIC "factory/boiler/data"
    ADD STRING "boiler_id" WITH TOPIC "factory/boiler/id"
    ADD DOUBLE "temperature" WITH TOPIC "factory/boiler/temp" AS TRIGGER
    ADD DOUBLE "pressure" WITH TOPIC "factory/boiler/pressure"
    ADD STRING "status" WITH "ok"
    ADD STRING "timestamp" WITH TIMESTAMP "ISO"
~~~

Field by field (publishes factory/line1/summary/speed, .../count):

~~~lot
DEFINE MODEL LineSummary WITH TOPIC "factory/line1/summary"
    ADD DOUBLE "speed" WITH TOPIC "factory/line1/speed" AS TRIGGER
    ADD INT "count" WITH TOPIC "factory/line1/count" AS TRIGGER
~~~

A schema filled by an action (no topics of its own; an action sends it with PUBLISH MODEL, see
lot://documentation/actions):

~~~lot
DEFINE MODEL Reading COLLAPSED
    ADD STRING "device_id"
    ADD DOUBLE "value"
    ADD STRING "unit" WITH "celsius"
    ADD STRING "timestamp" WITH TIMESTAMP "UTC"
~~~
`;

export const LOT_ACTIONS = `# LoT actions

An action is logic that runs on a trigger: a topic, a timer, broker start, or on demand. Deploy with
coreflux_add_action; run one now with coreflux_run_action; list them with coreflux_list_actions.

${COMMON}

## Shape

~~~
DEFINE ACTION <Name>
<trigger> DO
    <statements>
~~~

The trigger line starts in the same column as DEFINE (never indented under it) and ends with DO; the body is
indented 4 spaces. Without a trigger (just DO) the action runs only on demand.

Triggers:
- ON TOPIC "sensors/+/data" DO: every message on a matching topic (PAYLOAD is its body, TOPIC POSITION n a level).
- ON CHANGE "sensors/+/data" DO: only when the payload differs from the last one on that topic.
- ON EVERY 10 SECONDS DO (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS); ON EVERY WEEKDAY AT "06:00:00" DO.
- ON START DO: once when the broker starts.
Timers have no PAYLOAD: read state with GET TOPIC.

Statements:
- SET "v" WITH PAYLOAD AS DOUBLE; SET "id" WITH TOPIC POSITION 2; SET "x" WITH GET TOPIC "state/x" AS INT;
  SET "t" WITH GET JSON "data.temp" IN PAYLOAD AS DOUBLE. Casts: AS INT, DOUBLE, BOOL, STRING, OBJECT, ARRAY.
- PUBLISH TOPIC "out/t" WITH <value>: sends to subscribers. KEEP TOPIC "state/t" WITH <value>: stores without
  sending (readable with GET TOPIC). Never MESSAGE, never an empty WITH.
- PUBLISH MODEL <Model> TO "out/" + {id} WITH field = {v} (one field per line, indented).
- IF <condition> THEN ... ELSE ...: blocks end by indentation (no END IF). Operators ==, !=, >, <, >=, <=, AND,
  OR, NOT.
- Strings join with +: "Temp: " + {temp}.
- DESCRIPTION "..." (its own line) says what the action does; coreflux_list_actions shows it.
- Credentials come from GET SECRET "NAME", never literals.

## Examples

React to a sensor:

~~~lot
DEFINE ACTION AlertOnOverheat
ON TOPIC "sensors/+/temperature" DO
    SET "device" WITH TOPIC POSITION 2
    SET "temp" WITH PAYLOAD AS DOUBLE
    IF {temp} > 85 THEN
        PUBLISH TOPIC "alerts/" + {device} WITH "CRITICAL: " + {temp}
    ELSE
        KEEP TOPIC "state/" + {device} + "/last" WITH {temp}
~~~

A timer:

~~~lot
DEFINE ACTION Heartbeat
ON EVERY 10 SECONDS DO
    PUBLISH TOPIC "system/heartbeat" WITH TIMESTAMP "ISO"
~~~

On demand, with a description (run it with coreflux_run_action):

~~~lot
DEFINE ACTION ResetCounters
DESCRIPTION "Sets the line counters back to zero"
DO
    PUBLISH TOPIC "factory/line1/count" WITH 0
    PUBLISH TOPIC "factory/line2/count" WITH 0
~~~

Fill a model (see lot://documentation/models, model Reading):

~~~lot
DEFINE ACTION PublishReading
ON TOPIC "sensors/+/raw" DO
    SET "id" WITH TOPIC POSITION 2
    SET "v" WITH PAYLOAD AS DOUBLE
    PUBLISH MODEL Reading TO "sensors/" + {id} + "/reading" WITH
        device_id = {id}
        value = {v}
~~~
`;

export const LOT_ROUTES = `# LoT routes

A route connects the broker to another system: another MQTT broker, a database, a REST API, e-mail, an industrial
device or an LLM. Deploy with coreflux_add_route; remove with coreflux_remove_route. The route's status is published
on $SYS/Coreflux/Routes/<Name>/status.

${COMMON}

## Shape

~~~
DEFINE ROUTE <Name> WITH TYPE <TYPE>
    ADD <CONFIG_BLOCK>
        WITH <PARAMETER> <value>
    ADD EVENT <EventName>
        WITH SOURCE_TOPIC "in/topic"
        WITH DESTINATION_TOPIC "out/topic"
        WITH QUERY "..."
    ADD MAPPING <MappingName>
        WITH SOURCE_TOPIC "prefix"
        WITH EVERY 5 SECONDS
        ADD TAG <TagName>
            WITH ADDRESS "40001"
            WITH DATA_TYPE "INT16"
~~~

The config block matches the type: SOURCE_CONFIG + DESTINATION_CONFIG (MQTT_BRIDGE), SQL_CONFIG (POSTGRESQL, MYSQL,
MARIADB, SQLSERVER), MONGODB_CONFIG, OPENSEARCH_CONFIG, REST_API_CONFIG, SMTP_CONFIG (EMAIL), MODBUS_CONFIG
(MODBUS_TCP, MODBUS_SERIAL), S7_CONFIG (SIEMENS_S7), OPCUA_CONFIG, ETHERNETIP_CONFIG, FINS_CONFIG, BACNET_CONFIG,
LLM_CONFIG. ROUTE_CONFIG (OVERLOAD_POLICY "lossless" | "balanced" | "realtime") fits any type.

Event placeholders (1-based): {payload}, {payload.json.key}, {topic}, {topic.N}, {timestamp}, {env.NAME},
{secret.NAME}. An event sends its result to DESTINATION_TOPIC; without one the result goes nowhere. Industrial
mappings publish each tag on <SOURCE_TOPIC>/<TagName>, so that whole subtree must be within MQTT_TOPICS.

What Bastion requires before it deploys a route:
- WITH TYPE right after the name, and a type from the list above; other types are refused.
- Hosts (BROKER_ADDRESS, SERVER, HOST, IP, BASE_ADDRESS, BASE_URL, ENDPOINT_URL, CONNECTION_STRING) as quoted
  literals listed in COREFLUX_ROUTE_HOSTS; a host read at run time (GET ENV) cannot be checked and is refused.
  WITH BROKER SELF is the broker itself.
- Passwords and keys from GET SECRET "NAME" (never a literal).

## Examples

Forward local sensor data to another broker:

~~~lot
DEFINE ROUTE CloudBridge WITH TYPE MQTT_BRIDGE
    ADD SOURCE_CONFIG
        WITH BROKER SELF
    ADD DESTINATION_CONFIG
        WITH BROKER_ADDRESS "cloud.example.com"
        WITH BROKER_PORT 8883
        WITH USE_TLS true
        WITH USERNAME "bridge"
        WITH PASSWORD GET SECRET "BRIDGE_PASSWORD"
    ADD MAPPING ForwardSensors
        WITH SOURCE_TOPIC "sensors/#"
        WITH DESTINATION_TOPIC "cloud/factory/sensors/#"
        WITH DIRECTION "out"
~~~

Store and query readings in PostgreSQL:

~~~lot
DEFINE ROUTE SensorDB WITH TYPE POSTGRESQL
    ADD SQL_CONFIG
        WITH SERVER "db.example.com"
        WITH PORT 5432
        WITH DATABASE "factory"
        WITH USERNAME "bastion"
        WITH PASSWORD GET SECRET "PG_PASSWORD"
    ADD EVENT StoreReading
        WITH SOURCE_TOPIC "sensors/+/store"
        WITH QUERY "INSERT INTO readings (device, value) VALUES ('{topic.2}', {payload})"
    ADD EVENT LastReading
        WITH SOURCE_TOPIC "sensors/query"
        WITH DESTINATION_TOPIC "sensors/result"
        WITH QUERY "SELECT * FROM readings WHERE device = '{payload}' ORDER BY id DESC LIMIT 1"
~~~

Poll a Modbus device (tags appear on plc1/read/Temperature and plc1/read/Running):

~~~lot
DEFINE ROUTE Plc1 WITH TYPE MODBUS_TCP
    ADD MODBUS_CONFIG
        WITH IP "192.168.1.100"
        WITH PORT 502
        WITH SLAVE_ID 1
    ADD MAPPING ReadRegisters
        WITH SOURCE_TOPIC "plc1/read"
        WITH EVERY 1 SECONDS
        ADD TAG Temperature
            WITH ADDRESS "40001"
            WITH DATA_TYPE "INT16"
            WITH SCALING 0.1
        ADD TAG Running
            WITH ADDRESS "00001"
            WITH DATA_TYPE "BOOL"
~~~
`;

export const LOT_RULES = `# LoT rules

A rule decides who may connect, publish, subscribe or run commands on the broker. Deploy with coreflux_add_rule;
remove with coreflux_remove_rule.

${COMMON}

## Shape

~~~
DEFINE RULE <Name> WITH PRIORITY <n> FOR <Scope> [TO TOPIC "<filter>"]
    IF <condition> THEN
        ALLOW
    ELSE
        DENY
~~~

How the broker decides: of the rules whose scope and topic match, only those with the lowest priority number count;
among them DENY wins; when no rule matches, the answer is deny.

- Priorities 0-99 are reserved for the broker's own rules: Bastion refuses them. Use 100 or more. The shipped rules
  AllowPublishTopic, AllowSubscribeTopic and AllowConnect (priority 1000000, open to every signed-in client) cannot be
  removed; a rule of your own with a lower number overrides them.
- Scopes: Connect (no topic), Publish, Subscribe, PublishSys, SubscribeSys, CommandCall, SystemConfiguration,
  ActionManagementRun, and the ...ManagementCreation / ...ManagementRemove scopes of users, rules, models, actions
  and routes.
- Conditions: USER IS "name", USER HAS AllowedX, USER IN GROUP "g", CLIENTID IS "id", CLIENTID IS TOPIC POSITION n,
  CLIENTID MATCHES REGEX "^gw[0-9]+$", TOPIC EXISTS "t" (a retained message is there), joined with AND, OR, NOT.
- Test a new DENY with a second account first: a wrong Connect rule can lock clients out (root is always admitted).

## Examples

Only the operators group reads sensor data:

~~~lot
DEFINE RULE SensorAccess WITH PRIORITY 100 FOR Subscribe TO TOPIC "sensors/#"
    IF USER IN GROUP "operators" THEN
        ALLOW
    ELSE
        DENY
~~~

Each device publishes only below its own client id (devices/<client id>/...):

~~~lot
DEFINE RULE DevicePublishOwn WITH PRIORITY 200 FOR Publish TO TOPIC "devices/+/#"
    IF CLIENTID IS TOPIC POSITION 2 OR USER IS "root" THEN
        ALLOW
    ELSE
        DENY
~~~

Admit gateways only by client id pattern:

~~~lot
DEFINE RULE GatewayAdmission WITH PRIORITY 100 FOR Connect
    IF CLIENTID MATCHES REGEX "^gw[0-9]+$" OR USER IS "root" THEN
        ALLOW
    ELSE
        DENY
~~~
`;

const documents = [
  { what: 'models', title: 'LoT models', text: LOT_MODELS, description: 'How to write LoT models (DEFINE MODEL): fields, types, triggers, examples.' },
  { what: 'actions', title: 'LoT actions', text: LOT_ACTIONS, description: 'How to write LoT actions (DEFINE ACTION): triggers, statements, examples.' },
  { what: 'routes', title: 'LoT routes', text: LOT_ROUTES, description: 'How to write LoT routes (DEFINE ROUTE): types, config blocks, what Bastion allows, examples.' },
  { what: 'rules', title: 'LoT rules', text: LOT_RULES, description: 'How to write LoT rules (DEFINE RULE): priorities, scopes, conditions, examples.' },
];

export const corefluxResources = documents.map(({ what, title, text, description }) =>
  defineResource<CorefluxClient>({
    uri: `lot://documentation/${what}`,
    name: `coreflux-lot-${what}`,
    title,
    description,
    mimeType: 'text/markdown',
    read: async () => text,
  }),
);
