// Named toolsets: every defined set stands for real tools, `<connector>:read` is exactly the read-only tools, an
// unknown set or one of a connector that is not enabled is refused with the valid names, and a policy built from
// sets allows their tools beside --tools while deny still wins.
import { describe, expect, it } from 'vitest';
import { corefluxTools } from '../../src/connectors/coreflux/tools/index.js';
import { etimTools } from '../../src/connectors/etim/tools/index.js';
import { redmineTools } from '../../src/connectors/redmine/tools/index.js';
import { TOOLSETS } from '../../src/connectors/toolsets.js';
import { youtrackTools } from '../../src/connectors/youtrack/tools/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { resolveToolsets, toolsetNames, ToolPolicy } from '../../src/core/policy.js';

const CONNECTORS = [
  { name: 'redmine', tools: redmineTools, extra: [] },
  { name: 'youtrack', tools: youtrackTools, extra: [] },
  { name: 'etim', tools: etimTools, extra: ['etim_resource_languages', 'etim_prompt_explain_class'] },
  { name: 'coreflux', tools: corefluxTools, extra: [] },
];

describe('toolset definitions', () => {
  it('every set of every connector stands for at least one of its tools, and only for its own', () => {
    for (const name of toolsetNames(TOOLSETS)) {
      const connector = name.split(':')[0]!;
      const tools = resolveToolsets([name], TOOLSETS, CONNECTORS).filter((tool) => !tool.includes('_resource_') && !tool.includes('_prompt_'));
      expect(tools.length, name).toBeGreaterThan(0);
      const own = CONNECTORS.find((c) => c.name === connector)!.tools.map((t) => t.name);
      for (const tool of tools) expect(own, `${name} → ${tool}`).toContain(tool);
    }
  });

  it('<connector>:read is exactly its read-only tools, <connector>:all all of them, with its resources and prompts', () => {
    const read = resolveToolsets(['redmine:read'], TOOLSETS, CONNECTORS);
    expect(read.sort()).toEqual(redmineTools.filter((t) => t.annotations.readOnlyHint).map((t) => t.name).sort());
    expect(read).not.toContain('redmine_create_issue');
    expect(resolveToolsets(['coreflux:all'], TOOLSETS, CONNECTORS).sort()).toEqual(corefluxTools.map((t) => t.name).sort());
    expect(resolveToolsets(['etim:classes'], TOOLSETS, CONNECTORS)).toEqual(expect.arrayContaining(['etim_get_class', 'etim_lookup_code', 'etim_resource_languages', 'etim_prompt_explain_class']));
    expect(resolveToolsets(['etim:classes'], TOOLSETS, CONNECTORS)).not.toContain('etim_get_unit');
  });

  it('job sets pick the tools of the job', () => {
    expect(resolveToolsets(['redmine:time'], TOOLSETS, CONNECTORS).sort()).toEqual(['redmine_delete_time_entry', 'redmine_list_time_entries', 'redmine_log_time', 'redmine_update_time_entry']);
    const issues = resolveToolsets(['redmine:issues'], TOOLSETS, CONNECTORS);
    expect(issues).toEqual(expect.arrayContaining(['redmine_search_issues', 'redmine_get_issue', 'redmine_create_issue', 'redmine_add_note', 'redmine_create_relation']));
    expect(issues).not.toContain('redmine_log_time');
    expect(resolveToolsets(['youtrack:work'], TOOLSETS, CONNECTORS).sort()).toEqual(['youtrack_delete_work_item', 'youtrack_list_work_items', 'youtrack_log_work', 'youtrack_time_report', 'youtrack_update_work_item']);
  });

  it('an unknown set is refused, naming it and listing every valid set', () => {
    for (const name of ['redmine:isues', 'jira:read', 'redmine', 'redmine:constructor']) {
      let error: unknown;
      try {
        resolveToolsets([name], TOOLSETS, CONNECTORS);
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`--toolsets (BASTION_TOOLSETS): "${name}" is not a toolset. Valid toolsets: redmine:read, redmine:all, redmine:issues,`);
      expect((error as Error).message).toContain('youtrack:read');
    }
  });

  it('a set of a connector that is not enabled is refused, naming the connector and what is enabled', () => {
    expect(() => resolveToolsets(['youtrack:read'], TOOLSETS, CONNECTORS.slice(0, 1))).toThrow(
      '--toolsets (BASTION_TOOLSETS): "youtrack:read" is a set of the youtrack connector, which is not enabled. Enabled: redmine. Configure youtrack or remove the set.',
    );
  });
});

describe('policy with toolsets', () => {
  const names = [...redmineTools, ...youtrackTools].map((t) => t.name);
  const tool = (name: string) => [...redmineTools, ...youtrackTools].find((t) => t.name === name)!;

  it('allows the tools of the sets and those of --tools, and nothing else; deny and read-only still win', () => {
    const toolsets = resolveToolsets(['redmine:time', 'youtrack:read'], TOOLSETS, CONNECTORS);
    const policy = new ToolPolicy({ readOnly: false, allow: ['redmine_get_issue'], deny: ['redmine_delete_*'], toolsets }, names);
    expect(policy.isEnabled(tool('redmine_log_time'))).toBe(true);
    expect(policy.isEnabled(tool('youtrack_get_issue'))).toBe(true);
    expect(policy.isEnabled(tool('redmine_get_issue'))).toBe(true);
    expect(policy.refusal(tool('youtrack_create_issue'))).toBe('youtrack_create_issue is in neither a --toolsets set (BASTION_TOOLSETS) nor the --tools allow list (BASTION_TOOLS).');
    expect(policy.refusal(tool('redmine_delete_time_entry'))).toBe('redmine_delete_time_entry is excluded by --exclude-tools (BASTION_EXCLUDE_TOOLS).');
    const readOnly = new ToolPolicy({ readOnly: true, allow: [], deny: [], toolsets }, names);
    expect(readOnly.isEnabled(tool('redmine_log_time'))).toBe(false);
    expect(readOnly.isEnabled(tool('redmine_list_time_entries'))).toBe(true);
  });
});
