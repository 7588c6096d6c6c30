// Plain MQTT: publish, bounded reads, retained values and the connection's state.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { head } from '../../../core/untrusted.js';
import { checkTopicFilter, checkTopicName } from '../topics.js';
import { acts, corefluxTool, readOnly, showPayload } from './shared.js';

const messageOutput = z.object({
  topic: z.string(),
  payload: z.string(),
  encoding: z.enum(['text', 'base64']),
  truncated: z.number().optional(),
  retained: z.boolean(),
  qos: z.number(),
});

const messageLine = (m: z.output<typeof messageOutput>) =>
  `${m.topic}${m.retained ? ' (retained)' : ''}: ${m.encoding === 'base64' ? '[base64] ' : ''}${m.payload}${m.truncated ? ` … [+${m.truncated} characters]` : ''}`;

export const publish = corefluxTool({
  name: 'mqtt_publish',
  title: 'Publish an MQTT message',
  description:
    'Publish a message to one topic (no wildcards, within MQTT_TOPICS). Messages can drive real devices.',
  inputSchema: z.object({
    topic: z.string().min(1).max(1024).describe('e.g. "sensors/room1/setpoint"'),
    payload: z.string().max(262_144).describe('JSON text when format is "json"'),
    format: z.enum(['text', 'json']).default('text'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    retain: z.boolean().default(false),
  }),
  outputSchema: z.object({ topic: z.string(), bytes: z.number(), qos: z.number(), retained: z.boolean(), acknowledged: z.boolean() }),
  annotations: acts,
  handler: async (input, ctx) => {
    checkTopicName(input.topic);
    ctx.client.topics.assert(input.topic, 'Topic');
    if (input.format === 'json') {
      try {
        JSON.parse(input.payload);
      } catch {
        throw new InputError('payload: it is not valid JSON (send format "text" for plain text).');
      }
    }
    await ctx.client.mqtt.publish(input.topic, input.payload, input.qos, input.retain);
    return { topic: input.topic, bytes: Buffer.byteLength(input.payload), qos: input.qos, retained: input.retain, acknowledged: input.qos > 0 };
  },
  render: (out) => `Published ${out.bytes} bytes to ${out.topic} (QoS ${out.qos}${out.retained ? ', retained' : ''}${out.acknowledged ? ', acknowledged by the broker' : ''}).`,
});

export const readTopic = corefluxTool({
  name: 'mqtt_read_topic',
  title: 'Read MQTT messages',
  description:
    'Collect the messages on a topic or filter until max_messages arrive or timeout_seconds pass; retained ones come first.',
  inputSchema: z.object({
    topic: z.string().min(1).max(1024).describe('e.g. "sensors/+/temperature"'),
    max_messages: z.number().int().min(1).max(100).default(10),
    timeout_seconds: z.number().min(0.1).max(120).default(5),
    max_chars: z.number().int().min(10).max(10_000).default(500),
  }),
  outputSchema: z.object({ topic: z.string(), messages: z.array(messageOutput), complete: z.boolean(), waited_seconds: z.number() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    checkTopicFilter(input.topic);
    ctx.client.topics.assert(input.topic, 'Topic filter');
    const messages: Array<z.input<typeof messageOutput>> = [];
    const started = Date.now();
    let done!: () => void;
    const enough = new Promise<void>((resolve) => (done = resolve));
    // Progress is the time waited (it must only grow); the message says how many messages arrived.
    const report = (): void => {
      const waited = Math.min((Date.now() - started) / 1000, input.timeout_seconds);
      void ctx.progress(waited, input.timeout_seconds, `${messages.length} of ${input.max_messages} messages after ${waited.toFixed(1)} s`);
    };
    const stop = await ctx.client.mqtt.listen(
      input.topic,
      1,
      (message) => {
        if (messages.length >= input.max_messages) return;
        messages.push({ topic: message.topic, ...showPayload(message.payload, input.max_chars), retained: message.retain, qos: message.qos });
        report();
        if (messages.length >= input.max_messages) done();
      },
      { fresh: true },
    );
    const ticker = setInterval(report, 1_000);
    try {
      await Promise.race([
        enough,
        new Promise((resolve) => setTimeout(resolve, input.timeout_seconds * 1000)),
        new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true })),
      ]);
    } finally {
      clearInterval(ticker);
      await stop();
    }
    return { topic: input.topic, messages, complete: messages.length >= input.max_messages, waited_seconds: Math.round((Date.now() - started) / 100) / 10 };
  },
  render: (out) =>
    [`${out.messages.length} message(s) on ${out.topic} in ${out.waited_seconds} s${out.complete ? '' : ' (timed out before max_messages)'}:`, ...out.messages.map(messageLine)].join('\n'),
});

export const readRetained = corefluxTool({
  name: 'mqtt_read_retained',
  title: 'Read retained MQTT values',
  description: 'The retained values of a topic or of every topic matching a filter, without waiting for new messages.',
  inputSchema: z.object({
    topic: z.string().min(1).max(1024).describe('Topic or filter (+, #)'),
    max_messages: z.number().int().min(1).max(500).default(50),
    max_chars: z.number().int().min(10).max(10_000).default(500),
    wait_ms: z.number().int().min(50).max(5_000).default(500),
  }),
  outputSchema: z.object({ topic: z.string(), messages: z.array(messageOutput) }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    checkTopicFilter(input.topic);
    ctx.client.topics.assert(input.topic, 'Topic filter');
    const messages: Array<z.input<typeof messageOutput>> = [];
    // Coreflux sends its entity snapshots ($SYS/Coreflux/Actions/<name>, Models, Routes, Rules, and their status or
    // error topics) to a new subscriber without the retain flag; they are the current state all the same. Traces
    // are events, not state.
    const base = ctx.client.channel.commandTopic.replace(/\/Command$/, '');
    const isSnapshot = (topic: string) => /^(Actions|Models|Routes|Rules)\/[^/]+(\/(?!Trace$)[^/]+)?$/.test(topic.startsWith(`${base}/`) ? topic.slice(base.length + 1) : '');
    const stop = await ctx.client.mqtt.listen(
      input.topic,
      1,
      (message) => {
        if ((message.retain || isSnapshot(message.topic)) && messages.length < input.max_messages) {
          messages.push({ topic: message.topic, ...showPayload(message.payload, input.max_chars), retained: true, qos: message.qos });
        }
      },
      { fresh: true },
    );
    await new Promise((resolve) => setTimeout(resolve, input.wait_ms));
    await stop();
    return { topic: input.topic, messages };
  },
  render: (out) => (out.messages.length ? out.messages.map(messageLine).join('\n') : `Nothing retained on ${out.topic}.`),
});

export const brokerStatus = corefluxTool({
  name: 'mqtt_broker_status',
  title: 'MQTT broker status',
  description: 'Connection state and last problem, protocol, broker version and round-trip latency.',
  inputSchema: z.object({}),
  outputSchema: z.object({
    state: z.string(),
    since: z.string(),
    broker: z.string(),
    protocol: z.string(),
    last_error: z.string().optional(),
    version: z.string().optional(),
    latency_ms: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (_input, ctx) => {
    const status = ctx.client.mqtt.status();
    if (status.state !== 'connected') return status;
    // A subscription round trip measures latency; the broker's version topics answer it if they are readable.
    let version: string | undefined;
    const started = performance.now();
    const stop = await ctx.client.mqtt
      .listen('$SYS/broker/version', 0, ({ payload }) => (version ??= head(payload.toString('utf8'), 200)))
      .catch(() => undefined);
    const latency = Math.round((performance.now() - started) * 10) / 10;
    const stopCoreflux = await ctx.client.mqtt
      .listen('$SYS/Coreflux/Version', 0, ({ payload }) => (version ??= `Coreflux ${head(payload.toString('utf8'), 200)}`))
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all([stop?.(), stopCoreflux?.()]);
    return { ...status, version, latency_ms: latency };
  },
  render: (out) =>
    `${out.broker}: ${out.state} since ${out.since} (${out.protocol})${out.version ? `, ${out.version}` : ''}${out.latency_ms !== undefined ? `, round trip ${out.latency_ms} ms` : ''}${out.last_error ? `\nLast problem: ${out.last_error}` : ''}`,
});

export const mqttTools = [publish, readTopic, readRetained, brokerStatus];
