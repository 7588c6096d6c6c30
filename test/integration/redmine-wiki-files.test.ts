// Wiki and file tools through the real MCP client against the real Redmine: a success and a bad-input case per tool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_OPEN } from '../../src/core/untrusted.js';
import { call, startBastion, type Bastion } from '../helpers/bastion.js';
import { ADMIN_KEY, REDMINE_URL, issueIdBySubject, redmine } from '../helpers/redmine.js';

interface RedmineWikiPage {
  title: string;
  parent?: { title: string };
  text: string;
  version: number;
  comments: string | null;
  updated_on: string;
  attachments?: Array<{ id: number; filename: string; filesize: number; content_type: string }>;
}

interface RedmineAttachment {
  id: number;
  filename: string;
  filesize: number;
  content_type: string;
  description: string;
  author: { id: number; name: string };
  created_on: string;
}

let bastion: Bastion;
let issue1: number;
const run = Date.now();
/** Wiki pages made by these tests, removed at the end so that alpha's wiki stays small. */
const madePages: string[] = [];

async function page(title: string): Promise<{ status: number; page?: RedmineWikiPage }> {
  const { status, body } = await redmine('GET', `/projects/alpha/wiki/${encodeURIComponent(title)}.json?include=attachments`);
  return { status, page: body?.wiki_page };
}

async function newPage(title: string, ...texts: string[]): Promise<void> {
  madePages.push(title);
  for (const text of texts) {
    const { status } = await redmine('PUT', `/projects/alpha/wiki/${encodeURIComponent(title)}.json`, { wiki_page: { text } });
    expect([201, 204]).toContain(status);
  }
}

async function newIssue(subject: string, extra: Record<string, unknown> = {}): Promise<number> {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `${subject} ${run}`, ...extra } });
  expect(status).toBe(201);
  return body.issue.id;
}

async function attachments(issueId: number): Promise<RedmineAttachment[]> {
  return (await redmine('GET', `/issues/${issueId}.json?include=attachments`)).body.issue.attachments;
}

/** Uploads bytes directly (not through Bastion) and returns the token. */
async function restUpload(filename: string, content: string | Buffer): Promise<string> {
  const response = await fetch(`${REDMINE_URL}/uploads.json?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'X-Redmine-API-Key': ADMIN_KEY, 'Content-Type': 'application/octet-stream' },
    body: typeof content === 'string' ? content : new Uint8Array(content),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { upload: { token: string } }).upload.token;
}

async function download(attachment: { id: number; filename: string }): Promise<Buffer> {
  const response = await fetch(`${REDMINE_URL}/attachments/download/${attachment.id}/${encodeURIComponent(attachment.filename)}`, {
    headers: { 'X-Redmine-API-Key': ADMIN_KEY },
  });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Upload requests Bastion has sent so far, from its debug log of upstream calls. */
function uploadCalls(): number {
  return bastion.stderr().split('\n').filter((line) => line.includes('"path":"/uploads.json"')).length;
}

/**
 * After refused uploads: a good upload is made and waited for in the log, so the log is known to record
 * uploads; exactly that one must have been sent since `sent`.
 */
async function expectOnlyOneMoreUpload(sent: number): Promise<void> {
  const good = await call(bastion, 'redmine_upload_attachment', { filename: 'ok.txt', content: 'ok' });
  expect(good.isError).toBeFalsy();
  await redmine('DELETE', `/attachments/${good.structured.upload_id}.json`);
  for (let i = 0; i < 100 && uploadCalls() < sent + 1; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(uploadCalls()).toBe(sent + 1);
}

beforeAll(async () => {
  bastion = await startBastion();
  issue1 = await issueIdBySubject('Alpha issue 1');
});

afterAll(async () => {
  await bastion?.close();
  for (const title of madePages) await redmine('DELETE', `/projects/alpha/wiki/${encodeURIComponent(title)}.json`);
});

describe('redmine_list_wiki_pages', () => {
  it('lists the pages Redmine has, sorted by title, with parent and version, paged', async () => {
    const index = (await redmine('GET', '/projects/alpha/wiki/index.json')).body.wiki_pages as Array<{ title: string; parent?: { title: string }; version: number }>;
    const result = await call(bastion, 'redmine_list_wiki_pages', { project: 'alpha' });
    expect(result.isError).toBeFalsy();
    const pages = result.structured.pages as Array<{ title: string; parent?: string; version: number }>;
    expect(result.structured.total_count).toBe(index.length);
    expect(pages.map((p) => p.title).sort()).toEqual(index.map((p) => p.title).sort().slice(0, 100));
    for (let i = 1; i < pages.length; i += 1) expect(pages[i - 1]!.title.localeCompare(pages[i]!.title)).toBeLessThan(0);
    const deploy = index.find((p) => p.title === 'Deploy')!;
    expect(pages.find((p) => p.title === 'Deploy')).toMatchObject({ parent: 'Runbook', version: deploy.version });
    expect(pages.find((p) => p.title === 'Wiki')!.parent).toBeUndefined();
    expect(result.text).toMatch(/- Deploy \(v\d+, \d{4}-\d{2}-\d{2}, under Runbook\)/);

    const second = await call(bastion, 'redmine_list_wiki_pages', { project: 'alpha', offset: 1, limit: 1 });
    expect(second.structured.pages).toEqual([expect.objectContaining({ title: pages[1]!.title })]);
    expect(second.text).toContain('More: call again with offset=2.');
  });

  it('reports an unknown project and bad paging, naming the field', async () => {
    const missing = await call(bastion, 'redmine_list_wiki_pages', { project: 'no-such-project' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('Project "no-such-project" does not exist or is not visible to this key: use an identifier or id from redmine_list_projects.');
    const project = await call(bastion, 'redmine_list_wiki_pages', { project: 'Alpha!' });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('project');
    const limit = await call(bastion, 'redmine_list_wiki_pages', { project: 'alpha', limit: 101 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
  });
});

describe('redmine_get_wiki_page', () => {
  it('reads a page, cutting long text with a note on how to read the rest', async () => {
    const direct = (await page('Runbook')).page!;
    const result = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: 'runbook', max_chars: 100 });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ title: 'Runbook', version: direct.version, author: 'Redmine Admin', text_length: direct.text.length });
    expect(result.structured.text).toBe(
      `${direct.text.slice(0, 100)}… [truncated: ${direct.text.length - 100} more characters; ` +
        'call redmine_get_wiki_page again with text_offset=100 or a larger max_chars (up to 100000)]',
    );
    expect(result.structured.url).toBe(`${REDMINE_URL}/projects/alpha/wiki/Runbook`);

    const rest = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: 'Runbook', text_offset: 100, max_chars: 100_000 });
    expect(rest.structured.text).toBe(direct.text.slice(100));
    expect(rest.structured.text_offset).toBe(100);
    expect(rest.text).toContain(`[text from character 100 of ${direct.text.length}]`);

    const child = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: 'Deploy' });
    expect(child.structured.parent).toBe('Runbook');
    expect(child.structured.text).toBe((await page('Deploy')).page!.text);
  });

  it('reads an older version of a page', async () => {
    const title = `History_${run}`;
    await newPage(title, 'first text', 'second text');
    const old = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title, version: 1 });
    expect(old.isError).toBeFalsy();
    expect(old.structured).toMatchObject({ title, version: 1, text: 'first text' });
    const current = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title });
    expect(current.structured).toMatchObject({ version: 2, text: 'second text' });
  });

  it('reports a missing page and bad input, naming the field', async () => {
    const missing = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: `Nowhere ${run}` });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/404.*not found/);
    const title = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: 'Run/book' });
    expect(title.isError).toBe(true);
    expect(title.text).toContain('title');
    const chars = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: 'Runbook', max_chars: 50 });
    expect(chars.isError).toBe(true);
    expect(chars.text).toContain('max_chars');
    const version = await call(bastion, 'redmine_get_wiki_page', { project: 'alpha', title: 'Runbook', version: 0 });
    expect(version.isError).toBe(true);
    expect(version.text).toContain('version');
  });
});

describe('redmine_put_wiki_page', () => {
  it('creates a page (201) and then updates it with the version read (204)', async () => {
    const title = `Release_notes_${run}`;
    madePages.push(title);
    expect((await page(title)).status).toBe(404);
    const created = await call(bastion, 'redmine_put_wiki_page', {
      project: 'alpha',
      title: `release notes ${run}`,
      text: 'h1. Release notes\n\nFirst cut.',
      comments: 'First cut',
      parent_title: 'Runbook',
    });
    expect(created.isError).toBeFalsy();
    expect(created.structured).toEqual({ title, created: true, version: 1, url: `${REDMINE_URL}/projects/alpha/wiki/${title}` });
    expect(created.text).toContain(`Created wiki page ${title}, now version 1`);
    expect((await page(title)).page).toMatchObject({ title, text: 'h1. Release notes\n\nFirst cut.', version: 1, comments: 'First cut', parent: { title: 'Runbook' } });

    const updated = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title, text: 'h1. Release notes\n\nSecond cut.', version: 1 });
    expect(updated.isError).toBeFalsy();
    expect(updated.structured).toMatchObject({ title, created: false, version: 2 });
    expect(updated.text).toContain(`Updated wiki page ${title}, now version 2`);
    expect((await page(title)).page).toMatchObject({ text: 'h1. Release notes\n\nSecond cut.', version: 2, parent: { title: 'Runbook' } });
  });

  it('refuses a stale version with a conflict message and leaves the page unchanged', async () => {
    const title = `Contested_${run}`;
    await newPage(title, 'their first text', 'their second text');
    const before = (await page(title)).page!;
    expect(before.version).toBe(2);
    const result = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title, text: 'my text, based on version 1', version: 1 });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`The wiki page "${title}" changed since version 1`);
    expect(result.text).toContain('nothing was written');
    expect(result.text).toContain('redmine_get_wiki_page');
    expect((await page(title)).page).toEqual(before);
  });

  it('attaches a file uploaded with redmine_upload_attachment', async () => {
    const title = `Attached_${run}`;
    await newPage(title, 'page with a file');
    const upload = await call(bastion, 'redmine_upload_attachment', { filename: `diagram-${run}.txt`, content: 'boxes and arrows' });
    expect(upload.isError).toBeFalsy();
    const result = await call(bastion, 'redmine_put_wiki_page', {
      project: 'alpha',
      title,
      text: 'page with a file\n\nattachment:diagram.txt',
      version: 1,
      uploads: [{ upload_token: upload.structured.upload_token, filename: `diagram-${run}.txt`, content_type: 'text/plain' }],
    });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ created: false, version: 2, attached: 1 });
    expect(result.structured.warning).toBeUndefined();
    const files = (await page(title)).page!.attachments!;
    expect(files).toEqual([expect.objectContaining({ filename: `diagram-${run}.txt`, filesize: 16 })]);
    expect((await download(files[0]!)).toString('utf8')).toBe('boxes and arrows');
  });

  it('changes nothing on bad input, naming the field', async () => {
    const title = `Guarded_${run}`;
    await newPage(title, 'stays as it is');
    const before = (await page(title)).page!;
    const blank = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title, text: '  \n ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('text');
    const badTitle = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title: `${title}: draft`, text: 'x' });
    expect(badTitle.isError).toBe(true);
    expect(badTitle.text).toContain('title');
    const version = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title, text: 'x', version: 0 });
    expect(version.isError).toBe(true);
    expect(version.text).toContain('version');
    const comments = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title, text: 'x', comments: 'c'.repeat(1025) });
    expect(comments.isError).toBe(true);
    expect(comments.text).toContain('comments');
    const token = await call(bastion, 'redmine_put_wiki_page', { project: 'alpha', title, text: 'x', uploads: [{ upload_token: '', filename: 'a.txt' }] });
    expect(token.isError).toBe(true);
    expect(token.text).toContain('upload_token');
    const project = await call(bastion, 'redmine_put_wiki_page', { project: 'no-such-project', title: `Orphan_${run}`, text: 'x' });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('404');
    expect((await page(title)).page).toEqual(before);
    expect((await page(`${title}_draft`)).status).toBe(404);
  });
});

describe('redmine_upload_attachment', () => {
  it('uploads text whose token attaches the file through redmine_update_issue', async () => {
    const issue = await newIssue('Gets a CSV');
    const filename = `export-${run}.csv`;
    const content = 'id,name\n1,Zoë\n';
    const upload = await call(bastion, 'redmine_upload_attachment', { filename, content, content_type: 'text/csv' });
    expect(upload.isError).toBeFalsy();
    expect(upload.structured).toMatchObject({ filename, size: Buffer.byteLength(content), content_type: 'text/csv' });
    expect(upload.text).toContain(`\n${upload.structured.upload_token}\n`);
    expect(await attachments(issue)).toEqual([]);

    const attach = await call(bastion, 'redmine_update_issue', { issue_id: issue, uploads: [{ upload_token: upload.structured.upload_token, filename }] });
    expect(attach.isError).toBeFalsy();
    const files = await attachments(issue);
    expect(files).toEqual([expect.objectContaining({ filename, filesize: Buffer.byteLength(content), content_type: 'text/csv' })]);
    expect((await download(files[0]!)).toString('utf8')).toBe(content);
  });

  it('uploads base64 (also wrapped over lines) whose token attaches the exact bytes to a new issue', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x80]);
    const base64 = bytes.toString('base64');
    const wrapped = `${base64.slice(0, 8)}\n${base64.slice(8)}`;
    const upload = await call(bastion, 'redmine_upload_attachment', { filename: `pixel-${run}.png`, content: wrapped, encoding: 'base64', content_type: 'image/png' });
    expect(upload.isError).toBeFalsy();
    expect(upload.structured.size).toBe(bytes.length);

    const issue = await newIssue('Gets a picture', { uploads: [{ token: upload.structured.upload_token, filename: `pixel-${run}.png`, content_type: 'image/png' }] });
    const files = await attachments(issue);
    expect(files).toEqual([expect.objectContaining({ filename: `pixel-${run}.png`, filesize: bytes.length, content_type: 'image/png' })]);
    expect((await download(files[0]!)).equals(bytes)).toBe(true);

    const described = await call(bastion, 'redmine_get_attachment', { attachment_id: files[0]!.id, issue_id: issue });
    expect(described.structured.content).toBeUndefined();
    expect(described.structured.content_note).toBe('not a text file (image/png); open the link to download it');
  });

  it('uploads a 4 MiB binary file given as base64', async () => {
    const bytes = Buffer.alloc(4 * 1024 * 1024, 0xa5);
    const upload = await call(bastion, 'redmine_upload_attachment', { filename: `large-${run}.bin`, content: bytes.toString('base64'), encoding: 'base64' });
    expect(upload.isError).toBeFalsy();
    expect(upload.structured?.size).toBe(bytes.length);
    const issue = await newIssue('Gets a large file', { uploads: [{ token: upload.structured.upload_token, filename: `large-${run}.bin` }] });
    try {
      expect(await attachments(issue)).toEqual([expect.objectContaining({ filename: `large-${run}.bin`, filesize: bytes.length })]);
    } finally {
      await redmine('DELETE', `/issues/${issue}.json`);
    }
  });

  it('refuses invalid base64, oversize text and bad names without sending anything to Redmine', async () => {
    const sent = uploadCalls();
    for (const content of ['not base64!', 'AAE', 'AAEC/w=', '====']) {
      const result = await call(bastion, 'redmine_upload_attachment', { filename: 'blob.bin', content, encoding: 'base64' });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('content is not valid base64');
    }
    const tooBig = 5 * 1024 * 1024 + 1;
    const bigText = await call(bastion, 'redmine_upload_attachment', { filename: 'big.txt', content: 'a'.repeat(tooBig) });
    expect(bigText.isError).toBe(true);
    expect(bigText.text).toContain(`content is ${tooBig} bytes; Redmine accepts attachments up to 5 MiB`);
    const path = await call(bastion, 'redmine_upload_attachment', { filename: '../etc/passwd', content: 'x' });
    expect(path.isError).toBe(true);
    expect(path.text).toContain('filename');
    const type = await call(bastion, 'redmine_upload_attachment', { filename: 'a.csv', content: 'x', content_type: 'csv' });
    expect(type.isError).toBe(true);
    expect(type.text).toContain('content_type');
    const empty = await call(bastion, 'redmine_upload_attachment', { filename: 'a.txt', content: '' });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('content');
    await expectOnlyOneMoreUpload(sent);
  });

  it('refuses oversize base64 content with the size limit, sending nothing to Redmine', async () => {
    const sent = uploadCalls();
    const tooBig = 5 * 1024 * 1024 + 1;
    const result = await call(bastion, 'redmine_upload_attachment', { filename: 'big.bin', content: Buffer.alloc(tooBig).toString('base64'), encoding: 'base64' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`content is ${tooBig} bytes; Redmine accepts attachments up to 5 MiB`);
    await expectOnlyOneMoreUpload(sent);
  });
});

describe('redmine_get_attachment', () => {
  it('returns notes.txt\'s details and its text content', async () => {
    const direct = (await attachments(issue1)).find((a) => a.filename === 'notes.txt')!;
    const result = await call(bastion, 'redmine_get_attachment', { attachment_id: direct.id });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({
      id: direct.id,
      filename: 'notes.txt',
      filesize: direct.filesize,
      content_type: 'text/plain',
      description: 'Seeded text file',
      author: 'Redmine Admin',
      created_on: direct.created_on,
      url: `${REDMINE_URL}/attachments/${direct.id}`,
      content: 'hello from redmine\n',
    });
    expect(result.text).toContain(`---\n${DATA_OPEN}\nhello from redmine`);

    const viaIssue = await call(bastion, 'redmine_get_attachment', { attachment_id: direct.id, issue_id: issue1, include_content: false });
    expect(viaIssue.structured).toMatchObject({ id: direct.id, filename: 'notes.txt', content_note: 'not requested' });
    expect(viaIssue.structured.content).toBeUndefined();
  });

  it('cuts long text content and says how to get more', async () => {
    const text = `${'line of a long log file\n'.repeat(20)}END`;
    const issue = await newIssue('Has a log', { uploads: [{ token: await restUpload('long.log', text), filename: 'long.log' }] });
    const [file] = await attachments(issue);
    const result = await call(bastion, 'redmine_get_attachment', { attachment_id: file!.id, issue_id: issue, max_chars: 100 });
    expect(result.isError).toBeFalsy();
    expect(result.structured.content).toBe(
      `${text.slice(0, 100)}… [truncated: ${text.length - 100} more characters; call redmine_get_attachment again with max_chars=${text.length}]`,
    );
  });

  it('reports an attachment of another issue, a missing one and bad input clearly', async () => {
    const notes = (await attachments(issue1)).find((a) => a.filename === 'notes.txt')!;
    const other = await newIssue('Has no files');
    const wrong = await call(bastion, 'redmine_get_attachment', { attachment_id: notes.id, issue_id: other });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain(`Attachment #${notes.id} is not attached to issue #${other}`);
    const missing = await call(bastion, 'redmine_get_attachment', { attachment_id: 99_999_999 });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/404.*not found/);
    const badId = await call(bastion, 'redmine_get_attachment', { attachment_id: 0 });
    expect(badId.isError).toBe(true);
    expect(badId.text).toContain('attachment_id');
    const chars = await call(bastion, 'redmine_get_attachment', { attachment_id: notes.id, max_chars: 10 });
    expect(chars.isError).toBe(true);
    expect(chars.text).toContain('max_chars');
    expect(await attachments(other)).toEqual([]);
  });
});
