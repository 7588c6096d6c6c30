// What a LoT definition may do before it is sent to the broker: every topic it names must lie in MQTT_TOPICS, and a
// route may only be of a type Bastion understands, use parameters Bastion understands, and make the broker connect
// only to hosts listed in COREFLUX_ROUTE_HOSTS. Whatever cannot be checked is refused, naming the keyword.
//
// Route types and parameters come from Coreflux's LoT route documentation (docs.coreflux.org/lot-language/routes:
// overview, data pipeline, industrial) and the route reference of Coreflux's own editor plugin
// (CorefluxCommunity/coreflux-cursor-plugin, skills/lot-authoring/lot-routes.md).
import { ConfigError, PolicyError } from '../../core/errors.js';
import type { TopicScope } from './topics.js';

interface Token {
  /** The text: a string's content without its quotes, a word, or one other character. */
  text: string;
  kind: 'string' | 'quoted' | 'word' | 'char';
}

/**
 * Double-quoted strings (backslash escapes, may span lines), single-quoted values ('8883'), words, single characters.
 * A quote left over (unbalanced, or in a comment) is refused: where a string starts decides what the broker reads as
 * a keyword, so it must not be open to two readings.
 */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (const match of source.matchAll(/"((?:[^"\\]|\\.)*)"|'([^'"\\\n]*)'|([\p{L}\p{N}_]+)|(\S)/gsu)) {
    if (match[1] !== undefined) tokens.push({ text: match[1], kind: 'string' });
    else if (match[2] !== undefined) tokens.push({ text: match[2], kind: 'quoted' });
    else if (match[3] !== undefined) tokens.push({ text: match[3], kind: 'word' });
    else if (match[4] === '"' || match[4] === "'") {
      throw new PolicyError(`The definition has a ${match[4]} that opens no complete string (also not allowed in a comment): close the string, or remove the quote, so that Bastion reads the definition as the broker does.`);
    } else tokens.push({ text: match[4]!, kind: 'char' });
  }
  return tokens;
}

const word = (token: Token | undefined): string | undefined => (token?.kind === 'word' ? token.text.toUpperCase() : undefined);

/** A LoT string literal's text with escapes resolved ("\\$SYS" is "$SYS"). */
function unescapeLot(text: string): string {
  return text.replace(/\\(.)/gs, (_, character: string) => (character === 'n' ? '\n' : character === 't' ? '\t' : character));
}

/** Keywords that carry topics: every word ending in TOPIC or TOPICS (TOPIC, SOURCE_TOPIC, DESTINATION_TOPIC ...). */
const TOPIC_KEYWORD = /TOPICS?$/;

export interface LotTopic {
  /** The keyword it followed, upper case: TOPIC, SOURCE_TOPIC, DESTINATION_TOPIC ... */
  keyword: string;
  /** The topic or filter to check; a value completed at run time is its fixed part + "#". */
  topic: string;
  /** The keyword's position among the tokens. */
  at: number;
}

function topicsOf(tokens: Token[]): LotTopic[] {
  const topics: LotTopic[] = [];
  tokens.forEach((token, index) => {
    const keyword = word(token);
    if (!keyword || !TOPIC_KEYWORD.test(keyword)) return;
    const next = tokens[index + 1];
    // TOPIC POSITION reads a level of the triggering topic: no topic of its own.
    if (word(next) === 'POSITION') return;
    if (next?.kind !== 'string') {
      throw new PolicyError(`Every ${keyword} in a definition must be a quoted topic ("plant/led"), or start with one ending in "/": a computed topic cannot be checked against MQTT_TOPICS.`);
    }
    const concatenated = tokens[index + 2]?.kind === 'char' && tokens[index + 2]!.text === '+';
    // A list keyword (…_TOPICS) holds comma-separated topics.
    const values = keyword.endsWith('TOPICS') ? next.text.split(',').map((value) => value.trim()) : [next.text];
    for (const value of values) {
      for (const form of new Set([value, unescapeLot(value)])) topics.push({ keyword, topic: openEnded(form, keyword, concatenated), at: index });
    }
  });
  return topics;
}

/**
 * A literal completed at run time — followed by `+ ...`, or holding a placeholder such as {topic.2} or {payload} —
 * stands for everything below its fixed part, which must end with "/" ("plant" + x could be "plant2/x").
 */
function openEnded(literal: string, keyword: string, concatenated: boolean): string {
  const brace = literal.indexOf('{');
  if (!concatenated && brace < 0) return literal;
  const fixed = brace < 0 ? literal : literal.slice(0, brace);
  if (fixed !== '' && !fixed.endsWith('/')) {
    throw new PolicyError(`The ${keyword} "${literal}" could become any topic starting with "${fixed}": end the fixed part with "/" so that MQTT_TOPICS can be checked.`);
  }
  return `${fixed}#`;
}

/** The topics a definition names, as MQTT_TOPICS checks them (exported for tests). */
export function topicsInLot(source: string): string[] {
  return topicsOf(tokenize(source)).map((entry) => entry.topic);
}

// ---- Routes ----

/** Route types Bastion can check, with the source of each. Others (MQTT_CLUSTER, AGENT, MCP, ADS, FILE_STORAGE …) are refused. */
const ROUTE_TYPES = new Set([
  // Data pipeline (docs: routes/data-pipeline-routes; plugin: MQTT Bridge, Email Route).
  'MQTT_BRIDGE',
  'EMAIL',
  // REST client (plugin: REST API Client); the server mode's SERVER_PORT is not an understood parameter.
  'REST_API',
  // Data storage (plugin: Database Routes).
  'POSTGRESQL',
  'MYSQL',
  'MARIADB',
  'SQLSERVER',
  'MONGODB',
  'OPENSEARCH',
  // Industrial (docs: routes/industrial; plugin: OT Routes; docs v2.0 production-architecture: MODBUS).
  'MODBUS',
  'MODBUS_TCP',
  'MODBUS_SERIAL',
  'SIEMENS_S7',
  'OPCUA',
  'ETHERNETIP',
  'FINS',
  'BACNET',
  // AI (plugin: LLM Route).
  'LLM',
]);

/** Industrial routes publish each polled tag below their mapping's SOURCE_TOPIC (plugin: "OT ADD MAPPING + ADD TAG"). */
const POLLING_TYPES = new Set(['MODBUS', 'MODBUS_TCP', 'MODBUS_SERIAL', 'SIEMENS_S7', 'OPCUA', 'ETHERNETIP', 'FINS', 'BACNET']);

/** `ADD <block>` names; MAPPING, EVENT and TAG are followed by a name of the user's. */
const ROUTE_BLOCKS = new Set([
  'SOURCE_CONFIG', 'DESTINATION_CONFIG', 'MQTT_CONFIG', 'ROUTE_CONFIG', 'SMTP_CONFIG', 'REST_API_CONFIG', 'SQL_CONFIG', 'MONGODB_CONFIG',
  'OPENSEARCH_CONFIG', 'MODBUS_CONFIG', 'S7_CONFIG', 'OPCUA_CONFIG', 'ETHERNETIP_CONFIG', 'FINS_CONFIG', 'BACNET_CONFIG', 'LLM_CONFIG',
  'MAPPING', 'EVENT', 'TAG',
]);
const NAMED_BLOCKS = new Set(['MAPPING', 'EVENT', 'TAG']);

/** Parameters that name a host the broker will connect to. */
const HOST_KEYS = new Set(['BROKER', 'BROKER_ADDRESS', 'SERVER', 'HOST', 'IP']);
/** Parameters that hold a URL (or, for ENDPOINT, a path that may be an absolute URL). */
const URL_KEYS = new Set(['BASE_ADDRESS', 'BASE_URL', 'ENDPOINT_URL', 'ENDPOINT', 'CONNECTION_STRING']);
const PORT_KEYS = new Set(['PORT', 'BROKER_PORT']);

/** Every other `WITH <parameter>` understood (topic parameters are recognised by their name). */
const ROUTE_KEYS = new Set([
  ...HOST_KEYS, ...URL_KEYS, ...PORT_KEYS,
  // Connection and TLS (bridge, SQL, e-mail, OPC UA, LLM).
  'CLIENT_ID', 'USERNAME', 'PASSWORD', 'USE_TLS', 'USE_SSL', 'ALLOW_UNTRUSTED_CERTS', 'SERVER_CA_CERT_PATH', 'CLIENT_CERT_PATH',
  'CLIENT_CERT_PASS', 'RECONNECTION_RETRIES', 'DIRECTION', 'AUTHORIZATION', 'API_KEY', 'SECURITY_MODE',
  // Back-pressure (ROUTE_CONFIG).
  'OVERLOAD_POLICY', 'OVERLOAD_TIMEOUT', 'OVERLOAD_CAPACITY',
  // Storage and events.
  'DATABASE', 'SCHEMA', 'QUERY', 'METHOD', 'BODY', 'FROM', 'TO', 'RECIPIENT', 'SUBJECT',
  // Industrial devices, mappings and tags.
  'SLAVE_ID', 'UNIT_ID', 'BAUD_RATE', 'PARITY', 'STOP_BITS', 'CPU_TYPE', 'RACK', 'SLOT', 'PC_NODE', 'PLC_NODE', 'DEVICE_ID',
  'EVERY', 'REGISTER', 'ADDRESS', 'DATA_TYPE', 'SCALING', 'OFFSET', 'DEADBAND', 'PUBLISH_MODE', 'UNIT', 'WRITABLE',
  // LLM.
  'MODEL', 'TEMPERATURE', 'MAX_TOKENS',
]);

/** A word written like a LoT keyword (upper case with an underscore), e.g. an unknown parameter without WITH. */
const KEYWORD_LIKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/** The hosts routes may make the broker connect to (COREFLUX_ROUTE_HOSTS): `host` (any port) or `host:port`. */
export class RouteHosts {
  private readonly entries: Array<{ host: string; port?: number }>;

  constructor(readonly listed: readonly string[]) {
    this.entries = listed.map((entry) => {
      const parsed = splitHostPort(entry);
      if (!parsed || !/^[a-z0-9.:_-]+$/.test(parsed.host)) throw new ConfigError(`COREFLUX_ROUTE_HOSTS: "${entry}" is not a host or host:port (for IPv6 with a port: [::1]:1883).`);
      return parsed;
    });
  }

  assert(host: string, port: number | undefined, what: string): void {
    const normal = normaliseHost(host);
    if (this.entries.some((entry) => entry.host === normal && (entry.port === undefined || entry.port === port))) return;
    const where = `${normal.includes(':') ? `[${normal}]` : normal}${port ? `:${port}` : ''}`;
    const allowed = this.listed.length ? `it allows only ${this.listed.join(', ')}` : 'it is empty, so no route may make the broker connect elsewhere';
    throw new PolicyError(`${what} makes the broker connect to ${where}, which COREFLUX_ROUTE_HOSTS does not allow (${allowed}). Add "${where}" to COREFLUX_ROUTE_HOSTS if the broker should reach it.`);
  }
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** "host", "host:port", "[v6]:port" or a bare IPv6 address. */
function splitHostPort(text: string): { host: string; port?: number } | undefined {
  const value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return { host: normaliseHost(bracketed[1]!), port: bracketed[2] ? Number(bracketed[2]) : undefined };
  if ((value.match(/:/g) ?? []).length > 1) return { host: normaliseHost(value) };
  const plain = /^([^:\s/]+)(?::(\d{1,5}))?$/.exec(value);
  if (!plain) return undefined;
  return { host: normaliseHost(plain[1]!), port: plain[2] ? Number(plain[2]) : undefined };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** The hosts (and ports, where stated) a parameter's value makes the broker connect to. */
function hostsIn(key: string, value: string, fail: (why: string) => never): Array<{ host: string; port?: number }> {
  // A path below BASE_ADDRESS keeps its host whatever a placeholder adds; anything else could move the host.
  if (key === 'ENDPOINT' && value.startsWith('/') && !value.startsWith('//')) return [];
  if (key === 'ENDPOINT' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) fail('must be a path starting with "/" (below BASE_ADDRESS) or a full URL');
  if (value.includes('{')) fail('is completed at run time ({...}), so where the broker connects cannot be checked');
  if (key === 'CONNECTION_STRING') {
    const match = /^mongodb(\+srv)?:\/\/([^/?#]*)/i.exec(value);
    if (!match) fail('must be a mongodb:// connection string');
    if (match![1]) fail('uses mongodb+srv://, which lets DNS choose the hosts: name them with mongodb://');
    const authority = match![2]!.slice(match![2]!.lastIndexOf('@') + 1);
    return authority.split(',').map((part) => splitHostPort(part) ?? fail('names a host Bastion cannot read'));
  }
  if (URL_KEYS.has(key) || value.includes('://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail('must be a URL with a host');
    }
    if (!url.hostname) fail('must be a URL with a host');
    return [{ host: url.hostname, port: url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol] }];
  }
  return [splitHostPort(value) ?? fail('must be a host name or address, optionally with :port')];
}

/** Checks every `DEFINE ROUTE` in the tokens: type, parameters, blocks, hosts. */
function checkRoutes(tokens: Token[], topics: LotTopic[], scope: TopicScope, hosts: RouteHosts): void {
  const starts = tokens.flatMap((token, index) => (word(token) === 'DEFINE' ? [index] : []));
  starts.forEach((start, n) => {
    if (word(tokens[start + 1]) !== 'ROUTE') return;
    const end = starts[n + 1] ?? tokens.length;
    const name = tokens[start + 2]?.text ?? '';
    const what = `The route ${name}`;
    if (word(tokens[start + 3]) !== 'WITH' || word(tokens[start + 4]) !== 'TYPE' || !word(tokens[start + 5])) {
      throw new PolicyError(`${what} must name its type right after its name (DEFINE ROUTE ${name} WITH TYPE <type>) for Bastion to check it.`);
    }
    const type = word(tokens[start + 5])!;
    if (!ROUTE_TYPES.has(type)) {
      throw new PolicyError(`${what} has TYPE ${type}, which Bastion cannot check, so it is refused. Route types Bastion checks: ${[...ROUTE_TYPES].join(', ')}.`);
    }
    const unknown = (keyword: string, kind: string) =>
      new PolicyError(`${what} uses the ${kind} ${keyword}, which Bastion cannot check, so the route is refused. Use only the ${kind}s of Coreflux's route reference that Bastion knows (see README, Coreflux routes).`);
    let block = start + 6;
    for (let index = start + 6; index < end; index += 1) {
      const keyword = word(tokens[index]);
      if (!keyword) continue;
      if (keyword === 'ADD') {
        const added = word(tokens[index + 1]);
        if (!added || !ROUTE_BLOCKS.has(added)) throw unknown(added ?? tokens[index + 1]?.text ?? '(nothing)', 'block');
        block = index;
        index += NAMED_BLOCKS.has(added) ? 2 : 1; // the block, and a mapping's, event's or tag's own name
      } else if (keyword === 'WITH') {
        const key = word(tokens[index + 1]);
        if (!key || !(ROUTE_KEYS.has(key) || TOPIC_KEYWORD.test(key))) throw unknown(key ?? tokens[index + 1]?.text ?? '(nothing)', 'parameter');
      } else if (HOST_KEYS.has(keyword) || URL_KEYS.has(keyword)) {
        checkHost(tokens, index, block, end, keyword, what, hosts);
      } else if (KEYWORD_LIKE.test(tokens[index]!.text) && !ROUTE_KEYS.has(keyword) && !TOPIC_KEYWORD.test(keyword) && !ROUTE_BLOCKS.has(keyword)) {
        throw unknown(keyword, 'parameter');
      }
    }
    // An industrial route publishes each tag below its mapping's SOURCE_TOPIC: the whole subtree must be allowed.
    if (POLLING_TYPES.has(type)) {
      for (const entry of topics) {
        if (entry.at > start && entry.at < end && entry.keyword === 'SOURCE_TOPIC' && !entry.topic.endsWith('#')) {
          scope.assert(`${entry.topic}/#`, `${what} publishes its tags below SOURCE_TOPIC "${entry.topic}", that is`);
        }
      }
    }
  });
}

function checkHost(tokens: Token[], index: number, block: number, end: number, key: string, what: string, hosts: RouteHosts): void {
  const value = tokens[index + 1];
  // `WITH BROKER SELF` (or BROKER_ADDRESS "SELF") is the broker itself.
  if ((key === 'BROKER' || key === 'BROKER_ADDRESS') && value && value.kind !== 'char' && value.text.toUpperCase() === 'SELF') return;
  const fail = (why: string): never => {
    throw new PolicyError(`${what}: ${key} ${why}. Write the host as a quoted literal listed in COREFLUX_ROUTE_HOSTS.`);
  };
  if (value?.kind !== 'string') fail('must be a quoted literal: a value read at run time (GET ENV, GET SECRET) cannot be checked against COREFLUX_ROUTE_HOSTS');
  const text = unescapeLot(value!.text);
  for (const { host, port } of hostsIn(key, text, fail)) hosts.assert(host, port ?? portInBlock(tokens, block, end), `${what} (${key})`);
}

/** The PORT or BROKER_PORT given in the same ADD block, when the host did not carry one. */
function portInBlock(tokens: Token[], block: number, end: number): number | undefined {
  for (let index = block + 1; index < end && word(tokens[index]) !== 'ADD'; index += 1) {
    if (PORT_KEYS.has(word(tokens[index]) ?? '')) {
      const port = Number(tokens[index + 1]?.text);
      return Number.isInteger(port) ? port : undefined;
    }
  }
  return undefined;
}

export interface LotPolicy {
  topics: TopicScope;
  routeHosts: RouteHosts;
}

/**
 * Refuses (PolicyError) a definition, or LoT text holding definitions, that names a topic outside MQTT_TOPICS or a
 * route Bastion cannot check or that makes the broker connect to a host outside COREFLUX_ROUTE_HOSTS.
 * `what` starts the message about a topic: "The model Leaky".
 */
export function checkLot(source: string, policy: LotPolicy, what: string): void {
  const tokens = tokenize(source);
  const topics = topicsOf(tokens);
  for (const { keyword, topic } of topics) policy.topics.assert(topic, `${what} uses ${keyword === 'TOPIC' ? 'topic' : keyword}`);
  checkRoutes(tokens, topics, policy.topics, policy.routeHosts);
}
