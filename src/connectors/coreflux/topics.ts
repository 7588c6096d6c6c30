// MQTT topic names and filters: validation, matching, and which filters fall inside the allowed ones (MQTT_TOPICS).
import { ConfigError, InputError, PolicyError } from '../../core/errors.js';

const MAX_TOPIC = 1024;

/** A topic to publish to or read from: no wildcards, no empty levels at the ends, no NUL. */
export function checkTopicName(topic: string, field = 'topic'): string {
  if (!topic || topic.length > MAX_TOPIC) throw new InputError(`${field}: a topic has 1 to ${MAX_TOPIC} characters.`);
  if (/[+#]/.test(topic)) throw new InputError(`${field}: "${topic}" contains a wildcard (+ or #); a single topic is needed here.`);
  if (topic.includes('\u0000')) throw new InputError(`${field}: a topic cannot contain NUL.`);
  return topic;
}

/** A subscription filter: "+" fills a whole level, "#" only as the whole last level. */
export function checkTopicFilter(filter: string, field = 'topic'): string {
  if (!filter || filter.length > MAX_TOPIC) throw new InputError(`${field}: a topic filter has 1 to ${MAX_TOPIC} characters.`);
  // MQTT forbids NUL in filters too; a broker drops the whole connection over one.
  if (filter.includes('\u0000')) throw new InputError(`${field}: a topic filter cannot contain NUL.`);
  const levels = filter.split('/');
  levels.forEach((level, index) => {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) throw new InputError(`${field}: "#" must be a whole level at the end of "${filter}".`);
    if (level.includes('+') && level !== '+') throw new InputError(`${field}: "+" must be a whole level in "${filter}".`);
  });
  return filter;
}

/** Whether a topic matches a filter; filters starting with a wildcard never match "$..." topics (MQTT rule). */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && /^[+#]/.test(filter)) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether every topic `inner` can match is also matched by `outer`. */
export function filterCovers(outer: string, inner: string): boolean {
  if (inner.startsWith('$') !== outer.startsWith('$') && /^[+#]/.test(outer)) return false;
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i += 1) {
    if (o[i] === '#') return true;
    if (i >= n.length) return false;
    if (n[i] === '#') return false;
    if (o[i] !== '+' && (n[i] === '+' || o[i] !== n[i])) return false;
  }
  return o.length === n.length;
}

/** The topic filters tools may touch (MQTT_TOPICS): everything but $SYS by default. */
export class TopicScope {
  constructor(readonly filters: readonly string[]) {
    try {
      for (const filter of filters) checkTopicFilter(filter, 'MQTT_TOPICS');
    } catch (error) {
      // A bad setting stops start-up like any other invalid setting.
      throw new ConfigError((error as Error).message);
    }
  }

  allowsTopic(topic: string): boolean {
    return this.filters.some((filter) => topicMatches(filter, topic));
  }

  allowsFilter(filter: string): boolean {
    return this.filters.some((allowed) => filterCovers(allowed, filter));
  }

  /** Refuses a topic (or filter) outside MQTT_TOPICS before anything reaches the broker. */
  assert(topicOrFilter: string, what: string): void {
    const allowed = /[+#]/.test(topicOrFilter) ? this.allowsFilter(topicOrFilter) : this.allowsTopic(topicOrFilter);
    if (!allowed) throw new PolicyError(`${what} "${topicOrFilter}" is outside the allowed topics (MQTT_TOPICS=${this.filters.join(',')}).`);
  }
}
