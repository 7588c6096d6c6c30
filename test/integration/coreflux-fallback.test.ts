// The Coreflux connector on a broker without MQTT 5 (the aedes emulator speaks 3.1.1 only): the fallback from
// MQTT 5 to 3.1.1, logins and $SYS rights on that path, and a command answered over 3.1.1 (where answers are routed
// by topic, with no subscription identifiers). The command tools on the MQTT 5 path are in coreflux-lot.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { runId, startBastionOnCoreflux, startCoreflux, waitConnected, waitLastError } from '../helpers/coreflux.js';

const RUN = runId();
const CLIENT_ID = `bastion-fallback-${RUN}`;
/** A user without the SubscribeSys right: it may publish commands but not read their answers. */
const VIEWER_PASSWORD = 'viewer-canary-pw-2Lm6';
const DEFINITION = {
  model: (name: string) => [`DEFINE MODEL ${name} WITH TOPIC "plant/${RUN}/${name}/state"`, `    ADD "temperature" WITH TOPIC "plant/${RUN}/${name}/temp" AS TRIGGER`].join('\n'),
};

let broker: CorefluxBroker;
let bastion: Bastion;

beforeAll(async () => {
  broker = await startCoreflux({ users: { viewer: { password: VIEWER_PASSWORD } } });
  bastion = await startBastionOnCoreflux(broker, { MQTT_CLIENT_ID: CLIENT_ID, MQTT_TOPICS: 'plant/#' });
  await waitConnected(bastion);
});
afterAll(async () => {
  await bastion?.close();
  await broker?.close();
});

/** The commands the emulator received from Bastion since a point in its log. */
const since = (count: number) => broker.commands.slice(count);

describe('connection to a broker without MQTT 5', () => {
  it('tried MQTT 5 first, then connected with MQTT 3.1.1 (the emulator\'s connection log)', async () => {
    const mine = broker.connections.filter((record) => record.clientId === CLIENT_ID);
    expect(mine.map((record) => [record.protocolVersion, record.returnCode])).toEqual([
      [5, 1],
      [4, 0],
    ]);
    expect(mine.every((record) => record.user === 'root')).toBe(true);
    const status = await call(bastion, 'mqtt_broker_status');
    expect(status.structured).toMatchObject({ state: 'connected', protocol: 'MQTT 3.1.1', broker: `mqtt://127.0.0.1:${broker.port}` });
    expect(status.structured.last_error).toBeUndefined();
  });
});

describe('logins and rights on the emulator', () => {
  it('reports a wrong password after the fallback as bad username or password (return code 4)', async () => {
    const clientId = `bastion-wrong-${RUN}`;
    const wrong = await startBastionOnCoreflux(broker, { MQTT_CLIENT_ID: clientId, MQTT_PASSWORD: 'canary-wrong-coreflux-5Tg' });
    try {
      const status = await waitLastError(wrong, /credentials/);
      expect(status).toMatchObject({ protocol: 'MQTT 3.1.1', last_error: 'the broker refused the credentials for user root (bad username or password)' });
      expect(status.state).not.toBe('connected');
      const records = broker.connections.filter((record) => record.clientId === clientId).map((record) => [record.protocolVersion, record.returnCode]);
      expect(records.slice(0, 2)).toEqual([
        [5, 1],
        [4, 4],
      ]);
      // Once on 3.1.1, every retry stays there.
      expect(records.slice(1).every(([version]) => version === 4)).toBe(true);
    } finally {
      await wrong.close();
    }
  });

  it('refuses a command when the user may not read the answers ($SYS subscription denied), without sending it', async () => {
    const viewer = await startBastionOnCoreflux(broker, { MQTT_USER: 'viewer', MQTT_PASSWORD: VIEWER_PASSWORD });
    try {
      await waitConnected(viewer);
      const result = await call(viewer, 'coreflux_add_model', { definition: DEFINITION.model('ViewerModel') });
      expect(result.isError).toBe(true);
      expect(result.text).toBe('The broker refused the subscription to "$SYS/Coreflux/Command/Output" (not authorized or invalid).');
      const listed = await call(viewer, 'coreflux_list_actions', {});
      expect(listed.isError).toBe(true);
      expect(listed.text).toMatch(/^The broker refused the subscription to "\$SYS\/Coreflux\/Actions\/\+/);
      expect(broker.commands.filter((record) => record.user === 'viewer')).toEqual([]);
      expect(broker.state.models.has('ViewerModel')).toBe(false);
    } finally {
      await viewer.close();
    }
  });

  it('keeps the command topic away from the plain MQTT tools (default scope excludes $ topics)', async () => {
    const open = await startBastionOnCoreflux(broker);
    try {
      await waitConnected(open);
      const before = broker.commands.length;
      const publish = await call(open, 'mqtt_publish', { topic: '$SYS/Coreflux/Command', payload: '-removeAllModels' });
      expect(publish.isError).toBe(true);
      expect(publish.text).toBe('Topic "$SYS/Coreflux/Command" is outside the allowed topics (MQTT_TOPICS=#).');
      const read = await call(open, 'mqtt_read_topic', { topic: '$SYS/#', timeout_seconds: 1 });
      expect(read.isError).toBe(true);
      expect(read.text).toContain('outside the allowed topics');
      await broker.flush();
      expect(since(before)).toEqual([]);
    } finally {
      await open.close();
    }
  });
});

describe('commands over MQTT 3.1.1', () => {
  it('adds a model and gets its answer, matched by -requestId', async () => {
    const before = broker.commands.length;
    const added = await call(bastion, 'coreflux_add_model', { definition: DEFINITION.model('Fallback') });
    expect(added.isError, added.text).toBeFalsy();
    expect(added.structured).toMatchObject({ success: true, message: "Model 'Fallback' added successfully!" });
    const sent = since(before).filter((record) => record.verb === 'addModel');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ user: 'root', requestId: added.structured.request_id });
    expect(broker.state.models.has('Fallback')).toBe(true);
  });

  it('subscribes to the command output at QoS 1, as Coreflux\'s own client does', async () => {
    const answered = await call(bastion, 'coreflux_broker_command', { verb: 'frobnicate' });
    expect(answered.text).toMatch(/^Coreflux refused -frobnicate: Unknown command/);
    const output = broker.subscriptions.filter((entry) => entry.user === 'root' && entry.topic === '$SYS/Coreflux/Command/Output');
    expect(output.length).toBeGreaterThan(0);
    expect(output.map((entry) => entry.qos)).toEqual(output.map(() => 1));
  });
});
