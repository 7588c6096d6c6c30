// Seed parity: every tool, resource and prompt of the five community servers Bastion replaces
// (test/fixtures/seed-tools.json, each read at a recorded commit) names the Bastion tool(s) doing its job; each named
// tool must be registered by a connector (or be one of Bastion's own), and README must have a row for each.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corefluxTools } from '../../src/connectors/coreflux/tools/index.js';
import { etimPrompts } from '../../src/connectors/etim/prompts.js';
import { etimResources } from '../../src/connectors/etim/resources.js';
import { etimTools } from '../../src/connectors/etim/tools/index.js';
import { redmineTools } from '../../src/connectors/redmine/tools/index.js';
import { youtrackTools } from '../../src/connectors/youtrack/tools/index.js';
import { promptPolicyTool } from '../../src/core/prompt.js';
import { resourcePolicyTool } from '../../src/core/resource.js';
import { CORE_TOOLS } from '../../src/core/status.js';

interface Capability {
  kind: 'tool' | 'resource' | 'prompt';
  name: string;
  bastion: string[];
  note?: string;
}
interface Seed {
  seed: string;
  connector: string;
  repo: string;
  read: Array<{ path: string; commit: string }>;
  capabilities: Capability[];
}

const root = resolve(import.meta.dirname, '../..');
const { seeds } = JSON.parse(readFileSync(resolve(root, 'test/fixtures/seed-tools.json'), 'utf8')) as { seeds: Seed[] };
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');

/** Every name Bastion answers to: connector tools, its own tools, and the policy names of resources and prompts. */
const REGISTERED = new Set([
  ...[...redmineTools, ...youtrackTools, ...etimTools, ...corefluxTools, ...CORE_TOOLS].map((tool) => tool.name),
  ...etimResources.map((resource) => resourcePolicyTool('etim', resource).name),
  ...etimPrompts.map((prompt) => promptPolicyTool('etim', prompt).name),
]);

/** The prefixes a seed's replacements may have: its connector's, and Bastion's own. */
const PREFIXES: Record<string, string[]> = { redmine: ['redmine_'], youtrack: ['youtrack_'], etim: ['etim_'], coreflux: ['coreflux_', 'mqtt_'] };

describe('seed parity', () => {
  it('covers the five replaced servers, each read at a recorded commit', () => {
    expect(seeds.map((s) => s.repo)).toEqual([
      'zacharyelston/rrmcpy',
      'pschroee/redmine-mcp',
      'cventers/youtrack-mcp',
      'ziouzitsou/etim-mcp-server',
      'CorefluxCommunity/Coreflux-MQTT-MCP-Server',
    ]);
    for (const seed of seeds) {
      expect(seed.read.length, seed.repo).toBeGreaterThan(0);
      for (const file of seed.read) expect(file.commit, `${seed.repo}/${file.path}`).toMatch(/^[0-9a-f]{40}$/);
      expect(seed.capabilities.length, seed.repo).toBeGreaterThan(5);
    }
  });

  it('maps every seed capability to at least one Bastion tool of its connector (or of Bastion itself), once', () => {
    for (const seed of seeds) {
      const names = seed.capabilities.map((c) => `${c.kind}:${c.name}`);
      expect(new Set(names).size, `${seed.repo}: a capability listed twice`).toBe(names.length);
      for (const capability of seed.capabilities) {
        const where = `${seed.repo} ${capability.kind} ${capability.name}`;
        expect(capability.bastion.length, `${where} has no Bastion tool`).toBeGreaterThan(0);
        for (const tool of capability.bastion) {
          expect([...PREFIXES[seed.connector]!, 'bastion_'].some((prefix) => tool.startsWith(prefix)), `${where} → ${tool}`).toBe(true);
        }
      }
    }
  });

  it('names only tools Bastion registers', () => {
    const missing = [...new Set(seeds.flatMap((seed) => seed.capabilities.flatMap((c) => c.bastion)))].filter((tool) => !REGISTERED.has(tool)).sort();
    expect(missing).toEqual([]);
  });

  it('README has a row per seed capability naming its Bastion tools', () => {
    const start = readme.indexOf('## Coming from another MCP server');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    for (const seed of seeds) {
      const table = section.slice(section.indexOf(`(\`${seed.repo}\`)`));
      expect(table.length, `${seed.repo} has no table`).toBeLessThan(section.length);
      const rows = table.split('\n### ')[0]!.split('\n').filter((line) => line.startsWith('| `'));
      for (const capability of seed.capabilities) {
        const row = rows.find((line) => line.startsWith(`| \`${capability.name}\` |`));
        expect(row, `${seed.repo}: no README row for ${capability.name}`).toBeDefined();
        for (const tool of capability.bastion) expect(row, `${seed.repo} ${capability.name}`).toContain(`\`${tool}\``);
      }
    }
  });
});
