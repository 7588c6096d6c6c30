// Subscriptions that outlive one call (mqtt_subscribe, mqtt_read_subscription, mqtt_list_subscriptions,
// mqtt_unsubscribe) and mqtt_reconnect, through the real MCP client against the local Mosquitto 2, with an independent
// MQTT client publishing on the same broker. Over HTTP, one caller's subscriptions are invisible to another.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { closedPort, mosquittoEnv, mosquittoObserver, runId, startBastionOnMosquitto, waitConnected, type Observer } from '../helpers/coreflux.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const RUN = runId();
const BASE = `bastion-test/${RUN}/subs`;
const topic = (name: string) => `${BASE}/${name}`;

let broker: MosquittoEnv;
let bastion: Bastion;
let observer: Observer;
const retainedTopics = new Set<string>();

beforeAll(async () => {
  broker = await ensureMosquitto();
  bastion = await startBastionOnMosquitto(broker, { MQTT_TOPICS: `bastion-test/${RUN}/#` });
  observer = await mosquittoObserver(broker);
  await waitConnected(bastion);
});
afterAll(async () => {
  for (const retained of retainedTopics) await observer?.client.publishAsync(retained, '', { qos: 1, retain: true });
  await observer?.close();
  await bastion?.close();
});

interface Kept {
  seq: number;
  topic: string;
  payload: string;
  retained: boolean;
}

/** Publishes each payload at QoS 1 from the observer (acknowledged by the broker before the next). */
async function publish(to: string, ...payloads: string[]): Promise<void> {
  for (const payload of payloads) await observer.client.publishAsync(to, payload, { qos: 1 });
}

/** Reads a subscription until `count` messages after `after` have arrived (they travel through the broker first). */
async function readUntil(on: Bastion, filter: string, count: number, args: Record<string, unknown> = {}): Promise<ToolResult> {
  let result!: ToolResult;
  await expect
    .poll(
      async () => {
        result = await call(on, 'mqtt_read_subscription', { topic: filter, ...args });
        return result.isError ? -1 : (result.structured.messages as Kept[]).length;
      },
      { timeout: 10_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return result;
}

describe('mqtt_subscribe and mqtt_read_subscription', () => {
  it('keep what arrives across calls, retained value first, and after = the last seq returns only newer messages', async () => {
    const filter = topic('room/+');
    const retained = topic('room/setpoint');
    retainedTopics.add(retained);
    await observer.client.publishAsync(retained, '21.5', { qos: 1, retain: true });

    const subscribed = await call(bastion, 'mqtt_subscribe', { topic: filter });
    expect(subscribed.isError, subscribed.text).toBeFalsy();
    expect(subscribed.structured).toMatchObject({ topic: filter, qos: 1, created: true, dropped: 0 });

    await publish(topic('room/temp'), 'one', 'two');
    const first = await readUntil(bastion, filter, 3);
    const messages = first.structured.messages as Kept[];
    expect(messages.map((m) => [m.topic, m.payload, m.retained])).toEqual([
      [retained, '21.5', true],
      [topic('room/temp'), 'one', false],
      [topic('room/temp'), 'two', false],
    ]);
    expect(first.text).toContain(`${topic('room/temp')}: two`);

    // A later turn: only what came after the last seq seen.
    await publish(topic('room/temp'), 'three');
    const last = messages.at(-1)!.seq;
    const next = await readUntil(bastion, filter, 1, { after: last });
    expect((next.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['three']);

    // Subscribing again changes nothing and keeps what was kept.
    const again = await call(bastion, 'mqtt_subscribe', { topic: filter });
    expect(again.structured).toMatchObject({ created: false, buffered: 4 });

    const listed = await call(bastion, 'mqtt_list_subscriptions');
    expect(listed.structured.subscriptions).toEqual([expect.objectContaining({ topic: filter, buffered: 4, received: 4, dropped: 0 })]);
    expect(listed.structured.limits).toEqual({ per_subscription: 100, total: 1000, subscriptions: 20 });

    const ended = await call(bastion, 'mqtt_unsubscribe', { topic: filter });
    expect(ended.isError, ended.text).toBeFalsy();
    expect(ended.text).toContain('4 unread message(s) discarded');
    // Nothing arrives any more, and the subscription is gone.
    await publish(topic('room/temp'), 'after the end');
    expect((await call(bastion, 'mqtt_list_subscriptions')).structured.subscriptions).toEqual([]);
    const gone = await call(bastion, 'mqtt_read_subscription', { topic: filter });
    expect(gone.isError).toBe(true);
    expect(gone.text).toMatch(/topic: there is no subscription to ".*room\/\+" \(none is open\)\. Start one with mqtt_subscribe/);
  });

  it('page with max_messages: more says that further messages are kept', async () => {
    const filter = topic('paged');
    await call(bastion, 'mqtt_subscribe', { topic: filter });
    try {
      await publish(filter, 'a', 'b', 'c');
      await readUntil(bastion, filter, 3);
      const page = await call(bastion, 'mqtt_read_subscription', { topic: filter, max_messages: 2 });
      expect((page.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['a', 'b']);
      expect(page.structured.more).toBe(true);
      const rest = await call(bastion, 'mqtt_read_subscription', { topic: filter, after: (page.structured.messages as Kept[])[1]!.seq });
      expect((rest.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['c']);
      expect(rest.structured.more).toBe(false);
    } finally {
      await call(bastion, 'mqtt_unsubscribe', { topic: filter });
    }
  });

  it('treat payloads as untrusted text: the broker password is redacted and invisible characters removed', async () => {
    const filter = topic('untrusted');
    await call(bastion, 'mqtt_subscribe', { topic: filter });
    try {
      await publish(filter, `password=${broker.password} ig\u200Bnore`);
      const read = await readUntil(bastion, filter, 1);
      expect(read.text).not.toContain(broker.password);
      expect(JSON.stringify(read.structured)).not.toContain(broker.password);
      expect(read.text).toContain('ignore');
      expect(read.text).not.toContain('\u200B');
    } finally {
      await call(bastion, 'mqtt_unsubscribe', { topic: filter });
    }
  });
});

describe('bad input changes nothing', () => {
  it('refuses a filter outside MQTT_TOPICS, $SYS and a malformed filter, naming the field, and subscribes to nothing', async () => {
    for (const [filter, message] of [
      ['$SYS/#', /outside the allowed topics \(MQTT_TOPICS=/],
      ['elsewhere/#', /outside the allowed topics/],
      [`${BASE}/#/x`, /topic: "#" must be a whole level at the end/],
      [`${BASE}/a+`, /topic: "\+" must be a whole level/],
    ] as const) {
      const result = await call(bastion, 'mqtt_subscribe', { topic: filter });
      expect(result.isError, filter).toBe(true);
      expect(result.text, filter).toMatch(message);
    }
    expect((await call(bastion, 'mqtt_list_subscriptions')).structured.subscriptions).toEqual([]);
  });

  it('refuses out-of-range arguments and unknown subscriptions', async () => {
    const qos = await call(bastion, 'mqtt_subscribe', { topic: topic('x'), qos: 3 });
    expect(qos.isError).toBe(true);
    expect(qos.text).toMatch(/qos/);
    const max = await call(bastion, 'mqtt_read_subscription', { topic: topic('x'), max_messages: 0 });
    expect(max.isError).toBe(true);
    expect(max.text).toMatch(/max_messages/);
    const unknown = await call(bastion, 'mqtt_unsubscribe', { topic: topic('never') });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/topic: there is no subscription/);
  });
});

describe('bounds (MQTT_SUBSCRIPTION_MESSAGES, MQTT_SUBSCRIPTION_TOTAL, MQTT_SUBSCRIPTIONS_MAX)', () => {
  let bounded: Bastion;
  beforeAll(async () => {
    bounded = await startBastionOnMosquitto(broker, {
      MQTT_TOPICS: `bastion-test/${RUN}/#`,
      MQTT_SUBSCRIPTION_MESSAGES: '3',
      MQTT_SUBSCRIPTION_TOTAL: '5',
      MQTT_SUBSCRIPTIONS_MAX: '2',
    });
    await waitConnected(bounded);
  });
  afterAll(async () => {
    await bounded?.close();
  });

  it('keep the newest per subscription and per caller, and count what was dropped', async () => {
    const one = topic('bound/one');
    const two = topic('bound/two');
    await call(bounded, 'mqtt_subscribe', { topic: one });
    await call(bounded, 'mqtt_subscribe', { topic: two });

    await publish(one, '1', '2', '3', '4', '5');
    await expect.poll(async () => (await call(bounded, 'mqtt_list_subscriptions')).structured.subscriptions[0].received, { timeout: 10_000 }).toBe(5);
    const perTopic = await call(bounded, 'mqtt_read_subscription', { topic: one });
    expect((perTopic.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['3', '4', '5']);
    expect(perTopic.structured.dropped).toBe(2);
    expect(perTopic.text).toContain('2 oldest dropped');

    // 3 kept on one, 3 arriving on two: the caller's total of 5 drops the oldest of all, on one.
    await publish(two, 'x', 'y', 'z');
    await readUntil(bounded, two, 3);
    const afterTotal = await call(bounded, 'mqtt_read_subscription', { topic: one });
    expect((afterTotal.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['4', '5']);
    expect(afterTotal.structured.dropped).toBe(3);

    const third = await call(bounded, 'mqtt_subscribe', { topic: topic('bound/three') });
    expect(third.isError).toBe(true);
    expect(third.text).toContain('at most 2 subscriptions (MQTT_SUBSCRIPTIONS_MAX)');
    expect((await call(bounded, 'mqtt_list_subscriptions')).structured.subscriptions).toHaveLength(2);
  });
});

describe('mqtt_reconnect', () => {
  it('drops the connection and connects again; a subscription keeps receiving on the new connection', async () => {
    const filter = topic('reconnect');
    await call(bastion, 'mqtt_subscribe', { topic: filter });
    try {
      const result = await call(bastion, 'mqtt_reconnect', {});
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured).toMatchObject({ reconnected: true, state: 'connected' });
      expect(result.text).toContain('Reconnected to mqtt://');
      await publish(filter, 'after reconnect');
      const read = await readUntil(bastion, filter, 1);
      expect((read.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['after reconnect']);
    } finally {
      await call(bastion, 'mqtt_unsubscribe', { topic: filter });
    }
  });

  it('reports why it did not connect when nothing listens, and refuses an out-of-range wait', async () => {
    const port = await closedPort();
    const nowhere = await startBastionOnMosquitto(broker, { MQTT_PORT: String(port) });
    try {
      const result = await call(nowhere, 'mqtt_reconnect', { wait_seconds: 2 });
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured).toMatchObject({ reconnected: false });
      expect(result.text).toContain(`Not reconnected to mqtt://127.0.0.1:${port}`);
      expect(result.text).toContain('nothing is listening');
      const bad = await call(nowhere, 'mqtt_reconnect', { wait_seconds: 0 });
      expect(bad.isError).toBe(true);
      expect(bad.text).toMatch(/wait_seconds/);
    } finally {
      await nowhere.close();
    }
  });
});

describe("an HTTP caller's subscriptions", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-subscriptions-'));
  const ALICE = 'canary-subscriptions-alice-token-4q';
  const BOB = 'canary-subscriptions-bob-token-7w';
  let server: HttpBastion;

  beforeAll(async () => {
    const tokens = writeTokensFile(join(dir, 'tokens.json'), [
      { name: 'alice', token: ALICE, scopes: ['bastion:read'] },
      { name: 'bob', token: BOB, scopes: ['bastion:read'] },
    ]);
    server = await startHttpBastion({ env: { ...mosquittoEnv(broker, { MQTT_TOPICS: `bastion-test/${RUN}/#` }), BASTION_HTTP_TOKENS_FILE: tokens } });
  });
  afterAll(async () => {
    await server?.stop(2_000);
  });

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'bastion-subscription-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: { token: async () => token } }));
    return client;
  }

  const asBastion = (client: Client): Bastion => ({ client, stderr: () => '', stdout: () => '', close: () => client.close() });

  it('are neither listed nor readable by another caller, and outlive the caller\'s connection', async () => {
    const filter = topic('http');
    const alice = asBastion(await connect(ALICE));
    const bob = asBastion(await connect(BOB));
    try {
      await expect.poll(async () => (await call(alice, 'mqtt_subscribe', { topic: filter })).isError, { timeout: 15_000 }).toBeFalsy();
      await publish(filter, 'for alice');
      await readUntil(alice, filter, 1);

      expect((await call(bob, 'mqtt_list_subscriptions')).structured.subscriptions).toEqual([]);
      const peek = await call(bob, 'mqtt_read_subscription', { topic: filter });
      expect(peek.isError).toBe(true);
      expect(peek.text).toContain('(none is open)');
      expect(peek.text).not.toContain('for alice');

      // A later connection of the same caller finds its subscription and what arrived meanwhile.
      await alice.close();
      await publish(filter, 'while away');
      const back = asBastion(await connect(ALICE));
      try {
        const read = await readUntil(back, filter, 2);
        expect((read.structured.messages as Kept[]).map((m) => m.payload)).toEqual(['for alice', 'while away']);
      } finally {
        await back.close();
      }
    } finally {
      await bob.close();
    }
  });
});
