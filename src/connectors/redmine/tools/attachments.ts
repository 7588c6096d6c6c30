// Attachments whole: download one for the model to see (image, text or file) and delete one.
import { z } from 'zod';
import { deliverFile, downloadAttachment as download } from '../../../core/attachment.js';
import { pathSegment } from '../../../core/http.js';
import type { RedmineClient } from '../client.js';
import { findAttachment, type RedmineAttachment } from './files.js';
import { deletes, idSchema, projectSchema, readOnly, redmineTool } from './shared.js';

/**
 * The path of an attachment's content on the configured Redmine. content_url names the host the request arrived
 * on (an internal name behind a proxy, say), so only its path is used, and only when it is this attachment's
 * download path below the configured base path; otherwise the path is built from the id and file name.
 */
function contentPath(client: RedmineClient, attachment: RedmineAttachment): string {
  const basePath = client.http.baseUrl.pathname.replace(/\/+$/, '');
  const own = `/attachments/download/${pathSegment(attachment.id)}/${pathSegment(attachment.filename)}`;
  if (!attachment.content_url) return own;
  try {
    const path = new URL(attachment.content_url).pathname;
    const below = path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : undefined;
    return below?.startsWith(`/attachments/download/${attachment.id}/`) ? below : own;
  } catch {
    return own;
  }
}

const attachmentInput = {
  attachment_id: idSchema(),
  issue_id: idSchema('Its issue; needed if limited to projects').optional(),
  project: projectSchema.optional().describe('For a project file'),
};

export const downloadAttachment = redmineTool({
  name: 'redmine_download_attachment',
  title: 'Download a Redmine attachment',
  description:
    'An attachment\'s content for you to see (screenshots, logs): images as images, text as text, other files embedded.',
  inputSchema: z.object({
    ...attachmentInput,
    max_chars: z.number().int().min(100).max(100_000).default(20_000).describe('For text'),
  }),
  outputSchema: z.object({
    id: z.number(),
    filename: z.string(),
    filesize: z.number(),
    url: z.string(),
    sent_as: z.enum(['image', 'text', 'resource']),
    mime_type: z.string(),
    text: z.string().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const attachment = await findAttachment(input, ctx);
    const bytes = await download(
      ctx.client.http,
      { method: 'GET', path: contentPath(ctx.client, attachment), signal: ctx.signal },
      { name: attachment.filename, size: attachment.filesize },
      ctx.attachmentMaxBytes,
    );
    const url = ctx.client.webUrl(`/attachments/${attachment.id}`);
    const delivered = deliverFile({ name: attachment.filename, declaredType: attachment.content_type, uri: url, bytes }, ctx.attach, {
      maxChars: input.max_chars,
      howToGetMore: `call redmine_download_attachment again with a larger max_chars (up to 100000)`,
    });
    return { id: attachment.id, filename: attachment.filename, filesize: bytes.length, url, sent_as: delivered.kind, mime_type: delivered.mime_type, text: delivered.text };
  },
  render: (out) => {
    const head = `Attachment #${out.id} ${out.filename} (${out.filesize} bytes, ${out.mime_type}) ${out.url}`;
    return out.text !== undefined ? `${head}\n---\n${out.text}` : `${head}: sent as ${out.sent_as === 'image' ? 'an image' : 'an embedded file'} below.`;
  },
});

export const deleteAttachment = redmineTool({
  name: 'redmine_delete_attachment',
  title: 'Delete a Redmine attachment',
  description: 'Permanently delete an attachment (file) from its issue, wiki page or project; cannot be undone.',
  inputSchema: z.object(attachmentInput),
  outputSchema: z.object({ id: z.number(), filename: z.string(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const attachment = await findAttachment(input, ctx);
    await ctx.client.delete(`/attachments/${pathSegment(attachment.id)}.json`, ctx.signal);
    return { id: attachment.id, filename: attachment.filename, deleted: true };
  },
  render: (out) => `Deleted attachment #${out.id} ${out.filename}.`,
});
