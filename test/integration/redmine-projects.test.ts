// Project and version tools through the real MCP client against the real Redmine: a success and a bad-input case per tool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBastion, type Bastion } from '../helpers/bastion.js';
import { redmine } from '../helpers/redmine.js';

interface RedmineVersion {
  id: number;
  project: { id: number; name: string };
  name: string;
  description: string;
  status: string;
  due_date: string | null;
  sharing: string;
  wiki_page_title: string | null;
  updated_on: string;
}

let bastion: Bastion;
const run = Date.now();
/** Versions made by these tests, removed again at the end so that alpha's list stays short. */
const madeVersions: number[] = [];

async function versionsOf(project: string): Promise<RedmineVersion[]> {
  return (await redmine('GET', `/projects/${project}/versions.json`)).body.versions;
}

async function version(id: number): Promise<RedmineVersion> {
  const { status, body } = await redmine('GET', `/versions/${id}.json`);
  expect(status).toBe(200);
  return body.version;
}

async function newVersion(name: string, fields: Record<string, unknown> = {}, project = 'alpha'): Promise<number> {
  const { status, body } = await redmine('POST', `/projects/${project}/versions.json`, { version: { name, ...fields } });
  expect(status).toBe(201);
  madeVersions.push(body.version.id);
  return body.version.id;
}

/** A throw-away project, deleted after `use` whatever happens. */
async function withProject(fields: Record<string, unknown>, use: (identifier: string) => Promise<void>): Promise<void> {
  const identifier = `${String(fields.identifier ?? 'tmp')}-${run}`;
  const { status } = await redmine('POST', '/projects.json', { project: { name: `Temp ${identifier}`, ...fields, identifier } });
  expect(status).toBe(201);
  try {
    await use(identifier);
  } finally {
    await redmine('DELETE', `/projects/${identifier}.json`);
  }
}

beforeAll(async () => {
  bastion = await startBastion();
});

afterAll(async () => {
  await bastion?.close();
  for (const id of madeVersions) await redmine('DELETE', `/versions/${id}.json`);
});

describe('redmine_list_projects', () => {
  it('lists the active projects with the same total and order Redmine reports, paged', async () => {
    const direct = (await redmine('GET', '/projects.json?status=1&limit=100')).body;
    const result = await call(bastion, 'redmine_list_projects');
    expect(result.isError).toBeFalsy();
    expect(result.structured.total_count).toBe(direct.total_count);
    expect(result.structured.projects.map((p: { identifier: string }) => p.identifier)).toEqual(
      direct.projects.slice(0, 25).map((p: { identifier: string }) => p.identifier),
    );
    const alpha = result.structured.projects.find((p: { identifier: string }) => p.identifier === 'alpha');
    expect(alpha).toMatchObject({ name: 'Alpha', description: expect.stringContaining('Main test project') });
    expect(alpha.status).toBeUndefined();
    expect(result.text).toContain(`of ${direct.total_count}`);

    const second = await call(bastion, 'redmine_list_projects', { offset: 1, limit: 1 });
    expect(second.structured.projects).toHaveLength(1);
    expect(second.structured.projects[0].identifier).toBe(direct.projects[1].identifier);
    expect(second.structured.offset).toBe(1);
    if (direct.total_count > 2) expect(second.text).toContain('More: call again with offset=2.');
  });

  it('lists a closed project only with include_closed, marked closed, and cuts long descriptions', async () => {
    await withProject({ identifier: 'closed', description: 'Closed project. '.repeat(30) }, async (identifier) => {
      expect((await redmine('PUT', `/projects/${identifier}/close.json`, {})).status).toBe(204);
      const active = await call(bastion, 'redmine_list_projects', { limit: 100 });
      expect(active.structured.projects.map((p: { identifier: string }) => p.identifier)).not.toContain(identifier);

      const direct = (await redmine('GET', '/projects.json?status=1%7C5&limit=1')).body.total_count;
      const all = await call(bastion, 'redmine_list_projects', { include_closed: true, limit: 100 });
      expect(all.isError).toBeFalsy();
      expect(all.structured.total_count).toBe(direct);
      expect(all.structured.total_count).toBe(active.structured.total_count + 1);
      const closed = all.structured.projects.find((p: { identifier: string }) => p.identifier === identifier);
      expect(closed.status).toBe('closed');
      expect(closed.description).toMatch(/^Closed project\. .*… \[truncated: \d+ more characters; redmine_get_project has the full description\]$/);
      expect(all.text).toContain(`${identifier} (#${closed.id}) Temp ${identifier} [closed]`);
    });
  });

  it('rejects bad paging and unknown arguments, naming them', async () => {
    const limit = await call(bastion, 'redmine_list_projects', { limit: 0 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
    const offset = await call(bastion, 'redmine_list_projects', { offset: -1 });
    expect(offset.isError).toBe(true);
    expect(offset.text).toContain('offset');
    const closed = await call(bastion, 'redmine_list_projects', { include_closed: 'yes' });
    expect(closed.isError).toBe(true);
    expect(closed.text).toContain('include_closed');
    const unknown = await call(bastion, 'redmine_list_projects', { name: 'alpha' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('name');
  });
});

describe('redmine_get_project', () => {
  it('returns trackers, categories, activities, modules and members as Redmine has them', async () => {
    const direct = (await redmine('GET', '/projects/alpha.json?include=trackers,issue_categories,time_entry_activities,enabled_modules,issue_custom_fields')).body
      .project;
    const members = (await redmine('GET', '/projects/alpha/memberships.json?limit=100')).body.memberships as Array<{
      user?: { id: number; name: string };
      roles: Array<{ name: string }>;
    }>;
    const result = await call(bastion, 'redmine_get_project', {
      project: 'alpha',
      include: ['trackers', 'issue_categories', 'time_entry_activities', 'enabled_modules', 'issue_custom_fields', 'memberships'],
    });
    expect(result.isError).toBeFalsy();
    const project = result.structured;
    const plain = (items: Array<{ id: number; name: string }>) => items.map(({ id, name }) => ({ id, name }));
    expect(project).toMatchObject({ id: direct.id, identifier: 'alpha', name: 'Alpha', status: 'active', is_public: true });
    expect(project.trackers).toEqual(plain(direct.trackers));
    expect(project.trackers.map((t: { name: string }) => t.name)).toEqual(['Bug', 'Feature', 'Support']);
    expect(project.issue_categories).toEqual(plain(direct.issue_categories));
    expect(project.issue_categories.map((c: { name: string }) => c.name)).toContain('Backend');
    expect(project.time_entry_activities).toEqual(plain(direct.time_entry_activities));
    expect(project.time_entry_activities.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['Development', 'Design']));
    expect(project.enabled_modules).toEqual(direct.enabled_modules.map((m: { name: string }) => m.name));
    expect(project.issue_custom_fields.map((f: { id: number }) => f.id)).toEqual(direct.issue_custom_fields.map((f: { id: number }) => f.id));
    expect(project.memberships).toEqual(members.map((m) => ({ user: m.user, roles: m.roles.map((r) => r.name) })));
    expect(project.memberships).toEqual(
      expect.arrayContaining([
        { user: expect.objectContaining({ name: 'Dev User' }), roles: ['Developer'] },
        { user: expect.objectContaining({ name: 'Qa Tester' }), roles: ['Developer'] },
      ]),
    );
    expect(project.memberships_total).toBeUndefined();
    expect(result.text).toMatch(/Categories: .*Backend \(\d+\)/);
    expect(result.text).toMatch(/- Dev User \(user \d+\): Developer/);

    const defaults = await call(bastion, 'redmine_get_project', { project: String(direct.id) });
    expect(defaults.structured.identifier).toBe('alpha');
    expect(defaults.structured.trackers).toEqual(project.trackers);
    expect(defaults.structured.memberships).toBeUndefined();
  });

  it('describes a project\'s own custom fields and cuts a long description', async () => {
    const fields = (await redmine('GET', '/custom_fields.json')).body.custom_fields as Array<{ id: number; name: string }>;
    const department = fields.find((f) => f.name === 'Department')!;
    const description = `${'A long project description. '.repeat(20)}END`;
    await withProject({ identifier: 'cf', description, issue_custom_field_ids: [department.id] }, async (identifier) => {
      const result = await call(bastion, 'redmine_get_project', { project: identifier, max_chars: 100 });
      expect(result.isError).toBeFalsy();
      expect(result.structured.issue_custom_fields).toEqual([
        { id: department.id, name: 'Department', format: 'list', required: false, multiple: false, possible_values: ['Engineering', 'Sales', 'Support'] },
      ]);
      expect(result.structured.description).toBe(
        `${description.slice(0, 100)}… [truncated: ${description.length - 100} more characters; call redmine_get_project again with max_chars=${description.length}]`,
      );
      const whole = await call(bastion, 'redmine_get_project', { project: identifier, max_chars: description.length });
      expect(whole.structured.description).toBe(description);
    });
  });

  it('reports an unknown project and bad input clearly', async () => {
    const missing = await call(bastion, 'redmine_get_project', { project: 'no-such-project' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('Project "no-such-project" does not exist or is not visible to this key: use an identifier or id from redmine_list_projects.');
    const project = await call(bastion, 'redmine_get_project', { project: 'Not A Project!' });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('project');
    const include = await call(bastion, 'redmine_get_project', { project: 'alpha', include: ['members'] });
    expect(include.isError).toBe(true);
    expect(include.text).toContain('include');
    const chars = await call(bastion, 'redmine_get_project', { project: 'alpha', max_chars: 10 });
    expect(chars.isError).toBe(true);
    expect(chars.text).toContain('max_chars');
  });
});

describe('redmine_list_versions', () => {
  it('lists the versions Redmine lists, marking one shared from another project', async () => {
    const shared = await newVersion(`Shared ${run}`, { sharing: 'system' }, 'beta');
    const direct = await versionsOf('alpha');
    const result = await call(bastion, 'redmine_list_versions', { project: 'alpha' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.total_count).toBe(direct.length);
    expect(result.structured.versions.map((v: { id: number }) => v.id)).toEqual(direct.map((v) => v.id));
    expect(result.structured.versions.find((v: { name: string }) => v.name === 'v1.0')).toEqual({
      id: expect.any(Number),
      name: 'v1.0',
      status: 'open',
      due_date: '2026-03-31',
      sharing: 'none',
      description: 'First release',
    });
    const fromBeta = result.structured.versions.find((v: { id: number }) => v.id === shared);
    expect(fromBeta).toMatchObject({ name: `Shared ${run}`, sharing: 'system', project: { name: 'Beta' } });
    expect(result.text).toContain(`#${shared} Shared ${run} [open], sharing system, from Beta`);
  });

  it('reports an unknown project and a bad identifier', async () => {
    const missing = await call(bastion, 'redmine_list_versions', { project: 'no-such-project' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('Project "no-such-project" does not exist or is not visible to this key: use an identifier or id from redmine_list_projects.');
    const bad = await call(bastion, 'redmine_list_versions', { project: 'Alpha Project' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('project');
  });
});

describe('redmine_create_version', () => {
  it('creates a version with every field set', async () => {
    const before = (await versionsOf('alpha')).length;
    const name = `Release ${run}`;
    const result = await call(bastion, 'redmine_create_version', {
      project: 'alpha',
      name,
      status: 'locked',
      due_date: '2027-06-30',
      sharing: 'descendants',
      description: 'Summer release',
      wiki_page_title: 'Runbook',
    });
    expect(result.isError).toBeFalsy();
    madeVersions.push(result.structured.id);
    expect(result.structured).toMatchObject({ name, project: 'Alpha', status: 'locked', due_date: '2027-06-30', sharing: 'descendants' });
    expect(result.text).toMatch(new RegExp(`Created version #${result.structured.id} ${name} in Alpha \\[locked, due 2027-06-30, sharing descendants\\]`));
    expect(await version(result.structured.id)).toMatchObject({
      project: { name: 'Alpha' },
      name,
      status: 'locked',
      due_date: '2027-06-30',
      sharing: 'descendants',
      description: 'Summer release',
      wiki_page_title: 'Runbook',
    });
    expect((await versionsOf('alpha')).length).toBe(before + 1);
  });

  it('refuses a duplicate name with Redmine\'s own message and creates no second version', async () => {
    const name = `Dup ${run}`;
    await newVersion(name);
    const before = await versionsOf('alpha');
    const result = await call(bastion, 'redmine_create_version', { project: 'alpha', name });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('422');
    expect(result.text).toContain('Name has already been taken');
    const after = await versionsOf('alpha');
    expect(after.filter((v) => v.name === name)).toHaveLength(1);
    expect(after.length).toBe(before.length);
  });

  it('changes nothing on bad input, naming the field', async () => {
    const before = (await versionsOf('alpha')).length;
    const blank = await call(bastion, 'redmine_create_version', { project: 'alpha', name: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('name');
    const long = await call(bastion, 'redmine_create_version', { project: 'alpha', name: 'x'.repeat(61) });
    expect(long.isError).toBe(true);
    expect(long.text).toContain('name');
    const status = await call(bastion, 'redmine_create_version', { project: 'alpha', name: `Bad status ${run}`, status: 'done' });
    expect(status.isError).toBe(true);
    expect(status.text).toContain('status');
    const date = await call(bastion, 'redmine_create_version', { project: 'alpha', name: `Bad date ${run}`, due_date: '30/06/2027' });
    expect(date.isError).toBe(true);
    expect(date.text).toContain('due_date');
    const sharing = await call(bastion, 'redmine_create_version', { project: 'alpha', name: `Bad sharing ${run}`, sharing: 'everyone' });
    expect(sharing.isError).toBe(true);
    expect(sharing.text).toContain('sharing');
    const project = await call(bastion, 'redmine_create_version', { project: 'no-such-project', name: `Nowhere ${run}` });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('404');
    const after = await versionsOf('alpha');
    expect(after.length).toBe(before);
    expect(after.map((v) => v.name).filter((n) => n.endsWith(String(run)) && n.startsWith('Bad'))).toEqual([]);
  });
});

describe('redmine_update_version', () => {
  it('changes the given fields, reports old and new values, and leaves the others alone', async () => {
    const id = await newVersion(`Planned ${run}`, { due_date: '2027-01-31', description: 'Old plan', wiki_page_title: 'Runbook' });
    const result = await call(bastion, 'redmine_update_version', { version_id: id, status: 'closed', due_date: '2027-02-28', description: 'Shipped' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ id, name: `Planned ${run}`, project: 'Alpha' });
    expect(result.structured.changes).toEqual([
      { field: 'status', from: 'open', to: 'closed' },
      { field: 'due_date', from: '2027-01-31', to: '2027-02-28' },
      { field: 'description', from: 'Old plan', to: 'Shipped' },
    ]);
    expect(await version(id)).toMatchObject({
      name: `Planned ${run}`,
      status: 'closed',
      due_date: '2027-02-28',
      description: 'Shipped',
      sharing: 'none',
      wiki_page_title: 'Runbook',
    });

    const renamed = await call(bastion, 'redmine_update_version', { version_id: id, name: `Shipped ${run}`, status: 'closed' });
    expect(renamed.structured.name).toBe(`Shipped ${run}`);
    expect(renamed.structured.changes).toEqual([{ field: 'name', from: `Planned ${run}`, to: `Shipped ${run}` }]);
    expect((await version(id)).name).toBe(`Shipped ${run}`);

    const same = await call(bastion, 'redmine_update_version', { version_id: id, status: 'closed' });
    expect(same.isError).toBeFalsy();
    expect(same.structured.changes).toEqual([]);
    expect(same.text).toContain('no field differed from its current value');
  });

  it('changes nothing when no field is given, on a duplicate name, or on bad values', async () => {
    const taken = `Taken ${run}`;
    await newVersion(taken);
    const id = await newVersion(`Kept ${run}`, { due_date: '2027-03-31' });
    const before = await version(id);

    const nothing = await call(bastion, 'redmine_update_version', { version_id: id });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toMatch(/Nothing to change: give at least one of name, status, due_date/);
    const duplicate = await call(bastion, 'redmine_update_version', { version_id: id, name: taken });
    expect(duplicate.isError).toBe(true);
    expect(duplicate.text).toContain('422');
    expect(duplicate.text).toContain('Name has already been taken');
    const status = await call(bastion, 'redmine_update_version', { version_id: id, status: 'archived' });
    expect(status.isError).toBe(true);
    expect(status.text).toContain('status');
    const date = await call(bastion, 'redmine_update_version', { version_id: id, due_date: '2027-3-1' });
    expect(date.isError).toBe(true);
    expect(date.text).toContain('due_date');
    const badId = await call(bastion, 'redmine_update_version', { version_id: 0, status: 'closed' });
    expect(badId.isError).toBe(true);
    expect(badId.text).toContain('version_id');
    const missing = await call(bastion, 'redmine_update_version', { version_id: 99_999_999, status: 'closed' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/404.*not found/);

    expect(await version(id)).toEqual(before);
  });
});
