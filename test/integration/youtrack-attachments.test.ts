// Attachments of YouTrack issues through the real MCP client against the YouTrack double: list, download (images as
// MCP image content, text as text, other files as an embedded resource, under BASTION_ATTACHMENT_MAX_BYTES),
// upload (multipart, as YouTrack's API description declares it; never repeated after a failure) and delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { BLOCKED_MARK, NO_EGRESS_ENV } from '../helpers/no-egress-env.js';
import { expectKeyChecks, startBastionOnYouTrack, startYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

interface Block {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  resource?: { uri: string; mimeType?: string; blob?: string };
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

let double: YouTrackDouble;
let bastion: Bastion;
useYouTrackBastion((running) => ({ double, bastion } = running));

async function raw(name: string, args: Record<string, unknown>, on = bastion): Promise<{ isError?: boolean; content: Block[] }> {
  return (await on.client.callTool({ name, arguments: args })) as { isError?: boolean; content: Block[] };
}

async function upload(filename: string, content: Buffer | string, contentType?: string): Promise<string> {
  const result = await call(bastion, 'youtrack_upload_attachment', {
    issue_id: 'DEMO-1',
    filename,
    ...(typeof content === 'string' ? { content } : { content: content.toString('base64'), encoding: 'base64' }),
    ...(contentType ? { content_type: contentType } : {}),
  });
  expect(result.isError).toBeFalsy();
  return result.structured.id as string;
}

describe('youtrack_upload_attachment and youtrack_list_attachments', () => {
  it('uploads a file as one multipart part and lists it', async () => {
    const id = await upload('build.log', 'step 1 ok\nstep 2 failed\n', 'text/plain');
    const stored = double.state.attachments.find((a) => a.id === id)!;
    expect(stored.content.toString('utf8')).toBe('step 1 ok\nstep 2 failed\n');
    const post = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/attachments')).at(-1)!;
    expect(post.multipart).toEqual([{ name: 'files[0]', filename: 'build.log', contentType: 'text/plain', size: 24 }]);

    const listed = await call(bastion, 'youtrack_list_attachments', { issue_id: 'DEMO-1' });
    expect(listed.isError).toBeFalsy();
    expect(listed.structured.attachments).toContainEqual(expect.objectContaining({ id, name: 'build.log', size: 24, mime_type: 'text/plain', author: 'Admin' }));
    expect(listed.text).toContain(`[${id}] build.log (24 bytes, text/plain)`);
  });

  it('refuses bad input naming the field, sending nothing', async () => {
    const before = writes(double);
    const name = await call(bastion, 'youtrack_upload_attachment', { issue_id: 'DEMO-1', filename: '../x.txt', content: 'x' });
    expect(name.isError).toBe(true);
    expect(name.text).toContain('filename');
    const base64 = await call(bastion, 'youtrack_upload_attachment', { issue_id: 'DEMO-1', filename: 'x.bin', content: 'not base64!', encoding: 'base64' });
    expect(base64.isError).toBe(true);
    expect(base64.text).toContain('content is not valid base64');
    expect(writes(double)).toBe(before);
    await expectKeyChecks(bastion, double, 'youtrack_list_attachments', 'demo 1');
  });

  it('does not repeat an upload whose answer failed, and says how to check', async () => {
    const posts = () => double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/attachments')).length;
    const before = posts();
    double.failNext({ method: 'POST', pathPrefix: '/api/issues/2-1/attachments', count: 1, status: 502 });
    const result = await call(bastion, 'youtrack_upload_attachment', { issue_id: 'DEMO-1', filename: 'once.txt', content: 'once' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('was not repeated automatically');
    expect(result.text).toContain("youtrack_list_attachments lists DEMO-1's attachments");
    expect(posts()).toBe(before + 1);
  });
});

describe('youtrack_download_attachment', () => {
  it('sends a PNG and a GIF as MCP image content whose bytes round-trip', async () => {
    for (const [name, bytes, type] of [['screen.png', PNG, 'image/png'], ['anim.gif', GIF, 'image/gif']] as const) {
      const id = await upload(name, bytes, type);
      const result = await raw('youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: id });
      expect(result.isError).toBeFalsy();
      const image = result.content.find((block) => block.type === 'image');
      expect(image?.mimeType).toBe(type);
      expect(Buffer.from(image!.data!, 'base64').equals(bytes)).toBe(true);
    }
    // Read from the URL YouTrack gives the attachment, with its signature.
    const file = double.requests.filter((r) => r.path.startsWith('/api/files/')).at(-1)!;
    expect(file.query.sign).toBeTruthy();
  });

  it('sends text as text, and a .png that is not an image as a plain embedded file', async () => {
    const log = await upload('trace.log', 'Error: boom\n  at main\n');
    const text = await call(bastion, 'youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: log });
    expect(text.structured).toMatchObject({ sent_as: 'text', name: 'trace.log' });
    expect(text.text).toContain('Error: boom');

    const fake = await upload('fake.png', '<svg onload="alert(1)"></svg>', 'image/png');
    const result = await raw('youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: fake });
    expect(result.content.some((block) => block.type === 'image')).toBe(false);
    const embedded = result.content.find((block) => block.type === 'resource');
    expect(embedded?.resource?.mimeType).toBe('application/octet-stream');
    expect(Buffer.from(embedded!.resource!.blob!, 'base64').toString('utf8')).toBe('<svg onload="alert(1)"></svg>');
  });

  it('names an attachment that is not on the issue, and a malformed id', async () => {
    const missing = await call(bastion, 'youtrack_download_attachment', { issue_id: 'DEMO-2', attachment_id: '74-1' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toBe('attachment_id: there is no attachment 74-1 on issue DEMO-2; youtrack_list_attachments lists them.');
    const malformed = await call(bastion, 'youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: 'screen.png' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toContain('attachment_id');
  });

  describe('with BASTION_ATTACHMENT_MAX_BYTES=1024', () => {
    let capped: Bastion;
    beforeAll(async () => {
      capped = await startBastionOnYouTrack(double, { BASTION_ATTACHMENT_MAX_BYTES: '1024' });
    });
    afterAll(async () => {
      await capped?.close();
    });

    it('refuses a larger attachment by its size, without downloading it', async () => {
      const id = await upload('big.txt', 'y'.repeat(3000));
      const reads = double.requests.filter((r) => r.path.startsWith('/api/files/')).length;
      const result = await call(capped, 'youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: id });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('Attachment "big.txt" is 3000 bytes, more than the 1024-byte limit for downloads (BASTION_ATTACHMENT_MAX_BYTES)');
      expect(double.requests.filter((r) => r.path.startsWith('/api/files/')).length).toBe(reads);
    });

    it('stops reading content that grows past the limit while it streams in', async () => {
      const id = await upload('small.txt', 'tiny');
      double.failNext({ method: 'GET', pathPrefix: '/api/files/', count: 1, status: 200, body: 'z'.repeat(200_000) });
      const result = await call(capped, 'youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: id });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('Attachment "small.txt" is at least');
      expect(result.text).toContain('more than the 1024-byte limit for downloads (BASTION_ATTACHMENT_MAX_BYTES)');
    });
  });
});

describe('youtrack_delete_attachment', () => {
  it('deletes an attachment of the issue', async () => {
    const id = await upload('old.txt', 'old');
    const result = await call(bastion, 'youtrack_delete_attachment', { issue_id: 'DEMO-1', attachment_id: id });
    expect(result.isError).toBeFalsy();
    expect(result.text).toBe(`Deleted attachment ${id} old.txt from DEMO-1.`);
    expect(double.state.attachments.some((a) => a.id === id)).toBe(false);
  });

  it('deletes nothing when the attachment is on another issue', async () => {
    const id = await upload('keep.txt', 'keep');
    const result = await call(bastion, 'youtrack_delete_attachment', { issue_id: 'DEMO-2', attachment_id: id });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`attachment_id: there is no attachment ${id} on issue DEMO-2`);
    expect(double.state.attachments.some((a) => a.id === id)).toBe(true);
  });
});

describe('under YOUTRACK_PROJECTS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses the attachments of an issue outside the allowed projects before reading or changing them', async () => {
    const before = double.requests.length;
    for (const [tool, args] of [
      ['youtrack_list_attachments', { issue_id: 'DEMO-1' }],
      ['youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: '74-1' }],
      ['youtrack_upload_attachment', { issue_id: 'DEMO-1', filename: 'x.txt', content: 'x' }],
      ['youtrack_delete_attachment', { issue_id: 'DEMO-1', attachment_id: '74-1' }],
    ] as const) {
      const result = await call(scoped, tool, args);
      expect(result.isError).toBe(true);
      expect(result.text).toBe('Issue DEMO-1 is outside the allowed projects (YOUTRACK_PROJECTS=OPS).');
    }
    // Only the issue's project was read.
    expect(double.requests.slice(before).every((r) => r.method === 'GET' && /^\/api\/issues\/DEMO-1$/.test(r.path))).toBe(true);
  });
});

describe('where the content is', () => {
  it('reads it below the service path of a self-hosted YouTrack', async () => {
    const hosted = await startYouTrack({ prefix: '/youtrack' });
    const on = await startBastionOnYouTrack(hosted);
    try {
      const added = await call(on, 'youtrack_upload_attachment', { issue_id: 'DEMO-1', filename: 'a.png', content: PNG.toString('base64'), encoding: 'base64' });
      const result = await raw('youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: added.structured.id }, on);
      expect(result.content.find((block) => block.type === 'image')?.mimeType).toBe('image/png');
      expect(hosted.requests.some((r) => r.path.startsWith('/youtrack/api/files/'))).toBe(true);
    } finally {
      await on.close();
      await hosted.close();
    }
  });

  it('refuses an attachment URL on another host, connecting nowhere', async () => {
    const on = await startBastionOnYouTrack(double, NO_EGRESS_ENV);
    try {
      const id = await upload('elsewhere.txt', 'x');
      // The double now gives attachment URLs on another host.
      double.state.servicePrefix = 'http://203.0.113.7';
      const result = await call(on, 'youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: id });
      expect(result.isError).toBe(true);
      expect(result.text).toBe(`YouTrack gave this attachment's content an address outside the configured YouTrack URL (${new URL(double.url).origin}); Bastion does not fetch it.`);
    } finally {
      double.state.servicePrefix = '';
      await on.close();
    }
    expect(on.stderr()).not.toContain(BLOCKED_MARK);
  });
});
