// Commands the Coreflux emulator never answers (silent mode, a user without the CommandCall right, -updateData):
// Bastion gives up after MQTT_COMMAND_TIMEOUT with a clear message and never sends the command a second time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { runId, startBastionOnCoreflux, startCoreflux, waitConnected } from '../helpers/coreflux.js';

const RUN = runId();
const OPERATOR = { user: 'operator', password: 'operator-canary-pw-8Rn2' };

const timeoutMessage = (verb: string) =>
  `Coreflux did not answer -${verb} within 1 s. The command was sent once and not repeated; it may still have been applied ` +
  '(check with coreflux_lot_diagnostic). No answer also happens when the user lacks the CommandCall right.';

let broker: CorefluxBroker;
let bastion: Bastion;
let operator: Bastion;

beforeAll(async () => {
  broker = await startCoreflux({ users: { [OPERATOR.user]: { password: OPERATOR.password, system: true } } });
  broker.denyCommandCall(OPERATOR.user);
  [bastion, operator] = await Promise.all([
    // The id is always sent here, so that every command of the silent broker can be told apart in its log.
    startBastionOnCoreflux(broker, { MQTT_COMMAND_TIMEOUT: '1', MQTT_COMMAND_REQUEST_ID: 'always' }),
    startBastionOnCoreflux(broker, { MQTT_COMMAND_TIMEOUT: '1', MQTT_USER: OPERATOR.user, MQTT_PASSWORD: OPERATOR.password }),
  ]);
  await Promise.all([waitConnected(bastion), waitConnected(operator)]);
});
afterAll(async () => {
  broker?.setMode('json');
  await bastion?.close();
  await operator?.close();
  await broker?.close();
});

/** Commands received with a payload starting this way. */
const matching = (start: string) => broker.commands.filter((record) => record.payload.startsWith(start));

describe('a broker that stays silent', () => {
  beforeAll(() => broker.setMode('silent'));
  afterAll(() => broker.setMode('json'));

  it('times out an add, says it was sent once and not repeated, and the log holds exactly one command', async () => {
    const definition = `DEFINE MODEL Quiet${RUN} WITH TOPIC "plant/quiet"`;
    const result = await call(bastion, 'coreflux_add_model', { definition });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(timeoutMessage('addModel'));
    const sent = matching(`-addModel ${definition}`);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.requestId).toMatch(/^bastion-[0-9a-f]{8}$/);
    // Silence is not failure: the emulator applied it, as a real broker may have.
    expect(broker.state.models.has(`Quiet${RUN}`)).toBe(true);
  });

  it('never repeats an action run that got no answer', async () => {
    broker.setMode('json');
    expect((await call(bastion, 'coreflux_add_action', { definition: `DEFINE ACTION Once${RUN}\nDO\n    PUBLISH TOPIC "plant/once" WITH "x"` })).isError).toBeFalsy();
    broker.setMode('silent');
    const result = await call(bastion, 'coreflux_run_action', { name: `Once${RUN}`, input: { n: 1 } });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(timeoutMessage('runAction'));
    // A later command that is answered shows the channel still works, and the run was not sent again meanwhile.
    broker.setMode('json');
    const diagnostic = await call(bastion, 'coreflux_lot_diagnostic', { kind: 'model', name: `Quiet${RUN}` });
    expect(diagnostic.isError, diagnostic.text).toBeFalsy();
    expect(matching(`-runAction Once${RUN}`)).toHaveLength(1);
    expect(matching(`-addModel DEFINE MODEL Quiet${RUN}`)).toHaveLength(1);
  });

  it('times out -updateData, which Coreflux never answers, in any mode', async () => {
    broker.setMode('json');
    const result = await call(bastion, 'coreflux_broker_command', { verb: 'updateData', args: `plant/${RUN} 1` });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(timeoutMessage('updateData'));
    expect(matching(`-updateData plant/${RUN} 1`)).toHaveLength(1);
  });
});

describe('a user without the CommandCall right', () => {
  it('times out with the hint about CommandCall; the command is logged once and not applied', async () => {
    const definition = `DEFINE MODEL Denied${RUN} WITH TOPIC "plant/denied"`;
    const result = await call(operator, 'coreflux_add_model', { definition });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(timeoutMessage('addModel'));
    expect(result.text).toContain('lacks the CommandCall right');
    const sent = matching(`-addModel ${definition}`);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.user).toBe(OPERATOR.user);
    expect(broker.state.models.has(`Denied${RUN}`)).toBe(false);
    // The same command from a user with the right is answered.
    const allowed = await call(bastion, 'coreflux_add_model', { definition });
    expect(allowed.isError, allowed.text).toBeFalsy();
    expect(matching(`-addModel ${definition}`)).toHaveLength(2);
  });
});
