// Creating and updating (archiving) YouTrack projects, and writing knowledge-base articles, through the real MCP
// client against the YouTrack double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findArticle, findProject, YOUTRACK_USER_TOKEN } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

describe('youtrack_create_project', () => {
  it('creates a project led by the token\'s user', async () => {
    const result = await call(bastion, 'youtrack_create_project', { short_name: 'web', name: 'Web site', description: 'The public site' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ short_name: 'WEB', name: 'Web site', description: 'The public site', leader: 'admin', changed: ['created'] });
    expect(result.structured.url).toBe(`${double.url}/projects/WEB`);
    expect(findProject(double.state, 'WEB')).toMatchObject({ name: 'Web site', leaderId: '1-1' });
    expect(result.text).toBe(`Created project WEB "Web site" (${double.url}/projects/WEB), led by admin.`);
    // The new project is usable at once.
    const issue = await call(bastion, 'youtrack_create_issue', { project: 'WEB', summary: 'First' });
    expect(issue.structured.id).toBe('WEB-1');
  });

  it('rejects a malformed short name before calling YouTrack, and reports one in use', async () => {
    const before = double.requests.length;
    const bad = await call(bastion, 'youtrack_create_project', { short_name: '1-WEB', name: 'x' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('short_name');
    const blank = await call(bastion, 'youtrack_create_project', { short_name: 'OK', name: '  ' });
    expect(blank.text).toContain('name');
    expect(double.requests.length).toBe(before);
    const taken = await call(bastion, 'youtrack_create_project', { short_name: 'DEMO', name: 'Again' });
    expect(taken.isError).toBe(true);
    expect(taken.text).toContain('Project ID "DEMO" is already in use');
  });
});

describe('youtrack_update_project', () => {
  it('renames, archives and restores a project', async () => {
    await call(bastion, 'youtrack_create_project', { short_name: 'OLD', name: 'Old one' });
    const renamed = await call(bastion, 'youtrack_update_project', { project: 'OLD', name: 'Old one (2019)', description: 'Kept for reference' });
    expect(renamed.isError).toBeFalsy();
    expect(renamed.structured).toMatchObject({ short_name: 'OLD', name: 'Old one (2019)', description: 'Kept for reference', archived: false, changed: ['name', 'description'] });
    const archived = await call(bastion, 'youtrack_update_project', { project: 'OLD', archived: true });
    expect(archived.structured).toMatchObject({ archived: true, changed: ['archived'] });
    expect(archived.text).toContain('Updated project OLD "Old one (2019)": archived (archived)');
    expect(findProject(double.state, 'OLD')!.archived).toBe(true);
    // The change shows at once, not from a cached copy.
    const got = await call(bastion, 'youtrack_get_project', { project: 'OLD' });
    expect(got.text).toContain('Old one (2019)');
    const restored = await call(bastion, 'youtrack_update_project', { project: 'OLD', archived: false });
    expect(restored.structured.archived).toBe(false);
  });

  it('refuses an empty update and an unknown project, changing nothing', async () => {
    const before = writes(double);
    const nothing = await call(bastion, 'youtrack_update_project', { project: 'DEMO' });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toContain('Nothing to update: give name, description or archived.');
    const unknown = await call(bastion, 'youtrack_update_project', { project: 'NOPE', archived: true });
    expect(unknown.text).toContain('project: no YouTrack project "NOPE" is visible to this token.');
    const bad = await call(bastion, 'youtrack_update_project', { project: 'DE MO', archived: true });
    expect(bad.text).toContain('project');
    expect(writes(double)).toBe(before);
  });

  it('reports YouTrack\'s refusal for a user who may not change projects', async () => {
    const jane = await startBastionOnYouTrack(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN });
    try {
      const result = await call(jane, 'youtrack_update_project', { project: 'DEMO', archived: true });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('403');
      expect(findProject(double.state, 'DEMO')!.archived).toBe(false);
    } finally {
      await jane.close();
    }
  });
});

describe('youtrack_create_article and youtrack_update_article', () => {
  it('writes an article under a parent and changes its content', async () => {
    const created = await call(bastion, 'youtrack_create_article', { project: 'DEMO', summary: 'Runbook', content: '# Steps\n1. Restart', parent_article_id: 'DEMO-A-1' });
    expect(created.isError).toBeFalsy();
    expect(created.structured).toMatchObject({ id: 'DEMO-A-3', summary: 'Runbook', project: 'DEMO', parent: 'DEMO-A-1', changed: ['created'] });
    expect(findArticle(double.state, 'DEMO-A-3')).toMatchObject({ content: '# Steps\n1. Restart', parentId: '9-1', reporterId: '1-1' });
    expect(created.text).toContain('Created article DEMO-A-3 "Runbook" under DEMO-A-1');
    const updated = await call(bastion, 'youtrack_update_article', { article_id: 'DEMO-A-3', content: '# Steps\n1. Drain\n2. Restart' });
    expect(updated.isError).toBeFalsy();
    expect(updated.structured).toMatchObject({ id: 'DEMO-A-3', summary: 'Runbook', changed: ['content'] });
    expect(findArticle(double.state, 'DEMO-A-3')!.content).toBe('# Steps\n1. Drain\n2. Restart');
    const read = await call(bastion, 'youtrack_get_article', { article_id: 'DEMO-A-3' });
    expect(read.structured.content).toBe('# Steps\n1. Drain\n2. Restart');
  });

  it('refuses a blank title, an empty update and a parent in another project, writing nothing', async () => {
    const before = writes(double);
    const blank = await call(bastion, 'youtrack_create_article', { project: 'DEMO', summary: ' ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('summary');
    const key = await call(bastion, 'youtrack_update_article', { article_id: 'DEMO-1', content: 'x' });
    expect(key.text).toContain('article_id');
    const nothing = await call(bastion, 'youtrack_update_article', { article_id: 'DEMO-A-1' });
    expect(nothing.text).toContain('Nothing to update: give summary or content.');
    const parent = await call(bastion, 'youtrack_create_article', { project: 'OPS', summary: 'Elsewhere', parent_article_id: 'DEMO-A-1' });
    expect(parent.text).toContain('parent_article_id: DEMO-A-1 is in DEMO, not in OPS');
    expect(writes(double)).toBe(before);
  });
});

describe('project and article writes with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS,NEWOPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('creates only projects named in the scope and changes nothing outside it', async () => {
    const before = writes(double);
    const outside = await call(scoped, 'youtrack_create_project', { short_name: 'OTHER', name: 'Other' });
    expect(outside.isError).toBe(true);
    expect(outside.text).toContain('Project OTHER is outside the allowed projects (YOUTRACK_PROJECTS=OPS,NEWOPS)');
    const archive = await call(scoped, 'youtrack_update_project', { project: 'DEMO', archived: true });
    expect(archive.text).toContain('Project DEMO is outside the allowed projects');
    const article = await call(scoped, 'youtrack_update_article', { article_id: 'DEMO-A-1', summary: 'Hijacked' });
    expect(article.text).toContain('Article DEMO-A-1 is outside the allowed projects');
    const create = await call(scoped, 'youtrack_create_article', { project: 'DEMO', summary: 'No' });
    expect(create.text).toContain('Project DEMO is outside the allowed projects');
    expect(writes(double)).toBe(before);
    const inside = await call(scoped, 'youtrack_create_project', { short_name: 'NEWOPS', name: 'New operations' });
    expect(inside.isError).toBeFalsy();
  });
});
