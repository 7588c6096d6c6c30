// Attachments of an issue: list, download for the model (image, text or file), upload (multipart) and delete.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { decodeContent, deliverFile, downloadAttachment as download } from '../../../core/attachment.js';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment, type QueryValue } from '../../../core/http.js';
import type { YouTrackClient } from '../client.js';
import { creates, deletes, entityIdSchema, isoTime, issueIdSchema, readOnly, skipSchema, topSchema, userName, youtrackTool, type YtUser } from './shared.js';

interface YtAttachment {
  id: string;
  name: string;
  size?: number;
  mimeType?: string | null;
  created?: number;
  author?: YtUser | null;
  url?: string | null;
  removed?: boolean;
}

const ATTACHMENT_FIELDS = 'id,name,size,mimeType,created,author(login,fullName),url,removed';
/** Uploads are bounded like Redmine's (its default attachment limit); YouTrack's own limit is set by its administrator. */
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

const attachmentIdSchema = entityIdSchema('e.g. "74-3" (youtrack_list_attachments)');

const attachmentOutput = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().optional(),
  mime_type: z.string().optional(),
  author: z.string().optional(),
  created: z.string().optional(),
});

function attachmentResult(a: YtAttachment): z.input<typeof attachmentOutput> {
  return { id: a.id, name: a.name, size: a.size, mime_type: a.mimeType ?? undefined, author: userName(a.author), created: isoTime(a.created) };
}

const line = (a: z.output<typeof attachmentOutput>) =>
  `[${a.id}] ${a.name} (${a.size ?? '?'} bytes${a.mime_type ? `, ${a.mime_type}` : ''})${a.author ? ` by ${a.author}` : ''}${a.created ? ` ${a.created}` : ''}`;

/** A 404 on an attachment path, once the issue is known to exist, means the attachment is not on that issue. */
function notOnIssue(error: unknown, attachmentId: string, issueKey: string): unknown {
  if (error instanceof UpstreamError && error.status === 404) {
    return new InputError(`attachment_id: there is no attachment ${attachmentId} on issue ${issueKey}; youtrack_list_attachments lists them.`);
  }
  return error;
}

/**
 * Where an attachment's content is on the configured YouTrack: its `url` (`/api/files/…?sign=…`, with the service's
 * path prefix on a self-hosted install) as a path below the configured URL. A URL to any other place is refused.
 */
function contentRequest(client: YouTrackClient, raw: string): { path: string; query: Record<string, QueryValue> } {
  const base = client.http.baseUrl;
  const basePath = base.pathname.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(raw, base.origin);
  } catch {
    url = new URL('invalid:');
  }
  const below = url.pathname.startsWith(`${basePath}/api/`) ? url.pathname.slice(basePath.length) : url.pathname;
  if (url.origin !== base.origin || !below.startsWith('/api/')) {
    throw new UpstreamError(`YouTrack gave this attachment's content an address outside the configured YouTrack URL (${base.origin}${basePath}); Bastion does not fetch it.`, 'egress');
  }
  return { path: below, query: Object.fromEntries(url.searchParams) };
}

export const listAttachments = youtrackTool({
  name: 'youtrack_list_attachments',
  title: 'List attachments of a YouTrack issue',
  description: 'List an issue\'s attachments (files, screenshots) with their ids.',
  inputSchema: z.object({ issue_id: issueIdSchema, skip: skipSchema, top: topSchema(50) }),
  outputSchema: z.object({ issue: z.string(), skip: z.number(), attachments: z.array(attachmentOutput), next_skip: z.number().optional() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const { items, more } = await ctx.client.page<YtAttachment>(`/issues/${pathSegment(issue.id)}/attachments`, ATTACHMENT_FIELDS, {}, input.skip, input.top, ctx.signal);
    return {
      issue: issue.idReadable,
      skip: input.skip,
      attachments: items.filter((a) => !a.removed).map(attachmentResult),
      next_skip: more ? input.skip + items.length : undefined,
    };
  },
  render: (out) =>
    out.attachments.length
      ? `Attachments of ${out.issue}${out.next_skip !== undefined ? ` (more: skip=${out.next_skip})` : ''}:\n${out.attachments.map(line).join('\n')}`
      : `No attachments on ${out.issue}${out.skip ? ` after ${out.skip}` : ''}.`,
});

export const downloadAttachment = youtrackTool({
  name: 'youtrack_download_attachment',
  title: 'Download a YouTrack attachment',
  description:
    'An attachment\'s content for you to see (screenshots, logs): images as images, text as text, other files embedded.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    attachment_id: attachmentIdSchema,
    max_chars: z.number().int().min(100).max(100_000).default(20_000).describe('For text'),
  }),
  outputSchema: attachmentOutput.extend({ issue: z.string(), sent_as: z.enum(['image', 'text', 'resource']), text: z.string().optional() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const attachment = await ctx.client
      .get<YtAttachment>(`/issues/${pathSegment(issue.id)}/attachments/${pathSegment(input.attachment_id)}`, ATTACHMENT_FIELDS, undefined, ctx.signal)
      .catch((error: unknown) => {
        throw notOnIssue(error, input.attachment_id, issue.idReadable);
      });
    if (!attachment.url) throw new UpstreamError(`YouTrack gave attachment ${attachment.id} no content address.`, 'bad_response');
    const bytes = await download(
      ctx.client.http,
      { method: 'GET', ...contentRequest(ctx.client, attachment.url), signal: ctx.signal },
      { name: attachment.name, size: attachment.size },
      ctx.attachmentMaxBytes,
    );
    const uri = `${ctx.client.webUrl(`/issue/${issue.idReadable}`)}#attachment=${attachment.id}`;
    const delivered = deliverFile({ name: attachment.name, declaredType: attachment.mimeType, uri, bytes }, ctx.attach, {
      maxChars: input.max_chars,
      howToGetMore: 'call youtrack_download_attachment again with a larger max_chars (up to 100000)',
    });
    return { ...attachmentResult(attachment), size: bytes.length, mime_type: delivered.mime_type, issue: issue.idReadable, sent_as: delivered.kind, text: delivered.text };
  },
  render: (out) => {
    const head = `Attachment ${out.id} ${out.name} of ${out.issue} (${out.size ?? '?'} bytes, ${out.mime_type ?? 'unknown type'})`;
    return out.text !== undefined ? `${head}\n---\n${out.text}` : `${head}: sent as ${out.sent_as === 'image' ? 'an image' : 'an embedded file'} below.`;
  },
});

export const uploadAttachment = youtrackTool({
  name: 'youtrack_upload_attachment',
  title: 'Attach a file to a YouTrack issue',
  description: 'Attach a file (at most 5 MiB, text or base64) to an issue.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    filename: z
      .string()
      .max(255)
      .regex(/^[^/\\"\r\n]+$/, 'must be a file name without / \\ " or line breaks')
      .trim()
      .min(1),
    content: z.string().min(1).max(7_340_032),
    encoding: z.enum(['text', 'base64']).default('text').describe('base64 for binary files'),
    content_type: z
      .string()
      .max(255)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like "image/png"')
      .optional(),
  }),
  outputSchema: attachmentOutput.extend({ issue: z.string() }),
  annotations: creates,
  handler: async (input, ctx) => {
    const body = decodeContent(input.content, input.encoding);
    if (body.length > MAX_UPLOAD_BYTES) throw new InputError(`content is ${body.length} bytes; Bastion uploads attachments up to 5 MiB (5242880 bytes). Split or compress the file.`);
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    // One file part, named as YouTrack's API description declares it.
    const boundary = `bastion-${randomBytes(12).toString('hex')}`;
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files[0]"; filename="${input.filename}"\r\n` +
          `Content-Type: ${input.content_type ?? 'application/octet-stream'}\r\n\r\n`,
        'utf8',
      ),
      body,
      Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
    ]);
    // A POST that adds a file is not repeated when it may have reached YouTrack (the HTTP client's rule for POST).
    const response = await ctx.client.http.request({
      method: 'POST',
      path: `/api/issues/${pathSegment(issue.id)}/attachments`,
      query: { fields: ATTACHMENT_FIELDS },
      body: multipart,
      contentType: `multipart/form-data; boundary=${boundary}`,
      howToCheck: `youtrack_list_attachments lists ${issue.idReadable}'s attachments`,
      signal: ctx.signal,
    });
    const added = ctx.client.http.parseJson<YtAttachment[] | undefined>(response, 'POST /api/issues/{id}/attachments');
    const attachment = added?.[0];
    if (!attachment) throw new UpstreamError('YouTrack answered the upload without the new attachment.', 'bad_response', response.status);
    return { ...attachmentResult(attachment), issue: issue.idReadable };
  },
  render: (out) => `Attached ${out.name} (${out.size ?? '?'} bytes) to ${out.issue} as attachment ${out.id}.`,
});

export const deleteAttachment = youtrackTool({
  name: 'youtrack_delete_attachment',
  title: 'Delete a YouTrack attachment',
  description: 'Permanently delete an attachment from an issue; cannot be undone.',
  inputSchema: z.object({ issue_id: issueIdSchema, attachment_id: attachmentIdSchema }),
  outputSchema: z.object({ issue: z.string(), id: z.string(), name: z.string(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const path = `/issues/${pathSegment(issue.id)}/attachments/${pathSegment(input.attachment_id)}`;
    const attachment = await ctx.client.get<YtAttachment>(path, 'id,name', undefined, ctx.signal).catch((error: unknown) => {
      throw notOnIssue(error, input.attachment_id, issue.idReadable);
    });
    await ctx.client.delete(path, ctx.signal);
    return { issue: issue.idReadable, id: attachment.id, name: attachment.name, deleted: true };
  },
  render: (out) => `Deleted attachment ${out.id} ${out.name} from ${out.issue}.`,
});
