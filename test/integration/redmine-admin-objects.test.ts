// Project and version administration through the real MCP client against the real Redmine: create, update,
// archive, unarchive and delete projects; read and delete versions. Each test makes its own projects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { redmine } from '../helpers/redmine.js';

let bastion: Bastion;
const run = Date.now().toString(36);
/** Every project made here, deleted at the end (children first: the list is in creation order). */
const made: string[] = [];

function identifier(name: string): string {
  const id = `adm-${name}-${run}`;
  made.push(id);
  return id;
}

async function newProject(name: string, fields: Record<string, unknown> = {}): Promise<{ id: number; identifier: string }> {
  const id = identifier(name);
  const { status, body } = await redmine('POST', '/projects.json', { project: { name: `Admin ${id}`, identifier: id, ...fields } });
  expect(status).toBe(201);
  return { id: body.project.id, identifier: id };
}

async function projectStatus(id: string): Promise<number> {
  return (await redmine('GET', `/projects/${id}.json`)).status;
}

beforeAll(async () => {
  bastion = await startBastion();
});

afterAll(async () => {
  await bastion?.close();
  for (const id of made.reverse()) {
    await redmine('PUT', `/projects/${id}/unarchive.json`, {});
    await redmine('DELETE', `/projects/${id}.json`);
  }
});

describe('redmine_create_project', () => {
  it('creates a subproject with its modules and trackers, as Redmine then shows it', async () => {
    const parent = await newProject('parent');
    const id = identifier('child');
    const result = await call(bastion, 'redmine_create_project', {
      name: 'Child project',
      identifier: id,
      parent: parent.identifier,
      description: 'Made by a test',
      is_public: false,
      enabled_modules: ['issue_tracking', 'wiki'],
      tracker_ids: [1],
    });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ identifier: id, name: 'Child project', parent: { id: parent.id } });
    expect(result.text).toContain(`Created project ${id}`);
    const { body } = await redmine('GET', `/projects/${id}.json?include=trackers,enabled_modules`);
    expect(body.project).toMatchObject({ name: 'Child project', description: 'Made by a test', is_public: false, parent: { id: parent.id } });
    expect(body.project.enabled_modules.map((m: { name: string }) => m.name).sort()).toEqual(['issue_tracking', 'wiki']);
    expect(body.project.trackers.map((t: { id: number }) => t.id)).toEqual([1]);
  });

  it('rejects a bad identifier, naming the field and the rule, and creates nothing', async () => {
    const bad = `9bad-${run}`;
    const result = await call(bastion, 'redmine_create_project', { name: 'Bad', identifier: bad });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('identifier');
    expect(result.text).toContain('must start with a lowercase letter');
    expect(await projectStatus(bad)).toBe(404);

    const taken = await call(bastion, 'redmine_create_project', { name: 'Taken', identifier: 'alpha' });
    expect(taken.isError).toBe(true);
    expect(taken.text).toMatch(/Identifier has already been taken/);

    const parent = `adm-none-${run}`;
    const noParent = await call(bastion, 'redmine_create_project', { name: 'Orphan', identifier: `adm-orphan-${run}`, parent });
    expect(noParent.isError).toBe(true);
    expect(noParent.text).toContain(`Project "${parent}" does not exist`);
    expect(await projectStatus(`adm-orphan-${run}`)).toBe(404);
  });
});

describe('redmine_update_project', () => {
  it('changes the fields given, lists what changed, and leaves the rest', async () => {
    const project = await newProject('upd', { description: 'old text', homepage: 'https://example.test' });
    const other = await newProject('newparent');
    const result = await call(bastion, 'redmine_update_project', {
      project: project.identifier,
      name: 'Renamed project',
      parent: other.identifier,
      enabled_modules: ['wiki'],
    });
    expect(result.isError).toBeFalsy();
    const fields = result.structured.changes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(['name', 'parent', 'enabled_modules']);
    expect(result.text).toContain('name Admin');
    expect(result.text).toContain('→ Renamed project');
    const { body } = await redmine('GET', `/projects/${project.identifier}.json?include=enabled_modules`);
    expect(body.project).toMatchObject({ name: 'Renamed project', description: 'old text', homepage: 'https://example.test', parent: { id: other.id } });
    expect(body.project.enabled_modules.map((m: { name: string }) => m.name)).toEqual(['wiki']);
  });

  it('rejects an update without fields or with an unknown module, and changes nothing', async () => {
    const project = await newProject('upd-bad');
    const before = (await redmine('GET', `/projects/${project.identifier}.json`)).body.project.updated_on;
    const nothing = await call(bastion, 'redmine_update_project', { project: project.identifier });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toContain('Nothing to change');
    const module = await call(bastion, 'redmine_update_project', { project: project.identifier, enabled_modules: ['chat'] });
    expect(module.isError).toBe(true);
    expect(module.text).toContain('enabled_modules');
    expect((await redmine('GET', `/projects/${project.identifier}.json`)).body.project.updated_on).toBe(before);
  });
});

describe('redmine_archive_project and redmine_unarchive_project', () => {
  it('archives a project with its subprojects and brings them back', async () => {
    const parent = await newProject('arch');
    const child = await newProject('arch-kid', { parent_id: parent.id });
    const archived = await call(bastion, 'redmine_archive_project', { project: parent.identifier });
    expect(archived.isError).toBeFalsy();
    expect(archived.structured).toMatchObject({ identifier: parent.identifier, status: 'archived' });
    // Redmine answers 403 for an archived project, and its subprojects are archived with it.
    expect(await projectStatus(parent.identifier)).toBe(403);
    expect(await projectStatus(child.identifier)).toBe(403);

    const back = await call(bastion, 'redmine_unarchive_project', { project: parent.identifier });
    expect(back.isError).toBeFalsy();
    expect(back.structured).toMatchObject({ id: parent.id, status: 'active' });
    expect(back.text).toContain('is active again');
    expect(await projectStatus(parent.identifier)).toBe(200);
  });

  it('answers an unknown or malformed project clearly', async () => {
    const unknown = await call(bastion, 'redmine_unarchive_project', { project: `adm-ghost-${run}` });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain(`Project "adm-ghost-${run}" does not exist`);
    const malformed = await call(bastion, 'redmine_archive_project', { project: 'Alpha Project' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toContain('project');
    expect(malformed.text).toContain('must be a project identifier');
    expect(await projectStatus('alpha')).toBe(200);
  });
});

describe('redmine_delete_project', () => {
  it('deletes a project with its subprojects', async () => {
    const project = await newProject('del');
    const child = await newProject('del-kid', { parent_id: project.id });
    const result = await call(bastion, 'redmine_delete_project', { project: project.identifier });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ id: project.id, status: 'deleted' });
    expect(await projectStatus(project.identifier)).toBe(404);
    expect(await projectStatus(child.identifier)).toBe(404);
  });

  it('rejects a missing project argument and deletes nothing', async () => {
    const result = await call(bastion, 'redmine_delete_project', {});
    expect(result.isError).toBe(true);
    expect(result.text).toContain('project');
    const unknown = await call(bastion, 'redmine_delete_project', { project: `adm-ghost-${run}` });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('does not exist');
  });
});

describe('project administration under REDMINE_PROJECTS', () => {
  it('creates only subprojects of allowed projects and changes no project outside the scope', async () => {
    const allowed = await newProject('scope');
    const outsideChild = await newProject('scope-kid', { parent_id: allowed.id });
    const scoped = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: allowed.identifier }) });
    try {
      const topLevel = await call(scoped, 'redmine_create_project', { name: 'Top', identifier: `adm-top-${run}` });
      expect(topLevel.isError).toBe(true);
      expect(topLevel.text).toContain('Only subprojects of the allowed projects can be created');
      expect(await projectStatus(`adm-top-${run}`)).toBe(404);

      const elsewhere = await call(scoped, 'redmine_create_project', { name: 'Under beta', identifier: `adm-beta-${run}`, parent: 'beta' });
      expect(elsewhere.isError).toBe(true);
      expect(elsewhere.text).toContain('outside the allowed projects');
      expect(await projectStatus(`adm-beta-${run}`)).toBe(404);

      const sub = identifier('scope-sub');
      const inside = await call(scoped, 'redmine_create_project', { name: 'Allowed sub', identifier: sub, parent: allowed.identifier });
      expect(inside.isError).toBeFalsy();
      expect(await projectStatus(sub)).toBe(200);

      const betaBefore = (await redmine('GET', '/projects/beta.json')).body.project;
      for (const [tool, args] of [
        ['redmine_update_project', { project: 'beta', name: 'Hijacked' }],
        ['redmine_archive_project', { project: 'beta' }],
        ['redmine_delete_project', { project: 'beta' }],
        ['redmine_unarchive_project', { project: 'beta' }],
      ] as const) {
        const refused = await call(scoped, tool, args);
        expect(refused.isError, tool).toBe(true);
        expect(refused.text).toContain('outside the allowed projects');
      }
      expect((await redmine('GET', '/projects/beta.json')).body.project).toEqual(betaBefore);

      // The allowed project's subprojects are not in the scope: deleting or archiving it would reach them.
      for (const tool of ['redmine_delete_project', 'redmine_archive_project']) {
        const refused = await call(scoped, tool, { project: allowed.identifier });
        expect(refused.isError, tool).toBe(true);
        expect(refused.text).toContain('has subprojects outside the allowed projects');
      }
      expect(await projectStatus(allowed.identifier)).toBe(200);
      expect(await projectStatus(outsideChild.identifier)).toBe(200);
    } finally {
      await scoped.close();
    }
  });
});

describe('an archived project under REDMINE_PROJECTS', () => {
  it('is named, with the fix, by every tool of a new process, and can be unarchived there', async () => {
    const project = await newProject('arch-scope');
    expect((await redmine('PUT', `/projects/${project.identifier}/archive.json`, {})).status).toBe(204);
    const scoped = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: project.identifier }) });
    try {
      const list = await call(scoped, 'redmine_list_versions', { project: project.identifier });
      expect(list.isError).toBe(true);
      expect(list.text).toContain(`REDMINE_PROJECTS names project "${project.identifier}", which is archived or which the Redmine user this call runs as may not see`);
      expect(list.text).toContain(`redmine_unarchive_project with project "${project.identifier}"`);

      const back = await call(scoped, 'redmine_unarchive_project', { project: project.identifier });
      expect(back.isError).toBeFalsy();
      expect(await projectStatus(project.identifier)).toBe(200);
      const again = await call(scoped, 'redmine_list_versions', { project: project.identifier });
      expect(again.isError).toBeFalsy();
    } finally {
      await scoped.close();
    }
  });
});

describe('redmine_get_version and redmine_delete_version', () => {
  it('reads a version by id and deletes it', async () => {
    const project = await newProject('ver');
    const { body } = await redmine('POST', `/projects/${project.identifier}/versions.json`, {
      version: { name: 'Release 1', due_date: '2027-03-01', description: 'First release', status: 'locked' },
    });
    const id = body.version.id;
    const got = await call(bastion, 'redmine_get_version', { version_id: id });
    expect(got.isError).toBeFalsy();
    expect(got.structured).toMatchObject({
      id,
      name: 'Release 1',
      project: { id: project.id },
      status: 'locked',
      due_date: '2027-03-01',
      sharing: 'none',
      description: 'First release',
    });
    expect(got.text).toContain(`Version #${id} Release 1 of Admin ${project.identifier} [locked], due 2027-03-01`);

    const deleted = await call(bastion, 'redmine_delete_version', { version_id: id });
    expect(deleted.isError).toBeFalsy();
    expect(deleted.text).toBe(`Deleted version #${id} Release 1 from Admin ${project.identifier}.`);
    expect((await redmine('GET', `/versions/${id}.json`)).status).toBe(404);
  });

  it('refuses to delete a version issues target, saying how to free it, and rejects bad ids', async () => {
    const project = await newProject('ver-used');
    const { body } = await redmine('POST', `/projects/${project.identifier}/versions.json`, { version: { name: 'Used' } });
    const id = body.version.id;
    await redmine('POST', '/issues.json', { issue: { project_id: project.id, subject: 'Targets the version', fixed_version_id: id } });
    const refused = await call(bastion, 'redmine_delete_version', { version_id: id });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('issues still target it');
    expect(refused.text).toContain(`version_id=${id}`);
    expect((await redmine('GET', `/versions/${id}.json`)).status).toBe(200);

    const zero = await call(bastion, 'redmine_get_version', { version_id: 0 });
    expect(zero.isError).toBe(true);
    expect(zero.text).toContain('version_id');
    const text = await call(bastion, 'redmine_delete_version', { version_id: 'latest' });
    expect(text.isError).toBe(true);
    expect(text.text).toContain('version_id');
  });

  it('keeps versions of projects outside REDMINE_PROJECTS out of reach', async () => {
    const project = await newProject('ver-scope');
    const { body } = await redmine('POST', `/projects/${project.identifier}/versions.json`, { version: { name: 'Outside' } });
    const scoped = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: 'beta' }) });
    try {
      for (const tool of ['redmine_get_version', 'redmine_delete_version']) {
        const refused = await call(scoped, tool, { version_id: body.version.id });
        expect(refused.isError, tool).toBe(true);
        expect(refused.text).toContain('outside the allowed projects');
        expect(refused.text).not.toContain('Outside');
      }
      expect((await redmine('GET', `/versions/${body.version.id}.json`)).status).toBe(200);
    } finally {
      await scoped.close();
    }
  });
});
