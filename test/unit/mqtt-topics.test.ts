// MQTT topic rules of the Coreflux / MQTT connector: topic names and filters, matching (with the "$" rule),
// filter coverage (MQTT_TOPICS), the scope check and the topics named in LoT definitions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError, PolicyError } from '../../src/core/errors.js';
import { topicsInLot } from '../../src/connectors/coreflux/lot-check.js';
import { checkTopicFilter, checkTopicName, filterCovers, topicMatches, TopicScope } from '../../src/connectors/coreflux/topics.js';

describe('checkTopicName', () => {
  it('accepts plain topics, including "$" topics, empty inner levels and spaces', () => {
    for (const topic of ['a', 'sensors/room1/temp', '$SYS/Coreflux/Command', 'a//b', '/leading', 'trailing/', 'with space/x', 'ü/ñ']) {
      expect(checkTopicName(topic)).toBe(topic);
    }
  });

  it('refuses wildcards, NUL, the empty topic and topics over 1024 characters, naming the field', () => {
    const refuse = (topic: string, field: string | undefined, message: RegExp) => {
      const run = () => (field ? checkTopicName(topic, field) : checkTopicName(topic));
      expect(run).toThrow(InputError);
      expect(run).toThrow(message);
    };
    refuse('a/+/b', undefined, /^topic: "a\/\+\/b" contains a wildcard/);
    refuse('a/#', 'target', /^target: "a\/#" contains a wildcard/);
    refuse('a+b', undefined, /wildcard/);
    refuse('a\u0000b', undefined, /^topic: a topic cannot contain NUL/);
    refuse('', undefined, /^topic: a topic has 1 to 1024 characters/);
    refuse('x'.repeat(1025), undefined, /1 to 1024/);
    expect(checkTopicName('x'.repeat(1024))).toHaveLength(1024);
  });
});

describe('checkTopicFilter', () => {
  it('accepts "+" as whole levels anywhere and "#" as the whole last level', () => {
    for (const filter of ['#', '+', 'a/#', 'a/+/b', '+/+/#', '/#', 'sensors/+', '$SYS/#', 'a//+']) expect(checkTopicFilter(filter)).toBe(filter);
  });

  it('refuses "#" that is not the whole last level and "+" sharing a level, naming the field', () => {
    expect(() => checkTopicFilter('a/#/b')).toThrow(/^topic: "#" must be a whole level at the end of "a\/#\/b"/);
    expect(() => checkTopicFilter('a/b#')).toThrow(/"#" must be a whole level/);
    expect(() => checkTopicFilter('##')).toThrow(/"#" must be a whole level/);
    expect(() => checkTopicFilter('a/b+', 'filter')).toThrow(/^filter: "\+" must be a whole level in "a\/b\+"/);
    expect(() => checkTopicFilter('+a/b')).toThrow(InputError);
    expect(() => checkTopicFilter('')).toThrow(/^topic: a topic filter has 1 to 1024 characters/);
    expect(() => checkTopicFilter(`${'x/'.repeat(512)}#`)).toThrow(/1 to 1024/);
  });
});

describe('topicMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['a/+', 'a/', true],
    ['+', 'a', true],
    ['+', '/a', false],
    ['+/+', '/a', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a/b/#', 'a', false],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['A/b', 'a/b', false],
  ];
  it.each(cases)('%s against %s is %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('never lets a filter starting with a wildcard match a "$" topic, but lets explicit "$" filters match', () => {
    expect(topicMatches('#', '$SYS/broker/version')).toBe(false);
    expect(topicMatches('+/broker/version', '$SYS/broker/version')).toBe(false);
    expect(topicMatches('+', '$SYS')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/broker/version')).toBe(true);
    expect(topicMatches('$SYS/+/version', '$SYS/broker/version')).toBe(true);
    expect(topicMatches('$SYS/Coreflux/Command/Output', '$SYS/Coreflux/Command/Output')).toBe(true);
    // Only the first level is special: a "$" further down is an ordinary character.
    expect(topicMatches('a/+', 'a/$b')).toBe(true);
    expect(topicMatches('#', 'a/$b')).toBe(true);
  });
});

describe('filterCovers', () => {
  const cases: Array<[string, string, boolean]> = [
    ['#', 'a/b', true],
    ['#', '+/b', true],
    ['#', '#', true],
    ['#', '$SYS/#', false],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/Coreflux/Command', true],
    ['$SYS/#', '#', false],
    ['$SYS/#', '+/x', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/+', true],
    ['a/#', 'a/#', true],
    ['a/#', 'b/#', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/+', false],
    ['a/b/#', 'a/#', false],
    ['a/+/#', 'a/+', true],
    ['a/+/#', 'a/#', false],
    ['+/#', 'a', true],
    ['a', 'a/#', false],
    ['sensors/#', 'sensors/+/temperature', true],
    ['sensors/#', 'actuators/+', false],
  ];
  it.each(cases)('%s covers %s: %s', (outer, inner, expected) => {
    expect(filterCovers(outer, inner)).toBe(expected);
  });

  // Levels from a small alphabet so that random filters and topics overlap often; "$x" tests the "$" rule.
  const level = fc.constantFrom('a', 'b', '', '$x');
  const filterArb = fc
    .tuple(fc.array(fc.constantFrom('a', 'b', '', '$x', '+'), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels.slice(0, -1), '#'] : levels).join('/'));

  /** A topic the filter matches by the MQTT rules, built from the filter (wildcards filled in). */
  const topicFor = (filter: string) =>
    fc
      .tuple(
        fc.array(level, { minLength: filter.split('/').length, maxLength: filter.split('/').length }),
        fc.array(level, { minLength: 0, maxLength: 3 }),
      )
      .map(([fill, tail]) => {
        const levels = filter.split('/');
        const out: string[] = [];
        levels.forEach((part, index) => {
          if (part === '#') out.push(...tail);
          else out.push(part === '+' ? fill[index]! : part);
        });
        return out.length ? out.join('/') : fill[0]!;
      });

  it('property: whenever a covers b, every topic matching b matches a', () => {
    fc.assert(
      fc.property(
        filterArb,
        filterArb.chain((b) => fc.tuple(fc.constant(b), topicFor(b))),
        (a, [b, topic]) => {
          if (!filterCovers(a, b) || !topicMatches(b, topic)) return;
          expect(topicMatches(a, topic), `${a} covers ${b}, and ${b} matches "${topic}"`).toBe(true);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('property: a filter covers itself and "#" covers every filter not starting with "$"', () => {
    fc.assert(
      fc.property(filterArb, (f) => {
        expect(filterCovers(f, f)).toBe(true);
        expect(filterCovers('#', f)).toBe(!f.startsWith('$'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('property: a topic (a filter without wildcards) is covered exactly when it matches', () => {
    const topicArb = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        expect(filterCovers(filter, topic)).toBe(topicMatches(filter, topic));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('TopicScope', () => {
  it('defaults to "#": everything but "$" topics', () => {
    const scope = new TopicScope(['#']);
    expect(scope.allowsTopic('a/b')).toBe(true);
    expect(scope.allowsTopic('$SYS/Coreflux/Command')).toBe(false);
    expect(scope.allowsFilter('+/temp')).toBe(true);
    expect(scope.allowsFilter('$SYS/#')).toBe(false);
    expect(() => scope.assert('$SYS/Coreflux/Command', 'Topic')).toThrow(PolicyError);
  });

  it('allows topics and filters inside MQTT_TOPICS and refuses the rest with a PolicyError naming the setting', () => {
    const scope = new TopicScope(['sensors/#', 'plant/+/status']);
    expect(() => scope.assert('sensors/room1/temp', 'Topic')).not.toThrow();
    expect(() => scope.assert('sensors', 'Topic')).not.toThrow();
    expect(() => scope.assert('sensors/+/temp', 'Topic filter')).not.toThrow();
    expect(() => scope.assert('plant/p1/status', 'Topic')).not.toThrow();
    expect(() => scope.assert('plant/+/status', 'Topic filter')).not.toThrow();
    expect(() => scope.assert('plant/p1/status/x', 'Topic')).toThrow(PolicyError);
    expect(() => scope.assert('plant/#', 'Topic filter')).toThrow(PolicyError);
    expect(() => scope.assert('#', 'Topic filter')).toThrow('Topic filter "#" is outside the allowed topics (MQTT_TOPICS=sensors/#,plant/+/status).');
    expect(() => scope.assert('actuators/valve', 'Topic')).toThrow('Topic "actuators/valve" is outside the allowed topics (MQTT_TOPICS=sensors/#,plant/+/status).');
  });

  it('refuses an invalid filter in MQTT_TOPICS when built', () => {
    expect(() => new TopicScope(['sensors/#/x'])).toThrow(/^MQTT_TOPICS: "#" must be a whole level/);
    expect(() => new TopicScope(['ok/#', 'bad+'])).toThrow(/^MQTT_TOPICS: "\+" must be a whole level/);
  });
});

describe('topicsInLot', () => {
  it('finds every quoted TOPIC of a definition, whatever the keyword before it and the case', () => {
    const model = [
      'DEFINE MODEL Sensor WITH TOPIC "plant/sensor/state"',
      '    ADD "temperature" WITH TOPIC "plant/+/temperature" AS TRIGGER',
      '    ADD "unit" WITH "C"',
    ].join('\n');
    expect(topicsInLot(model)).toEqual(['plant/sensor/state', 'plant/+/temperature']);
    const action = ['DEFINE ACTION Blink', 'on topic "plant/button"', 'DO', '    PUBLISH TOPIC "plant/led" WITH "on"'].join('\n');
    expect(topicsInLot(action)).toEqual(['plant/button', 'plant/led']);
    expect(topicsInLot('DEFINE RULE R WITH PRIORITY 1 FOR Publish TO TOPIC "sensors/#"\n    IF USER IS "root" THEN ALLOW ELSE DENY')).toEqual(['sensors/#']);
  });

  it('finds nothing in definitions without topics and ignores words that only contain TOPIC', () => {
    expect(topicsInLot('DEFINE ROUTE Bridge WITH TYPE MQTT_BRIDGE')).toEqual([]);
    expect(topicsInLot('DEFINE MODEL M\n    ADD "SUBTOPIC" WITH "x"\n    ADD "y" WITH TOPICAL "not/a/topic"')).toEqual([]);
  });

  it('also reads every keyword ending in TOPIC or TOPICS: routes name theirs SOURCE_TOPIC, DESTINATION_TOPIC …', () => {
    expect(topicsInLot('ADD MAPPING m\n WITH SOURCE_TOPIC "a/b"\n WITH DESTINATION_TOPIC "c/#"\n WITH MYTOPIC "d"\n WITH BASE_TOPICS "e/1, e/2"')).toEqual(['a/b', 'c/#', 'd', 'e/1', 'e/2']);
  });
});
