// A Coreflux broker emulator for tests: an in-process aedes MQTT broker on loopback TCP that also implements the
// Coreflux command channel (commands on `$SYS/Coreflux/Command`, answers on `$SYS/Coreflux/Command/Output`), keeps
// LoT models, actions, routes and rules by name, and records every command it receives.
//
//   const broker = await startCorefluxBroker({ users: { operator: { password: 'op-canary-pw' } } });
//   connect with url = broker.url, username = COREFLUX_TEST_USER, password = COREFLUX_TEST_PASSWORD, protocolVersion 4
//   expect(broker.commands.map((c) => c.verb)).toEqual(['addAction', 'runAction']);
//   broker.setMode('silent');                // the broker stops answering: exercises the client's timeout path
//   broker.denyCommandCall('operator');      // that user's commands are logged but never answered nor run
//
// Protocol: aedes 1.x speaks MQTT 3.1 and 3.1.1 only. An MQTT 5 CONNECT is refused with CONNACK return code 1
// ("unacceptable protocol version") before credentials are looked at, so a client that insists on v5 cannot connect.
//
// Broker behaviour:
// - CONNECT: a known user with the right password is accepted; a wrong password or an unknown user is refused with
//   return code 4 (bad username or password); no username is refused with return code 5 (not authorized) unless
//   `allowAnonymous` is set.
// - SUBSCRIBE: filters on `$SYS/...` are granted to system users only; others get the failure return code 0x80.
//   Filters that start with `#` or `+` never match `$` topics, neither live nor retained messages.
// - PUBLISH: `$SYS/Coreflux/Command` is open to every user (it is never retained); a client PUBLISH to any other
//   `$SYS` topic is refused, which makes aedes close that client's connection (MQTT 3.1.1 cannot refuse a PUBLISH).
// - aedes' own `$SYS/<broker id>/...` housekeeping topics are not forwarded to clients.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import { ACTIONS_PREFIX, COMMAND_TOPIC, OUTPUT_TOPIC, type CommandEffects, type CommandRecord, type CorefluxState, type DiagnosticForm } from './coreflux/commands.js';
import { createDesk, type CorefluxMode, type RequestIdSupport } from './coreflux/desk.js';

export { ACTIONS_PREFIX, COMMAND_TOPIC, OUTPUT_TOPIC, parseCommand, tokenize } from './coreflux/commands.js';
export type { CommandRecord, CorefluxState, DiagnosticForm, Envelope, ErrorEntry } from './coreflux/commands.js';
export { BUILT_IN_RULES } from './coreflux/commands.js';
export { lotDescription, lotPublishes, parseLotHeader, LOT_KINDS, type LotKind, type LotProblem } from './coreflux/lot.js';

/** The broker's administrator (a system user: may subscribe to `$SYS`), named like Coreflux's default account. */
export const COREFLUX_TEST_USER = 'root';
/** Contains "canary" so that leak checks can look for it in logs and tool output. */
export const COREFLUX_TEST_PASSWORD = 'coreflux-canary-Qm7tR2vX';

export type { CorefluxMode, RequestIdSupport } from './coreflux/desk.js';

export interface CorefluxAccount {
  password: string;
  /** May subscribe to `$SYS/...` (Coreflux's SubscribeSys right). Default false. */
  system?: boolean;
}

export interface ConnectionRecord {
  clientId: string;
  /** The username presented, if any (the password is never recorded). */
  user?: string;
  /** 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5. */
  protocolVersion: number;
  /** CONNACK return code (0 = accepted); set before the CONNACK is written, absent while the CONNECT is being processed. */
  returnCode?: number;
}

export interface CorefluxBroker {
  /** mqtt://127.0.0.1:PORT (plain TCP). */
  url: string;
  port: number;
  /** Every command received on `$SYS/Coreflux/Command`, in arrival order, including unanswered ones. */
  commands: CommandRecord[];
  /** Every CONNECT, in arrival order, with the CONNACK return code it got. */
  connections: ConnectionRecord[];
  /** Every subscription granted, in order: the user, the filter and the QoS the client asked for. */
  subscriptions: Array<{ user?: string; topic: string; qos: number }>;
  /** Entity name -> LoT source; tests may read or change it. */
  state: CorefluxState;
  /** How the broker answers commands: the JSON envelope (default), the message text only, or not at all. */
  setMode(mode: CorefluxMode): void;
  /** Whether the broker knows `-requestId` (see RequestIdSupport); default `echo`. */
  setRequestIdSupport(support: RequestIdSupport): void;
  /** Which -lotDiagnostic the broker has: `entity` (current, default) or `value` (older brokers). */
  setDiagnosticForm(form: DiagnosticForm): void;
  /** Takes the CommandCall right from `user`: its commands are logged but neither run nor answered. */
  denyCommandCall(user: string): void;
  /**
   * An older broker's retained `$SYS/Coreflux/Actions/<name>/Description`, as plain text or `{"description": ...}`
   * (current brokers publish none: Coreflux's $SYS topic reference lists no Description topic).
   */
  publishActionDescription(name: string, description: string, format: 'text' | 'json'): void;
  /**
   * Publishes broker state on `$SYS/Coreflux/<topic>` as the broker does: retained (Version, License/Status,
   * Actions/<name>/Error), or as an entity snapshot for Actions/Models/Routes/Rules/<name> and Routes/<name>/status.
   * An empty payload clears it.
   */
  publishSys(topic: string, payload: string): void;
  /** Resolves once everything the emulator has published so far (answers, retained topics, traces) is out. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface CorefluxBrokerOptions {
  /** Accounts in addition to COREFLUX_TEST_USER (an entry with that name replaces it). */
  users?: Record<string, CorefluxAccount>;
  /** Accept CONNECTs without a username (as a non-system user). Default false. */
  allowAnonymous?: boolean;
  /** Retained on `$SYS/Coreflux/Version` from the start (a real broker always publishes it; default: nothing). */
  version?: string;
  /** Retained on `$SYS/Coreflux/License/Status` from the start (JSON: tier, expiry, connections; default: nothing). */
  license?: string;
}

const SYS = /^\$SYS(?:\/|$)/;

/** MQTT filter matching (the emulator's own `$SYS` deliveries only; wildcards never start these filters). */
function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

function authError(returnCode: 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

interface RetainedSource {
  createRetainedStreamCombi(patterns: string[]): Readable;
}

/**
 * aedes keeps live messages on `$` topics away from filters that start with a wildcard, but its retained store
 * does not ([MQTT-4.7.2-1] covers both): a new `#` subscriber would receive every retained `$SYS` message. This
 * filters the retained stream per pattern.
 */
function keepWildcardsOffDollarTopics(broker: Aedes): void {
  const persistence = (broker as unknown as { persistence: RetainedSource }).persistence;
  const original = persistence.createRetainedStreamCombi.bind(persistence);
  async function* retained(patterns: string[]): AsyncGenerator<AedesPublishPacket> {
    for (const pattern of patterns) {
      const wildcardFirst = pattern.startsWith('#') || pattern.startsWith('+');
      for await (const packet of original([pattern]) as AsyncIterable<AedesPublishPacket>) {
        if (!(wildcardFirst && packet.topic.startsWith('$'))) yield packet;
      }
    }
  }
  persistence.createRetainedStreamCombi = (patterns) => Readable.from(retained(patterns));
}

export async function startCorefluxBroker(options: CorefluxBrokerOptions = {}): Promise<CorefluxBroker> {
  const accounts = new Map<string, CorefluxAccount>([
    [COREFLUX_TEST_USER, { password: COREFLUX_TEST_PASSWORD, system: true }],
    ...Object.entries(options.users ?? {}),
  ]);
  const connections: ConnectionRecord[] = [];
  const subscriptions: CorefluxBroker['subscriptions'] = [];
  const retainedTopics = new Set<string>();
  /** The authenticated username of each client; undefined for anonymous clients. */
  const clientUsers = new WeakMap<Client, string | undefined>();
  const connectionOf = new WeakMap<Client, ConnectionRecord>();
  let traces = 0;

  const broker: Aedes = await Aedes.createBroker({
    preConnect(client, packet, callback) {
      const record: ConnectionRecord = { clientId: packet.clientId, protocolVersion: packet.protocolVersion ?? 4 };
      if (packet.username !== undefined) record.user = packet.username;
      // aedes refuses anything but MQTT 3.1/3.1.1 with return code 1 before authenticating.
      if (record.protocolVersion < 3 || record.protocolVersion > 4) record.returnCode = 1;
      connections.push(record);
      connectionOf.set(client, record);
      callback(null, true);
    },
    authenticate(client, username, password, done) {
      const record = connectionOf.get(client);
      const refuse = (returnCode: 4 | 5, message: string) => {
        if (record) record.returnCode = returnCode;
        done(authError(returnCode, message), null);
      };
      const accept = (user: string | undefined) => {
        if (record) record.returnCode = 0;
        clientUsers.set(client, user);
        done(null, true);
      };
      if (username === undefined || username === '') return options.allowAnonymous ? accept(undefined) : refuse(5, 'not authorized');
      const account = accounts.get(username);
      if (!account || password === undefined || password.toString('utf8') !== account.password) return refuse(4, 'bad username or password');
      accept(username);
    },
    authorizePublish(client, packet, callback) {
      if (client && packet.topic === COMMAND_TOPIC) {
        packet.retain = false;
        return callback(null);
      }
      if (client && SYS.test(packet.topic)) return callback(new Error(`${packet.topic}: $SYS topics are reserved`));
      callback(null);
    },
    authorizeSubscribe(client, subscription, callback) {
      if (SYS.test(subscription.topic)) {
        const user = clientUsers.get(client);
        const system = user !== undefined && accounts.get(user)?.system === true;
        if (system) subscriptions.push({ user, topic: subscription.topic, qos: subscription.qos });
        return callback(null, system ? subscription : null);
      }
      subscriptions.push({ user: clientUsers.get(client), topic: subscription.topic, qos: subscription.qos });
      callback(null, subscription);
    },
    authorizeForward(_client, packet) {
      return packet.topic.startsWith(`$SYS/${broker.id}/`) ? null : packet;
    },
    published(packet, client, callback) {
      if (client && packet.topic === COMMAND_TOPIC) handleCommand(client, packet.payload.toString());
      callback(null);
    },
  });
  keepWildcardsOffDollarTopics(broker);
  // The CONNACK actually sent has the last word (the write completes after the client may already have read it).
  broker.on('connackSent', (packet, client) => {
    const record = connectionOf.get(client);
    if (record) record.returnCode = packet.returnCode ?? packet.reasonCode ?? 0;
  });

  // The emulator's own messages go out one after the other. aedes numbers every message and a client drops one
  // numbered below the last it received, so a retained message (stored asynchronously first) that is overtaken by
  // a later message would silently never reach clients that get both.
  let outgoing: Promise<void> = Promise.resolve();
  function publish(topic: string, payload: string, retain: boolean): void {
    const packet = { cmd: 'publish' as const, topic, payload: Buffer.from(payload, 'utf8'), qos: 0 as const, retain, dup: false };
    outgoing = outgoing.then(() => new Promise<void>((resolve) => broker.publish(packet, () => resolve())));
  }

  // Entity snapshots (`$SYS/Coreflux/Actions/<name>`: the LoT source) are state, but Coreflux delivers them to a new
  // subscriber without the retain flag (Coreflux's own MCP client keeps them for that reason): they are kept here
  // and sent to each new matching subscription as plain messages, and changes go out live, also without the flag.
  const snapshots = new Map<string, string>();
  const isSnapshot = (topic: string) => /^\$SYS\/Coreflux\/(Actions|Models|Routes|Rules)\/[^/]+$|^\$SYS\/Coreflux\/Routes\/[^/]+\/status$/.test(topic);
  broker.on('subscribe', (subscriptions, client) => {
    for (const { topic: filter, qos } of subscriptions) {
      if ((qos as number) === 128 || !filter.startsWith('$')) continue;
      for (const [topic, payload] of snapshots) {
        if (filterMatches(filter, topic)) client.publish({ cmd: 'publish', topic, payload: Buffer.from(payload, 'utf8'), qos: 0, retain: false, dup: false }, () => undefined);
      }
    }
  });

  const effects: CommandEffects = {
    retain(topic, payload) {
      if (isSnapshot(topic)) {
        if (payload === '' ? !snapshots.delete(topic) : (snapshots.set(topic, payload), false)) return;
        return publish(topic, payload, false);
      }
      if (payload === '') {
        if (!retainedTopics.delete(topic)) return;
      } else {
        retainedTopics.add(topic);
      }
      publish(topic, payload, true);
    },
    publish: (topic, payload) => publish(topic, payload, false),
    nextTraceId: () => `trace-${String(++traces).padStart(4, '0')}`,
  };

  if (options.version !== undefined) effects.retain('$SYS/Coreflux/Version', options.version);
  if (options.license !== undefined) effects.retain('$SYS/Coreflux/License/Status', options.license);

  const desk = createDesk(effects);
  const { commands, state } = desk;

  function handleCommand(client: Client, payload: string): void {
    const answer = desk.handle(payload, clientUsers.get(client));
    if (answer !== undefined) publish(OUTPUT_TOPIC, answer, false);
  }

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    commands,
    connections,
    state,
    subscriptions,
    setMode: (next) => desk.setMode(next),
    setRequestIdSupport: (next) => desk.setRequestIdSupport(next),
    setDiagnosticForm: (next) => desk.setDiagnosticForm(next),
    denyCommandCall: (user) => desk.denyCommandCall(user),
    publishActionDescription(name, description, format) {
      effects.retain(`${ACTIONS_PREFIX}${name}/Description`, format === 'json' ? JSON.stringify({ description }) : description);
    },
    publishSys: (topic, payload) => effects.retain(`$SYS/Coreflux/${topic}`, payload),
    flush: () => outgoing,
    async close() {
      await outgoing;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
