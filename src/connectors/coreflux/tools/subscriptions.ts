// Subscriptions that outlive one call: subscribe, read what arrived since, list, unsubscribe. Each caller sees only
// its own; what is kept is bounded (see ../subscriptions.ts).
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import type { Subscription } from '../subscriptions.js';
import { checkTopicFilter } from '../topics.js';
import { corefluxTool, readOnly, showPayload, type CorefluxContext } from './shared.js';

/** Only changes what Bastion itself keeps (no message is sent, nothing upstream changes). */
const local = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const filterSchema = z.string().min(1).max(1024);

const subscriptionOutput = z.object({
  topic: z.string(),
  qos: z.number(),
  since: z.string(),
  buffered: z.number(),
  received: z.number(),
  dropped: z.number(),
  last_seq: z.number().optional(),
});

function describe(subscription: Subscription): z.input<typeof subscriptionOutput> {
  return {
    topic: subscription.filter,
    qos: subscription.qos,
    since: subscription.since,
    buffered: subscription.messages.length,
    received: subscription.received,
    dropped: subscription.dropped,
    last_seq: subscription.messages.at(-1)?.seq,
  };
}

const subscriptionLine = (s: z.output<typeof subscriptionOutput>) =>
  `${s.topic} (QoS ${s.qos}, since ${s.since}): ${s.buffered} kept of ${s.received} received${s.dropped ? `, ${s.dropped} oldest dropped` : ''}${s.last_seq !== undefined ? `, last seq ${s.last_seq}` : ''}`;

/** The caller's subscription to the filter, or an error naming the ones it has. */
function subscriptionOf(ctx: CorefluxContext, filter: string): Subscription {
  const subscription = ctx.client.subscriptions.get(ctx.caller, filter);
  if (subscription) return subscription;
  const held = ctx.client.subscriptions.list(ctx.caller).map((s) => s.filter);
  throw new InputError(`topic: there is no subscription to "${filter}"${held.length ? ` (open: ${held.join(', ')})` : ' (none is open)'}. Start one with mqtt_subscribe.`);
}

export const subscribe = corefluxTool({
  name: 'mqtt_subscribe',
  title: 'Subscribe to MQTT messages',
  description:
    'Keep receiving a topic or filter (within MQTT_TOPICS) across calls; read what arrived with mqtt_read_subscription.',
  inputSchema: z.object({
    topic: filterSchema.describe('e.g. "sensors/+/temperature"'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  }),
  outputSchema: subscriptionOutput.extend({ created: z.boolean() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    checkTopicFilter(input.topic);
    ctx.client.topics.assert(input.topic, 'Topic filter');
    const { subscription, created } = await ctx.client.subscriptions.add(ctx.caller, input.topic, input.qos);
    return { ...describe(subscription), created };
  },
  render: (out) => `${out.created ? 'Subscribed to' : 'Already subscribed to'} ${out.topic} (QoS ${out.qos}); ${out.buffered} message(s) kept so far. Read them with mqtt_read_subscription.`,
});

export const readSubscription = corefluxTool({
  name: 'mqtt_read_subscription',
  title: 'Read a subscription',
  description: 'Messages kept for a subscription, oldest first; pass the last seq seen as after to get only newer ones.',
  inputSchema: z.object({
    topic: filterSchema.describe('The filter as subscribed'),
    after: z.number().int().min(0).max(1e12).default(0),
    max_messages: z.number().int().min(1).max(500).default(50),
    max_chars: z.number().int().min(10).max(10_000).default(500),
  }),
  outputSchema: z.object({
    topic: z.string(),
    messages: z.array(
      z.object({
        seq: z.number(),
        topic: z.string(),
        payload: z.string(),
        encoding: z.enum(['text', 'base64']),
        truncated: z.number().optional(),
        bytes: z.number(),
        retained: z.boolean(),
        qos: z.number(),
        received: z.string(),
      }),
    ),
    more: z.boolean(),
    dropped: z.number(),
  }),
  annotations: { ...local, openWorldHint: true },
  handler: async (input, ctx) => {
    checkTopicFilter(input.topic);
    const subscription = subscriptionOf(ctx, input.topic);
    const newer = subscription.messages.filter((message) => message.seq > input.after);
    const shown = newer.slice(0, input.max_messages);
    return {
      topic: subscription.filter,
      messages: shown.map((message) => ({
        seq: message.seq,
        topic: message.topic,
        ...showPayload(message.payload, input.max_chars),
        bytes: message.bytes,
        retained: message.retain,
        qos: message.qos,
        received: message.received,
      })),
      more: newer.length > shown.length,
      dropped: subscription.dropped,
    };
  },
  render: (out) =>
    [
      `${out.messages.length} message(s) on ${out.topic}${out.more ? ' (more kept: read again with after = the last seq)' : ''}${out.dropped ? `; ${out.dropped} oldest dropped to stay within the limits` : ''}:`,
      ...out.messages.map(
        (m) => `#${m.seq} ${m.received} ${m.topic}${m.retained ? ' (retained)' : ''}: ${m.encoding === 'base64' ? '[base64] ' : ''}${m.payload}${m.truncated ? ` … [+${m.truncated} characters]` : ''}`,
      ),
    ].join('\n'),
});

export const listSubscriptions = corefluxTool({
  name: 'mqtt_list_subscriptions',
  title: 'List MQTT subscriptions',
  description: 'Your open subscriptions with how many messages each has kept, received and dropped.',
  inputSchema: z.object({}),
  outputSchema: z.object({ subscriptions: z.array(subscriptionOutput), limits: z.object({ per_subscription: z.number(), total: z.number(), subscriptions: z.number() }) }),
  annotations: { ...local, openWorldHint: false },
  handler: async (_input, ctx) => {
    const { limits } = ctx.client.subscriptions;
    return {
      subscriptions: ctx.client.subscriptions.list(ctx.caller).map(describe),
      limits: { per_subscription: limits.perSubscription, total: limits.perCaller, subscriptions: limits.subscriptions },
    };
  },
  render: (out) => (out.subscriptions.length ? out.subscriptions.map(subscriptionLine).join('\n') : 'No open subscriptions.'),
});

export const unsubscribe = corefluxTool({
  name: 'mqtt_unsubscribe',
  title: 'End an MQTT subscription',
  description: 'End a subscription made with mqtt_subscribe and discard the messages it kept.',
  inputSchema: z.object({ topic: filterSchema.describe('The filter as subscribed') }),
  outputSchema: subscriptionOutput,
  annotations: local,
  handler: async (input, ctx) => {
    checkTopicFilter(input.topic);
    subscriptionOf(ctx, input.topic);
    const ended = await ctx.client.subscriptions.remove(ctx.caller, input.topic);
    return describe(ended ?? subscriptionOf(ctx, input.topic));
  },
  render: (out) => `Unsubscribed from ${out.topic}; ${out.buffered} unread message(s) discarded.`,
});

export const subscriptionTools = [subscribe, readSubscription, listSubscriptions, unsubscribe];
