// Messages between the instances of one deployment: a message for work in flight on another instance (an answer to
// a question it asked, a cancellation of a call it runs) is published here and picked up by that instance.
// In memory for one instance; Redis pub/sub when several share REDIS_URL. Delivery is best effort: a lost message
// leaves the call waiting for its answer until it times out, never runs anything on its own.
import { createRedisClient, type RedisSettings } from './cache.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';

export interface Relay {
  /** Sends a message to every instance, this one included. */
  publish(message: string): Promise<void>;
  /** Receives every published message; returns a function that stops receiving. */
  subscribe(listener: (message: string) => void): () => void;
  close(): Promise<void>;
}

/** One process: publishing is calling the listeners. */
export class MemoryRelay implements Relay {
  private readonly listeners = new Set<(message: string) => void>();

  async publish(message: string): Promise<void> {
    for (const listener of [...this.listeners]) listener(message);
  }

  subscribe(listener: (message: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** The node-redis commands the relay uses. */
interface PubSubClient {
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** Redis pub/sub on one channel: a subscribed connection cannot send other commands, hence two connections. */
export class RedisRelay implements Relay {
  private readonly local = new MemoryRelay();
  private readonly logger: Logger;

  private constructor(
    private readonly publisher: PubSubClient,
    private readonly subscriber: PubSubClient,
    private readonly channel: string,
    settings: RedisSettings,
  ) {
    this.logger = settings.logger ?? silentLogger;
    // Connection trouble is reported by the shared cache already; here it only must not crash the process.
    publisher.on('error', () => {});
    subscriber.on('error', () => {});
  }

  static async connect(settings: RedisSettings, channel = 'bastion:relay'): Promise<RedisRelay> {
    const publisher = (await createRedisClient(settings)) as PubSubClient;
    const subscriber = (await createRedisClient(settings)) as PubSubClient;
    const relay = new RedisRelay(publisher, subscriber, channel, settings);
    // Like the cache, start-up does not wait for Redis; node-redis subscribes again after a reconnect.
    publisher.connect().catch(() => {});
    subscriber
      .connect()
      .then(() => subscriber.subscribe(channel, (message) => void relay.local.publish(message)))
      .catch((error: Error) => relay.logger.warn({ reason: error.message }, 'Redis relay unavailable: messages for other instances are not delivered'));
    return relay;
  }

  async publish(message: string): Promise<void> {
    try {
      await this.publisher.publish(this.channel, message);
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'Redis relay unavailable: a message for another instance was not delivered');
    }
  }

  subscribe(listener: (message: string) => void): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.local.close();
    for (const client of [this.subscriber, this.publisher]) {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    }
  }
}
