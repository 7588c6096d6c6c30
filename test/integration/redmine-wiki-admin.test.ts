// Wiki history and page deletion through the real MCP client against the real Redmine, in a project of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { redmine } from '../helpers/redmine.js';

let bastion: Bastion;
const project = `wiki-adm-${Date.now().toString(36)}`;

async function savePage(title: string, text: string, fields: Record<string, unknown> = {}): Promise<void> {
  const { status } = await redmine('PUT', `/projects/${project}/wiki/${title}.json`, { wiki_page: { text, ...fields } });
  expect([201, 204]).toContain(status);
}

async function pageStatus(title: string): Promise<number> {
  return (await redmine('GET', `/projects/${project}/wiki/${title}.json`)).status;
}

beforeAll(async () => {
  const { status } = await redmine('POST', '/projects.json', {
    project: { name: `Wiki admin ${project}`, identifier: project, enabled_module_names: ['wiki'] },
  });
  expect(status).toBe(201);
  bastion = await startBastion();
});

afterAll(async () => {
  await bastion?.close();
  await redmine('DELETE', `/projects/${project}.json`);
});

describe('redmine_list_wiki_versions', () => {
  it('lists a page\'s versions newest first, paged, and each can be read with redmine_get_wiki_page', async () => {
    await savePage('History', 'first text', { comments: 'created' });
    await savePage('History', 'second, longer text', { comments: 'expanded' });
    await savePage('History', 'third', { comments: 'shortened' });

    const all = await call(bastion, 'redmine_list_wiki_versions', { project, title: 'History' });
    expect(all.isError).toBeFalsy();
    expect(all.structured.current_version).toBe(3);
    expect(all.structured.versions).toEqual([
      expect.objectContaining({ version: 3, author: 'Redmine Admin', comments: 'shortened', text_length: 5 }),
      expect.objectContaining({ version: 2, comments: 'expanded', text_length: 19 }),
      expect.objectContaining({ version: 1, comments: 'created', text_length: 10 }),
    ]);
    expect(all.structured.next_offset).toBeUndefined();
    expect(all.text).toContain('- v2');
    expect(all.text).toContain('"expanded"');

    const newest = await call(bastion, 'redmine_list_wiki_versions', { project, title: 'History', limit: 2 });
    expect(newest.structured.versions.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    expect(newest.structured.next_offset).toBe(2);
    expect(newest.text).toContain('Older: call again with offset=2.');
    const older = await call(bastion, 'redmine_list_wiki_versions', { project, title: 'History', offset: 2 });
    expect(older.structured.versions.map((v: { version: number }) => v.version)).toEqual([1]);

    const first = await call(bastion, 'redmine_get_wiki_page', { project, title: 'History', version: 1 });
    expect(first.isError).toBeFalsy();
    expect(first.structured).toMatchObject({ version: 1, text: 'first text', comments: 'created' });
  });

  it('rejects a bad title or limit and answers an unknown page clearly', async () => {
    const slash = await call(bastion, 'redmine_list_wiki_versions', { project, title: 'a/b' });
    expect(slash.isError).toBe(true);
    expect(slash.text).toContain('title');
    expect(slash.text).toContain('must not contain');
    const limit = await call(bastion, 'redmine_list_wiki_versions', { project, title: 'History', limit: 26 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
    const missing = await call(bastion, 'redmine_list_wiki_versions', { project, title: 'No such page' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('not found');
  });
});

describe('redmine_delete_wiki_page', () => {
  it('deletes a page and moves its direct children to the top level', async () => {
    await savePage('Parent', 'parent');
    await savePage('Child', 'child', { parent_title: 'Parent' });
    await savePage('Grandchild', 'grandchild', { parent_title: 'Child' });
    const result = await call(bastion, 'redmine_delete_wiki_page', { project, title: 'Parent' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ title: 'Parent', deleted: true, children: ['Child'], children_deleted: false });
    expect(result.text).toBe('Deleted wiki page Parent; its child pages are now top-level: Child.');
    expect(await pageStatus('Parent')).toBe(404);
    expect((await redmine('GET', `/projects/${project}/wiki/Child.json`)).body.wiki_page.parent).toBeUndefined();
    expect((await redmine('GET', `/projects/${project}/wiki/Grandchild.json`)).body.wiki_page.parent).toEqual({ title: 'Child' });
  });

  it('deletes the pages below it when asked', async () => {
    await savePage('Top', 'top');
    await savePage('Below', 'below', { parent_title: 'Top' });
    await savePage('Deeper', 'deeper', { parent_title: 'Below' });
    const result = await call(bastion, 'redmine_delete_wiki_page', { project, title: 'top', children: 'delete' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.children.sort()).toEqual(['Below', 'Deeper']);
    expect(result.text).toContain('and the pages below it');
    for (const title of ['Top', 'Below', 'Deeper']) expect(await pageStatus(title)).toBe(404);
  });

  it('rejects an unknown page or choice and deletes nothing', async () => {
    await savePage('Kept', 'kept');
    const unknown = await call(bastion, 'redmine_delete_wiki_page', { project, title: 'Not there' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('title: project');
    expect(unknown.text).toContain('has no wiki page "Not_there"');
    const choice = await call(bastion, 'redmine_delete_wiki_page', { project, title: 'Kept', children: 'orphan' });
    expect(choice.isError).toBe(true);
    expect(choice.text).toContain('children');
    expect(await pageStatus('Kept')).toBe(200);
  });

  it('refuses a page of a project outside REDMINE_PROJECTS', async () => {
    await savePage('Guarded', 'guarded');
    const scoped = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: 'beta' }) });
    try {
      for (const tool of ['redmine_delete_wiki_page', 'redmine_list_wiki_versions']) {
        const refused = await call(scoped, tool, { project, title: 'Guarded' });
        expect(refused.isError, tool).toBe(true);
        expect(refused.text).toContain('outside the allowed projects');
      }
      expect(await pageStatus('Guarded')).toBe(200);
    } finally {
      await scoped.close();
    }
  });
});
