// Self-check of the Coreflux doubles: the broker emulator must behave like a Coreflux broker on the command channel
// and like an MQTT 3.1.1 broker otherwise; the Copilot and verifier doubles must answer like those services.
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_TOPIC,
  COREFLUX_TEST_PASSWORD,
  COREFLUX_TEST_USER,
  OUTPUT_TOPIC,
  parseCommand,
  startCorefluxBroker,
  type CorefluxBroker,
} from '../doubles/coreflux.js';
import {
  COPILOT_CONTENT,
  COPILOT_NON_JSON_BODY,
  COPILOT_PATH,
  COPILOT_TEST_KEY,
  startCopilotDouble,
  startVerifierDouble,
  type CopilotDouble,
  type VerifierDouble,
} from '../doubles/copilot.js';

interface Message {
  topic: string;
  payload: string;
  retain: boolean;
}

const OPERATOR = { user: 'operator', password: 'operator-canary-pw' };
const MALLORY = { user: 'mallory', password: 'mallory-canary-pw' };
const HEARTBEAT = ['DEFINE ACTION Heartbeat', 'DESCRIPTION "Publishes a heartbeat"', 'DO', '    PUBLISH TOPIC "demo/heartbeat" WITH "alive"'].join('\n');

function collect(client: MqttClient): Message[] {
  const messages: Message[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  return messages;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 2000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Coreflux broker emulator', () => {
  let broker: CorefluxBroker;
  const clients: MqttClient[] = [];

  async function connectAs(user?: string, password?: string, extra: IClientOptions = {}): Promise<MqttClient> {
    const options: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3000, ...extra };
    if (user !== undefined) options.username = user;
    if (password !== undefined) options.password = password;
    const client = await connectAsync(broker.url, options);
    clients.push(client);
    return client;
  }

  /** A system-user client subscribed to the Output topic, and what it has received. */
  async function admin(): Promise<{ client: MqttClient; inbox: Message[]; send: (payload: string, timeoutMs?: number) => Promise<string | undefined> }> {
    const client = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
    const inbox = collect(client);
    await client.subscribeAsync(OUTPUT_TOPIC);
    const send = async (payload: string, timeoutMs = 2000) => {
      const start = inbox.length;
      await client.publishAsync(COMMAND_TOPIC, payload);
      const output = await waitFor(() => inbox.slice(start).find((message) => message.topic === OUTPUT_TOPIC), timeoutMs);
      return output?.payload;
    };
    return { client, inbox, send };
  }

  beforeAll(async () => {
    broker = await startCorefluxBroker({ users: { [OPERATOR.user]: { password: OPERATOR.password }, [MALLORY.user]: { password: MALLORY.password } } });
  });
  afterEach(async () => {
    broker.setMode('json');
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  });
  afterAll(async () => {
    await broker.close();
  });

  describe('CONNECT', () => {
    it('accepts the test user over MQTT 3.1.1 and records the connection', async () => {
      expect(COREFLUX_TEST_PASSWORD).toContain('canary');
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      const client = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD, { clientId: 'cf-ok' });
      expect(client.connected).toBe(true);
      expect(broker.connections.find((record) => record.clientId === 'cf-ok')).toEqual({ clientId: 'cf-ok', user: COREFLUX_TEST_USER, protocolVersion: 4, returnCode: 0 });
    });

    it('refuses a wrong password or an unknown user with return code 4', async () => {
      const refused = { code: 4, message: 'Connection refused: Bad username or password' };
      await expect(connectAs(COREFLUX_TEST_USER, 'wrong')).rejects.toMatchObject(refused);
      await expect(connectAs('nobody', COREFLUX_TEST_PASSWORD)).rejects.toMatchObject(refused);
    });

    it('refuses a CONNECT without credentials with return code 5', async () => {
      await expect(connectAs()).rejects.toMatchObject({ code: 5, message: 'Connection refused: Not authorized' });
    });

    it('refuses MQTT 5 with return code 1 (aedes speaks 3.1/3.1.1 only)', async () => {
      await expect(connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD, { protocolVersion: 5, clientId: 'cf-v5' })).rejects.toMatchObject({
        code: 1,
        message: 'Connection refused: Unacceptable protocol version',
      });
      expect(broker.connections.find((record) => record.clientId === 'cf-v5')).toMatchObject({ protocolVersion: 5, returnCode: 1 });
    });
  });

  describe('topics and rights', () => {
    it('denies $SYS subscriptions to a non-system user with 0x80 and grants the rest', async () => {
      const client = await connectAs(OPERATOR.user, OPERATOR.password);
      await expect(client.subscribeAsync(OUTPUT_TOPIC)).rejects.toMatchObject({ packet: { granted: [128] } });
      await expect(client.subscribeAsync('$SYS/#')).rejects.toMatchObject({ packet: { granted: [128] } });
      await expect(client.subscribeAsync('plant/#')).resolves.toEqual([{ topic: 'plant/#', qos: 0 }]);
      const root = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      await expect(root.subscribeAsync(OUTPUT_TOPIC)).resolves.toEqual([{ topic: OUTPUT_TOPIC, qos: 0 }]);
    });

    it('keeps retained messages and delivers them on subscribe', async () => {
      const publisher = await connectAs(OPERATOR.user, OPERATOR.password);
      await publisher.publishAsync('plant/line1/temp', '23.5', { retain: true });
      const reader = await connectAs(OPERATOR.user, OPERATOR.password);
      const inbox = collect(reader);
      await reader.subscribeAsync('plant/line1/temp');
      expect(await waitFor(() => inbox[0])).toEqual({ topic: 'plant/line1/temp', payload: '23.5', retain: true });
    });

    it('never delivers $ topics to # or +/... subscribers, retained or live', async () => {
      broker.publishActionDescription('Hidden', 'retained on $SYS', 'text');
      const { send } = await admin();
      const watcher = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      const inbox = collect(watcher);
      await watcher.subscribeAsync(['#', '+/Coreflux/#']);
      expect(await send('-lotDiagnostic action Nope')).toBeDefined();
      await watcher.publishAsync('plant/visible', 'yes');
      expect(await waitFor(() => inbox.find((message) => message.topic === 'plant/visible'))).toBeDefined();
      await settle();
      expect(inbox.filter((message) => message.topic.startsWith('$'))).toEqual([]);
    });

    it('hides aedes housekeeping topics from $SYS/# subscribers', async () => {
      const watcher = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      const inbox = collect(watcher);
      await watcher.subscribeAsync('$SYS/#');
      await connectAs(OPERATOR.user, OPERATOR.password);
      await settle();
      expect(inbox.filter((message) => !message.topic.startsWith('$SYS/Coreflux/'))).toEqual([]);
    });

    it('drops the connection of a client that publishes to another $SYS topic', async () => {
      const client = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish('$SYS/Coreflux/Version', '9.9');
      await closed;
      expect(client.connected).toBe(false);
    });
  });

  describe('command channel', () => {
    it('parses verbs, kebab aliases, quoted tokens and a trailing request id', () => {
      expect(parseCommand('-addAction DEFINE ACTION A\nDO\n  PUBLISH TOPIC "x" WITH "y" -requestId r-1')).toEqual({
        rawVerb: '-addAction',
        verb: 'addAction',
        rest: 'DEFINE ACTION A\nDO\n  PUBLISH TOPIC "x" WITH "y"',
        requestId: 'r-1',
      });
      expect(parseCommand('--run-action Pump {"speed": 3} --request-id "req 2"')).toEqual({ rawVerb: '--run-action', verb: 'runAction', rest: 'Pump {"speed": 3}', requestId: 'req 2' });
      expect(parseCommand('-updateData')).toEqual({ rawVerb: '-updateData', verb: 'updateData', rest: '' });
    });

    it('answers a command carrying -requestId with an envelope that echoes it', async () => {
      const { send } = await admin();
      const output = await send('-addModel DEFINE MODEL Tank WITH TOPIC "plant/tank"\n    ADD "level" WITH TOPIC "plant/tank/level" AS TRIGGER -requestId r-17');
      expect(JSON.parse(output!)).toEqual({
        success: true,
        command: 'AddModel',
        requestId: 'r-17',
        message: "Model 'Tank' added successfully!",
        entityType: 'Model',
        entityName: 'Tank',
        data: {},
      });
      expect(broker.state.models.get('Tank')).toContain('ADD "level"');
      expect(broker.commands.at(-1)).toEqual({ user: COREFLUX_TEST_USER, payload: expect.stringContaining('-addModel'), verb: 'addModel', requestId: 'r-17' });
    });

    it('answers without a request id with requestId null', async () => {
      const { send } = await admin();
      expect(JSON.parse((await send('-addRule DEFINE RULE OnlyRoot WITH PRIORITY 100 FOR Publish TO TOPIC "#"'))!)).toMatchObject({ success: true, requestId: null, entityName: 'OnlyRoot' });
      expect(JSON.parse((await send('-removeRule OnlyRoot'))!)).toMatchObject({ success: true, message: "Rule 'OnlyRoot' removed successfully!" });
      expect(broker.state.rules.has('OnlyRoot')).toBe(false);
    });

    it('fails a definition without a valid DEFINE header, with a positioned error', async () => {
      const { send } = await admin();
      const wrongKind = JSON.parse((await send('-addAction DEFINE MODEL Tank WITH TOPIC "t" -requestId r-3'))!);
      expect(wrongKind).toEqual({
        success: false,
        command: 'AddAction',
        requestId: 'r-3',
        message: 'Failed to add action: Expected DEFINE ACTION, found DEFINE MODEL',
        errors: [{ message: 'Expected DEFINE ACTION, found DEFINE MODEL', line: 1, column: 8, sourceLines: ['DEFINE MODEL Tank WITH TOPIC "t"'], suggestions: ['Start with DEFINE ACTION <Name>'] }],
      });
      const noDefinition = JSON.parse((await send('-addRoute'))!);
      expect(noDefinition).toMatchObject({ success: false, errors: [{ message: 'Empty definition', line: 1, column: 1 }] });
      const badName = JSON.parse((await send('-addRoute DEFINE ROUTE 9lives WITH TYPE MQTT_BRIDGE'))!);
      expect(badName.errors[0]).toMatchObject({ message: "Invalid route name '9lives'", line: 1, column: 14 });
      const untyped = JSON.parse((await send('-addRoute DEFINE ROUTE Bridge\n    ADD SOURCE_CONFIG\n        WITH BROKER SELF'))!);
      expect(untyped.errors[0]).toMatchObject({ message: 'Expected WITH TYPE <route type> after DEFINE ROUTE Bridge', line: 1, column: 21 });
      expect(broker.state.routes.size).toBe(0);
      const typed = JSON.parse((await send("-addRoute DEFINE ROUTE Bridge WITH TYPE MQTT_BRIDGE\n    ADD DESTINATION_CONFIG\n        WITH BROKER_ADDRESS \"127.0.0.1\"\n        WITH BROKER_PORT '1883'"))!);
      expect(typed).toMatchObject({ success: true, entityType: 'Route', entityName: 'Bridge' });
      expect(JSON.parse((await send('-removeRoute Bridge'))!)).toMatchObject({ success: true });
    });

    it('fails removing an unknown entity and names an unknown command', async () => {
      const { send } = await admin();
      expect(JSON.parse((await send('-removeAction Ghost -requestId r-4'))!)).toEqual({
        success: false,
        command: 'RemoveAction',
        requestId: 'r-4',
        message: "Action 'Ghost' not found",
        errors: [{ message: "Action 'Ghost' not found" }],
      });
      expect(JSON.parse((await send('-frobnicate now -requestId r-5'))!)).toMatchObject({ success: false, requestId: 'r-5', message: 'Unknown command: -frobnicate' });
      expect(JSON.parse((await send('-removeAllActions'))!)).toMatchObject({ success: false, message: 'Unknown command: -removeAllActions' });
    });

    it('adds, runs, diagnoses and removes an action', async () => {
      const { client, inbox, send } = await admin();
      await client.subscribeAsync(['$SYS/Coreflux/Actions/#', 'demo/heartbeat']);
      const added = JSON.parse((await send(`-addAction ${HEARTBEAT} -requestId a-1`))!);
      expect(added).toMatchObject({ success: true, entityType: 'Action', entityName: 'Heartbeat' });
      expect(broker.state.actions.get('Heartbeat')).toBe(HEARTBEAT);
      expect(await waitFor(() => inbox.find((message) => message.topic === '$SYS/Coreflux/Actions/Heartbeat'))).toMatchObject({ payload: HEARTBEAT });

      const ran = JSON.parse((await send('-runAction Heartbeat {"reason": "test"} -requestId a-2'))!);
      expect(ran).toEqual({
        success: true,
        command: 'RunAction',
        requestId: 'a-2',
        message: "Action 'Heartbeat' executed successfully",
        entityType: 'Action',
        entityName: 'Heartbeat',
        data: { traceId: expect.stringMatching(/^trace-\d+$/), status: 'completed', published: [{ topic: 'demo/heartbeat', payload: 'alive' }] },
      });
      const trace = await waitFor(() => inbox.find((message) => message.topic === '$SYS/Coreflux/Actions/Heartbeat/Trace'));
      expect(JSON.parse(trace!.payload)).toMatchObject({ traceId: ran.data.traceId, action: 'Heartbeat', status: 'completed', input: { reason: 'test' } });
      expect(inbox.find((message) => message.topic === 'demo/heartbeat')).toMatchObject({ payload: 'alive' });

      expect(JSON.parse((await send('-runAction Heartbeat {oops'))!)).toMatchObject({ success: false, message: expect.stringContaining('Invalid JSON input') });
      expect(JSON.parse((await send('-runAction Missing'))!)).toMatchObject({ success: false, message: "Action 'Missing' not found" });

      const diagnostic = JSON.parse((await send('-lotDiagnostic action Heartbeat'))!);
      expect(diagnostic).toMatchObject({ success: true, entityType: 'Action', entityName: 'Heartbeat', data: { source: HEARTBEAT } });
      expect(JSON.parse((await send('-lotDiagnostic widget Heartbeat'))!)).toMatchObject({ success: false });

      expect(JSON.parse((await send('-removeAction Heartbeat'))!)).toMatchObject({ success: true, message: "Action 'Heartbeat' removed successfully!" });
      expect(broker.state.actions.has('Heartbeat')).toBe(false);
      const later = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      const laterInbox = collect(later);
      await later.subscribeAsync('$SYS/Coreflux/Actions/Heartbeat/#');
      await later.subscribeAsync('$SYS/Coreflux/Actions/Heartbeat');
      await settle();
      expect(laterInbox).toEqual([]);
    });

    it("answers with the message text only in 'plain' mode", async () => {
      const { send } = await admin();
      broker.setMode('plain');
      expect(await send('-removeModel Nothing -requestId p-1')).toBe("Model 'Nothing' not found");
      expect(await send('-bogus')).toBe('Unknown command: -bogus');
    });

    it("runs commands but never answers in 'silent' mode", async () => {
      const { send } = await admin();
      broker.setMode('silent');
      expect(await send('-addModel DEFINE MODEL Quiet WITH TOPIC "q" -requestId s-1', 300)).toBeUndefined();
      expect(broker.state.models.has('Quiet')).toBe(true);
      expect(broker.commands.at(-1)).toMatchObject({ verb: 'addModel', requestId: 's-1' });
    });

    it('never answers -updateData', async () => {
      const { send } = await admin();
      expect(await send('-updateData plant/tank 42 -requestId u-1', 300)).toBeUndefined();
      expect(broker.commands.at(-1)).toMatchObject({ verb: 'updateData', requestId: 'u-1' });
    });

    it('neither runs nor answers commands of a user without CommandCall', async () => {
      const { inbox } = await admin();
      broker.denyCommandCall(MALLORY.user);
      const mallory = await connectAs(MALLORY.user, MALLORY.password);
      await mallory.publishAsync(COMMAND_TOPIC, '-addModel DEFINE MODEL Sneaky WITH TOPIC "s" -requestId m-1');
      await settle(300);
      expect(inbox.filter((message) => message.topic === OUTPUT_TOPIC)).toEqual([]);
      expect(broker.state.models.has('Sneaky')).toBe(false);
      expect(broker.commands.at(-1)).toEqual({ user: MALLORY.user, payload: expect.stringContaining('Sneaky'), verb: 'addModel', requestId: 'm-1' });
    });

    it('lets a non-system user run commands it cannot read the answers of', async () => {
      const { inbox, send } = await admin();
      const operator = await connectAs(OPERATOR.user, OPERATOR.password);
      await operator.publishAsync(COMMAND_TOPIC, '-addModel DEFINE MODEL ByOperator WITH TOPIC "o" -requestId op-1');
      // The answer goes to every Output subscriber, here only the administrator.
      const answer = await waitFor(() => inbox.find((message) => message.topic === OUTPUT_TOPIC));
      expect(JSON.parse(answer!.payload)).toMatchObject({ success: true, requestId: 'op-1', entityName: 'ByOperator' });
      expect(broker.state.models.has('ByOperator')).toBe(true);
      expect(broker.commands.at(-1)).toMatchObject({ user: OPERATOR.user, verb: 'addModel' });
      expect(await send('-removeModel ByOperator')).toContain('removed successfully');
    });
  });

  describe('action discovery', () => {
    it('sends the LoT source to new subscribers without the retain flag and publishes no Description topic, as current brokers do', async () => {
      const { send } = await admin();
      await send(`-addAction ${HEARTBEAT}`);
      const discoverer = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      const inbox = collect(discoverer);
      await discoverer.subscribeAsync(['$SYS/Coreflux/Actions/+', '$SYS/Coreflux/Actions/+/Description']);
      expect(await waitFor(() => inbox.find((message) => message.topic === '$SYS/Coreflux/Actions/Heartbeat'))).toEqual({ topic: '$SYS/Coreflux/Actions/Heartbeat', payload: HEARTBEAT, retain: false });
      await settle();
      expect(inbox.filter((message) => message.topic === '$SYS/Coreflux/Actions/Heartbeat/Description')).toEqual([]);
      await send('-removeAction Heartbeat');
    });

    it("publishes an older broker's retained descriptions on demand, as text or JSON", async () => {
      broker.publishActionDescription('Flush', 'Flushes the line', 'text');
      broker.publishActionDescription('Purge', 'Purges the tank', 'json');
      const discoverer = await connectAs(COREFLUX_TEST_USER, COREFLUX_TEST_PASSWORD);
      const inbox = collect(discoverer);
      await discoverer.subscribeAsync('$SYS/Coreflux/Actions/+/Description');
      const wanted = ['Flush', 'Purge'].map((name) => `$SYS/Coreflux/Actions/${name}/Description`);
      await waitFor(() => (wanted.every((topic) => inbox.some((message) => message.topic === topic)) ? true : undefined));
      const byTopic = Object.fromEntries(inbox.map((message) => [message.topic, message]));
      expect(byTopic['$SYS/Coreflux/Actions/Flush/Description']).toEqual({ topic: '$SYS/Coreflux/Actions/Flush/Description', payload: 'Flushes the line', retain: true });
      expect(JSON.parse(byTopic['$SYS/Coreflux/Actions/Purge/Description']!.payload)).toEqual({ description: 'Purges the tank' });
    });

    it('keeps descriptions away from non-system users', async () => {
      broker.publishActionDescription('Flush', 'Flushes the line', 'text');
      const operator = await connectAs(OPERATOR.user, OPERATOR.password);
      await expect(operator.subscribeAsync('$SYS/Coreflux/Actions/+/Description')).rejects.toMatchObject({ packet: { granted: [128] } });
    });
  });
});

describe('Copilot double', () => {
  let copilot: CopilotDouble;
  const body = {
    messages: [{ role: 'user', content: 'Generate LOT code for the following query: heartbeat every 10 s' }],
    stream: false,
    include_functions_info: false,
    include_retrieval_info: true,
    include_guardrails_info: false,
  };
  const call = (headers: Record<string, string>, payload: unknown = body, signal?: AbortSignal) =>
    fetch(`${copilot.url}${COPILOT_PATH}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers }, body: JSON.stringify(payload), signal });
  const auth = { Authorization: `Bearer ${COPILOT_TEST_KEY}` };

  beforeAll(async () => {
    copilot = await startCopilotDouble();
  });
  afterEach(() => {
    copilot.setMode('ok');
  });
  afterAll(async () => {
    await copilot.close();
  });

  it('answers a chat completion with fenced LoT and records the request', async () => {
    expect(COPILOT_TEST_KEY).toContain('canary');
    const response = await call(auth);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { choices: Array<{ message: { role: string; content: string } }> };
    expect(answer.choices[0]!.message).toEqual({ role: 'assistant', content: COPILOT_CONTENT });
    expect(COPILOT_CONTENT).toMatch(/^```lot\nDEFINE ACTION \w+\n[\s\S]*\n```$/);
    expect(copilot.requests.at(-1)).toMatchObject({ method: 'POST', path: COPILOT_PATH, body, headers: { authorization: auth.Authorization, 'content-type': 'application/json' } });
  });

  it('answers 401 without the key, with a wrong key and in unauthorized mode, never echoing the key', async () => {
    const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong-key-123456' }];
    for (const headers of attempts) {
      const response = await call(headers);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('canary');
    }
    copilot.setMode('unauthorized');
    expect((await call(auth)).status).toBe(401);
  });

  it('validates the OpenAI-style body', async () => {
    expect((await call(auth, { messages: [] })).status).toBe(400);
    expect((await call(auth, { messages: [{ role: 'wizard', content: 'x' }] })).status).toBe(400);
    expect((await call(auth, { messages: [{ role: 'user' }] })).status).toBe(400);
    expect((await call({ ...auth, 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it("answers 200 with a non-JSON body in 'non-json' mode and 500 in 'server-error' mode", async () => {
    copilot.setMode('non-json');
    const response = await call(auth);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe(COPILOT_NON_JSON_BODY);
    copilot.setMode('server-error');
    expect((await call(auth)).status).toBe(500);
  });

  it("does not answer in 'slow' mode", async () => {
    copilot.setMode('slow');
    await expect(call(auth, body, AbortSignal.timeout(300))).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('LoT verifier double', () => {
  let verifier: VerifierDouble;
  const verify = (payload: unknown, contentType = 'application/json') =>
    fetch(verifier.url, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/json', 'User-Agent': 'CorefluxMCP/1.0' },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  beforeAll(async () => {
    verifier = await startVerifierDouble();
  });
  afterAll(async () => {
    await verifier.close();
  });

  it('accepts valid LoT with suggestions, complexity and best practices', async () => {
    expect(verifier.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/validate\/code$/);
    const response = await verify({ code: 'DEFINE ACTION Pump\nDO\n    PUBLISH TOPIC "pump/cmd" WITH "on"', filename: 'pump.lot' });
    expect(response.status).toBe(200);
    const result = (await response.json()) as Record<string, unknown>;
    expect(result).toEqual({
      valid: true,
      warnings: [],
      suggestions: expect.arrayContaining([expect.objectContaining({ category: 'documentation' })]),
      complexity: { score: 3, level: 'low' },
      best_practices: expect.any(Array),
    });
    expect(verifier.requests.at(-1)).toMatchObject({ body: { code: expect.stringContaining('Pump'), filename: 'pump.lot' }, headers: { 'user-agent': 'CorefluxMCP/1.0' } });
  });

  it('reports invalid LoT with line-numbered errors', async () => {
    const response = await verify({ code: 'DEFINE WIDGET Pump\nDO\n    PUBLISH TOPIC "pump/cmd WITH "on"', filename: 'snippet.lot' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      valid: false,
      errors: [
        { line: 1, message: "Unknown entity kind 'WIDGET'; expected MODEL, ACTION, RULE, ROUTE" },
        { line: 3, message: 'Unterminated string literal' },
      ],
    });
  });

  it('answers 400 for empty or missing code and 415 for a non-JSON content type', async () => {
    for (const payload of [{ code: '', filename: 'snippet.lot' }, { filename: 'snippet.lot' }, '']) {
      const response = await verify(payload);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ message: 'Invalid LOT syntax' });
    }
    expect((await verify('DEFINE MODEL M', 'text/plain')).status).toBe(415);
  });
});
