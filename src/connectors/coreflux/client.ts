// What the Coreflux tools use: the broker connection, the command channel, the topic scope and the two HTTP services.
import type { HttpClient } from '../../core/http.js';
import type { Secret } from '../../core/secrets.js';
import type { CommandChannel } from './channel.js';
import type { RouteHosts } from './lot-check.js';
import type { MqttConnection } from './mqtt.js';
import type { Subscriptions } from './subscriptions.js';
import type { TopicScope } from './topics.js';

export interface CorefluxClient {
  mqtt: MqttConnection;
  channel: CommandChannel;
  topics: TopicScope;
  /** Subscriptions that outlive one call, per caller. */
  subscriptions: Subscriptions;
  /** Hosts LoT routes may make the broker connect to (COREFLUX_ROUTE_HOSTS). */
  routeHosts: RouteHosts;
  copilot?: { http: HttpClient; key?: Secret };
  verifier: { http: HttpClient; path: string };
}
