// The LoT documentation resources (lot://documentation/...): every example is a complete definition of the document's
// kind that Bastion's own LoT check accepts, so a model that copies one is not refused by Bastion.
import { describe, expect, it } from 'vitest';
import { checkLot, RouteHosts } from '../../src/connectors/coreflux/lot-check.js';
import { corefluxResources, LOT_ACTIONS, LOT_MODELS, LOT_ROUTES, LOT_RULES } from '../../src/connectors/coreflux/resources.js';
import { TopicScope } from '../../src/connectors/coreflux/topics.js';

/** The ~~~lot blocks of a document (the ~~~ blocks without "lot" are shapes with placeholders, not code). */
function examples(text: string): string[] {
  return [...text.matchAll(/^~~~lot\n([\s\S]*?)^~~~$/gm)].map((match) => match[1]!);
}

// The hosts the route examples name, as an operator would list them; topics: the default (everything but $SYS).
const policy = { topics: new TopicScope(['#']), routeHosts: new RouteHosts(['cloud.example.com:8883', 'db.example.com:5432', '192.168.1.100:502']) };

describe.each([
  ['models', 'MODEL', LOT_MODELS, 3],
  ['actions', 'ACTION', LOT_ACTIONS, 4],
  ['routes', 'ROUTE', LOT_ROUTES, 3],
  ['rules', 'RULE', LOT_RULES, 3],
] as const)('lot://documentation/%s', (what, kind, text, count) => {
  it(`has ${count} examples, each one DEFINE ${kind} accepted by the LoT check`, () => {
    const found = examples(text);
    expect(found).toHaveLength(count);
    for (const example of found) {
      expect(example, example).toMatch(new RegExp(`^DEFINE ${kind} [A-Za-z_][A-Za-z0-9_]*`));
      expect(() => checkLot(example, policy, `The ${what} example`), example).not.toThrow();
      // Indented with spaces, in steps of four, as the LoT parser expects.
      for (const line of example.split('\n')) expect(/^( {4})*\S|^$/.test(line), line).toBe(true);
    }
  });

  it('is registered under its lot:// URI as markdown', () => {
    const resource = corefluxResources.find((entry) => entry.uri === `lot://documentation/${what}`);
    expect(resource).toMatchObject({ name: `coreflux-lot-${what}`, mimeType: 'text/markdown' });
  });
});

describe('the LoT check refuses what the documents say Bastion refuses', () => {
  it('a rule priority below 100 is not in any example, and a route host read at run time is refused', () => {
    for (const example of examples(LOT_RULES)) expect(Number(/WITH PRIORITY (\d+)/.exec(example)![1])).toBeGreaterThanOrEqual(100);
    const fromEnv = examples(LOT_ROUTES)[1]!.replace('WITH SERVER "db.example.com"', 'WITH SERVER GET ENV "PG_HOST"');
    expect(() => checkLot(fromEnv, policy, 'The route SensorDB')).toThrow(/SERVER must be a quoted literal/);
  });
});
