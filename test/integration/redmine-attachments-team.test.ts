// Attachments whole (download for the model as image, text or file; delete) and a project's team objects
// (memberships, issue categories, files, news), through the real MCP client against the real Redmine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { ADMIN_KEY, REDMINE_URL, redmine } from '../helpers/redmine.js';

interface Block {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  resource?: { uri: string; mimeType?: string; blob?: string; text?: string };
}

// The smallest valid PNG: a 1x1 transparent pixel.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
// A zip archive's header and some bytes: neither an image nor text.
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x90])]);

let bastion: Bastion;
let issue: number;
const run = Date.now();
const ids: Record<string, number> = {};

async function restUpload(filename: string, content: Buffer | string): Promise<string> {
  const response = await fetch(`${REDMINE_URL}/uploads.json?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'X-Redmine-API-Key': ADMIN_KEY, 'Content-Type': 'application/octet-stream' },
    body: typeof content === 'string' ? content : new Uint8Array(content),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { upload: { token: string } }).upload.token;
}

/** Attaches files to the test issue directly and returns their attachment ids by file name. */
async function attach(files: Record<string, Buffer | string>): Promise<void> {
  const uploads = [];
  for (const [filename, content] of Object.entries(files)) uploads.push({ token: await restUpload(filename, content), filename });
  expect((await redmine('PUT', `/issues/${issue}.json`, { issue: { uploads } })).status).toBe(204);
  const { body } = await redmine('GET', `/issues/${issue}.json?include=attachments`);
  for (const a of body.issue.attachments as Array<{ id: number; filename: string }>) ids[a.filename] = a.id;
}

async function raw(name: string, args: Record<string, unknown>): Promise<{ isError?: boolean; content: Block[] }> {
  return (await bastion.client.callTool({ name, arguments: args })) as { isError?: boolean; content: Block[] };
}

beforeAll(async () => {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `Attachments ${run}` } });
  expect(status).toBe(201);
  issue = body.issue.id;
  await attach({
    'screen.png': PNG,
    'fake.png': '<html><script>alert(1)</script></html>',
    'build.log': 'line 1: started\nline 2: failed with exit 3\n',
    'bundle.zip': ZIP,
    'big.txt': 'x'.repeat(2000),
  });
  bastion = await startBastion({ env: redmineEnv({ BASTION_ATTACHMENT_MAX_BYTES: '1500' }) });
});

afterAll(async () => {
  await bastion?.close();
  if (issue) await redmine('DELETE', `/issues/${issue}.json`);
});

describe('redmine_download_attachment', () => {
  it('sends a PNG screenshot as MCP image content whose bytes round-trip', async () => {
    const result = await raw('redmine_download_attachment', { attachment_id: ids['screen.png'], issue_id: issue });
    expect(result.isError).toBeFalsy();
    const image = result.content.find((block) => block.type === 'image');
    expect(image?.mimeType).toBe('image/png');
    expect(Buffer.from(image!.data!, 'base64').equals(PNG)).toBe(true);
    expect(result.content[0]!.text).toContain('screen.png');
  });

  it('sends a log as text, and a file named .png that is not an image is not sent as an image', async () => {
    const log = await call(bastion, 'redmine_download_attachment', { attachment_id: ids['build.log'] });
    expect(log.isError).toBeFalsy();
    expect(log.structured).toMatchObject({ sent_as: 'text', filename: 'build.log' });
    expect(log.text).toContain('line 2: failed with exit 3');

    const fake = await raw('redmine_download_attachment', { attachment_id: ids['fake.png'], issue_id: issue });
    expect(fake.isError).toBeFalsy();
    expect(fake.content.some((block) => block.type === 'image')).toBe(false);
    const file = fake.content.find((block) => block.type === 'resource');
    expect(file?.resource?.mimeType).toBe('application/octet-stream');
  });

  it('sends other files as an embedded resource with the bytes', async () => {
    const result = await raw('redmine_download_attachment', { attachment_id: ids['bundle.zip'], issue_id: issue });
    const file = result.content.find((block) => block.type === 'resource');
    expect(file?.resource?.mimeType).toBe('application/zip');
    expect(file?.resource?.uri).toBe(`${REDMINE_URL}/attachments/${ids['bundle.zip']}`);
    expect(Buffer.from(file!.resource!.blob!, 'base64').equals(ZIP)).toBe(true);
  });

  it('refuses an attachment above BASTION_ATTACHMENT_MAX_BYTES, naming it, its size and the setting', async () => {
    const result = await call(bastion, 'redmine_download_attachment', { attachment_id: ids['big.txt'], issue_id: issue });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Attachment "big.txt" is 2000 bytes, more than the 1500-byte limit');
    expect(result.text).toContain('BASTION_ATTACHMENT_MAX_BYTES');
  });

  it('names the field of bad input, and an attachment not on the given issue', async () => {
    const bad = await call(bastion, 'redmine_download_attachment', { attachment_id: 0 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('attachment_id');
    const elsewhere = await call(bastion, 'redmine_download_attachment', { attachment_id: ids['screen.png'], issue_id: 1 });
    expect(elsewhere.isError).toBe(true);
    expect(elsewhere.text).toContain(`Attachment #${ids['screen.png']} is not attached to issue #1`);
  });
});

describe('redmine_delete_attachment', () => {
  it('deletes an attachment of the issue', async () => {
    const result = await call(bastion, 'redmine_delete_attachment', { attachment_id: ids['bundle.zip'], issue_id: issue });
    expect(result.isError).toBeFalsy();
    expect(result.text).toBe(`Deleted attachment #${ids['bundle.zip']} bundle.zip.`);
    expect((await redmine('GET', `/attachments/${ids['bundle.zip']}.json`)).status).toBe(404);
  });

  it('deletes nothing when the attachment is not on the given issue', async () => {
    const result = await call(bastion, 'redmine_delete_attachment', { attachment_id: ids['build.log'], issue_id: 1 });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('is not attached to issue #1');
    expect((await redmine('GET', `/attachments/${ids['build.log']}.json`)).status).toBe(200);
  });
});

describe('under REDMINE_PROJECTS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: 'beta' }) });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses an attachment of an issue outside the allowed projects, and asks for its issue', async () => {
    const outside = await call(scoped, 'redmine_download_attachment', { attachment_id: ids['screen.png'], issue_id: issue });
    expect(outside.isError).toBe(true);
    expect(outside.text).toBe(`Issue #${issue} is outside the allowed projects (REDMINE_PROJECTS=beta).`);
    const noIssue = await call(scoped, 'redmine_delete_attachment', { attachment_id: ids['screen.png'] });
    expect(noIssue.isError).toBe(true);
    expect(noIssue.text).toContain('issue_id is required');
    expect((await redmine('GET', `/attachments/${ids['screen.png']}.json`)).status).toBe(200);
  });
});

describe('project memberships', () => {
  const qa = 6;
  afterAll(async () => {
    const { body } = await redmine('GET', '/projects/beta/memberships.json');
    for (const m of body.memberships as Array<{ id: number; user?: { id: number } }>) if (m.user?.id === qa) await redmine('DELETE', `/memberships/${m.id}.json`);
  });

  it('adds a user with roles by name, changes the roles and removes the member', async () => {
    const added = await call(bastion, 'redmine_add_member', { project: 'beta', principal_id: qa, roles: ['Developer'] });
    expect(added.isError).toBeFalsy();
    expect(added.structured).toMatchObject({ project: 'Beta', roles: ['Developer'] });

    const changed = await call(bastion, 'redmine_update_member', { project: 'beta', principal_id: qa, roles: ['Reporter', '3'] });
    expect(changed.isError).toBeFalsy();
    expect([...changed.structured.roles].sort()).toEqual(['Manager', 'Reporter']);
    const { body } = await redmine('GET', `/memberships/${added.structured.id}.json`);
    expect(body.membership.roles.map((r: { name: string }) => r.name).sort()).toEqual(['Manager', 'Reporter']);

    const removed = await call(bastion, 'redmine_remove_member', { project: 'beta', principal_id: qa });
    expect(removed.isError).toBeFalsy();
    expect((await redmine('GET', `/memberships/${added.structured.id}.json`)).status).toBe(404);
  });

  it('names an unknown role and a non-member, and changes nothing', async () => {
    const role = await call(bastion, 'redmine_add_member', { project: 'beta', principal_id: qa, roles: ['Wizard'] });
    expect(role.isError).toBe(true);
    expect(role.text).toBe('roles: unknown role "Wizard". Choose one of: Manager, Developer, Reporter.');
    expect((await redmine('GET', '/projects/beta/memberships.json')).body.total_count).toBe(0);
    const missing = await call(bastion, 'redmine_remove_member', { project: 'beta', principal_id: qa });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain(`principal_id: user or group #${qa} is not a member of project "beta"`);
    const empty = await call(bastion, 'redmine_update_member', { project: 'beta', principal_id: qa, roles: [] });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('roles');
  });
});

describe('issue categories', () => {
  it('creates, renames, clears the assignee and deletes a category', async () => {
    const created = await call(bastion, 'redmine_create_category', { project: 'beta', name: `Cat ${run}`, assigned_to_id: 1 });
    expect(created.isError).toBeFalsy();
    expect(created.structured).toMatchObject({ project: 'Beta', name: `Cat ${run}`, assigned_to: 'Redmine Admin' });
    const id = created.structured.id as number;

    const updated = await call(bastion, 'redmine_update_category', { category_id: id, name: `Renamed ${run}`, assigned_to_id: 0 });
    expect(updated.isError).toBeFalsy();
    const { body } = await redmine('GET', `/issue_categories/${id}.json`);
    expect(body.issue_category.name).toBe(`Renamed ${run}`);
    expect(body.issue_category.assigned_to).toBeUndefined();

    const deleted = await call(bastion, 'redmine_delete_category', { category_id: id });
    expect(deleted.isError).toBeFalsy();
    expect((await redmine('GET', `/issue_categories/${id}.json`)).status).toBe(404);
  });

  it('refuses bad input naming the field, and a reassignment to another project', async () => {
    const blank = await call(bastion, 'redmine_create_category', { project: 'beta', name: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('name');
    const nothing = await call(bastion, 'redmine_update_category', { category_id: 1 });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toBe('Nothing to change: give name and/or assigned_to_id.');
    const created = await call(bastion, 'redmine_create_category', { project: 'beta', name: `Other ${run}` });
    const across = await call(bastion, 'redmine_delete_category', { category_id: created.structured.id, reassign_to_id: 1 });
    expect(across.isError).toBe(true);
    expect(across.text).toContain('reassign_to_id: category #1 belongs to Alpha, not Beta');
    expect((await redmine('GET', `/issue_categories/${created.structured.id}.json`)).status).toBe(200);
    await redmine('DELETE', `/issue_categories/${created.structured.id}.json`);
  });
});

describe('project files', () => {
  it('lists a project\'s files and downloads one by its project', async () => {
    const token = await restUpload(`release-${run}.txt`, 'release notes\n');
    expect((await redmine('POST', '/projects/beta/files.json', { file: { token, filename: `release-${run}.txt`, description: 'Notes' } })).status).toBe(204);
    const listed = await call(bastion, 'redmine_list_files', { project: 'beta' });
    expect(listed.isError).toBeFalsy();
    const file = (listed.structured.files as Array<{ id: number; filename: string }>).find((f) => f.filename === `release-${run}.txt`);
    expect(file).toBeDefined();
    expect(listed.text).toContain(`release-${run}.txt`);
    const read = await call(bastion, 'redmine_download_attachment', { attachment_id: file!.id, project: 'beta' });
    expect(read.isError).toBeFalsy();
    expect(read.structured.text).toBe('release notes\n');
    await redmine('DELETE', `/attachments/${file!.id}.json`);
  });

  it('names a bad project identifier', async () => {
    const result = await call(bastion, 'redmine_list_files', { project: 'Not A Project' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('project');
  });
});

describe('redmine_list_news', () => {
  it('lists news of a project and of all projects', async () => {
    expect((await redmine('POST', '/projects/beta/news.json', { news: { title: `Release ${run}`, summary: 'Out now', description: 'Line one\nLine two' } })).status).toBe(204);
    const beta = await call(bastion, 'redmine_list_news', { project: 'beta' });
    expect(beta.isError).toBeFalsy();
    const item = (beta.structured.news as Array<{ id: number; title: string; text?: string }>).find((n) => n.title === `Release ${run}`);
    expect(item).toMatchObject({ title: `Release ${run}`, text: 'Line one\nLine two' });
    const all = await call(bastion, 'redmine_list_news', {});
    expect(all.text).toContain(`Release ${run}`);
    await redmine('DELETE', `/news/${item!.id}.json`);
  });

  it('names a limit out of bounds', async () => {
    const result = await call(bastion, 'redmine_list_news', { limit: 0 });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('limit');
  });
});
