// --toolsets through the built CLI and the real MCP client on the real Redmine: the listing is the sets' tools (and
// bastion_status), a tool outside them is answered with the setting that hides it, BASTION_TOOLSETS works the same,
// and an unknown set stops start-up with the valid names.
import { describe, expect, it } from 'vitest';
import { call, redmineEnv, runCli, startBastion } from '../helpers/bastion.js';

describe('--toolsets', () => {
  it('lists only the tools of the named sets, beside --tools, and answers a call of another with the setting', async () => {
    const bastion = await startBastion({ env: redmineEnv(), args: ['--toolsets', 'redmine:time', '--tools', 'redmine_get_issue'] });
    try {
      const names = (await bastion.client.listTools()).tools.map((tool) => tool.name).sort();
      expect(names).toEqual(['bastion_status', 'redmine_delete_time_entry', 'redmine_get_issue', 'redmine_list_time_entries', 'redmine_log_time', 'redmine_update_time_entry']);
      const outside = await bastion.client.callTool({ name: 'redmine_list_projects', arguments: {} }).then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
      expect(outside).toContain('redmine_list_projects is in neither a --toolsets set (BASTION_TOOLSETS) nor the --tools allow list (BASTION_TOOLS).');
      const listed = await call(bastion, 'redmine_list_time_entries', { limit: 1 });
      expect(listed.isError, listed.text).toBeFalsy();
    } finally {
      await bastion.close();
    }
  });

  it('reads BASTION_TOOLSETS; <connector>:read lists the read-only tools only', async () => {
    const bastion = await startBastion({ env: redmineEnv({ BASTION_TOOLSETS: 'redmine:read' }) });
    try {
      const tools = (await bastion.client.listTools()).tools;
      expect(tools.length).toBeGreaterThan(5);
      for (const tool of tools) expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(tools.map((t) => t.name)).toContain('redmine_get_issue');
    } finally {
      await bastion.close();
    }
  });

  it('an unknown set, or a set of a connector that is not configured, stops start-up with the valid names', async () => {
    const unknown = await runCli(['serve', '--toolsets', 'redmine:isues'], redmineEnv());
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--toolsets (BASTION_TOOLSETS): "redmine:isues" is not a toolset. Valid toolsets: redmine:read, redmine:all, redmine:issues, redmine:time,');
    const absent = await runCli(['serve'], redmineEnv({ BASTION_TOOLSETS: 'youtrack:read' }));
    expect(absent.status).toBe(2);
    expect(absent.stderr).toContain('"youtrack:read" is a set of the youtrack connector, which is not enabled. Enabled: redmine.');
  });

  it('--help lists the flag and every set', async () => {
    const help = await runCli(['--help'], { PATH: process.env.PATH ?? '' });
    expect(help.stdout).toContain('Toolsets (--toolsets');
    for (const set of ['redmine:issues', 'redmine:time', 'youtrack:read', 'etim:classes', 'coreflux:mqtt']) expect(help.stdout).toContain(`  ${set}`);
    const serve = await runCli(['serve', '--help'], { PATH: process.env.PATH ?? '' });
    expect(serve.stdout).toContain('--toolsets <sets>');
    expect(serve.stdout).toContain('[BASTION_TOOLSETS]');
  });
});
