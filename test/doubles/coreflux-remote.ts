// The Coreflux command channel played by an MQTT 5 client of a real broker (the test Mosquitto): Bastion talks
// MQTT 5 to a real broker, and this emulator answers over it. The same command desk as the aedes emulator.
//
//   const emulator = await startCorefluxOnBroker({ url, username, password, prefix: `coreflux-${runId()}` });
//   Bastion gets MQTT_COMMAND_TOPIC=emulator.commandTopic; actions live under `<prefix>/Coreflux/Actions/`.
//
// Mosquitto drops client PUBLISHes to `$SYS/...` (coreflux-mqtt.md §11), so the emulator's topics live under a
// prefix of their own instead of `$SYS`; a fresh prefix per test run keeps concurrent runs on the shared broker
// apart. The emulator cannot tell who published a command (MQTT carries no sender), so records have no `user`,
// and the CommandCall right cannot be emulated here (the aedes emulator does that). Entity snapshots
// (`<prefix>/Coreflux/Actions/<name>`) are retained on Mosquitto, which flags them as retained when it delivers them
// to a new subscriber; a real Coreflux broker sends them without the flag (the aedes emulator does that).
import mqtt, { type MqttClient } from 'mqtt';
import { ACTIONS_PREFIX, SYS_PREFIX, type CommandEffects, type CommandRecord, type CorefluxState, type DiagnosticForm } from './coreflux/commands.js';
import { createDesk, type CorefluxMode, type RequestIdSupport } from './coreflux/desk.js';

export interface RemoteCorefluxOptions {
  url: string;
  username: string;
  password: string;
  /** Topic prefix replacing `$SYS`, e.g. `coreflux-<run id>`: commands arrive on `<prefix>/Coreflux/Command`. */
  prefix: string;
}

export interface RemoteCoreflux {
  /** `<prefix>/Coreflux/Command`: give it to Bastion as MQTT_COMMAND_TOPIC. */
  commandTopic: string;
  outputTopic: string;
  /** `<prefix>/Coreflux/Actions/`. */
  actionsPrefix: string;
  commands: CommandRecord[];
  state: CorefluxState;
  /** Publish and connection errors of the emulator's own client. */
  errors: Error[];
  setMode(mode: CorefluxMode): void;
  setRequestIdSupport(support: RequestIdSupport): void;
  /** Which -lotDiagnostic the broker has: `entity` (current, default) or `value` (older brokers). */
  setDiagnosticForm(form: DiagnosticForm): void;
  /** An older broker's retained `<prefix>/Coreflux/Actions/<name>/Description`, as plain text or `{"description": ...}`. */
  publishActionDescription(name: string, description: string, format: 'text' | 'json'): void;
  /** Resolves once everything the emulator has published so far has been acknowledged by the broker. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startCorefluxOnBroker(options: RemoteCorefluxOptions): Promise<RemoteCoreflux> {
  const base = `${options.prefix}/Coreflux`;
  const commandTopic = `${base}/Command`;
  const outputTopic = `${commandTopic}/Output`;
  const actionsPrefix = `${base}/Actions/`;
  // The desk speaks in `$SYS/Coreflux/...` topics; here they live under the prefix.
  const local = (topic: string) => (topic.startsWith(SYS_PREFIX) ? `${base}/${topic.slice(SYS_PREFIX.length)}` : topic);

  const client: MqttClient = await mqtt.connectAsync(options.url, {
    username: options.username,
    password: options.password,
    protocolVersion: 5,
    clientId: `coreflux-emulator-${options.prefix}`.slice(0, 64),
    reconnectPeriod: 0,
  });
  // Publishes go out in order, each acknowledged (QoS 1) before the next, so that flush() means "on the broker".
  let outgoing: Promise<void> = Promise.resolve();
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  const retained = new Set<string>();
  const publish = (topic: string, payload: string, retain: boolean) => {
    if (retain) {
      if (payload === '') retained.delete(local(topic));
      else retained.add(local(topic));
    }
    // A failed publish is kept for the tests to see and does not stop the ones after it.
    outgoing = outgoing.then(() => client.publishAsync(local(topic), payload, { qos: 1, retain }).then(() => undefined, (error: Error) => void errors.push(error)));
  };
  let traces = 0;
  const effects: CommandEffects = {
    retain: (topic, payload) => publish(topic, payload, true),
    publish: (topic, payload) => publish(topic, payload, false),
    nextTraceId: () => `trace-${String(++traces).padStart(4, '0')}`,
  };
  const desk = createDesk(effects);
  client.on('message', (topic, payload) => {
    if (topic !== commandTopic) return;
    const answer = desk.handle(payload.toString('utf8'), undefined);
    if (answer !== undefined) publish(outputTopic, answer, false);
  });
  await client.subscribeAsync(commandTopic, { qos: 1 });

  return {
    commandTopic,
    outputTopic,
    actionsPrefix,
    commands: desk.commands,
    state: desk.state,
    errors,
    setMode: (mode) => desk.setMode(mode),
    setRequestIdSupport: (support) => desk.setRequestIdSupport(support),
    setDiagnosticForm: (form) => desk.setDiagnosticForm(form),
    publishActionDescription(name, description, format) {
      publish(`${ACTIONS_PREFIX}${name}/Description`, format === 'json' ? JSON.stringify({ description }) : description, true);
    },
    flush: () => outgoing,
    async close() {
      await outgoing.catch(() => undefined);
      // Retained entity topics of this run are cleared, so the shared broker keeps no litter.
      for (const topic of retained) await client.publishAsync(topic, '', { qos: 1, retain: true }).catch(() => undefined);
      await client.endAsync(true).catch(() => undefined);
    },
  };
}
