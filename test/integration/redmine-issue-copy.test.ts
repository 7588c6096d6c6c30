// Emptying issue fields, copying issues and creating subtask sets, through the real MCP client against the real
// Redmine, in projects of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { ADMIN_KEY, redmine, requireRedmine } from '../helpers/redmine.js';

let bastion: Bastion;
const run = Date.now().toString(36);
const home = `copy-${run}`;
const other = `copy-other-${run}`;
let homeId: number;
let dev: number;
let versionId: number;
let categoryId: number;

async function newIssue(fields: Record<string, unknown>): Promise<number> {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: homeId, ...fields } });
  expect(status).toBe(201);
  return body.issue.id;
}

async function issue(id: number, include = ''): Promise<any> {
  const { status, body } = await redmine('GET', `/issues/${id}.json${include ? `?include=${include}` : ''}`);
  expect(status).toBe(200);
  return body.issue;
}

async function childrenOf(id: number): Promise<Array<{ id: number; subject: string }>> {
  return (await issue(id, 'children')).children ?? [];
}

/** Uploads a small file and returns its token (Redmine's /uploads.json takes raw bytes). */
async function upload(content: string): Promise<string> {
  const response = await fetch(`${requireRedmine()}/uploads.json?filename=log.txt`, {
    method: 'POST',
    headers: { 'X-Redmine-API-Key': ADMIN_KEY, 'Content-Type': 'application/octet-stream' },
    body: content,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { upload: { token: string } }).upload.token;
}

beforeAll(async () => {
  for (const identifier of [home, other]) {
    const { status, body } = await redmine('POST', '/projects.json', { project: { name: `Copy ${identifier}`, identifier } });
    expect(status).toBe(201);
    if (identifier === home) homeId = body.project.id;
  }
  dev = (await redmine('GET', '/users.json?limit=100')).body.users.find((u: { login: string }) => u.login === 'dev').id;
  const developer = (await redmine('GET', '/roles.json')).body.roles.find((r: { name: string }) => r.name === 'Developer').id;
  expect((await redmine('POST', `/projects/${home}/memberships.json`, { membership: { user_id: dev, role_ids: [developer] } })).status).toBe(201);
  versionId = (await redmine('POST', `/projects/${home}/versions.json`, { version: { name: 'Sprint 1' } })).body.version.id;
  categoryId = (await redmine('POST', `/projects/${home}/issue_categories.json`, { issue_category: { name: 'Backend' } })).body.issue_category.id;
  bastion = await startBastion();
});

afterAll(async () => {
  await bastion?.close();
  for (const identifier of [home, other]) await redmine('DELETE', `/projects/${identifier}.json`);
});

describe('redmine_update_issue clear', () => {
  it('empties the parent, assignee, version, category, dates, estimate and a custom field, as Redmine then shows', async () => {
    const parent = await newIssue({ subject: 'Parent' });
    const id = await newIssue({
      subject: 'Full issue',
      parent_issue_id: parent,
      assigned_to_id: dev,
      fixed_version_id: versionId,
      category_id: categoryId,
      start_date: '2026-01-05',
      due_date: '2026-02-05',
      estimated_hours: 3,
      description: 'Some text',
      custom_fields: [{ id: 1, value: 'Sales' }],
    });
    const result = await call(bastion, 'redmine_update_issue', {
      issue_id: id,
      clear: ['parent', 'assignee', 'version', 'category', 'start_date', 'due_date', 'estimated_hours', 'description'],
      custom_fields: [{ field: 'Department', value: [] }],
    });
    expect(result.isError).toBeFalsy();
    expect(result.structured.warnings).toEqual([]);
    expect(result.structured.fields.filter((f: { applied: boolean }) => !f.applied)).toEqual([]);
    expect(result.structured.fields.map((f: { field: string }) => f.field)).toEqual(
      expect.arrayContaining(['parent', 'assignee', 'version', 'category', 'start_date', 'due_date', 'estimated_hours', 'description', 'Department']),
    );
    expect(result.text).toContain('parent (none)');
    const after = await issue(id);
    expect(after.parent).toBeUndefined();
    expect(after.assigned_to).toBeUndefined();
    expect(after.fixed_version).toBeUndefined();
    expect(after.category).toBeUndefined();
    expect(after.start_date).toBeNull();
    expect(after.due_date).toBeNull();
    expect(after.estimated_hours).toBeNull();
    expect(after.description ?? '').toBe('');
    expect(after.custom_fields.find((cf: { id: number }) => cf.id === 1).value ?? '').toBe('');
    expect(await childrenOf(parent)).toEqual([]);
  });

  it('empties a single-value custom field given as value [], as its description promises', async () => {
    const id = await newIssue({ subject: 'Has a department', custom_fields: [{ id: 1, value: 'Support' }] });
    const result = await call(bastion, 'redmine_update_issue', { issue_id: id, custom_fields: [{ field: 'Department', value: [] }] });
    expect(result.isError).toBeFalsy();
    expect(result.structured.fields).toEqual([{ field: 'Department', now: '(none)', applied: true }]);
    expect((await issue(id)).custom_fields.find((cf: { id: number }) => cf.id === 1).value ?? '').toBe('');
  });

  it('rejects an unknown field to clear, or one that is also set, and changes nothing', async () => {
    const id = await newIssue({ subject: 'Keeps its fields', assigned_to_id: dev, fixed_version_id: versionId });
    const before = await issue(id);
    const unknown = await call(bastion, 'redmine_update_issue', { issue_id: id, clear: ['assignee', 'status'] });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('clear');
    expect(unknown.text).toContain('assignee');
    const both = await call(bastion, 'redmine_update_issue', { issue_id: id, clear: ['version'], fixed_version_id: versionId });
    expect(both.isError).toBe(true);
    expect(both.text).toContain('clear: "version" is also given a value (fixed_version_id)');
    const empty = await call(bastion, 'redmine_update_issue', { issue_id: id, clear: [] });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('clear');
    expect((await issue(id)).updated_on).toBe(before.updated_on);
  });
});

describe('redmine_copy_issue', () => {
  it('copies an issue with its subtasks and attachments into another project, saying why it is not linked there', async () => {
    const token = await upload('line 1\nline 2\n');
    const source = await newIssue({
      subject: 'Template task',
      description: 'Steps',
      uploads: [{ token, filename: 'log.txt', content_type: 'text/plain' }],
    });
    await newIssue({ subject: 'Step A', parent_issue_id: source });
    await newIssue({ subject: 'Step B', parent_issue_id: source });

    const result = await call(bastion, 'redmine_copy_issue', { issue_id: source, project: other, with_subtasks: true, with_attachments: true, subject: 'Copied task' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ subject: 'Copied task', project: `Copy ${other}`, copied_from: source, subtasks: 2, attachments: 1 });
    // The test Redmine keeps cross-project relations off (Redmine's default), so the copy is not linked, and the result says so.
    expect(result.structured.warnings).toEqual([expect.stringContaining('The copy is not linked to the original')]);
    expect(result.text).toContain(`Copied issue #${source} to #${result.structured.id} "Copied task" in Copy ${other}, with 2 subtask(s), 1 attachment(s)`);
    const copy = await issue(result.structured.id, 'children,attachments,relations');
    expect(copy).toMatchObject({ project: { name: `Copy ${other}` }, description: 'Steps' });
    expect(copy.children.map((c: { subject: string }) => c.subject).sort()).toEqual(['Step A', 'Step B']);
    expect(copy.attachments.map((a: { filename: string }) => a.filename)).toEqual(['log.txt']);
    expect(copy.relations ?? []).toEqual([]);
    // The original keeps its own subtasks.
    expect((await childrenOf(source)).map((c) => c.subject).sort()).toEqual(['Step A', 'Step B']);
  });

  it('copies only the issue by default, in its own project, linked to the original', async () => {
    const source = await newIssue({ subject: 'Plain' });
    await newIssue({ subject: 'Not copied', parent_issue_id: source });
    const result = await call(bastion, 'redmine_copy_issue', { issue_id: source });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ subject: 'Plain', project: `Copy ${home}`, subtasks: 0, attachments: 0, warnings: [] });
    const copy = await issue(result.structured.id, 'relations,children');
    expect(copy.relations).toEqual([expect.objectContaining({ issue_id: source, issue_to_id: copy.id, relation_type: 'copied_to' })]);
    expect(copy.children ?? []).toEqual([]);

    const unlinked = await call(bastion, 'redmine_copy_issue', { issue_id: source, link: false });
    expect(unlinked.isError).toBeFalsy();
    expect((await issue(unlinked.structured.id, 'relations')).relations ?? []).toEqual([]);
  });

  it('rejects a bad target or issue id and creates nothing', async () => {
    const source = await newIssue({ subject: 'Stays single' });
    const count = async () => (await redmine('GET', `/issues.json?project_id=${home}&status_id=*&limit=1`)).body.total_count;
    const before = await count();
    const target = await call(bastion, 'redmine_copy_issue', { issue_id: source, project: 'No Such Project' });
    expect(target.isError).toBe(true);
    expect(target.text).toContain('project');
    expect(target.text).toContain('must be a project identifier');
    const id = await call(bastion, 'redmine_copy_issue', { issue_id: -3 });
    expect(id.isError).toBe(true);
    expect(id.text).toContain('issue_id');
    const flag = await call(bastion, 'redmine_copy_issue', { issue_id: source, with_subtasks: 'yes' });
    expect(flag.isError).toBe(true);
    expect(flag.text).toContain('with_subtasks');
    expect(await count()).toBe(before);
  });

  it('copies nothing out of or into a project outside REDMINE_PROJECTS', async () => {
    const source = await newIssue({ subject: 'Scoped source' });
    const inOther = async () => (await redmine('GET', `/issues.json?project_id=${other}&status_id=*&limit=1`)).body.total_count;
    const before = await inOther();
    const scoped = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: home }) });
    try {
      const into = await call(scoped, 'redmine_copy_issue', { issue_id: source, project: other });
      expect(into.isError).toBe(true);
      expect(into.text).toContain(`Project "${other}" is outside the allowed projects`);
      const betaIssue = (await redmine('GET', '/issues.json?project_id=beta&limit=1')).body.issues[0].id;
      const outOf = await call(scoped, 'redmine_copy_issue', { issue_id: betaIssue });
      expect(outOf.isError).toBe(true);
      expect(outOf.text).toContain(`Issue #${betaIssue} is outside the allowed projects`);
      expect(await inOther()).toBe(before);
    } finally {
      await scoped.close();
    }
  });
});

describe('redmine_create_subtasks', () => {
  it('creates a set of subtasks under an issue, in order', async () => {
    const parent = await newIssue({ subject: 'Release checklist' });
    const result = await call(bastion, 'redmine_create_subtasks', {
      parent_issue_id: parent,
      subtasks: [
        { subject: 'Write notes', tracker: 'Feature', assigned_to_id: dev, estimated_hours: 2 },
        { subject: 'Tag the build', priority: 'High', due_date: '2027-01-10' },
        { subject: 'Announce', fixed_version_id: versionId, category_id: categoryId },
      ],
    });
    expect(result.isError).toBeFalsy();
    expect(result.structured.created.map((c: { subject: string }) => c.subject)).toEqual(['Write notes', 'Tag the build', 'Announce']);
    expect(result.structured.created[0].tracker).toBe('Feature');
    expect(result.text).toContain(`Created 3 subtask(s) of #${parent} in Copy ${home}`);
    const children = await childrenOf(parent);
    expect(children.map((c) => c.subject).sort()).toEqual(['Announce', 'Tag the build', 'Write notes']);
    const first = await issue(result.structured.created[0].id);
    expect(first).toMatchObject({ assigned_to: { id: dev }, estimated_hours: 2, parent: { id: parent } });
    expect((await issue(result.structured.created[1].id)).priority.name).toBe('High');
  });

  it('sends nothing when a name does not resolve, and names the created ones when Redmine refuses one midway', async () => {
    const parent = await newIssue({ subject: 'Checklist with a bad entry' });
    const unresolved = await call(bastion, 'redmine_create_subtasks', {
      parent_issue_id: parent,
      subtasks: [{ subject: 'Fine' }, { subject: 'Bad tracker', tracker: 'Epic' }],
    });
    expect(unresolved.isError).toBe(true);
    expect(unresolved.text).toContain('subtasks[1] ("Bad tracker"): Unknown tracker "Epic"');
    expect(unresolved.text).toContain('Nothing was created.');
    expect(await childrenOf(parent)).toEqual([]);

    const midway = await call(bastion, 'redmine_create_subtasks', {
      parent_issue_id: parent,
      subtasks: [{ subject: 'One' }, { subject: 'Two' }, { subject: 'Three', assigned_to_id: 999_999 }, { subject: 'Four' }],
    });
    expect(midway.isError).toBe(true);
    expect(midway.text).toMatch(/Created 2 of 4 subtasks of #\d+ \(#\d+ "One", #\d+ "Two"\)\. Subtask 3 "Three" failed: .*Assignee is invalid/);
    expect(midway.text).toContain('The 1 after it were not sent.');
    expect((await childrenOf(parent)).map((c) => c.subject).sort()).toEqual(['One', 'Two']);

    const tooMany = await call(bastion, 'redmine_create_subtasks', {
      parent_issue_id: parent,
      subtasks: Array.from({ length: 21 }, (_, i) => ({ subject: `S${i}` })),
    });
    expect(tooMany.isError).toBe(true);
    expect(tooMany.text).toContain('subtasks');
    expect(await childrenOf(parent)).toHaveLength(2);
  });
});
