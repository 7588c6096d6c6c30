// Subscriptions that outlive one tool call: what arrives is kept in memory, per caller, until it is read. Bounded per
// subscription and per caller (newest kept, oldest dropped and counted), so a busy topic cannot grow without end.
import { PolicyError } from '../../core/errors.js';
import type { MqttConnection, MqttMessage } from './mqtt.js';

export interface SubscriptionLimits {
  /** Messages kept per subscription (MQTT_SUBSCRIPTION_MESSAGES). */
  perSubscription: number;
  /** Messages kept over all of one caller's subscriptions (MQTT_SUBSCRIPTION_TOTAL). */
  perCaller: number;
  /** Subscriptions one caller may hold (MQTT_SUBSCRIPTIONS_MAX). */
  subscriptions: number;
}

/** Bytes of a payload kept: reads show at most 10 000 characters, and a kept copy must not hold megabytes. */
export const KEPT_PAYLOAD_BYTES = 16_384;

export interface KeptMessage {
  /** Increases by one per message kept for this caller: reads ask for what came after the last one seen. */
  seq: number;
  topic: string;
  payload: Buffer;
  bytes: number;
  retain: boolean;
  qos: number;
  received: string;
}

export interface Subscription {
  filter: string;
  qos: 0 | 1 | 2;
  since: string;
  messages: KeptMessage[];
  received: number;
  dropped: number;
  release: () => Promise<void>;
}

interface CallerState {
  subscriptions: Map<string, Subscription>;
  nextSeq: number;
  kept: number;
}

export class Subscriptions {
  private readonly callers = new Map<string, CallerState>();

  constructor(
    private readonly mqtt: MqttConnection,
    readonly limits: SubscriptionLimits,
  ) {}

  private state(caller: string): CallerState {
    let state = this.callers.get(caller);
    if (!state) {
      state = { subscriptions: new Map(), nextSeq: 1, kept: 0 };
      this.callers.set(caller, state);
    }
    return state;
  }

  /** The caller's subscription to exactly this filter, if any. */
  get(caller: string, filter: string): Subscription | undefined {
    return this.callers.get(caller)?.subscriptions.get(filter);
  }

  list(caller: string): Subscription[] {
    return [...(this.callers.get(caller)?.subscriptions.values() ?? [])];
  }

  /** Subscribes (or returns the caller's existing subscription to the filter: subscribing twice changes nothing). */
  async add(caller: string, filter: string, qos: 0 | 1 | 2): Promise<{ subscription: Subscription; created: boolean }> {
    const state = this.state(caller);
    const existing = state.subscriptions.get(filter);
    if (existing) return { subscription: existing, created: false };
    if (state.subscriptions.size >= this.limits.subscriptions) {
      throw new PolicyError(
        `A caller may hold at most ${this.limits.subscriptions} subscriptions (MQTT_SUBSCRIPTIONS_MAX), and ${state.subscriptions.size} are open: end one with mqtt_unsubscribe first (mqtt_list_subscriptions lists them).`,
      );
    }
    const subscription: Subscription = { filter, qos, since: new Date().toISOString(), messages: [], received: 0, dropped: 0, release: async () => undefined };
    // Reserved before the SUBSCRIBE goes out, so that two concurrent calls for one filter make one subscription.
    state.subscriptions.set(filter, subscription);
    try {
      // `fresh` makes the broker send the retained values even when another read already holds the filter.
      subscription.release = await this.mqtt.listen(filter, qos, (message) => this.keep(state, subscription, message), { fresh: true });
    } catch (error) {
      state.subscriptions.delete(filter);
      throw error;
    }
    return { subscription, created: true };
  }

  /** Ends the caller's subscription to the filter; undefined when there was none. */
  async remove(caller: string, filter: string): Promise<Subscription | undefined> {
    const state = this.callers.get(caller);
    const subscription = state?.subscriptions.get(filter);
    if (!state || !subscription) return undefined;
    state.subscriptions.delete(filter);
    state.kept -= subscription.messages.length;
    await subscription.release();
    return subscription;
  }

  private keep(state: CallerState, subscription: Subscription, message: MqttMessage): void {
    // A message can arrive after the subscription was ended (the broker had it in flight).
    if (state.subscriptions.get(subscription.filter) !== subscription) return;
    subscription.received += 1;
    subscription.messages.push({
      seq: state.nextSeq++,
      topic: message.topic,
      payload: message.payload.subarray(0, KEPT_PAYLOAD_BYTES),
      bytes: message.payload.length,
      retain: message.retain,
      qos: message.qos,
      received: new Date().toISOString(),
    });
    state.kept += 1;
    if (subscription.messages.length > this.limits.perSubscription) this.dropOldest(state, subscription);
    // Over the caller's total: the oldest message of any of its subscriptions goes.
    while (state.kept > this.limits.perCaller) {
      let oldest: Subscription | undefined;
      for (const candidate of state.subscriptions.values()) {
        if (candidate.messages.length && (!oldest || candidate.messages[0]!.seq < oldest.messages[0]!.seq)) oldest = candidate;
      }
      if (!oldest) break;
      this.dropOldest(state, oldest);
    }
  }

  private dropOldest(state: CallerState, subscription: Subscription): void {
    subscription.messages.shift();
    subscription.dropped += 1;
    state.kept -= 1;
  }

  async close(): Promise<void> {
    const all = [...this.callers.values()].flatMap((state) => [...state.subscriptions.values()]);
    this.callers.clear();
    await Promise.all(all.map((subscription) => subscription.release()));
  }
}
