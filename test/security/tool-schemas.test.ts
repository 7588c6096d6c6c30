// Every connector's tools/list, checked in under test/__snapshots__: a change to any tool's name, title, description,
// schemas or annotations fails here until the snapshot is regenerated on purpose (npx vitest run <this file> -u).
// Also: every tool declares all four annotation hints, and read-only mode hides and refuses exactly the write tools.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import type { EtimDouble } from '../doubles/etim.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { startBastionOnCoreflux, startCoreflux } from '../helpers/coreflux.js';
import { startBastionOnEtim, startEtim } from '../helpers/etim.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startBastionOnYouTrack, startYouTrack } from '../helpers/youtrack.js';

type Tool = Awaited<ReturnType<Bastion['client']['listTools']>>['tools'][number];

interface Connector {
  name: 'redmine' | 'youtrack' | 'etim' | 'coreflux';
  /** Name prefixes its tools use. */
  prefixes: string[];
  /** Whether it has tools that change data (ETIM is a read-only catalogue). */
  writes: boolean;
  start(extra: Record<string, string>): Promise<Bastion>;
  /** Requests (or broker commands) that reached the upstream system so far. */
  upstream(): number;
}

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
const NAME = /^(redmine|youtrack|etim|coreflux|mqtt)_[a-z0-9_]+$/;
// One snapshot holds the complete listing (every schema rule and the output schemas), the other the default
// compact listing that models read.
const FULL = { BASTION_TOOL_SCHEMAS: 'full' };
const COMPACT = { BASTION_TOOL_SCHEMAS: 'compact' };

let proxy: FaultProxy;
let youtrack: YouTrackDouble;
let etim: EtimDouble;
let broker: CorefluxBroker;
const bastions: Bastion[] = [];

const CONNECTORS: Connector[] = [
  {
    name: 'redmine',
    prefixes: ['redmine_'],
    writes: true,
    start: (extra) => startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, BASTION_KEYRING: 'false', ...extra }) }),
    upstream: () => proxy.seen.length,
  },
  { name: 'youtrack', prefixes: ['youtrack_'], writes: true, start: (extra) => startBastionOnYouTrack(youtrack, extra), upstream: () => youtrack.requests.length },
  { name: 'etim', prefixes: ['etim_'], writes: false, start: (extra) => startBastionOnEtim(etim, extra), upstream: () => etim.apiRequests.length + etim.tokenRequests.length },
  { name: 'coreflux', prefixes: ['coreflux_', 'mqtt_'], writes: true, start: (extra) => startBastionOnCoreflux(broker, extra), upstream: () => broker.commands.length },
];

/**
 * The common subset of the tool parameter schemas of OpenAI function calling, the Gemini API's `Schema` (also
 * Vertex AI) and Anthropic: per position, the keywords all three accept. Gemini is the narrowest: no const,
 * exclusiveMinimum, multipleOf, propertyNames or additionalProperties, enums of strings only, and no string format
 * but date-time.
 */
const PARAMETERS_KEYWORDS = new Set(['type', 'properties', 'required']);
const PROPERTY_KEYWORDS = new Set(['type', 'description', 'enum', 'default', 'format', 'items', 'properties', 'required', 'minimum', 'maximum', 'minItems', 'maxItems', 'anyOf', 'nullable', 'title']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);

/** What a provider would refuse in a listed schema, as "path: problem" lines (none for an acceptable schema). */
function providerSchemaProblems(schema: Record<string, unknown>, path: string, root = false): string[] {
  const problems: string[] = [];
  const allowed = root ? PARAMETERS_KEYWORDS : PROPERTY_KEYWORDS;
  for (const key of Object.keys(schema)) if (!allowed.has(key)) problems.push(`${path}: keyword ${key}`);
  if (root && (schema.type !== 'object' || typeof schema.properties !== 'object')) problems.push(`${path}: not {"type":"object","properties":{...}}`);
  if (schema.type !== undefined && !(typeof schema.type === 'string' && TYPES.has(schema.type))) problems.push(`${path}: type ${JSON.stringify(schema.type)}`);
  if (schema.type === undefined && !Array.isArray(schema.anyOf)) problems.push(`${path}: no type`);
  if (schema.enum !== undefined && !(schema.type === 'string' && Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === 'string'))) {
    problems.push(`${path}: enum of other than strings`);
  }
  if (schema.format !== undefined && schema.format !== 'date-time') problems.push(`${path}: format ${String(schema.format)}`);
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, property] of Object.entries(properties)) problems.push(...providerSchemaProblems(property, `${path}.${name}`));
  for (const required of (schema.required as string[] | undefined) ?? []) if (!(required in properties)) problems.push(`${path}: required ${required} is not a property`);
  if (schema.items) problems.push(...providerSchemaProblems(schema.items as Record<string, unknown>, `${path}[]`));
  for (const [index, entry] of ((schema.anyOf as Array<Record<string, unknown>> | undefined) ?? []).entries()) problems.push(...providerSchemaProblems(entry, `${path}|${index}`));
  return problems;
}

const full = new Map<string, Tool[]>();
const compact = new Map<string, Tool[]>();
const readOnly = new Map<string, { bastion: Bastion; tools: Tool[] }>();

/** Bastion's own tools (bastion_status), listed beside every connector's: snapshot once, under "bastion". */
const CORE_PREFIX = 'bastion_';
const core = new Map<'full' | 'compact' | 'readOnly', Tool[]>();

async function listing(bastion: Bastion, own?: 'full' | 'compact' | 'readOnly'): Promise<Tool[]> {
  const { tools } = await bastion.client.listTools();
  const sorted = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (own) core.set(own, sorted.filter((tool) => tool.name.startsWith(CORE_PREFIX)));
  return sorted.filter((tool) => !tool.name.startsWith(CORE_PREFIX));
}

beforeAll(async () => {
  [proxy, youtrack, etim, broker] = await Promise.all([startFaultProxy(redmineEnv().REDMINE_URL!), startYouTrack(), startEtim(), startCoreflux()]);
  await Promise.all(
    CONNECTORS.map(async (connector) => {
      const [all, limited, lean] = await Promise.all([connector.start(FULL), connector.start({ ...FULL, BASTION_READ_ONLY: 'true' }), connector.start(COMPACT)]);
      bastions.push(all, limited, lean);
      const own = connector.name === 'redmine';
      full.set(connector.name, await listing(all, own ? 'full' : undefined));
      compact.set(connector.name, await listing(lean, own ? 'compact' : undefined));
      readOnly.set(connector.name, { bastion: limited, tools: await listing(limited, connector.name === 'redmine' ? 'readOnly' : undefined) });
    }),
  );
});

afterAll(async () => {
  await Promise.all(bastions.map((bastion) => bastion.close()));
  await Promise.all([proxy?.close(), youtrack?.close(), etim?.close(), broker?.close()]);
});

describe.each(CONNECTORS.map((connector) => [connector.name, connector] as const))('%s tools', (name, connector) => {
  it('match the checked-in tools/list snapshot', async () => {
    const tools = full.get(name)!.map(({ name: toolName, title, description, inputSchema, outputSchema, annotations, ...rest }) => ({
      name: toolName,
      title,
      description,
      inputSchema,
      outputSchema,
      annotations,
      ...rest,
    }));
    expect(tools.length).toBeGreaterThan(10);
    await expect(`${JSON.stringify(tools, null, 2)}\n`).toMatchFileSnapshot(`../__snapshots__/${name}.tools.json`);
  });

  it('match the checked-in snapshot of the default (compact) listing', async () => {
    const tools = compact.get(name)!;
    expect(tools.map((tool) => tool.name)).toEqual(full.get(name)!.map((tool) => tool.name));
    await expect(`${JSON.stringify(tools, null, 2)}\n`).toMatchFileSnapshot(`../__snapshots__/${name}.tools.compact.json`);
  });

  it('list compact schemas in keywords that OpenAI, Gemini and Anthropic tool schemas all accept', () => {
    for (const tool of compact.get(name)!) {
      expect(providerSchemaProblems(tool.inputSchema as Record<string, unknown>, 'parameters', true), tool.name).toEqual([]);
    }
  });

  it('each set all four annotation hints as booleans, and a well-formed name of this connector', () => {
    for (const tool of [...full.get(name)!, ...compact.get(name)!]) {
      expect(tool.name).toMatch(NAME);
      expect(connector.prefixes.some((prefix) => tool.name.startsWith(prefix)), tool.name).toBe(true);
      for (const hint of HINTS) expect(typeof tool.annotations?.[hint], `${tool.name} ${hint}`).toBe('boolean');
      // A read-only tool cannot also be destructive.
      if (tool.annotations!.readOnlyHint) expect(tool.annotations!.destructiveHint, tool.name).toBe(false);
    }
  });

  it('in read-only mode lists exactly the read tools, unchanged, and refuses every write tool by name', async () => {
    const all = full.get(name)!;
    const reads = all.filter((tool) => tool.annotations!.readOnlyHint === true);
    const writes = all.filter((tool) => tool.annotations!.readOnlyHint === false);
    expect(reads.length).toBeGreaterThan(0);
    expect(writes.length > 0).toBe(connector.writes);
    const { bastion, tools } = readOnly.get(name)!;
    expect(tools.map((tool) => tool.name)).toEqual(reads.map((tool) => tool.name));
    expect(tools).toEqual(reads);

    const before = connector.upstream();
    for (const tool of writes) {
      await expect(bastion.client.callTool({ name: tool.name, arguments: {} }), tool.name).rejects.toThrow(`Tool ${tool.name} is hidden by read-only mode`);
    }
    expect(connector.upstream()).toBe(before);
  });
});

describe('Bastion\'s own tools', () => {
  it('match the checked-in snapshots, set all four hints, read only, and stay listed in read-only mode', async () => {
    const tools = core.get('full')!;
    expect(tools.map((tool) => tool.name)).toEqual(['bastion_status']);
    await expect(`${JSON.stringify(tools, null, 2)}\n`).toMatchFileSnapshot('../__snapshots__/bastion.tools.json');
    await expect(`${JSON.stringify(core.get('compact'), null, 2)}\n`).toMatchFileSnapshot('../__snapshots__/bastion.tools.compact.json');
    for (const tool of tools) {
      for (const hint of HINTS) expect(typeof tool.annotations?.[hint], `${tool.name} ${hint}`).toBe('boolean');
      expect(tool.annotations!.readOnlyHint, tool.name).toBe(true);
    }
    expect(core.get('readOnly')).toEqual(tools);
  });
});

describe('across connectors', () => {
  it('no tool that adds a comment or note is destructive, so adding one asks no confirmation', () => {
    const adders = [...full.values()].flat().filter((tool) => /_(add|create|post)_(comment|note)s?$/.test(tool.name));
    expect(adders.map((tool) => tool.name).sort()).toEqual(['redmine_add_note', 'youtrack_add_comment']);
    for (const tool of adders) {
      expect(tool.annotations, tool.name).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    }
  });

  it('no two tools share a name', () => {
    const names = [...full.values()].flat().map((tool) => tool.name);
    expect(names.length).toBeGreaterThan(80);
    expect(new Set(names).size).toBe(names.length);
  });
});
