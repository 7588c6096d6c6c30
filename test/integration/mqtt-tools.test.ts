// The plain MQTT tools (publish, bounded reads, retained values, broker status) through the real MCP client against
// the local Mosquitto 2 (plain listener, MQTT 5), checked with an independent MQTT client on the same broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { callWithProgress, mosquittoObserver, runId, startBastionOnMosquitto, waitConnected, type Observer } from '../helpers/coreflux.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const RUN = runId();
const BASE = `bastion-test/${RUN}`;
const topic = (name: string) => `${BASE}/${name}`;

let broker: MosquittoEnv;
let bastion: Bastion;
let observer: Observer;
/** Topics given a retained value here, cleared again at the end. */
const retainedTopics = new Set<string>();

beforeAll(async () => {
  broker = await ensureMosquitto();
  bastion = await startBastionOnMosquitto(broker);
  observer = await mosquittoObserver(broker);
  await observer.client.subscribeAsync(`${BASE}/#`, { qos: 2 });
  await waitConnected(bastion);
});
afterAll(async () => {
  for (const retained of retainedTopics) await observer?.client.publishAsync(retained, '', { qos: 1, retain: true });
  await observer?.close();
  await bastion?.close();
});

/**
 * Publishes a marker from the observer and waits until it comes back: anything Bastion sent to the topic before
 * (with QoS 1, acknowledged before the tool returned) has been delivered by then.
 */
async function barrier(on: string): Promise<void> {
  const marker = `barrier-${Math.random()}`;
  await observer.client.publishAsync(on, marker, { qos: 1 });
  await expect.poll(() => observer.on(on).some((m) => m.payload === marker), { timeout: 10_000 }).toBe(true);
}

/** Runs a read while the observer keeps publishing (Bastion's subscription is made inside the call). */
async function readWhilePublishing(args: Record<string, unknown>, publishTo: string, payload: (n: number) => string | Buffer): Promise<ToolResult> {
  let n = 0;
  const pump = setInterval(() => void observer.client.publishAsync(publishTo, payload(n++), { qos: 1 }).catch(() => undefined), 100);
  try {
    return await call(bastion, 'mqtt_read_topic', args);
  } finally {
    clearInterval(pump);
  }
}

describe('mqtt_publish', () => {
  it('publishes text at QoS 1, reports the acknowledgement, and a second client receives it exactly', async () => {
    const target = topic('text');
    const payload = 'setpoint 21.5 °C';
    const result = await call(bastion, 'mqtt_publish', { topic: target, payload });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ topic: target, bytes: Buffer.byteLength(payload), qos: 1, retained: false, acknowledged: true });
    expect(result.text).toContain('acknowledged by the broker');
    await expect.poll(() => observer.on(target).map((m) => m.payload), { timeout: 10_000 }).toEqual([payload]);
    expect(observer.on(target)[0]).toMatchObject({ qos: 1, retain: false });
  });

  it.each([0, 1, 2] as const)('publishes at QoS %i and the message arrives with that QoS', async (qos) => {
    const target = topic(`qos${qos}`);
    const result = await call(bastion, 'mqtt_publish', { topic: target, payload: `at qos ${qos}`, qos });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ qos, acknowledged: qos > 0 });
    await expect.poll(() => observer.on(target).length, { timeout: 10_000 }).toBe(1);
    expect(observer.on(target)[0]).toMatchObject({ payload: `at qos ${qos}`, qos });
  });

  it('checks JSON with format "json": valid JSON is sent as written, invalid JSON is refused and nothing is sent', async () => {
    const target = topic('json');
    const valid = '{"mode":"auto","setpoint":21.5}';
    const ok = await call(bastion, 'mqtt_publish', { topic: target, payload: valid, format: 'json' });
    expect(ok.isError).toBeFalsy();
    for (const scalar of ['23.5', 'true', '"auto"']) {
      expect((await call(bastion, 'mqtt_publish', { topic: target, payload: scalar, format: 'json' })).isError).toBeFalsy();
    }
    for (const invalid of ['auto', '', '{"mode":auto}', "{'a':1}"]) {
      const refused = await call(bastion, 'mqtt_publish', { topic: target, payload: invalid, format: 'json' });
      expect(refused.isError, invalid).toBe(true);
      expect(refused.text).toMatch(/^payload: it is not valid JSON/);
    }
    await barrier(target);
    expect(observer.on(target).map((m) => m.payload).slice(0, -1)).toEqual([valid, '23.5', 'true', '"auto"']);
  });

  it('refuses a wildcard topic, a bad QoS, a missing payload and unknown arguments, naming the field, sending nothing', async () => {
    const target = topic('refused');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ topic: `${target}/+`, payload: 'x' }, /topic: ".*\/\+" contains a wildcard \(\+ or #\); a single topic is needed here/],
      [{ topic: `${target}/#`, payload: 'x' }, /topic: ".*\/#" contains a wildcard/],
      [{ topic: target, payload: 'x', qos: 3 }, /qos/],
      [{ topic: target }, /payload/],
      [{ topic: '', payload: 'x' }, /topic/],
      [{ topic: target, payload: 'x', format: 'xml' }, /format/],
      [{ topic: target, payload: 'x', retained: true }, /retained/],
    ];
    for (const [args, message] of cases) {
      const result = await call(bastion, 'mqtt_publish', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.text).toMatch(message);
    }
    await barrier(target);
    expect(observer.on(target)).toHaveLength(1);
    expect(observer.inbox.some((m) => m.topic.startsWith(`${target}/`))).toBe(false);
  });

  it("reports the broker's refusal of a publish its ACL denies (secret/#) as not authorized", async () => {
    const result = await call(bastion, 'mqtt_publish', { topic: `secret/${RUN}`, payload: 'x', qos: 1 });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/not authorized/i);
    expect(result.text).toContain(`secret/${RUN}`);
    // QoS 2 is refused the same way (PUBREC with reason code 0x87).
    const qos2 = await call(bastion, 'mqtt_publish', { topic: `secret/${RUN}`, payload: 'x', qos: 2 });
    expect(qos2.isError).toBe(true);
    expect(qos2.text).toMatch(/not authorized/i);
    // The connection is still usable afterwards.
    expect((await call(bastion, 'mqtt_publish', { topic: topic('after-acl'), payload: 'still here' })).isError).toBeFalsy();
    await expect.poll(() => observer.on(topic('after-acl')).length, { timeout: 10_000 }).toBe(1);
  });
});

describe('mqtt_read_topic', () => {
  it('receives what a second client publishes (round trip through the broker)', async () => {
    const target = topic('inbound');
    const result = await readWhilePublishing({ topic: target, max_messages: 1, timeout_seconds: 20 }, target, () => '{"temperature":21.5}');
    expect(result.isError).toBeFalsy();
    expect(result.structured.messages).toEqual([{ topic: target, payload: '{"temperature":21.5}', encoding: 'text', retained: false, qos: 1 }]);
    expect(result.structured.complete).toBe(true);
    expect(result.text).toContain(`${target}: {"temperature":21.5}`);
  });

  it('reads with a wildcard filter and reports each message\'s own topic', async () => {
    const result = await readWhilePublishing({ topic: `${BASE}/rooms/+/temp`, max_messages: 4, timeout_seconds: 20 }, topic(`rooms/r1/temp`), (n) => `t${n}`);
    expect(result.isError).toBeFalsy();
    expect(result.structured.messages).toHaveLength(4);
    for (const message of result.structured.messages) expect(message.topic).toBe(topic('rooms/r1/temp'));
  });

  it('stops at max_messages even while more keep arriving', async () => {
    const target = topic('burst');
    const result = await readWhilePublishing({ topic: target, max_messages: 3, timeout_seconds: 60 }, target, (n) => `m${n}`);
    expect(result.isError).toBeFalsy();
    expect(result.structured.complete).toBe(true);
    expect(result.structured.messages).toHaveLength(3);
    const numbers = result.structured.messages.map((m: { payload: string }) => Number(m.payload.slice(1)));
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
  });

  it('returns what arrived when the timeout passes, with progress notifications while it waits', async () => {
    const result = await callWithProgress(bastion, 'mqtt_read_topic', { topic: topic('quiet'), max_messages: 5, timeout_seconds: 2.5 });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ topic: topic('quiet'), messages: [], complete: false });
    expect(result.text).toContain('timed out before max_messages');
    expect(result.progress.length).toBeGreaterThanOrEqual(1);
    expect(result.progress[0]!.message).toMatch(/^0 of 5 messages after \d+\.\d s$/);
    const values = result.progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('sends progress values that increase with each notification, as MCP requires', async () => {
    const result = await callWithProgress(bastion, 'mqtt_read_topic', { topic: topic('quiet-progress'), max_messages: 5, timeout_seconds: 3.5 });
    expect(result.isError).toBeFalsy();
    expect(result.progress.length).toBeGreaterThanOrEqual(2);
    const values = result.progress.map((p) => p.progress);
    for (let i = 1; i < values.length; i += 1) expect(values[i], `progress ${JSON.stringify(values)}`).toBeGreaterThan(values[i - 1]!);
  });

  it('reports each message as progress once it is subscribed (first progress), up to max_messages', async () => {
    const target = topic('progress');
    let sent = false;
    const result = await callWithProgress(bastion, 'mqtt_read_topic', { topic: target, max_messages: 2, timeout_seconds: 60 }, () => {
      // The first "waiting" notification comes after the subscription is in place.
      if (sent) return;
      sent = true;
      void observer.client.publishAsync(target, 'first', { qos: 1 }).then(() => observer.client.publishAsync(target, 'second', { qos: 1 }));
    });
    expect(result.isError).toBeFalsy();
    expect(result.structured.messages.map((m: { payload: string }) => m.payload)).toEqual(['first', 'second']);
    const counts = result.progress.map((p) => /^(\d) of 2 messages/.exec(p.message ?? '')?.[1]).filter((n) => n !== undefined && n !== '0');
    expect(counts).toEqual(['1', '2']);
  });

  it('shows binary payloads as base64 and cuts long payloads at max_chars', async () => {
    const binaryTopic = topic('binary');
    const binary = await readWhilePublishing({ topic: binaryTopic, max_messages: 1, timeout_seconds: 20 }, binaryTopic, () => Buffer.from([0, 1, 2, 255]));
    expect(binary.structured.messages[0]).toMatchObject({ payload: 'AAEC/w==', encoding: 'base64' });
    const longTopic = topic('long');
    const long = await readWhilePublishing({ topic: longTopic, max_messages: 1, timeout_seconds: 20, max_chars: 10 }, longTopic, () => 'x'.repeat(50));
    expect(long.structured.messages[0]).toMatchObject({ payload: 'x'.repeat(10), encoding: 'text', truncated: 40 });
  });

  it('refuses an invalid filter and out-of-range bounds, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ topic: `${BASE}/#/x` }, /topic: "#" must be a whole level/],
      [{ topic: `${BASE}/a+` }, /topic: "\+" must be a whole level/],
      [{ topic: topic('x'), max_messages: 0 }, /max_messages/],
      [{ topic: topic('x'), max_messages: 101 }, /max_messages/],
      [{ topic: topic('x'), timeout_seconds: 121 }, /timeout_seconds/],
      [{ topic: topic('x'), max_chars: 5 }, /max_chars/],
    ];
    for (const [args, message] of cases) {
      const result = await call(bastion, 'mqtt_read_topic', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.text).toMatch(message);
    }
  });
});

describe('retained values', () => {
  it('publishes with retain; mqtt_read_retained returns the value for the topic and for a filter, and a later subscriber gets it', async () => {
    const first = topic('retained/one');
    const second = topic('retained/two');
    retainedTopics.add(first).add(second);
    for (const [target, payload] of [
      [first, '{"state":"on"}'],
      [second, '42'],
    ] as const) {
      const result = await call(bastion, 'mqtt_publish', { topic: target, payload, retain: true, format: 'json' });
      expect(result.isError).toBeFalsy();
      expect(result.structured).toMatchObject({ retained: true, acknowledged: true });
    }
    const one = await call(bastion, 'mqtt_read_retained', { topic: first });
    expect(one.isError).toBeFalsy();
    expect(one.structured.messages).toEqual([{ topic: first, payload: '{"state":"on"}', encoding: 'text', retained: true, qos: 1 }]);
    const both = await call(bastion, 'mqtt_read_retained', { topic: topic('retained/+') });
    expect(both.structured.messages.map((m: { topic: string; payload: string }) => [m.topic, m.payload]).sort()).toEqual([
      [first, '{"state":"on"}'],
      [second, '42'],
    ]);
    // Independent check: a client that subscribes only now gets the retained value from the broker.
    const late = await mosquittoObserver(broker);
    try {
      await late.client.subscribeAsync(first, { qos: 1 });
      await expect.poll(() => late.on(first).map((m) => [m.payload, m.retain]), { timeout: 10_000 }).toEqual([['{"state":"on"}', true]]);
    } finally {
      await late.close();
    }
  });

  it('does not count live messages as retained and returns an empty list where nothing is retained', async () => {
    const empty = await call(bastion, 'mqtt_read_retained', { topic: topic('never-retained/#'), wait_ms: 300 });
    expect(empty.isError).toBeFalsy();
    expect(empty.structured.messages).toEqual([]);
    expect(empty.text).toBe(`Nothing retained on ${topic('never-retained/#')}.`);
    // Clearing a retained value (empty retained payload) leaves nothing to read.
    const cleared = topic('retained/cleared');
    await observer.client.publishAsync(cleared, 'old', { qos: 1, retain: true });
    await observer.client.publishAsync(cleared, '', { qos: 1, retain: true });
    expect((await call(bastion, 'mqtt_read_retained', { topic: cleared })).structured.messages).toEqual([]);
  });

  it('returns the retained value even while another read holds a subscription to the same filter', async () => {
    const target = topic('retained/shared');
    retainedTopics.add(target);
    await observer.client.publishAsync(target, 'kept', { qos: 1, retain: true });
    let retainedRead: Promise<ToolResult> | undefined;
    const read = await callWithProgress(bastion, 'mqtt_read_topic', { topic: target, max_messages: 50, timeout_seconds: 4 }, () => {
      // Once the first read is subscribed (its first progress), read the retained value of the very same filter.
      retainedRead ??= call(bastion, 'mqtt_read_retained', { topic: target, wait_ms: 500 });
    });
    expect(read.structured.messages.map((m: { payload: string }) => m.payload)).toContain('kept');
    expect(retainedRead).toBeDefined();
    const retained = await retainedRead!;
    expect(retained.isError).toBeFalsy();
    expect(retained.structured.messages.map((m: { payload: string }) => m.payload)).toEqual(['kept']);
  });

  it('refuses an invalid filter and an out-of-range wait, naming the field', async () => {
    for (const [args, message] of [
      [{ topic: 'a/#/b' }, /topic: "#" must be a whole level/],
      [{ topic: topic('x'), wait_ms: 10 }, /wait_ms/],
      [{ topic: topic('x'), max_messages: 501 }, /max_messages/],
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const result = await call(bastion, 'mqtt_read_retained', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.text).toMatch(message);
    }
  });
});

describe('mqtt_broker_status', () => {
  it('reports the connection with the broker URL, MQTT 5.0 and a round-trip latency', async () => {
    const result = await call(bastion, 'mqtt_broker_status');
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ state: 'connected', broker: `mqtt://${broker.host}:${broker.port}`, protocol: 'MQTT 5.0' });
    expect(result.structured.last_error).toBeUndefined();
    expect(typeof result.structured.latency_ms).toBe('number');
    expect(result.structured.latency_ms).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(result.structured.since))).toBe(false);
    expect(result.text).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+: connected since .* \(MQTT 5\.0\).*round trip [\d.]+ ms/);
  });

  it('rejects arguments it does not take', async () => {
    const result = await call(bastion, 'mqtt_broker_status', { verbose: true });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('verbose');
  });
});

describe('MQTT_TOPICS scope', () => {
  let scoped: Bastion;
  const inside = `sensors/${RUN}/temp`;
  const outside = `actuators/${RUN}/valve`;

  beforeAll(async () => {
    scoped = await startBastionOnMosquitto(broker, { MQTT_TOPICS: 'sensors/#' });
    await observer.client.subscribeAsync([`sensors/${RUN}/#`, `actuators/${RUN}/#`], { qos: 1 });
    await waitConnected(scoped);
  });
  afterAll(async () => {
    await observer.client.publishAsync(inside, '', { qos: 1, retain: true });
    await scoped?.close();
  });

  it('publishes and reads inside the allowed filters', async () => {
    const published = await call(scoped, 'mqtt_publish', { topic: inside, payload: '20.5', retain: true });
    expect(published.isError).toBeFalsy();
    await expect.poll(() => observer.on(inside).map((m) => m.payload), { timeout: 10_000 }).toContain('20.5');
    const retained = await call(scoped, 'mqtt_read_retained', { topic: `sensors/${RUN}/+` });
    expect(retained.isError).toBeFalsy();
    expect(retained.structured.messages.map((m: { payload: string }) => m.payload)).toEqual(['20.5']);
    const read = await call(scoped, 'mqtt_read_topic', { topic: 'sensors/+/temp', max_messages: 1, timeout_seconds: 10 });
    expect(read.isError).toBeFalsy();
    // The retained value arrives at once through the wildcard filter.
    expect(read.structured.messages).toHaveLength(1);
    expect(read.structured.messages[0]).toMatchObject({ retained: true });
  });

  it('refuses publishing and reading outside them before anything reaches the broker', async () => {
    const publish = await call(scoped, 'mqtt_publish', { topic: outside, payload: 'open' });
    expect(publish.isError).toBe(true);
    expect(publish.text).toBe(`Topic "${outside}" is outside the allowed topics (MQTT_TOPICS=sensors/#).`);
    for (const [tool, filter] of [
      ['mqtt_read_topic', '#'],
      ['mqtt_read_topic', `actuators/${RUN}/#`],
      ['mqtt_read_topic', '+/temp'],
      ['mqtt_read_retained', outside],
      ['mqtt_read_retained', '$SYS/#'],
    ] as const) {
      const result = await call(scoped, tool, { topic: filter });
      expect(result.isError, `${tool} ${filter}`).toBe(true);
      expect(result.text).toMatch(/is outside the allowed topics \(MQTT_TOPICS=sensors\/#\)/);
    }
    await barrier(outside);
    expect(observer.on(outside).map((m) => m.payload)).not.toContain('open');
    expect(observer.on(outside)).toHaveLength(1);
  });
});

describe('overlapping reads', () => {
  it('delivers one copy of a message to each of two concurrent reads with overlapping filters', async () => {
    const target = topic('overlap/t');
    const subscribed = { wide: false, narrow: false };
    let published = false;
    const publishOnceBothListen = () => {
      if (published || !subscribed.wide || !subscribed.narrow) return;
      published = true;
      void observer.client.publishAsync(target, 'once', { qos: 1 });
    };
    const [wide, narrow] = await Promise.all([
      callWithProgress(bastion, 'mqtt_read_topic', { topic: topic('overlap/#'), max_messages: 5, timeout_seconds: 4 }, () => {
        subscribed.wide = true;
        publishOnceBothListen();
      }),
      callWithProgress(bastion, 'mqtt_read_topic', { topic: target, max_messages: 5, timeout_seconds: 4 }, () => {
        subscribed.narrow = true;
        publishOnceBothListen();
      }),
    ]);
    expect(published).toBe(true);
    expect(wide.structured.messages.map((m: { payload: string }) => m.payload)).toEqual(['once']);
    expect(narrow.structured.messages.map((m: { payload: string }) => m.payload)).toEqual(['once']);
  });
});
