// Read-only mode, allow/deny lists and project scope, as a client sees them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { issueIdBySubject, redmine } from '../helpers/redmine.js';

let running: Bastion[] = [];
async function start(env: Record<string, string> = {}, args: string[] = []): Promise<Bastion> {
  const bastion = await startBastion({ env: redmineEnv(env), args });
  running.push(bastion);
  return bastion;
}
afterEach(async () => {
  await Promise.all(running.map((b) => b.close()));
  running = [];
});

async function toolNames(bastion: Bastion): Promise<string[]> {
  return (await bastion.client.listTools()).tools.map((tool) => tool.name);
}

async function alphaCount(): Promise<number> {
  return (await redmine('GET', '/issues.json?project_id=alpha&status_id=*&limit=1')).body.total_count;
}

let alphaIssue: number;
let betaIssue: number;
beforeAll(async () => {
  alphaIssue = await issueIdBySubject('Alpha issue 3');
  betaIssue = await issueIdBySubject('Beta issue 1');
});

describe('read-only', () => {
  it('lists only read-only tools and refuses write tools at call time (flag)', async () => {
    const bastion = await start({}, ['--read-only']);
    const { tools } = await bastion.client.listTools();
    expect(tools.length).toBeGreaterThan(10);
    expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    expect(tools.map((t) => t.name)).not.toContain('redmine_create_issue');

    const before = await alphaCount();
    await expect(bastion.client.callTool({ name: 'redmine_create_issue', arguments: { project: 'alpha', subject: 'sneaky' } })).rejects.toThrow(
      /redmine_create_issue/,
    );
    expect(await alphaCount()).toBe(before);
    const read = await call(bastion, 'redmine_get_issue', { issue_id: alphaIssue, journals: false });
    expect(read.isError).toBeFalsy();
  });

  it('is also set by BASTION_READ_ONLY', async () => {
    const bastion = await start({ BASTION_READ_ONLY: 'true' });
    const names = await toolNames(bastion);
    expect(names).toContain('redmine_search_issues');
    expect(names).not.toContain('redmine_delete_issue');
    expect(names).not.toContain('redmine_put_wiki_page');
  });
});

describe('calls of hidden tools leave a trace', () => {
  const records = (path: string): Array<Record<string, unknown>> =>
    readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

  it('audits a write tool called by name under --read-only, or excluded by a deny list, as denied', async () => {
    const audit = join(mkdtempSync(join(tmpdir(), 'bastion-policy-')), 'audit.jsonl');
    const readOnly = await start({ BASTION_AUDIT_LOG: audit }, ['--read-only']);
    await expect(readOnly.client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: alphaIssue } })).rejects.toThrow(/redmine_delete_issue/);
    const denyList = await start({ BASTION_AUDIT_LOG: audit, BASTION_EXCLUDE_TOOLS: 'redmine_add_note' });
    await expect(denyList.client.callTool({ name: 'redmine_add_note', arguments: { issue_id: alphaIssue, notes: 'probe' } })).rejects.toThrow(/redmine_add_note/);

    expect((await redmine('GET', `/issues/${alphaIssue}.json`)).status).toBe(200);
    const calls = records(audit).filter((r) => r.type === 'tool_call');
    expect(calls).toEqual([
      expect.objectContaining({ tool: 'redmine_delete_issue', connector: 'redmine', caller: 'stdio', outcome: 'denied', args: { issue_id: alphaIssue } }),
      expect.objectContaining({ tool: 'redmine_add_note', caller: 'stdio', outcome: 'denied', error: expect.stringContaining('excluded by --exclude-tools') }),
    ]);
    expect(calls[0]!.error).toContain('Bastion runs read-only');
  });
});

describe('allow and deny lists', () => {
  it('keeps only the allowed tools', async () => {
    const bastion = await start({}, ['--tools', 'redmine_get_*,redmine_search_issues']);
    const names = await toolNames(bastion);
    expect(names.sort()).toEqual(names.filter((n) => n.startsWith('redmine_get_') || n === 'redmine_search_issues').sort());
    expect(names).toContain('redmine_get_issue');
    expect(names).toContain('redmine_search_issues');
    expect(names).not.toContain('redmine_update_issue');
  });

  it('lets deny win over allow, also through BASTION_EXCLUDE_TOOLS', async () => {
    const bastion = await start({ BASTION_TOOLS: 'redmine_*', BASTION_EXCLUDE_TOOLS: 'redmine_delete_*' });
    const names = await toolNames(bastion);
    expect(names).toContain('redmine_create_issue');
    expect(names.filter((n) => n.startsWith('redmine_delete_'))).toEqual([]);
    const before = (await redmine('GET', `/issues/${alphaIssue}.json`)).status;
    await expect(bastion.client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: alphaIssue } })).rejects.toThrow();
    expect(before).toBe(200);
    expect((await redmine('GET', `/issues/${alphaIssue}.json`)).status).toBe(200);
  });
});

describe('project scope (REDMINE_PROJECTS)', () => {
  it('limits searches to the allowed project and refuses other projects\' issues', async () => {
    const bastion = await start({ REDMINE_PROJECTS: 'beta' });
    const search = await call(bastion, 'redmine_search_issues', { status: 'all' });
    expect(search.isError).toBeFalsy();
    expect(search.structured.total_count).toBe(3);
    expect(search.structured.issues.every((i: { subject: string }) => i.subject.startsWith('Beta'))).toBe(true);

    const other = await call(bastion, 'redmine_search_issues', { project: 'alpha' });
    expect(other.isError).toBe(true);
    expect(other.text).toContain('REDMINE_PROJECTS=beta');

    const get = await call(bastion, 'redmine_get_issue', { issue_id: alphaIssue });
    expect(get.isError).toBe(true);
    expect(get.text).toMatch(/Issue #\d+ is outside the allowed projects/);
    expect(get.text).not.toContain('Alpha issue 3');

    const ok = await call(bastion, 'redmine_get_issue', { issue_id: betaIssue, journals: false });
    expect(ok.isError).toBeFalsy();
  });

  it('refuses writes outside the scope and changes nothing', async () => {
    const bastion = await start({ REDMINE_PROJECTS: 'beta' });
    const before = await alphaCount();
    const updatedBefore = (await redmine('GET', `/issues/${alphaIssue}.json`)).body.issue.updated_on;

    const create = await call(bastion, 'redmine_create_issue', { project: 'alpha', subject: 'out of scope' });
    expect(create.isError).toBe(true);
    expect(create.text).toContain('outside the allowed projects');
    const update = await call(bastion, 'redmine_update_issue', { issue_id: alphaIssue, notes: 'out of scope' });
    expect(update.isError).toBe(true);
    const move = await call(bastion, 'redmine_update_issue', { issue_id: betaIssue, project: 'alpha' });
    expect(move.isError).toBe(true);
    const relate = await call(bastion, 'redmine_create_relation', { issue_id: betaIssue, issue_to_id: alphaIssue, relation_type: 'relates' });
    expect(relate.isError).toBe(true);

    expect(await alphaCount()).toBe(before);
    expect((await redmine('GET', `/issues/${alphaIssue}.json`)).body.issue.updated_on).toBe(updatedBefore);
    expect((await redmine('GET', `/issues/${betaIssue}.json`)).body.issue.project.name).toBe('Beta');
  });

  it('asks which project when several are allowed, and lists only allowed projects', async () => {
    const bastion = await start({ REDMINE_PROJECTS: 'alpha,beta' });
    const search = await call(bastion, 'redmine_search_issues', {});
    expect(search.isError).toBe(true);
    expect(search.text).toContain('name one of them with "project"');
    const projects = await call(bastion, 'redmine_list_projects', {});
    expect(projects.isError).toBeFalsy();
    const identifiers = projects.structured.projects.map((p: { identifier: string }) => p.identifier).sort();
    expect(identifiers).toEqual(['alpha', 'beta']);
  });

  it('reports a scope naming a project that does not exist', async () => {
    const bastion = await start({ REDMINE_PROJECTS: 'no-such-project' });
    const search = await call(bastion, 'redmine_search_issues', {});
    expect(search.isError).toBe(true);
    expect(search.text).toContain('"no-such-project"');
  });
});
